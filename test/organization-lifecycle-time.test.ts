/*
 * OrganizationBaseline across whole lifecycles (organization-lifecycle-support.ts says how they are run): what a
 * deploy waits for (CloudFormation's hour, the Regions), and what goes on after it.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { DeployResult, ExecutionRecord, RegionOptStatus, scaledQuotas } from '../local';
import { DeployWaitsFor } from '../src';
import {
  answersTo, attributesOf, aws, baselineLogicalId, baselineStack, BILLING, cfn, contactsOf, DEV, DEV_OU, eventsSince, executionOf, fields,
  minutesWaited, OPERATIONS, OPT_IN_REGIONS, regionStatuses, ruleTarget, SECURITY, settleAllRegions, STACK, stateOf, TEAM, TEAM_OU,
  useLocalOrganization, useTimeScale,
} from './organization-lifecycle-support';
import { BASELINE_EVENTS } from '../src/contract';

useLocalOrganization();

describe('time: what a deploy waits for, and what goes on after it', () => {
  /** 55 minutes pass in 27.5 s, a step (5 minutes) in 2.5 s: the 5 minutes between the answer and the hour are 2.5 s on a loaded machine. */
  const LONG_RUN_SCALE = 120;

  test('a generation still converging at 55 minutes answers the deploy before the hour (ContactsConverged "false") and goes on to converge', async () => {
    useTimeScale(LONG_RUN_SCALE);
    // 30 PutAlternateContact at 0.008 per second of the scale: about 62 minutes.
    aws.rateQuotas = { ...scaledQuotas(LONG_RUN_SCALE), PutAlternateContact: { rate: 0.008 * LONG_RUN_SCALE, burst: 1 } };
    const stack = baselineStack({
      organizationalUnitIds: [DEV_OU], alternateContacts: { security: SECURITY, billing: BILLING, operations: OPERATIONS },
    });

    const result = await cfn.deploy(stack);

    expect(answersTo(stack)).toEqual([expect.objectContaining({ Status: 'SUCCESS', awaited: true })]);
    expect(result.status).toBe('CREATE_COMPLETE');
    const minutes = minutesWaited(result, baselineLogicalId(stack), LONG_RUN_SCALE);
    expect(minutes).toBeGreaterThanOrEqual(55);
    expect(minutes).toBeLessThan(60);
    expect(attributesOf(stack).ContactsConverged).toBe('false');
    const execution = executionOf(attributesOf(stack).Generation);
    expect(execution.status).toBe('RUNNING');
    expect(DEV.some(id => Object.keys(contactsOf(id)).length < 3)).toBe(true);

    await aws.stepFunctions.settled();
    expect(execution.status).toBe('SUCCEEDED');
    expect(stateOf(execution)).toMatchObject({ Phase: 'done', Counts: { applied: 10, failed: 0 } });
    for (const id of DEV) expect(contactsOf(id)).toEqual({ SECURITY: fields(SECURITY), BILLING: fields(BILLING), OPERATIONS: fields(OPERATIONS) });
  });

  /** 55 minutes in 11 s, CloudFormation's hour in 12 s; the Regions are polled every 20 s of the scale (67 ms). */
  const REGIONS_SCALE = 300;

  interface LongRegions {
    readonly result: DeployResult;
    readonly minutes: number;
    readonly answered: ReturnType<typeof answersTo>;
    readonly attributes: Record<string, string>;
    readonly whenAnswered: { readonly regions: Array<RegionOptStatus | undefined>; readonly execution: string };
    readonly execution: ExecutionRecord;
    readonly events: ReturnType<typeof eventsSince>;
  }
  let longRegions: LongRegions | undefined;

  /** A deploy that waits for EVERYTHING, whose Region transitions last until the test settles them, long after the hour. */
  async function regionsPastTheHour(): Promise<LongRegions> {
    if (longRegions) return longRegions;
    useTimeScale(REGIONS_SCALE);
    aws.rateQuotas = scaledQuotas(REGIONS_SCALE);
    aws.stepFunctions.waitMs = 20_000 / REGIONS_SCALE;
    aws.regionTransitionMs = Infinity;
    const stack = baselineStack({
      organizationalUnitIds: [TEAM_OU],
      alternateContacts: { security: SECURITY },
      enabledRegions: [OPT_IN_REGIONS[0]],
      deployWaitsFor: DeployWaitsFor.EVERYTHING,
    });
    const result = await cfn.deploy(stack);
    const attributes = attributesOf(stack);
    const execution = executionOf(attributes.Generation);
    const whenAnswered = { regions: regionStatuses(TEAM, [OPT_IN_REGIONS[0]]), execution: execution.status };
    const answered = answersTo(stack);
    settleAllRegions();
    await aws.stepFunctions.settled();
    const minutes = minutesWaited(result, baselineLogicalId(stack), REGIONS_SCALE);
    longRegions = { result, minutes, answered, attributes, whenAnswered, execution, events: eventsSince() };
    return longRegions;
  }

  test('a deploy that waits for Regions is answered before CloudFormation\'s hour, and the execution waits for them as long as they take', async () => {
    const { result, minutes, answered, whenAnswered, execution, events: sent } = await regionsPastTheHour();

    expect(result.status).toBe('CREATE_COMPLETE');
    expect(minutes).toBeGreaterThanOrEqual(55);
    expect(minutes).toBeLessThan(60);
    expect(answered).toEqual([expect.objectContaining({ Status: 'SUCCESS', awaited: true })]);
    // When CloudFormation had its answer the Regions were still ENABLING, and the execution went on.
    expect(whenAnswered).toEqual({ regions: TEAM.map(() => 'ENABLING'), execution: 'RUNNING' });
    expect(execution.status).toBe('SUCCEEDED');
    expect(stateOf(execution)).toMatchObject({ Phase: 'done', Regions: { inFlight: [], enabled: 5, failed: 0 } });
    expect(regionStatuses(TEAM, [OPT_IN_REGIONS[0]])).toEqual(TEAM.map(() => 'ENABLED'));
    expect(sent).toEqual([expect.objectContaining({ detailType: BASELINE_EVENTS.converged, regions: { enabled: 5, failed: 0, skipped: 0 } })]);
  });

  test('a deploy answered at 55 minutes while only Regions are in progress says its contacts converged', async () => {
    const { attributes } = await regionsPastTheHour();
    expect(attributes.ContactsConverged).toBe('true');
  });

  test('Regions are enabled under the in-progress limits the service tells, and a deploy that waits for everything ends only when they are', async () => {
    aws.accountApi.maxTransitionsPerOrganization = 3;
    aws.accountApi.maxTransitionsPerAccount = 2;
    aws.regionTransitionMs = Infinity;
    const stack = baselineStack({
      organizationalUnitIds: [TEAM_OU],
      alternateContacts: { security: SECURITY },
      enabledRegions: OPT_IN_REGIONS,
      deployWaitsFor: DeployWaitsFor.EVERYTHING,
      reconcileSchedule: events.Schedule.rate(Duration.hours(12)),
    });
    const expected = TEAM.length * OPT_IN_REGIONS.length;
    const accepted = () => aws.callsOf('EnableRegion').filter(c => c.status === 200).length;
    const enabling = (accountId?: string) => aws.transitions
      .filter(t => (accountId === undefined || t.accountId === accountId) && aws.regionStatus(t.accountId, t.regionName) === 'ENABLING');
    /** At each refusal: how many transitions the organization, and the account refused, had in progress. */
    const refusedAt: Array<{ organization: number; account: number }> = [];
    let ended = false;
    const deploying = cfn.deploy(stack).finally(() => {
      ended = true;
    });
    // The transitions last until settled: the oldest in progress ends each time the service refuses one.
    while (!ended && accepted() < expected) {
      const refused = aws.nextCall(c => c.operation === 'EnableRegion' && (c.errorType === 'TooManyRequestsException' || accepted() >= expected));
      await Promise.race([deploying, refused.then(call => {
        if (call.status === 200) return;
        refusedAt.push({ organization: enabling().length, account: enabling(call.target).length });
        const [oldest] = enabling();
        if (oldest) aws.accountApi.settleRegion(oldest.accountId, oldest.regionName);
      })]);
    }

    // Every Region was requested, the last ones are still ENABLING, and CloudFormation still waits.
    expect(ended).toBe(false);
    expect(cfn.stackOf(STACK).resources.get(baselineLogicalId(stack))?.ResourceStatus).toBe('CREATE_IN_PROGRESS');
    expect(regionStatuses(TEAM, OPT_IN_REGIONS)).toContain('ENABLING');
    // A scheduled run meanwhile is skipped: the generation is still converging.
    const started = aws.callsOf('states:StartExecution').length;
    const { functionArn, input } = ruleTarget(stack, 'Reconcile');
    await aws.lambda.invoke(functionArn, input);
    expect(aws.callsOf('states:StartExecution')).toHaveLength(started);

    settleAllRegions();
    const result = await deploying;
    await aws.stepFunctions.settled();

    expect(result.status).toBe('CREATE_COMPLETE');
    expect(attributesOf(stack).ContactsConverged).toBe('true');
    expect(regionStatuses(TEAM, OPT_IN_REGIONS)).toEqual(new Array(expected).fill('ENABLED'));
    // Each Region was requested once (never again while ENABLING), the refusals were waited out, not failed.
    expect(aws.transitions.map(t => `${t.accountId}/${t.regionName}`).sort()).toEqual(TEAM.flatMap(id => OPT_IN_REGIONS.map(r => `${id}/${r}`)).sort());
    // Both limits were met, and never exceeded.
    expect(refusedAt).toContainEqual({ organization: 3, account: expect.any(Number) });
    expect(refusedAt).toContainEqual({ organization: expect.any(Number), account: 2 });
    expect(refusedAt.every(r => r.organization <= 3 && r.account <= 2)).toBe(true);
    const state = stateOf(executionOf(attributesOf(stack).Generation));
    expect(state).toMatchObject({ Phase: 'done', Regions: { inFlight: [], enabled: expected, failed: 0 } });
    expect(state.Regions.limitSeen).toBeLessThanOrEqual(3);
  });
});
