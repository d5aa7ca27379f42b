/*
 * `status` against a running local execution: the run's progress, read from the waiter's executions
 * (not the store, which only the reconciler may read), moves between two reads while Region transitions
 * end (the test ends them: they last until told); the exit code says running, then converged once the
 * run ends; a failed account fails the status (exit 1) and is named with what to do.
 */
import { App, Stack } from 'aws-cdk-lib';
import { BILLING } from './fixtures';
import { useSmallOrganization } from './small-organization';
import { runCli, stackOf } from './support';
import { isBaselineRun } from '../cli/executions';
import { BaselineStatus, statusExit, statusText } from '../cli/status';
import { OPT_IN_REGIONS } from '../local';
import { OrganizationBaseline } from '../src';

const MEMBERS = Array.from({ length: 6 }, (_, i) => String(320000000000 + i));
const OU = 'ou-root-status01';
const REGIONS = OPT_IN_REGIONS.slice(0, 2);
const [DENIED] = MEMBERS;

jest.setTimeout(120_000);

const org = useSmallOrganization(MEMBERS, { [OU]: MEMBERS });

/** Ends every transition still in progress, whatever the test got to: the run can end, and the file's hooks wait for it. */
function settleAll(): void {
  for (const id of MEMBERS) for (const region of REGIONS) org.aws.accountApi.settleRegion(id, region);
}

async function statusJson(): Promise<{ code: number; baselines: BaselineStatus[] }> {
  const result = await runCli('status', '--stack', 'Settings', '--app', 'no-such-assembly', '--json');
  return { code: result.code, baselines: JSON.parse(result.out).baselines };
}

function baselineStack(): Stack {
  return stackOf(s => new OrganizationBaseline(s, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { billing: BILLING }, enabledRegions: REGIONS }));
}

/** Waits until the run's last step has seen at least `settled` Regions settled (the fake's own record, no clock). */
async function stepSeen(settled: number): Promise<void> {
  for (;;) {
    const execution = org.aws.stepFunctions.executions.find(e => e.status === 'RUNNING');
    const exited = [...execution?.history ?? []].reverse().find(e => e.type === 'TaskStateExited');
    const state = JSON.parse(String((exited?.stateExitedEventDetails as { output?: string } | undefined)?.output ?? 'null'));
    if ((state?.Size?.RegionsSettled ?? -1) >= settled || !execution) return;
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}

test('a running generation: progress moves between two reads, exit 2 while it runs, 0 once converged', async () => {
  // Transitions last until the test ends them.
  org.aws.regionTransitionMs = Infinity;
  try {
    await readsWhileRunning();
  } finally {
    settleAll();
  }
});

async function readsWhileRunning(): Promise<void> {
  await org.cfn.deploy(baselineStack());
  await stepSeen(0);

  const first = await statusJson();
  expect(first.code).toBe(2);
  expect(first.baselines).toHaveLength(1);
  const [before] = first.baselines;
  expect(before).toEqual(expect.objectContaining({ construct: expect.stringMatching(/^Settings\/Baseline/), status: 'running', phase: 'regions' }));
  expect(before.accounts).toEqual(expect.objectContaining({ total: MEMBERS.length, done: MEMBERS.length, applied: MEMBERS.length, failed: 0 }));
  const pairs = MEMBERS.length * REGIONS.length;
  expect(before.regions).toEqual({ total: pairs, settled: 0, inProgress: pairs, failed: 0, skipped: 0 });
  expect(before.next).toMatch(/^Wait: /);
  // The accounts are done: what is left waits on the service's transitions, whose time no pace tells.
  expect(before.etaSeconds).toBeUndefined();

  for (const id of MEMBERS.slice(0, 2)) for (const region of REGIONS) org.aws.accountApi.settleRegion(id, region);
  await stepSeen(4);

  const second = await statusJson();
  expect(second.code).toBe(2);
  expect(second.baselines[0].regions).toEqual(expect.objectContaining({ settled: 4, inProgress: 8 }));
  expect(second.baselines[0].generation).toBe(before.generation);

  // --watch reads until the run ends: the test ends the other transitions meanwhile.
  const watching = runCli('status', '--stack', 'Settings', '--app', 'no-such-assembly', '--watch', '0.02');
  const watchingJson = runCli('status', '--stack', 'Settings', '--app', 'no-such-assembly', '--watch', '0.02', '--json');
  for (const id of MEMBERS.slice(2)) for (const region of REGIONS) org.aws.accountApi.settleRegion(id, region);
  const watched = await watching;
  // With --json, standard output is one document, however many reads --watch made.
  const watchedJson = await watchingJson;
  expect(watchedJson.code).toBe(0);
  expect(JSON.parse(watchedJson.out)).toEqual(expect.objectContaining({ command: 'status', exitCode: 0 }));
  expect(watched.code).toBe(0);
  expect(watched.out).toMatch(/Settings\/Baseline\w* \(stack Settings\): converged/);
  expect(watched.out).toContain(`Regions     ${MEMBERS.length * REGIONS.length}/${MEMBERS.length * REGIONS.length} settled`);
  expect(watched.out).toMatch(/Status: 1 converged \(exit 0\)\n$/);
  for (const value of [BILLING.name, BILLING.emailAddress, BILLING.phoneNumber]) expect(watched.out).not.toContain(value);

  const last = await statusJson();
  expect(last.code).toBe(0);
  expect(last.baselines[0]).toEqual(expect.objectContaining({ status: 'converged', phase: 'done' }));
  expect(last.baselines[0].etaSeconds).toBeUndefined();
}

test('a failed account: exit 1, the account named with why, and what to do', async () => {
  org.aws.injectFault({ operation: 'PutAlternateContact', status: 403, errorType: 'AccessDeniedException', count: 1_000, when: body => body.AccountId === DENIED });
  const stack = stackOf(s => new OrganizationBaseline(s, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { billing: BILLING } }));
  // Another stack of the app, never deployed and without a baseline: status does not look for it.
  new Stack(App.of(stack)!, 'Other', { env: { account: stack.account, region: 'us-east-1' } }).templateOptions.description = 'no baseline';
  await org.cfn.deploy(stack);
  await org.aws.stepFunctions.settled();

  const table = await runCli('status', '--app', (App.of(stack) as App).synth().directory);
  const json = await statusJson();

  expect(table.code).toBe(1);
  expect(json.code).toBe(1);
  expect(json.baselines[0]).toEqual(expect.objectContaining({ status: 'failed' }));
  expect(json.baselines[0].accounts).toEqual(expect.objectContaining({ done: MEMBERS.length, failed: 1 }));
  expect(json.baselines[0].failures).toEqual([expect.objectContaining({ account: DENIED, reason: expect.stringMatching(/PutAlternateContact/) })]);
  expect(table.out).toContain(`Failed      ${DENIED}: `);
  expect(table.out).toMatch(/Next {8}Fix what the 1 failure\(s\) say/);
});

test('the text names the failed and skipped accounts the run kept and counts the rest; a bar only on a terminal', () => {
  const kept = Array.from({ length: 20 }, (_, i) => ({ account: String(340000000000 + i), reason: 'PutAlternateContact was denied' }));
  const base: BaselineStatus = {
    stack: 'Org',
    construct: 'Org/Baseline',
    baselineId: 'b',
    status: 'failed',
    generation: 'g',
    startedAt: new Date(0).toISOString(),
    accounts: { total: 100, done: 100, applied: 70, unchanged: 0, skipped: 5, failed: 25 },
    regions: { total: 0, settled: 0, inProgress: 0, failed: 0, skipped: 0 },
    failures: kept,
    skippedAccounts: kept.slice(0, 5),
    phonesNotVerified: 0,
    next: 'Fix what the failures say',
  };

  const piped = statusText([base], { tty: false, colour: false });
  const terminal = statusText([base], { tty: true, colour: false });

  expect(piped.match(/^ {2}Failed {6}\d{12}: /gm)).toHaveLength(20);
  expect(piped).toContain('  Failed      and 5 more (the function\'s log has a line for each)');
  expect(piped).not.toMatch(/Skipped {5}and/);
  expect(piped).not.toContain('[');
  expect(terminal).toContain('[####################] 100/100 (100 %)');
  expect(statusExit([base])).toBe(1);
});

test('a new account\'s or a hand change\'s run of one account is not the baseline\'s run', () => {
  expect(isBaselineRun('Baseline1a2b-0mxco4r91-f7ffe7d9', 'Baseline1a2b')).toBe(true);
  expect(isBaselineRun('Baseline1a2b-a222222222222-5f0c1e2d', 'Baseline1a2b')).toBe(false);
  expect(isBaselineRun('Baseline1a2b-h222222222222-5f0c1e2d', 'Baseline1a2b')).toBe(false);
  expect(isBaselineRun('OtherBaseline-0mxco4r91-f7ffe7d9', 'Baseline1a2b')).toBe(false);
});
