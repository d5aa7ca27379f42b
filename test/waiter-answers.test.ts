/*
 * Every request that the stack's waiter serves is answered, once, within its resource's ServiceTimeout,
 * whichever way the execution ends: a step that fails, a failure report that fails, an execution that
 * fails where no Catch applies (States.Runtime) or is stopped by hand, a Lambda invoke that stays
 * throttled, a step made again after a timeout, a state from an earlier release. Deployed through
 * local/, whose Step Functions models what these need (task faults with Retry and Catch as in AWS,
 * terminal errors that no Catch sees, StopExecution, retries as long as AWS's on the scaled clock) and
 * whose default bus delivers "Step Functions Execution Status Change" events to the waiter's rule's
 * targets by matching the rule's pattern (source, detail type, state machine ARN, status).
 */
import { CfnResource, Duration, Stack } from 'aws-cdk-lib';
import { CustomResourceResponse, DeployResult, LocalAws, LocalCloudFormation } from '../local';
import { SECURITY } from './fixtures';
import { Local, stackOf, startLocal, stopLocal } from './support';
import { DeployWaitsFor, OrganizationBaseline, RegionOptIn, RegionOptInProps } from '../src';
import { RESOURCE_TYPES } from '../src/contract';

const MEMBER = '222222222222';
const REGION = 'af-south-1';
const TIME_SCALE = 50;
/** RegionOptIn's ServiceTimeout with the default 55-minute timeout: CloudFormation's hour. */
const REGION_SERVICE_TIMEOUT_SECONDS = 3600;

jest.setTimeout(60_000);

let local: Local;
let aws: LocalAws;
let cfn: LocalCloudFormation;
let regionId: string;
/** Where this test's executions start in the record of every execution. */
let firstExecution = 0;

beforeAll(async () => {
  local = await startLocal({ memberAccountIds: [MEMBER] }, TIME_SCALE);
  aws = local.aws;
});

afterAll(async () => {
  await stopLocal(local);
});

beforeEach(() => {
  jest.spyOn(console, 'info').mockImplementation(() => undefined); // the handlers' log lines
  aws.regionTransitionMs = Infinity; // a transition lasts until the test settles it
  aws.clearCalls();
  aws.clearFaults();
  aws.stepFunctions.clearTaskFaults();
  aws.cloudFormation.responses.length = 0;
  aws.eventBus.deliveries.length = 0;
  firstExecution = aws.stepFunctions.executions.length;
  aws.setRegionStatus(MEMBER, REGION, 'DISABLED');
  cfn = new LocalCloudFormation(aws);
});

afterEach(async () => {
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(TIME_SCALE);
  aws.stepFunctions.clearTaskFaults();
  for (const execution of aws.stepFunctions.executions.filter(e => e.status === 'RUNNING')) aws.stepFunctions.stop(execution.executionArn);
  if (aws.regionStatus(MEMBER, REGION) === 'ENABLING') aws.accountApi.settleRegion(MEMBER, REGION);
  await aws.stepFunctions.settled();
  await aws.lambda.settled();
});

function regionStack(props: Partial<RegionOptInProps> = {}): Stack {
  return stackOf(stack => {
    const region = new RegionOptIn(stack, 'Region', { regionName: REGION, accountId: MEMBER, ...props });
    regionId = stack.getLogicalId(region.node.findChild('Resource').node.defaultChild as CfnResource);
  });
}

/** The Region resource's logical id, in the last stack `regionStack` made. */
function regionLogicalId(): string {
  return regionId;
}

/** This test's executions. */
function executions() {
  return aws.stepFunctions.executions.slice(firstExecution);
}

/** The first step of a waiter execution that has seen the transition in progress: the deploy waits on the waiter. */
function waiterPolled(): Promise<unknown> {
  return aws.nextCall(call => call.operation === 'GetRegionOptStatus' && call.status === 200 && aws.callsOf('states:StartExecution').length > 0);
}

function runningExecution(): string {
  const running = aws.stepFunctions.executions.filter(e => e.status === 'RUNNING');
  expect(running).toHaveLength(1);
  return running[0].executionArn;
}

/** The answers CloudFormation received for the resource: at most one per request, whatever happened. */
function answersOf(logicalId: string): Array<CustomResourceResponse & { awaited: boolean }> {
  const answers = aws.cloudFormation.responses.filter(r => r.LogicalResourceId === logicalId);
  const requests = answers.map(r => r.RequestId);
  expect(new Set(requests).size).toBe(requests.length);
  return answers;
}

/** Seconds on the scaled clock from the resource's request to its end (its answer, or CloudFormation's timeout). */
function answeredAfterSeconds(result: DeployResult, logicalId: string, verb = 'CREATE'): number {
  const events = result.events.filter(e => e.logicalId === logicalId);
  const first = events.findIndex(e => e.status === `${verb}_IN_PROGRESS`);
  const start = events[first]?.at;
  const end = events.slice(first + 1).find(e => e.status === `${verb}_COMPLETE` || e.status === `${verb}_FAILED`)?.at;
  expect(start).toBeDefined();
  expect(end).toBeDefined();
  return ((end! - start!) * TIME_SCALE) / 1000;
}

/**
 * What a failed Create of the Region says, as CloudFormation reports it; it was answered, once, within the
 * ServiceTimeout (the rollback's Delete of the failed Create is another request, answered SUCCESS).
 */
function expectAnsweredFailure(result: DeployResult): string {
  const logicalId = regionLogicalId();
  expect(result.status).toBe('ROLLBACK_COMPLETE');
  const answers = answersOf(logicalId).filter(a => a.Status === 'FAILED');
  expect(answers).toHaveLength(1);
  expect(answers[0]).toMatchObject({ awaited: true });
  expect(result.failures[0].reason).not.toContain('did not receive a response');
  expect(answeredAfterSeconds(result, logicalId)).toBeLessThan(REGION_SERVICE_TIMEOUT_SECONDS);
  return answers[0].Reason!;
}

/** The execution's status changes that the waiter's rule delivered to a function. */
function deliveredStatuses(): string[] {
  return aws.eventBus.deliveries.map(d => String((d.event as { detail: { status: string } }).detail.status));
}

describe('an execution that ends without a step that could answer is answered from its status change', () => {
  test.each([
    ['States.Runtime', 'The JSONPath $.Payload could not be found'],
    ['States.DataLimitExceeded', 'The state/task returned a result with a size exceeding the maximum number of bytes service limit'],
  ])('%s, which no Catch sees, fails the execution: the rule hands its end to the function, which answers FAILED', async (error, cause) => {
    // The step that would see the transition completed cannot run: the execution fails at once.
    void waiterPolled().then(() => aws.stepFunctions.injectTaskFault({ state: 'Step', error, cause, count: 1 }));

    const result = await cfn.deploy(regionStack());

    const reason = expectAnsweredFailure(result);
    expect(reason).toMatch(new RegExp(`^The waiter's execution region-[0-9a-f]+ failed with ${error.replace('.', '\\.')}: .* before it answered: deploy again`));
    expect(reason).toContain(cause.slice(0, 40));
    expect(executions().map(e => [e.status, e.error])).toEqual([['FAILED', error]]);
    expect(deliveredStatuses()).toEqual(['FAILED']);
  });

  test('an execution stopped by hand: the function answers FAILED, saying so and to deploy again', async () => {
    void waiterPolled().then(() => aws.stepFunctions.stop(runningExecution(), 'stopped by an operator'));

    const result = await cfn.deploy(regionStack());

    const reason = expectAnsweredFailure(result);
    expect(reason).toMatch(/^The waiter's execution region-[0-9a-f]+ was stopped \(stopped by an operator\) before it answered: deploy again to start it over$/);
    expect(executions().map(e => e.status)).toEqual(['ABORTED']);
  });

  test('a failure whose report fails too (CloudFormation\'s answer URL refuses every attempt) is answered from the status change, once', async () => {
    void waiterPolled().then(() => {
      // The next step fails; its report's five PUTs are refused, so the report fails and the execution ends ReportFailed.
      aws.stepFunctions.injectTaskFault({ state: 'Step', error: 'Lambda.Unknown', cause: 'the step broke', count: 1 });
      aws.injectFault({ operation: 'cloudformation:Response', status: 503, count: 5 });
    });

    const result = await cfn.deploy(regionStack());

    const reason = expectAnsweredFailure(result);
    expect(reason).toMatch(/failed with ReportFailed: the step failed with Lambda\.Unknown, and its report with Error: .*The response to CloudFormation was refused: HTTP 503/);
    expect(reason).toMatch(/before it answered: its report could not reach CloudFormation \(the execution's history shows each step\); deploy again$/);
    expect(aws.callsOf('cloudformation:Response').map(c => c.status)).toEqual([503, 503, 503, 503, 503]);
    expect(executions().map(e => e.error)).toEqual(['ReportFailed']);
  });

  test('a step and its report whose Lambda invokes stay throttled past the retries: answered from the status change, naming the cause', async () => {
    // Each task state retries Lambda.TooManyRequestsException 6 times (126 s on the scaled clock), then gives up.
    void waiterPolled().then(() => {
      aws.stepFunctions.injectTaskFault({ state: 'Step', error: 'Lambda.TooManyRequestsException', cause: 'Rate Exceeded.', count: 7 });
      aws.stepFunctions.injectTaskFault({ state: 'Report failure', error: 'Lambda.TooManyRequestsException', cause: 'Rate Exceeded.', count: 7 });
    });

    const result = await cfn.deploy(regionStack());

    const reason = expectAnsweredFailure(result);
    expect(reason).toContain('failed with ReportFailed: the step failed with Lambda.TooManyRequestsException, and its report with Lambda.TooManyRequestsException: Rate Exceeded.');
    expect(reason).toContain('before it answered: the function could not be invoked (Lambda refused it for its concurrency or failed)');
    // Two rounds of retries, on the scaled clock: about 4 minutes, well within the hour.
    expect(answeredAfterSeconds(result, regionLogicalId())).toBeGreaterThan(2 * 126);
  });
});

describe('a reported failure is answered once', () => {
  test('a step whose invoke stays throttled is reported by the execution; the rule sees a reported failure and does not answer again', async () => {
    // An update that waits (the stack, its rule and function stay after its rollback, and see the execution's end).
    aws.setRegionStatus(MEMBER, REGION, 'ENABLED');
    expect((await cfn.deploy(regionStack())).status).toBe('CREATE_COMPLETE');
    aws.setRegionStatus(MEMBER, REGION, 'DISABLED');
    aws.cloudFormation.responses.length = 0;
    void waiterPolled().then(() => aws.stepFunctions.injectTaskFault({ state: 'Step', error: 'Lambda.TooManyRequestsException', cause: 'Rate Exceeded.', count: 7 }));

    const result = await cfn.deploy(regionStack({ pollInterval: Duration.seconds(20) }));
    await aws.stepFunctions.settled();
    await aws.lambda.settled();

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(result.failures[0].reason).toMatch(/Waiting for the Region af-south-1 of account 222222222222 failed: Lambda\.TooManyRequestsException: /);
    expect(executions().map(e => e.error)).toEqual(['StepFailed']);
    // The rule delivered the execution's end, and the function left it: the update's one answer, and the rollback's.
    expect(deliveredStatuses()).toEqual(['FAILED']);
    expect(answersOf(regionLogicalId()).map(a => [a.Status, a.awaited])).toEqual([['FAILED', true], ['SUCCESS', true]]);
    expect(answeredAfterSeconds(result, regionLogicalId(), 'UPDATE')).toBeLessThan(REGION_SERVICE_TIMEOUT_SECONDS);
  });
});

describe('steps are safe to repeat', () => {
  test('a step made again after States.Timeout (its first run answered) does not answer a second time', async () => {
    void waiterPolled().then(() => {
      aws.accountApi.settleRegion(MEMBER, REGION);
      // The next step answers SUCCESS, then its result is lost as if it had outlived TimeoutSeconds: Step Functions retries it.
      aws.stepFunctions.injectTaskFault({ state: 'Step', error: 'States.Timeout', count: 1, afterInvoke: true });
    });

    const result = await cfn.deploy(regionStack());
    await aws.stepFunctions.settled();

    expect(result.status).toBe('CREATE_COMPLETE');
    const answers = answersOf(regionLogicalId());
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', awaited: true })]);
    // The step ran three times: the poll, the one that answered, and the retry, which found the request answered.
    expect(executions().map(e => e.status)).toEqual(['SUCCEEDED']);
    await aws.lambda.settled();
    expect(answersOf(regionLogicalId())).toHaveLength(1);
  });

  test('a step given the state of an earlier release fails the execution, and the deploy is told to deploy again', async () => {
    // An execution that an earlier release started for the same request (its state has no Version) meets this release's code.
    const started = waiterPolled().then(() => {
      const running = aws.stepFunctions.executions.find(e => e.status === 'RUNNING')!;
      const { Version: _version, ...earlier } = JSON.parse(running.input);
      aws.stepFunctions.dispatch('StartExecution', { stateMachineArn: running.stateMachineArn, name: 'earlier-release', input: JSON.stringify(earlier) });
    });

    const result = await cfn.deploy(regionStack());
    await started;
    await aws.stepFunctions.settled();

    const reason = expectAnsweredFailure(result);
    expect(reason).toBe('Waiting for the Region af-south-1 of account 222222222222 failed: StateVersionMismatch: The waiter\'s state is of an earlier '
      + 'release of cdk-account-management and this function reads version 1 (the library changed while the execution ran); deploy again');
    const earlier = executions().find(e => e.name === 'earlier-release')!;
    expect([earlier.status, earlier.error]).toEqual(['FAILED', 'StepFailed']);
    // This release's own execution found the request answered (the deploy rolled back) and ended without a word.
    expect(executions().filter(e => e.name !== 'earlier-release').map(e => e.status)).toEqual(['SUCCEEDED']);
  });
});

describe('a Region\'s answer comes within the hour counted from the request', () => {
  test('the timeout is counted from when CloudFormation made the request, not from when Lambda delivered it', async () => {
    // Lambda holds the Create for a minute (scaled) before the function runs, as its queue may.
    const held = aws.lambda.holdNextDelivery(payload => payload?.RequestType === 'Create' && payload?.ResourceType === RESOURCE_TYPES.regionOptIn);
    void held.held.then(() => new Promise(resolve => setTimeout(resolve, 60_000 / TIME_SCALE))).then(() => held.release());

    const result = await cfn.deploy(regionStack({ timeout: Duration.minutes(2) }));

    const logicalId = regionLogicalId();
    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(answersOf(logicalId).filter(a => a.Status === 'FAILED')).toEqual([
      expect.objectContaining({ awaited: true, Reason: expect.stringContaining('is still in progress (status ENABLING) after 2 minutes') }),
    ]);
    const requested = result.events.find(e => e.logicalId === logicalId && e.status === 'CREATE_IN_PROGRESS')!.at;
    const execution = executions()[0];
    const deadline = JSON.parse(execution.input).Deadline as number;
    // The deadline is the request's time plus the timeout (to the millisecond of the resource's status), though
    // the handler started the execution a minute (scaled) later.
    expect(Math.abs(deadline - (requested + 120_000 / TIME_SCALE))).toBeLessThanOrEqual(2);
    expect(execution.startedAt).toBeGreaterThanOrEqual(requested + 60_000 / TIME_SCALE);
    // Answered after the timeout, well before the timeout counted from the handler's start (3 minutes), and
    // within the resource's ServiceTimeout (the timeout and 5 minutes).
    const seconds = answeredAfterSeconds(result, logicalId);
    expect(seconds).toBeGreaterThanOrEqual(120);
    expect(seconds).toBeLessThan(170);
  });
});

describe('an organization baseline\'s deploy', () => {
  test('whose execution is stopped by hand is answered FAILED from its status change, once, naming the generation', async () => {
    // The deploy waits for everything, the Region's transition included: the reconciler polls it until stopped.
    let baselineId = '';
    const stack = stackOf(s => {
      const baseline = new OrganizationBaseline(s, 'Baseline', {
        accountIds: [MEMBER], alternateContacts: { security: SECURITY }, enabledRegions: [REGION], deployWaitsFor: DeployWaitsFor.EVERYTHING,
      });
      baselineId = s.getLogicalId(baseline.node.findChild('Resource').node.defaultChild as CfnResource);
    });
    void waiterPolled().then(() => aws.stepFunctions.stop(runningExecution(), 'stopped by an operator'));

    const result = await cfn.deploy(stack);
    await aws.stepFunctions.settled();
    await aws.lambda.settled();

    expect(result.status).toBe('ROLLBACK_COMPLETE');
    const failed = answersOf(baselineId).filter(a => a.Status === 'FAILED');
    expect(failed).toEqual([expect.objectContaining({ awaited: true })]);
    expect(failed[0].Reason).toMatch(/^The organization baseline's generation \S+: The waiter's execution \S+ was stopped \(stopped by an operator\) before it answered: deploy again to start it over$/);
    expect(answeredAfterSeconds(result, baselineId)).toBeLessThan(3600);
    expect(executions()[0].status).toBe('ABORTED');
    expect(deliveredStatuses()).toEqual(['ABORTED']);
  });

  test('a step made again after States.Timeout, whose first run answered the deploy, does not answer it again', async () => {
    let baselineId = '';
    const stack = stackOf(s => {
      const baseline = new OrganizationBaseline(s, 'Baseline', { accountIds: [MEMBER], alternateContacts: { security: SECURITY } });
      baselineId = s.getLogicalId(baseline.node.findChild('Resource').node.defaultChild as CfnResource);
    });
    // The first step converges and answers SUCCESS, then its result is lost as if it had outlived TimeoutSeconds.
    aws.stepFunctions.injectTaskFault({ state: 'Step', error: 'States.Timeout', count: 1, afterInvoke: true });

    const result = await cfn.deploy(stack);
    await aws.stepFunctions.settled();
    await aws.lambda.settled();

    expect(result.status).toBe('CREATE_COMPLETE');
    expect(answersOf(baselineId)).toEqual([expect.objectContaining({ Status: 'SUCCESS', awaited: true })]);
    // The retry found the deploy answered and finished the generation without a word to CloudFormation.
    expect(executions().map(e => e.status)).toEqual(['SUCCEEDED']);
    expect(aws.account(MEMBER).alternateContacts.get('SECURITY')?.EmailAddress).toBe(SECURITY.emailAddress);
  });
});
