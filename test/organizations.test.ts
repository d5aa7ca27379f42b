/*
 * Target resolution and membership through AWS Organizations, run for real: lambda/shared/organizations
 * with its signed awsJson calls (lambda/shared/aws-json.ts), against the local Organizations service (local/).
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { JsonClient, organizationsApi } from '../lambda/shared/aws-json';
import { isTargeted, membershipOf, resolveTargets } from '../lambda/shared/organizations';
import { LocalAws } from '../local';

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

// The calls' own retries back off for real, up to seconds: give the fault tests room.
jest.setTimeout(60_000);

let aws: LocalAws;
let client: JsonClient;
const requestHandler = new NodeHttpHandler();

beforeAll(async () => {
  aws = await LocalAws.start({ managementAccountId: MANAGEMENT, memberAccountIds: MEMBERS, standaloneAccountIds: [OUTSIDER] });
  aws.addOrganizationalUnit(PROD);
  aws.addOrganizationalUnit(WEB, PROD);
  aws.addOrganizationalUnit(WEB_EU, WEB);
  aws.addOrganizationalUnit(SANDBOX, aws.rootId);
  aws.moveAccount(PROD_ACCOUNT, PROD);
  aws.moveAccount(WEB_ACCOUNT, WEB);
  for (const id of [...EU_ACCOUNTS, SUSPENDED]) aws.moveAccount(id, WEB_EU);
  aws.moveAccount(SIBLING, SANDBOX);
  aws.setAccountStatus(SUSPENDED, 'SUSPENDED');
  aws.useForSdkClients();
});

afterAll(async () => {
  requestHandler.destroy();
  await aws.close();
});

beforeEach(() => {
  // Retries until a deadline: 30 s from each test's start, as an invocation's would be.
  client = new JsonClient({ deadline: Date.now() + 30_000, config: () => ({ requestHandler }) }, organizationsApi());
  aws.callerAccountId = MANAGEMENT;
  aws.organization.delegatedAdminAccountId = undefined;
  aws.clearFaults();
  aws.clearCalls();
});

function organizationsCalls(): string[] {
  return aws.calls.filter(call => call.operation.startsWith('organizations:')).map(call => call.operation);
}

const sorted = (ids: string[]) => [...ids].sort();

describe('resolveTargets', () => {
  test('explicit ids are taken as given, sorted and without duplicates, with no Organizations call', async () => {
    await expect(resolveTargets(client, { accountIds: [SIBLING, OUTSIDER, PROD_ACCOUNT, SIBLING] }))
      .resolves.toEqual(sorted([PROD_ACCOUNT, SIBLING, OUTSIDER]));
    // Even a suspended account: explicit ids are not checked.
    await expect(resolveTargets(client, { accountIds: [SUSPENDED] })).resolves.toEqual([SUSPENDED]);
    await expect(resolveTargets(client, {})).resolves.toEqual([]);
    expect(organizationsCalls()).toEqual([]);
  });

  test('all accounts: every ACTIVE member over several pages, the suspended one left out', async () => {
    const targets = await resolveTargets(client, { allAccounts: true });

    expect(targets).toEqual(sorted([MANAGEMENT, ...MEMBERS.filter(id => id !== SUSPENDED)]));
    expect(targets).toHaveLength(44);
    expect(targets).not.toContain(OUTSIDER);
    expect(aws.callsOf('organizations:ListAccounts').length).toBeGreaterThan(2);
    expect(aws.callsOf('organizations:ListAccounts').every(call => call.status === 200)).toBe(true);
    // allAccounts needs no OU walk.
    expect(new Set(organizationsCalls())).toEqual(new Set(['organizations:ListAccounts']));
  });

  test('an OU includes its nested OUs: a grand-child OU\'s accounts are in, a sibling OU\'s are not', async () => {
    const targets = await resolveTargets(client, { organizationalUnitIds: [PROD] });

    expect(targets).toEqual(sorted([PROD_ACCOUNT, WEB_ACCOUNT, ...EU_ACCOUNTS]));
    expect(targets).not.toContain(SIBLING);
    expect(targets).not.toContain(SUSPENDED);
    expect(targets).not.toContain(MANAGEMENT);
    expect(aws.callsOf('organizations:ListAccounts')).toHaveLength(0);
    // The grand-child OU's 23 accounts take two pages.
    expect(aws.callsOf('organizations:ListAccountsForParent')).toHaveLength(4);
    expect(aws.callsOf('organizations:ListChildren')).toHaveLength(3);
  });

  test('exclusions win over explicit ids, OUs and all accounts', async () => {
    await expect(resolveTargets(client, { accountIds: [PROD_ACCOUNT, SIBLING], excludeAccountIds: [SIBLING] })).resolves.toEqual([PROD_ACCOUNT]);
    await expect(resolveTargets(client, { organizationalUnitIds: [WEB], excludeAccountIds: EU_ACCOUNTS })).resolves.toEqual([WEB_ACCOUNT]);
    const all = await resolveTargets(client, { allAccounts: true, excludeAccountIds: [MANAGEMENT, OUTSIDER] });
    expect(all).toHaveLength(43);
    expect(all).not.toContain(MANAGEMENT);
  });

  test('overlapping explicit ids and nested OUs give each account once, and each OU is listed once', async () => {
    const targets = await resolveTargets(client, { accountIds: [WEB_ACCOUNT, EU_ACCOUNTS[0]], organizationalUnitIds: [WEB_EU, PROD, WEB, WEB_EU] });

    expect(targets).toEqual(sorted([PROD_ACCOUNT, WEB_ACCOUNT, ...EU_ACCOUNTS]));
    const listed = aws.callsOf('organizations:ListChildren');
    expect(listed).toHaveLength(3);
  });

  test('the spec\'s OU and account lists together with allAccounts: all accounts, the explicit outsider too', async () => {
    const targets = await resolveTargets(client, { allAccounts: true, organizationalUnitIds: [PROD], accountIds: [OUTSIDER] });
    expect(targets).toHaveLength(45);
    expect(targets).toContain(OUTSIDER);
    expect(aws.callsOf('organizations:ListChildren')).toHaveLength(0);
  });

  test('an unknown OU names the operation, the OU and the fix', async () => {
    await expect(resolveTargets(client, { organizationalUnitIds: ['ou-root0-missing1'] })).rejects.toThrow(
      /ListAccountsForParent \(ParentId ou-root0-missing1\) failed: ParentNotFoundException.*check that every id in organizationalUnitIds/);
  });

  test('a caller that is neither the management account nor the delegated administrator gets a clear message', async () => {
    aws.callerAccountId = PROD_ACCOUNT;
    const error = await resolveTargets(client, { allAccounts: true }).then(() => undefined, (e: Error) => e);

    expect(error?.message).toMatch(/^AWS Organizations ListAccounts failed: AccessDeniedException/);
    expect(error?.message).toContain('deploy from the management account or the delegated administrator, which may call organizations:List*');
    // Not retried: one call.
    expect(aws.callsOf('organizations:ListAccounts')).toHaveLength(1);
    expect(aws.callsOf('organizations:ListAccounts')[0]).toMatchObject({ caller: PROD_ACCOUNT, status: 400, errorType: 'AccessDeniedException' });
    await expect(isTargeted(client, { organizationalUnitIds: [PROD] }, WEB_ACCOUNT)).rejects.toThrow(/ListParents \(ChildId .*AccessDeniedException/);
  });

  test('the delegated administrator may list the accounts', async () => {
    aws.organization.delegatedAdminAccountId = DELEGATED_ADMIN;
    aws.callerAccountId = DELEGATED_ADMIN;
    await expect(resolveTargets(client, { organizationalUnitIds: [SANDBOX] })).resolves.toEqual([SIBLING]);
  });

  test('throttling (429) on ListAccounts is retried and the listing completes', async () => {
    aws.injectFault({ operation: 'organizations:ListAccounts', status: 429, count: 2 });

    await expect(resolveTargets(client, { allAccounts: true })).resolves.toHaveLength(44);
    const calls = aws.callsOf('organizations:ListAccounts');
    expect(calls.filter(call => call.status === 429)).toHaveLength(2);
    expect(calls.filter(call => call.errorType === 'TooManyRequestsException')).toHaveLength(2);
    expect(calls.filter(call => call.status === 200).length).toBeGreaterThan(2);
  });

  test('a server error (500) on ListChildren is retried', async () => {
    aws.injectFault({ operation: 'organizations:ListChildren', status: 500, count: 1 });
    await expect(resolveTargets(client, { organizationalUnitIds: [WEB] })).resolves.toEqual(sorted([WEB_ACCOUNT, ...EU_ACCOUNTS]));
    expect(aws.callsOf('organizations:ListChildren').map(call => call.status)).toEqual([500, 200, 200]);
  });
});

describe('isTargeted', () => {
  test('an explicit id is targeted with no Organizations call; an excluded one never is', async () => {
    await expect(isTargeted(client, { accountIds: [OUTSIDER] }, OUTSIDER)).resolves.toBe(true);
    await expect(isTargeted(client, { accountIds: [SIBLING] }, PROD_ACCOUNT)).resolves.toBe(false);
    await expect(isTargeted(client, { accountIds: [SIBLING], allAccounts: true, excludeAccountIds: [SIBLING] }, SIBLING)).resolves.toBe(false);
    await expect(isTargeted(client, { organizationalUnitIds: [PROD], excludeAccountIds: [WEB_ACCOUNT] }, WEB_ACCOUNT)).resolves.toBe(false);
    expect(organizationsCalls()).toEqual([]);
  });

  test('all accounts: every ACTIVE member, not a suspended one nor an outsider', async () => {
    await expect(isTargeted(client, { allAccounts: true }, SIBLING)).resolves.toBe(true);
    await expect(isTargeted(client, { allAccounts: true }, MANAGEMENT)).resolves.toBe(true);
    await expect(isTargeted(client, { allAccounts: true }, SUSPENDED)).resolves.toBe(false);
    await expect(isTargeted(client, { allAccounts: true }, OUTSIDER)).resolves.toBe(false);
    expect(aws.callsOf('organizations:ListParents')).toHaveLength(0);
  });

  test('nested OUs: an account under a grand-child OU is targeted, one under a sibling OU or the root is not', async () => {
    const spec = { organizationalUnitIds: [PROD] };
    await expect(isTargeted(client, spec, EU_ACCOUNTS[5])).resolves.toBe(true);
    expect(aws.callsOf('organizations:ListParents').map(call => call.status)).toEqual([200, 200, 200]);
    await expect(isTargeted(client, spec, PROD_ACCOUNT)).resolves.toBe(true);
    await expect(isTargeted(client, spec, WEB_ACCOUNT)).resolves.toBe(true);
    await expect(isTargeted(client, spec, SIBLING)).resolves.toBe(false);
    await expect(isTargeted(client, spec, AT_ROOT[3])).resolves.toBe(false);
    await expect(isTargeted(client, spec, MANAGEMENT)).resolves.toBe(false);
    await expect(isTargeted(client, spec, SUSPENDED)).resolves.toBe(false);
    await expect(isTargeted(client, spec, OUTSIDER)).resolves.toBe(false);
    await expect(isTargeted(client, { organizationalUnitIds: [WEB_EU] }, WEB_ACCOUNT)).resolves.toBe(false);
    await expect(isTargeted(client, { organizationalUnitIds: [SANDBOX, WEB_EU] }, SIBLING)).resolves.toBe(true);
  });

  test('an account that just joined, under a nested OU, is targeted', async () => {
    const joined = '300000000001';
    aws.addAccount(joined, { member: true });
    try {
      await expect(isTargeted(client, { organizationalUnitIds: [WEB] }, joined)).resolves.toBe(false);
      aws.moveAccount(joined, WEB_EU);
      await expect(isTargeted(client, { organizationalUnitIds: [WEB] }, joined)).resolves.toBe(true);
      await expect(resolveTargets(client, { organizationalUnitIds: [WEB] })).resolves.toContain(joined);
    } finally {
      aws.organization.removeMember(joined);
      aws.accounts.delete(joined);
    }
  });

  test('AccessDenied on ListParents fails the check instead of counting the account as not targeted', async () => {
    aws.injectFault({ operation: 'organizations:ListParents', status: 403, errorType: 'AccessDeniedException', count: 1 });

    await expect(isTargeted(client, { organizationalUnitIds: [PROD] }, WEB_ACCOUNT)).rejects.toThrow(
      new RegExp(`^AWS Organizations ListParents \\(ChildId ${WEB_ACCOUNT}\\) failed: AccessDeniedException: .*; deploy from the management account or the delegated administrator`));
    // Not retried: one call.
    expect(aws.callsOf('organizations:ListParents')).toEqual([expect.objectContaining({ status: 403, errorType: 'AccessDeniedException' })]);
  });

  test('AccessDenied on DescribeAccount fails the check too', async () => {
    aws.injectFault({ operation: 'organizations:DescribeAccount', status: 403, errorType: 'AccessDeniedException', count: 1 });

    await expect(isTargeted(client, { allAccounts: true }, SIBLING)).rejects.toThrow(
      new RegExp(`^AWS Organizations DescribeAccount \\(AccountId ${SIBLING}\\) failed: AccessDeniedException`));
  });

  test('throttling (429) on ListParents is retried', async () => {
    aws.injectFault({ operation: 'organizations:ListParents', status: 429, count: 1 });

    await expect(isTargeted(client, { organizationalUnitIds: [WEB] }, WEB_ACCOUNT)).resolves.toBe(true);
    expect(aws.callsOf('organizations:ListParents').map(call => call.status)).toEqual([429, 200]);
  });

  test('a spec with neither OUs nor allAccounts targets nothing else, without any call', async () => {
    await expect(isTargeted(client, { accountIds: [SIBLING] }, WEB_ACCOUNT)).resolves.toBe(false);
    await expect(isTargeted(client, {}, WEB_ACCOUNT)).resolves.toBe(false);
    expect(organizationsCalls()).toEqual([]);
  });
});

describe('membershipOf', () => {
  test('an ACTIVE account of the organization is a member, the management account too', async () => {
    await expect(membershipOf(client, SIBLING)).resolves.toBe('member');
    await expect(membershipOf(client, MANAGEMENT)).resolves.toBe('member');
    expect(aws.callsOf('organizations:DescribeAccount')).toEqual([
      expect.objectContaining({ accountIdParameter: SIBLING, status: 200 }),
      expect.objectContaining({ accountIdParameter: MANAGEMENT, status: 200 }),
    ]);
  });

  test('an account outside the organization, or one that left it, is not a member (AccountNotFoundException)', async () => {
    await expect(membershipOf(client, OUTSIDER)).resolves.toBe('not a member');
    expect(aws.callsOf('organizations:DescribeAccount')[0]).toMatchObject({ status: 400, errorType: 'AccountNotFoundException' });

    const leaving = '300000000002';
    aws.addAccount(leaving, { member: true });
    try {
      await expect(membershipOf(client, leaving)).resolves.toBe('member');
      aws.organization.removeMember(leaving);
      await expect(membershipOf(client, leaving)).resolves.toBe('not a member');
    } finally {
      aws.organization.removeMember(leaving);
      aws.accounts.delete(leaving);
    }
  });

  test('a SUSPENDED account is closed', async () => {
    await expect(membershipOf(client, SUSPENDED)).resolves.toBe('closed');
  });

  test('a caller that may not call DescribeAccount cannot tell: undefined', async () => {
    aws.callerAccountId = PROD_ACCOUNT;
    await expect(membershipOf(client, SIBLING)).resolves.toBeUndefined();
    expect(aws.callsOf('organizations:DescribeAccount')).toEqual([expect.objectContaining({ caller: PROD_ACCOUNT, errorType: 'AccessDeniedException' })]);
  });

  test('AccessDenied (403) on DescribeAccount cannot tell either: undefined', async () => {
    aws.injectFault({ operation: 'organizations:DescribeAccount', status: 403, errorType: 'AccessDeniedException', count: 1 });
    await expect(membershipOf(client, SIBLING)).resolves.toBeUndefined();
  });

  test('throttling is retried; server errors that outlast the retries cannot tell: undefined', async () => {
    aws.injectFault({ operation: 'organizations:DescribeAccount', status: 429, count: 1 });
    await expect(membershipOf(client, SIBLING)).resolves.toBe('member');
    expect(aws.callsOf('organizations:DescribeAccount').map(call => call.status)).toEqual([429, 200]);

    aws.clearCalls();
    aws.injectFault({ operation: 'organizations:DescribeAccount', status: 500, count: 100 });
    await expect(membershipOf(client, SIBLING)).resolves.toBeUndefined();
    const calls = aws.callsOf('organizations:DescribeAccount');
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.every(call => call.status === 500)).toBe(true);
  });
});
