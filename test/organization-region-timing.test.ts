/*
 * The reconciler's Region steps wait as long as the transitions take: the default poll until it has
 * seen one end, then until the next in progress is due by the duration it saw. The transitions' time is
 * the fake's (`regionTransitionMs`), one at a time (an organization limit of 1), so that each step's
 * wait is read from the execution's history; assertions hold however fast the machine runs.
 */
import { Stack } from 'aws-cdk-lib';
import { useSmallOrganization } from './small-organization';
import { stackOf } from './support';
import type { ReconcileState } from '../lambda/organization/reconcile';
import { DEFAULT_POLL_SECONDS, MAX_POLL_SECONDS } from '../lambda/organization/region-timing';
import { DeployWaitsFor, OrganizationBaseline } from '../src';

/** A transition of 300 s (the service's "few minutes") lasts a second here. */
const TIME_SCALE = 300;
const TRANSITION_S = 300;
const MEMBERS = Array.from({ length: 2 }, (_, i) => String(250000000000 + i));
const OU = 'ou-root-timing00';
const REGION = 'af-south-1';

jest.setTimeout(120_000);

const org = useSmallOrganization(MEMBERS, { [OU]: MEMBERS }, TIME_SCALE);

afterEach(() => {
  org.aws.accountApi.maxTransitionsPerOrganization = 20;
});

function baselineStack(): Stack {
  return stackOf(s => new OrganizationBaseline(s, 'Baseline', {
    organizationalUnitIds: [OU], enabledRegions: [REGION], deployWaitsFor: DeployWaitsFor.NOTHING,
  }));
}

test('after a transition was seen to end, the next step waits until the next one is due by its duration', async () => {
  org.aws.accountApi.maxTransitionsPerOrganization = 1;
  org.aws.regionTransitionMs = (TRANSITION_S * 1000) / TIME_SCALE;

  await org.cfn.deploy(baselineStack());
  await org.aws.stepFunctions.settled();

  const [execution] = org.aws.stepFunctions.executions;
  expect(execution.status).toBe('SUCCEEDED');
  for (const id of MEMBERS) expect(org.aws.regionStatus(id, REGION)).toBe('ENABLED');
  const steps = execution.history
    .filter(e => e.type === 'TaskStateExited')
    .map(e => JSON.parse((e as unknown as { stateExitedEventDetails: { output: string } }).stateExitedEventDetails.output) as ReconcileState)
    .filter(state => state.Phase === 'regions' && state.PollSeconds > 0);
  const learned = steps.filter(state => state.Regions.transitionSeconds?.[1] !== undefined);
  // Before an end was seen, the default; the duration learned is at least the transition's.
  expect(steps.filter(state => !learned.includes(state)).map(state => state.PollSeconds)).toContain(DEFAULT_POLL_SECONDS);
  expect(steps.filter(state => !learned.includes(state)).every(state => state.PollSeconds === DEFAULT_POLL_SECONDS)).toBe(true);
  expect(learned.length).toBeGreaterThan(0);
  expect(learned[0].Regions.transitionSeconds![1]).toBeGreaterThanOrEqual(TRANSITION_S);
  // The second account's transition was just requested, and takes about 300 s: the longest wait, not the default.
  expect(learned[0].PollSeconds).toBe(MAX_POLL_SECONDS);
  // The second transition is read only when it may have ended: fewer reads after its request than the first, polled every 20 s.
  const reads = (id: string) => {
    const requested = org.aws.callsOf('EnableRegion').find(c => c.target === id && c.status === 200)!.at;
    return org.aws.callsOf('GetRegionOptStatus').filter(c => c.target === id && c.at > requested).length;
  };
  expect(reads(MEMBERS[1])).toBeLessThan(reads(MEMBERS[0]));
});
