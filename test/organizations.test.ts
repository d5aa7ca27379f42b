/*
 * Target resolution through AWS Organizations, run for real: lambda/shared/organizations with the real
 * @aws-sdk/client-organizations, against the local fake of the API.
 */
import { FakeAccountApi } from './fake-account-api';
import { isTargeted, resolveTargets } from '../lambda/shared/organizations';

const MANAGEMENT = '111111111111';
const OUTSIDER = '999999999999';
/** 44 members: with the management account, 45 accounts, so that ListAccounts takes 3 pages of 20. */
const MEMBERS = Array.from({ length: 44 }, (_, i) => String(200000000001 + i));

/*
 * root
 * ├── PROD: PROD_ACCOUNT
 * │   └── WEB: WEB_ACCOUNT
 * │       └── WEB_EU: EU_ACCOUNTS (23, two pages of ListAccountsForParent), SUSPENDED
 * ├── SANDBOX: SIBLING
 * └── MANAGEMENT and the other members
 */
const PROD = 'ou-root0-prod0001';
const WEB = 'ou-root0-prodweb1';
const WEB_EU = 'ou-root0-prodweu1';
const SANDBOX = 'ou-root0-sandbox1';
const PROD_ACCOUNT = MEMBERS[0];
const WEB_ACCOUNT = MEMBERS[1];
const EU_ACCOUNTS = MEMBERS.slice(2, 25);
const SIBLING = MEMBERS[25];
const SUSPENDED = MEMBERS[26];
const AT_ROOT = MEMBERS.slice(27);
const DELEGATED_ADMIN = AT_ROOT[0];

// Retries back off for real (up to seconds): give the fault tests room.
jest.setTimeout(60_000);

let fake: FakeAccountApi;

beforeAll(async () => {
  fake = await FakeAccountApi.start({ managementAccountId: MANAGEMENT, memberAccountIds: MEMBERS, standaloneAccountIds: [OUTSIDER] });
  fake.addOrganizationalUnit(PROD);
  fake.addOrganizationalUnit(WEB, PROD);
  fake.addOrganizationalUnit(WEB_EU, WEB);
  fake.addOrganizationalUnit(SANDBOX, fake.rootId);
  fake.moveAccount(PROD_ACCOUNT, PROD);
  fake.moveAccount(WEB_ACCOUNT, WEB);
  for (const id of [...EU_ACCOUNTS, SUSPENDED]) fake.moveAccount(id, WEB_EU);
  fake.moveAccount(SIBLING, SANDBOX);
  fake.setAccountStatus(SUSPENDED, 'SUSPENDED');
  fake.useForSdkClients();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.callerAccountId = MANAGEMENT;
  fake.delegatedAdminAccountId = undefined;
  fake.clearCalls();
});

function organizationsCalls(): string[] {
  return fake.calls.filter(call => call.operation.startsWith('organizations:')).map(call => call.operation);
}

const sorted = (ids: string[]) => [...ids].sort();

describe('resolveTargets', () => {
  test('explicit ids are taken as given, sorted and without duplicates, with no Organizations call', async () => {
    await expect(resolveTargets({ accountIds: [SIBLING, OUTSIDER, PROD_ACCOUNT, SIBLING] }))
      .resolves.toEqual(sorted([PROD_ACCOUNT, SIBLING, OUTSIDER]));
    // Even a suspended account: explicit ids are not checked.
    await expect(resolveTargets({ accountIds: [SUSPENDED] })).resolves.toEqual([SUSPENDED]);
    await expect(resolveTargets({})).resolves.toEqual([]);
    expect(organizationsCalls()).toEqual([]);
  });

  test('all accounts: every ACTIVE member over several pages, the suspended one left out', async () => {
    const targets = await resolveTargets({ allAccounts: true });

    expect(targets).toEqual(sorted([MANAGEMENT, ...MEMBERS.filter(id => id !== SUSPENDED)]));
    expect(targets).toHaveLength(44);
    expect(targets).not.toContain(OUTSIDER);
    expect(fake.callsOf('organizations:ListAccounts').length).toBeGreaterThan(2);
    expect(fake.callsOf('organizations:ListAccounts').every(call => call.status === 200)).toBe(true);
    // allAccounts needs no OU walk.
    expect(new Set(organizationsCalls())).toEqual(new Set(['organizations:ListAccounts']));
  });

  test('an OU includes its nested OUs: a grand-child OU\'s accounts are in, a sibling OU\'s are not', async () => {
    const targets = await resolveTargets({ organizationalUnitIds: [PROD] });

    expect(targets).toEqual(sorted([PROD_ACCOUNT, WEB_ACCOUNT, ...EU_ACCOUNTS]));
    expect(targets).not.toContain(SIBLING);
    expect(targets).not.toContain(SUSPENDED);
    expect(targets).not.toContain(MANAGEMENT);
    expect(fake.callsOf('organizations:ListAccounts')).toHaveLength(0);
    // The grand-child OU's 23 accounts take two pages.
    expect(fake.callsOf('organizations:ListAccountsForParent')).toHaveLength(4);
    expect(fake.callsOf('organizations:ListChildren')).toHaveLength(3);
  });

  test('exclusions win over explicit ids, OUs and all accounts', async () => {
    await expect(resolveTargets({ accountIds: [PROD_ACCOUNT, SIBLING], excludeAccountIds: [SIBLING] })).resolves.toEqual([PROD_ACCOUNT]);
    await expect(resolveTargets({ organizationalUnitIds: [WEB], excludeAccountIds: EU_ACCOUNTS })).resolves.toEqual([WEB_ACCOUNT]);
    const all = await resolveTargets({ allAccounts: true, excludeAccountIds: [MANAGEMENT, OUTSIDER] });
    expect(all).toHaveLength(43);
    expect(all).not.toContain(MANAGEMENT);
  });

  test('overlapping explicit ids and nested OUs give each account once, and each OU is listed once', async () => {
    const targets = await resolveTargets({ accountIds: [WEB_ACCOUNT, EU_ACCOUNTS[0]], organizationalUnitIds: [WEB_EU, PROD, WEB, WEB_EU] });

    expect(targets).toEqual(sorted([PROD_ACCOUNT, WEB_ACCOUNT, ...EU_ACCOUNTS]));
    const listed = fake.callsOf('organizations:ListChildren');
    expect(listed).toHaveLength(3);
  });

  test('the spec\'s OU and account lists together with allAccounts: all accounts, the explicit outsider too', async () => {
    const targets = await resolveTargets({ allAccounts: true, organizationalUnitIds: [PROD], accountIds: [OUTSIDER] });
    expect(targets).toHaveLength(45);
    expect(targets).toContain(OUTSIDER);
    expect(fake.callsOf('organizations:ListChildren')).toHaveLength(0);
  });

  test('an unknown OU names the operation, the OU and the fix', async () => {
    await expect(resolveTargets({ organizationalUnitIds: ['ou-root0-missing1'] })).rejects.toThrow(
      /ListAccountsForParent \(ParentId ou-root0-missing1\) failed: ParentNotFoundException.*check that every id in organizationalUnitIds/);
  });

  test('a caller that is neither the management account nor the delegated administrator gets a clear message', async () => {
    fake.callerAccountId = PROD_ACCOUNT;
    const error = await resolveTargets({ allAccounts: true }).then(() => undefined, (e: Error) => e);

    expect(error?.message).toMatch(/^AWS Organizations ListAccounts failed: AccessDeniedException/);
    expect(error?.message).toContain('deploy from the management account or the delegated administrator, which may call organizations:List*');
    // Not retried: one call.
    expect(fake.callsOf('organizations:ListAccounts')).toHaveLength(1);
    expect(fake.callsOf('organizations:ListAccounts')[0]).toMatchObject({ caller: PROD_ACCOUNT, status: 400, errorType: 'AccessDeniedException' });
    await expect(isTargeted({ organizationalUnitIds: [PROD] }, WEB_ACCOUNT)).rejects.toThrow(/ListParents \(ChildId .*AccessDeniedException/);
  });

  test('the delegated administrator may list the accounts', async () => {
    fake.delegatedAdminAccountId = DELEGATED_ADMIN;
    fake.callerAccountId = DELEGATED_ADMIN;
    await expect(resolveTargets({ organizationalUnitIds: [SANDBOX] })).resolves.toEqual([SIBLING]);
  });

  test('throttling (429) on ListAccounts is retried and the listing completes', async () => {
    fake.injectFault({ operation: 'ListAccounts', status: 429, count: 2 });

    await expect(resolveTargets({ allAccounts: true })).resolves.toHaveLength(44);
    const calls = fake.callsOf('organizations:ListAccounts');
    expect(calls.filter(call => call.status === 429)).toHaveLength(2);
    expect(calls.filter(call => call.errorType === 'TooManyRequestsException')).toHaveLength(2);
    expect(calls.filter(call => call.status === 200).length).toBeGreaterThan(2);
  });

  test('a server error (500) on ListChildren is retried', async () => {
    fake.injectFault({ operation: 'ListChildren', status: 500, count: 1 });
    await expect(resolveTargets({ organizationalUnitIds: [WEB] })).resolves.toEqual(sorted([WEB_ACCOUNT, ...EU_ACCOUNTS]));
    expect(fake.callsOf('organizations:ListChildren').map(call => call.status)).toEqual([500, 200, 200]);
  });
});

describe('isTargeted', () => {
  test('an explicit id is targeted with no Organizations call; an excluded one never is', async () => {
    await expect(isTargeted({ accountIds: [OUTSIDER] }, OUTSIDER)).resolves.toBe(true);
    await expect(isTargeted({ accountIds: [SIBLING] }, PROD_ACCOUNT)).resolves.toBe(false);
    await expect(isTargeted({ accountIds: [SIBLING], allAccounts: true, excludeAccountIds: [SIBLING] }, SIBLING)).resolves.toBe(false);
    await expect(isTargeted({ organizationalUnitIds: [PROD], excludeAccountIds: [WEB_ACCOUNT] }, WEB_ACCOUNT)).resolves.toBe(false);
    expect(organizationsCalls()).toEqual([]);
  });

  test('all accounts: every ACTIVE member, not a suspended one nor an outsider', async () => {
    await expect(isTargeted({ allAccounts: true }, SIBLING)).resolves.toBe(true);
    await expect(isTargeted({ allAccounts: true }, MANAGEMENT)).resolves.toBe(true);
    await expect(isTargeted({ allAccounts: true }, SUSPENDED)).resolves.toBe(false);
    await expect(isTargeted({ allAccounts: true }, OUTSIDER)).resolves.toBe(false);
    expect(fake.callsOf('organizations:ListParents')).toHaveLength(0);
  });

  test('nested OUs: an account under a grand-child OU is targeted, one under a sibling OU or the root is not', async () => {
    const spec = { organizationalUnitIds: [PROD] };
    await expect(isTargeted(spec, EU_ACCOUNTS[5])).resolves.toBe(true);
    expect(fake.callsOf('organizations:ListParents').map(call => call.status)).toEqual([200, 200, 200]);
    await expect(isTargeted(spec, PROD_ACCOUNT)).resolves.toBe(true);
    await expect(isTargeted(spec, WEB_ACCOUNT)).resolves.toBe(true);
    await expect(isTargeted(spec, SIBLING)).resolves.toBe(false);
    await expect(isTargeted(spec, AT_ROOT[3])).resolves.toBe(false);
    await expect(isTargeted(spec, MANAGEMENT)).resolves.toBe(false);
    await expect(isTargeted(spec, SUSPENDED)).resolves.toBe(false);
    await expect(isTargeted(spec, OUTSIDER)).resolves.toBe(false);
    await expect(isTargeted({ organizationalUnitIds: [WEB_EU] }, WEB_ACCOUNT)).resolves.toBe(false);
    await expect(isTargeted({ organizationalUnitIds: [SANDBOX, WEB_EU] }, SIBLING)).resolves.toBe(true);
  });

  test('an account that just joined, under a nested OU, is targeted', async () => {
    const joined = '300000000001';
    fake.addAccount(joined, { member: true });
    try {
      await expect(isTargeted({ organizationalUnitIds: [WEB] }, joined)).resolves.toBe(false);
      fake.moveAccount(joined, WEB_EU);
      await expect(isTargeted({ organizationalUnitIds: [WEB] }, joined)).resolves.toBe(true);
      await expect(resolveTargets({ organizationalUnitIds: [WEB] })).resolves.toContain(joined);
    } finally {
      fake.members.delete(joined);
    }
  });

  test('a spec with neither OUs nor allAccounts targets nothing else, without any call', async () => {
    await expect(isTargeted({ accountIds: [SIBLING] }, WEB_ACCOUNT)).resolves.toBe(false);
    await expect(isTargeted({}, WEB_ACCOUNT)).resolves.toBe(false);
    expect(organizationsCalls()).toEqual([]);
  });
});
