/*
 * OrganizationBaseline's handlers run for real against the local fake, extended with an organization
 * of 50 member accounts in OUs and with the service's rate quotas enforced (scaled up ten times, and
 * the handler's pacing with them, so that a run takes seconds).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Properties, propertiesOf, SimulatedStack } from './simulated-stack';
import { captureConsole } from './support';
import { isComplete, onAccountEvent, onEvent, onSchedule } from '../lambda/organization';
import { LocalAws, scaledQuotas } from '../local';
import { OrganizationBaseline, OrganizationBaselineProps } from '../src';

const MANAGEMENT = '111111111111';
const MEMBERS = Array.from({ length: 50 }, (_, i) => String(200000000000 + i));
const PROD_OU = 'ou-root-prod0001';
const TEAM_OU = 'ou-root-team0001'; // nested in PROD_OU
const DEV_OU = 'ou-root-dev00001';
const SCALE = 10;
const PROGRESS = '/cdk-account-management/test/progress';

jest.setTimeout(120_000);

let fake: LocalAws;

const SECURITY = { name: 'Security Operations', title: 'SOC', emailAddress: 'soc@example.com', phoneNumber: '+1 206-555-0103' };
const BILLING = { name: 'Finance', title: 'Accounts Payable', emailAddress: 'billing@example.com', phoneNumber: '+1 206-555-0101' };
const OPERATIONS = { name: 'Platform On-Call', title: 'Operations', emailAddress: 'ops@example.com', phoneNumber: '+1 206-555-0102' };

beforeAll(async () => {
  fake = await LocalAws.start({
    managementAccountId: MANAGEMENT, memberAccountIds: MEMBERS, rateQuotas: scaledQuotas(SCALE), regionTransitionMs: 100,
  });
  fake.addOrganizationalUnit(PROD_OU);
  fake.addOrganizationalUnit(TEAM_OU, PROD_OU);
  fake.addOrganizationalUnit(DEV_OU);
  MEMBERS.slice(0, 10).forEach(id => fake.moveAccount(id, PROD_OU));
  MEMBERS.slice(10, 15).forEach(id => fake.moveAccount(id, TEAM_OU));
  MEMBERS.slice(15, 25).forEach(id => fake.moveAccount(id, DEV_OU));
  fake.useForSdkClients();
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(SCALE);
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
  fake.callerAccountId = MANAGEMENT;
  fake.trustedAccess = true;
  fake.clearCalls();
  fake.ssm.parameters.set(PROGRESS, '{}');
  for (const account of fake.accounts.values()) account.alternateContacts.clear();
});

function baseline(props: Partial<OrganizationBaselineProps>): Properties {
  const stack = new Stack(new App(), 'Props', { env: { account: MANAGEMENT, region: 'us-east-1' } });
  const construct = new OrganizationBaseline(stack, 'Baseline', { alternateContacts: { security: SECURITY, billing: BILLING, operations: OPERATIONS }, ...props });
  return { ...propertiesOf(construct), ProgressParameter: PROGRESS };
}

function simulatedStack(): SimulatedStack {
  return new SimulatedStack(fake, onEvent, MANAGEMENT, { isComplete, pollMs: 10 });
}

const contactsOf = (accountId: string) => fake.account(accountId).alternateContacts;

test('50 member accounts and the management account converge, and a second run makes no write', async () => {
  const stack = simulatedStack();
  await stack.create('Baseline', baseline({ allAccounts: true }));

  for (const id of [MANAGEMENT, ...MEMBERS]) {
    expect(contactsOf(id).get('SECURITY')?.EmailAddress).toBe('soc@example.com');
    expect([...contactsOf(id).keys()].sort()).toEqual(['BILLING', 'OPERATIONS', 'SECURITY']);
  }
  expect(stack.lastOutcome?.Data).toMatchObject({ Applied: '51', Unchanged: '0', Failed: '0' });
  // The management account is handled in standalone context.
  expect(fake.callsOf('PutAlternateContact').filter(c => c.target === MANAGEMENT).every(c => c.accountIdParameter === undefined)).toBe(true);

  fake.clearCalls();
  await stack.create('Again', baseline({ allAccounts: true }));
  expect(fake.callsOf('PutAlternateContact')).toHaveLength(0);
  expect(fake.callsOf('GetAlternateContact').length).toBe(51 * 3);
  expect(stack.lastOutcome?.Data).toMatchObject({ Applied: '0', Unchanged: '51' });
});

test('only what differs is written', async () => {
  const stack = simulatedStack();
  await stack.create('Baseline', baseline({ accountIds: MEMBERS.slice(0, 5) }));
  contactsOf(MEMBERS[2]).set('SECURITY', { Name: 'Changed by hand', Title: 't', EmailAddress: 'x@example.com', PhoneNumber: '1' });
  contactsOf(MEMBERS[3]).delete('BILLING');
  fake.clearCalls();

  await stack.create('Again', baseline({ accountIds: MEMBERS.slice(0, 5) }));
  expect(fake.callsOf('PutAlternateContact').map(c => c.target).sort()).toEqual([MEMBERS[2], MEMBERS[3]]);
  expect(contactsOf(MEMBERS[2]).get('SECURITY')?.Name).toBe('Security Operations');
});

test('an OU covers its nested OUs; an exclusion is untouched; an override wins', async () => {
  const stack = simulatedStack();
  const dataSecurity = { name: 'Data Security', title: 'DPO', emailAddress: 'dpo@example.com', phoneNumber: '+44 20 7946 0000' };
  await stack.create('Baseline', baseline({
    organizationalUnitIds: [PROD_OU],
    excludeAccountIds: [MEMBERS[3]],
    overrides: [{ accountId: MEMBERS[12], alternateContacts: { security: dataSecurity } }],
  }));

  const covered = [...MEMBERS.slice(0, 15)].filter(id => id !== MEMBERS[3]);
  for (const id of covered) expect(contactsOf(id).size).toBe(3);
  expect(contactsOf(MEMBERS[3]).size).toBe(0); // excluded
  expect(contactsOf(MEMBERS[20]).size).toBe(0); // in DEV_OU
  expect(contactsOf(MANAGEMENT).size).toBe(0); // in the root
  expect(contactsOf(MEMBERS[12]).get('SECURITY')?.Name).toBe('Data Security'); // nested OU, override
  expect(contactsOf(MEMBERS[12]).get('BILLING')?.Name).toBe('Finance');
});

test('the work is spread over several invocations when one has too little time', async () => {
  const stack = simulatedStack();
  stack.remainingTimeMs = 30_000 + 150; // 150 ms per pass beyond the reserve
  await stack.create('Baseline', baseline({ allAccounts: true }));

  expect(stack.lastOutcome!.polls).toBeGreaterThan(2);
  expect(stack.lastOutcome?.Data).toMatchObject({ Applied: '51', Failed: '0' });
  for (const id of MEMBERS) expect(contactsOf(id).size).toBe(3);
  // Each account was written once: a pass resumes after the last account done.
  expect(fake.callsOf('PutAlternateContact').filter(c => c.status === 200)).toHaveLength(51 * 3);
});

test('throttling and server errors mid-run lose nothing', async () => {
  const stack = simulatedStack();
  fake.injectFault({ operation: 'PutAlternateContact', status: 429, count: 5 });
  fake.injectFault({ operation: 'GetAlternateContact', status: 500, count: 3 });
  fake.injectFault({ operation: 'ListAccounts', status: 429, count: 2 });
  await stack.create('Baseline', baseline({ allAccounts: true }));

  for (const id of MEMBERS) expect(contactsOf(id).size).toBe(3);
});

test('a failing account fails the resource only after every other account is done, and names it', async () => {
  const stack = simulatedStack();
  const outsider = '999999999999';
  fake.addAccount(outsider); // not a member: AccessDenied in organizations mode
  const targets = [...MEMBERS.slice(0, 10), outsider];

  await expect(stack.create('Baseline', baseline({ accountIds: targets }))).rejects.toThrow(
    /^The organization baseline failed for 1 account\(s\): 999999999999\. 999999999999: GetAlternateContact for the (BILLING|OPERATIONS|SECURITY) alternate contact of account 999999999999 \(organizations mode\) failed: check that trusted access .*\. Every other account was done \(10 applied, 0 unchanged, 0 with Regions pending, 1 failed\)\.$/);
  for (const id of MEMBERS.slice(0, 10)) expect(contactsOf(id).size).toBe(3);
});

test('a failure of hundreds of accounts names ten, quotes two reasons and counts the rest, within CloudFormation\'s limit', async () => {
  const stack = simulatedStack();
  const outsiders = Array.from({ length: 300 }, (_, i) => String(900000000000 + i));
  outsiders.forEach(id => fake.addAccount(id));

  const error = await stack.create('Baseline', baseline({ accountIds: outsiders })).then(() => undefined, (e: Error) => e);

  expect(error?.message).toMatch(/^The organization baseline failed for 300 account\(s\): 900000000000, .*900000000009 and 290 more \(the log has a line per account\)\./);
  expect(Buffer.byteLength(error!.message)).toBeLessThan(2_000);
});

test('Regions are requested under the in-progress limits and the rest reported pending', async () => {
  const stack = simulatedStack();
  fake.regionTransitionMs = 60_000;
  try {
    await stack.create('Baseline', baseline({ accountIds: MEMBERS.slice(0, 25), enabledRegions: ['af-south-1'] }));
    const requested = MEMBERS.slice(0, 25).filter(id => fake.regionStatus(id, 'af-south-1') === 'ENABLING');
    expect(requested).toHaveLength(20); // the organization's limit
    expect(stack.lastOutcome?.Data).toMatchObject({ RegionsPending: '5', Failed: '0' });
  } finally {
    fake.regionTransitionMs = 100;
  }
});

test('an account that joins the organization gets the baseline from the event path', async () => {
  const props = baseline({ organizationalUnitIds: [DEV_OU] });
  const event = (accountId: string) => ({ accountId, targets: JSON.parse(props.Targets), baseline: JSON.parse(props.Baseline) });
  const context = { invokedFunctionArn: `arn:aws:lambda:us-east-1:${MANAGEMENT}:function:h`, getRemainingTimeInMillis: () => 60_000 };
  const joined = '300000000001';
  fake.addAccount(joined, { member: true });
  fake.moveAccount(joined, DEV_OU);
  const elsewhere = '300000000002';
  fake.addAccount(elsewhere, { member: true });

  await onAccountEvent(event(joined), context);
  await onAccountEvent(event(elsewhere), context);

  expect(contactsOf(joined).size).toBe(3);
  expect(contactsOf(elsewhere).size).toBe(0);
});

test('the scheduled reconciliation corrects drift', async () => {
  const props = baseline({ accountIds: MEMBERS.slice(0, 5) });
  const context = { invokedFunctionArn: `arn:aws:lambda:us-east-1:${MANAGEMENT}:function:h`, getRemainingTimeInMillis: () => 60_000 };
  contactsOf(MEMBERS[1]).set('SECURITY', { Name: 'Drifted', Title: 't', EmailAddress: 'x@example.com', PhoneNumber: '1' });

  await onSchedule({ targets: JSON.parse(props.Targets), baseline: JSON.parse(props.Baseline), progressParameter: PROGRESS }, context);

  for (const id of MEMBERS.slice(0, 5)) expect(contactsOf(id).get('SECURITY')?.Name).toBe('Security Operations');
});

test('removing the baseline leaves the contacts, unless asked to remove them', async () => {
  const stack = simulatedStack();
  await stack.create('Kept', baseline({ accountIds: MEMBERS.slice(0, 3) }));
  await stack.delete('Kept');
  expect(contactsOf(MEMBERS[0]).size).toBe(3);

  await stack.create('Removed', baseline({ accountIds: MEMBERS.slice(0, 3), removeAlternateContactsOnDelete: true }));
  await stack.delete('Removed');
  for (const id of MEMBERS.slice(0, 3)) expect(contactsOf(id).size).toBe(0);
});

test('with removal on delete, a rename or a change of targets removes nothing', async () => {
  const stack = simulatedStack();
  await stack.create('Baseline', baseline({ accountIds: MEMBERS.slice(0, 3), removeAlternateContactsOnDelete: true }));
  await stack.update('Baseline', baseline({ accountIds: MEMBERS.slice(0, 4), removeAlternateContactsOnDelete: true }));
  await stack.rename('Baseline', 'Renamed');

  for (const id of MEMBERS.slice(0, 4)) expect(contactsOf(id).size).toBe(3);
  expect(fake.callsOf('DeleteAlternateContact')).toHaveLength(0);
});

test('a rollback that meets a failing account completes, and a rolled-back Create removes nothing', async () => {
  const stack = simulatedStack();
  const outsider = '999999999998';
  fake.addAccount(outsider);
  await stack.create('Baseline', baseline({ accountIds: MEMBERS.slice(0, 3), removeAlternateContactsOnDelete: true }));

  await stack.during('UPDATE_ROLLBACK_IN_PROGRESS', () =>
    stack.update('Baseline', baseline({ accountIds: [...MEMBERS.slice(0, 3), outsider], removeAlternateContactsOnDelete: true })));
  expect(stack.lastOutcome?.Data).toMatchObject({ Failed: '1', Rollback: 'true' });

  await stack.during('ROLLBACK_IN_PROGRESS', () => stack.delete('Baseline'));
  for (const id of MEMBERS.slice(0, 3)) expect(contactsOf(id).size).toBe(3);
  expect(fake.callsOf('DeleteAlternateContact')).toHaveLength(0);
});

test('two baselines of the same targets that declare different contacts are not taken for a rename', async () => {
  const stack = simulatedStack();
  const targets = { accountIds: MEMBERS.slice(0, 2), removeAlternateContactsOnDelete: true };
  await stack.create('Security', baseline({ ...targets, alternateContacts: { security: SECURITY } }));
  await stack.create('Billing', baseline({ ...targets, alternateContacts: { billing: BILLING } }));
  expect(stack.physicalId('Security')).not.toBe(stack.physicalId('Billing'));

  await stack.delete('Billing');
  for (const id of MEMBERS.slice(0, 2)) expect([...contactsOf(id).keys()]).toEqual(['SECURITY']);
});

test('no contact value reaches a log line', async () => {
  const { output, error } = await captureConsole(async () => {
    const stack = simulatedStack();
    await stack.create('Baseline', baseline({ accountIds: [...MEMBERS.slice(0, 5), '999999999999'] })).catch(() => undefined);
  });
  expect(error).toBeUndefined();
  expect(output).toContain('organization baseline');
  for (const value of Object.values({ ...SECURITY, ...BILLING, ...OPERATIONS })) expect(output).not.toContain(value);
});
