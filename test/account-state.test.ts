/*
 * What the Account API says about an account, shown where it helps: an account whose AccountState
 * (GetAccountInformation) is SUSPENDED or PENDING_ACTIVATION refuses every other call; the reconciler
 * skips it, saying why, instead of failing it, and so do `plan` and `status`; the primary contact's
 * phone VerificationStatus (GetContactInformation) is in the reconciler's per-account outcome and in
 * `plan`'s row, never the number.
 */
import { App, Stack } from 'aws-cdk-lib';
import { BILLING, PRIMARY_CONTACT } from './fixtures';
import { useSmallOrganization } from './small-organization';
import { stackOf } from './support';
import { program } from '../cli/index';
import type { BaselineStatus } from '../cli/status';
import { OrganizationBaseline } from '../src';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const MEMBERS = Array.from({ length: 5 }, (_, i) => String(330000000000 + i));
const OU = 'ou-root-state001';
const [SUSPENDED, PENDING, UNVERIFIED] = MEMBERS;

jest.setTimeout(120_000);

const org = useSmallOrganization(MEMBERS, { [OU]: MEMBERS });

beforeEach(() => {
  for (const id of MEMBERS) {
    const account = org.aws.account(id);
    account.state = undefined;
    account.phoneVerification = undefined;
    account.contactInformation = undefined;
  }
});

async function run(...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  let code = -1;
  const io = { out: (t: string) => { out += t; }, err: (t: string) => { out += t; }, exit: (c: number) => { code = c; } };
  await program(io).parseAsync(args);
  return { code, out };
}

function baselineStack(): Stack {
  return stackOf(s => new OrganizationBaseline(s, 'Baseline', {
    organizationalUnitIds: [OU], alternateContacts: { billing: BILLING }, primaryContact: PRIMARY_CONTACT,
  }));
}

test('a suspended and a not yet activated account are skipped with their AccountState, not failed, by the reconciler, plan and status', async () => {
  org.aws.account(SUSPENDED).state = 'SUSPENDED';
  org.aws.account(PENDING).state = 'PENDING_ACTIVATION';
  const stack = baselineStack();

  const deployed = await org.cfn.deploy(stack);
  await org.aws.stepFunctions.settled();

  expect(deployed.status).toBe('CREATE_COMPLETE');
  const status = await run('status', '--stack', 'Settings', '--app', 'no-such-assembly', '--json');
  const [baseline] = JSON.parse(status.out).baselines as BaselineStatus[];
  expect(status.code).toBe(0);
  expect(baseline.status).toBe('converged');
  expect(baseline.accounts).toEqual(expect.objectContaining({ skipped: 2, failed: 0, applied: MEMBERS.length - 2 }));
  expect(baseline.skippedAccounts).toEqual([
    { account: SUSPENDED, reason: expect.stringContaining('AccountState SUSPENDED') },
    { account: PENDING, reason: expect.stringContaining('AccountState PENDING_ACTIVATION') },
  ]);
  expect(baseline.next).toMatch(/Skipped accounts are closed, suspended/);

  const plan = await run('plan', '--app', (App.of(stack) as App).synth().directory, '--json');
  expect(plan.code).toBe(0);
  expect(JSON.parse(plan.out).skipped).toEqual([
    { account: SUSPENDED, reason: expect.stringContaining('AccountState SUSPENDED') },
    { account: PENDING, reason: expect.stringContaining('AccountState PENDING_ACTIVATION') },
  ]);
});

test('the primary contact\'s phone verification: in the reconciler\'s per-account outcome and in plan, never the number', async () => {
  org.aws.account(UNVERIFIED).contactInformation = {
    FullName: 'Someone Else',
    AddressLine1: '1 Main St',
    City: 'Seattle',
    PostalCode: '98101',
    CountryCode: 'US',
    StateOrRegion: 'WA',
    PhoneNumber: '+1 206-555-0142',
  };
  org.aws.account(UNVERIFIED).phoneVerification = 'PENDING';
  const stack = baselineStack();

  const table = await run('plan', '--app', (App.of(stack) as App).synth().directory);
  await org.cfn.deploy(stack);
  await org.aws.stepFunctions.settled();
  const after = await run('plan', '--app', (App.of(stack) as App).synth().directory, '--json', '--all');

  expect(table.out).toMatch(new RegExp(`${UNVERIFIED}[^\\n]*primary contact[\\s\\S]*phone verification: PENDING`));
  expect(table.out).not.toContain('+1 206-555-0142');
  // The deploy wrote another number: not verified yet.
  const primary = (JSON.parse(after.out).changes as Json[]).find(c => c.account === UNVERIFIED && c.setting === 'primary contact');
  expect(primary).toEqual(expect.objectContaining({ action: 'unchanged', phoneVerification: 'UNVERIFIED' }));
  const steps = org.aws.stepFunctions.executions.flatMap(e => e.history)
    .filter(e => e.type === 'TaskStateExited')
    .flatMap(e => JSON.parse(String((e.stateExitedEventDetails as { output: string }).output))?.LastStep ?? []);
  expect(steps).toContainEqual({ account: UNVERIFIED, outcome: 'applied', phoneVerification: 'PENDING' });
  expect(steps.filter((s: Json) => s.phoneVerification)).toHaveLength(1);
  const status = await run('status', '--stack', 'Settings', '--app', 'no-such-assembly');
  expect(status.out).toMatch(/Phones {6}1 primary contact phone number\(s\) not verified/);
});
