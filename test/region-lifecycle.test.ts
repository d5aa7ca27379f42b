/*
 * RegionOptIn across whole lifecycles, as CloudFormation runs them: stacks synthesized from the
 * constructs, deployed by the local CloudFormation (resources started at once, a failure cancelling what
 * is in progress and rolling back), the handler's real bundle answering CloudFormation itself and stepped
 * by the stack's waiter state machine, against the local Account Management API, whose Region transitions
 * respect the in-progress limits and, in most tests, last until the test settles them.
 */
import { CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CallRecord, DeployOptions, DeployResult, LocalAws, LocalCloudFormation } from '../local';
import { addBreaker, BREAKER, captureConsole, Local, MANAGEMENT, physicalIds, stackOf, startLocal, stopLocal } from './support';
import { RegionOptIn, RegionOptInProps } from '../src';

const MEMBER = '222222222222';
const OTHER_MEMBER = '333333333333';
const THIRD_MEMBER = '444444444444';
const REGION = 'af-south-1';
const RESOURCE_TYPE = 'Custom::AccountRegionOptIn';

jest.setTimeout(60_000);

let local: Local;
let aws: LocalAws;
let cfn: LocalCloudFormation;

const TIME_SCALE = 50;
/** For deploys of many Regions at once (the afterEach hook restores TIME_SCALE). */
const CROWDED_TIME_SCALE = 10;

beforeAll(async () => {
  local = await startLocal({ memberAccountIds: [MEMBER, OTHER_MEMBER, THIRD_MEMBER] }, TIME_SCALE);
  aws = local.aws;
});

afterAll(async () => {
  await stopLocal(local);
});

beforeEach(() => {
  jest.spyOn(console, 'info').mockImplementation(() => undefined); // the handlers' log lines
  aws.callerAccountId = MANAGEMENT;
  aws.trustedAccess = true;
  aws.regionTransitionMs = 0;
  aws.accountApi.maxTransitionsPerAccount = 6;
  aws.accountApi.maxTransitionsPerOrganization = 20;
  aws.stepFunctions.waitMs = 10;
  aws.clearCalls();
  aws.clearFaults();
  aws.cloudFormation.responses.length = 0;
  for (const account of aws.accounts.values()) {
    for (const [regionName, state] of account.regions) {
      if (state.status !== 'ENABLED_BY_DEFAULT') aws.setRegionStatus(account.id, regionName, 'DISABLED');
    }
  }
  cfn = new LocalCloudFormation(aws);
});

afterEach(async () => {
  // No test leaves a transition in progress or a waiter running for the next one.
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(TIME_SCALE);
  aws.regionTransitionMs = 0;
  settleAll();
  await aws.stepFunctions.settled();
  await aws.lambda.settled();
});

/**
 * A stack with one RegionOptIn (af-south-1 of MEMBER unless `props` say otherwise) under `id`, and
 * optionally a breaker: `after` the Region (it fails once the Region's request has completed) or
 * `beside` it (it fails while the Region's request is in progress, on a cue).
 */
function regionStack(props: Partial<RegionOptInProps> = {}, options: { id?: string; breaker?: 'after' | 'beside' } = {}): Stack {
  return stackOf(stack => {
    const region = new RegionOptIn(stack, options.id ?? 'Region', { regionName: REGION, accountId: MEMBER, ...props });
    if (options.breaker) addBreaker(stack);
    if (options.breaker === 'after') stack.node.findChild(BREAKER).node.addDependency(region);
  });
}

function statusOf(accountId = MEMBER, regionName = REGION) {
  return aws.regionStatus(accountId, regionName);
}

/** The OptStatus attribute CloudFormation holds for the Region resource of the construct `id`. */
function optStatus(id = 'Region'): string | undefined {
  const resource = [...cfn.stackOf('Settings').resources.values()].find(r => r.ResourceType === RESOURCE_TYPE && r.LogicalResourceId.startsWith(id));
  return resource && cfn.resource('Settings', resource.LogicalResourceId)?.attributes.OptStatus;
}

/** The properties of the stack's one Region resource, as its template declares them. */
function templateProperties(stack: Stack): Record<string, unknown> {
  const resources = Object.values(Template.fromStack(stack).findResources(RESOURCE_TYPE));
  expect(resources).toHaveLength(1);
  return resources[0].Properties;
}

/** Ends every Region transition in progress now. */
function settleAll(): void {
  for (const account of aws.accounts.values()) {
    for (const [regionName, state] of account.regions) {
      if (state.status === 'ENABLING' || state.status === 'DISABLING') aws.accountApi.settleRegion(account.id, regionName);
    }
  }
}

/** The first status read of `accountId` made by a waiter step (after an execution of the waiter started from now on). */
function waiterPolled(accountId = MEMBER): Promise<CallRecord> {
  const started = aws.callsOf('states:StartExecution').length;
  return aws.nextCall(call => call.operation === 'GetRegionOptStatus' && call.target === accountId && call.status === 200
    && aws.callsOf('states:StartExecution').length > started);
}

/** Ends the Region's transition once a waiter step has seen it in progress: the deploy demonstrably waited for it. */
function settleOnceWaited(accountId = MEMBER, regionName = REGION): Promise<void> {
  return waiterPolled(accountId).then(() => aws.accountApi.settleRegion(accountId, regionName));
}

/**
 * Deploys while playing the in-progress limits out without a clock: the transitions last until settled,
 * and all those in progress end each time the service refuses an EnableRegion for its limits, and once
 * `expected` EnableRegion requests have been accepted.
 */
async function deployUnderLimits(stack: Stack, expected: number): Promise<DeployResult> {
  // Many functions run at once here, on one thread: time runs slower, so that none of them times out for it.
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(CROWDED_TIME_SCALE);
  aws.regionTransitionMs = Infinity;
  const accepted = () => aws.callsOf('EnableRegion').filter(c => c.status === 200).length;
  let ended = false;
  const deploying = cfn.deploy(stack).finally(() => {
    ended = true;
  });
  while (!ended && accepted() < expected) {
    await Promise.race([deploying, aws.nextCall(c => c.operation === 'EnableRegion' && (c.errorType === 'TooManyRequestsException' || accepted() >= expected))]);
    settleAll();
  }
  return deploying;
}

/** The reason CloudFormation shows for a custom resource that answered FAILED. */
function failedWith(message: string): string {
  return `Received response status [FAILED] from custom resource. Message returned: ${message}`;
}

describe('enable and disable', () => {
  test('a disabled Region is enabled once, and the deploy ends only when it is ENABLED', async () => {
    aws.regionTransitionMs = Infinity;
    const executions = aws.stepFunctions.executions.length;
    const settled = settleOnceWaited();

    const result = await cfn.deploy(regionStack());
    await settled;
    await aws.stepFunctions.settled(); // the step that answered CloudFormation ends the execution

    expect(result.status).toBe('CREATE_COMPLETE');
    expect(physicalIds(cfn)).toEqual([`${MEMBER}/region/${REGION}`]);
    expect(statusOf()).toBe('ENABLED');
    expect(optStatus()).toBe('ENABLED'); // it was ENABLING until the waiter had seen it so
    expect(aws.callsOf('EnableRegion')).toEqual([expect.objectContaining({ accountIdParameter: MEMBER, target: MEMBER, status: 200 })]);
    expect(aws.stepFunctions.executions.slice(executions).map(e => e.status)).toEqual(['SUCCEEDED']);
    expect(aws.callsOf('GetRegionOptStatus').length).toBeGreaterThanOrEqual(3); // the request's read, and two waiter steps at least
  });

  test.each(['ENABLED', 'ENABLED_BY_DEFAULT'] as const)('a Region already %s needs no call and no waiter', async (status) => {
    const regionName = status === 'ENABLED' ? REGION : 'eu-west-1';
    if (status === 'ENABLED') aws.setRegionStatus(MEMBER, regionName, 'ENABLED');
    const executions = aws.stepFunctions.executions.length;

    expect((await cfn.deploy(regionStack({ regionName }))).status).toBe('CREATE_COMPLETE');

    expect(aws.callsOf('EnableRegion')).toHaveLength(0);
    expect(optStatus()).toBe(status);
    expect(aws.stepFunctions.executions.length).toBe(executions);
  });

  test('an enabled Region is disabled, and the deploy ends when it is DISABLED', async () => {
    aws.setRegionStatus(MEMBER, REGION, 'ENABLED');
    aws.regionTransitionMs = Infinity;
    const settled = settleOnceWaited();

    expect((await cfn.deploy(regionStack({ enabled: false }))).status).toBe('CREATE_COMPLETE');
    await settled;

    expect(statusOf()).toBe('DISABLED');
    expect(aws.callsOf('DisableRegion')).toEqual([expect.objectContaining({ status: 200 })]);
    expect(optStatus()).toBe('DISABLED');
  });

  test('a Region that is ENABLING is waited on, never requested again', async () => {
    aws.setRegionStatus(MEMBER, REGION, 'ENABLING', Infinity);
    const settled = settleOnceWaited();

    expect((await cfn.deploy(regionStack())).status).toBe('CREATE_COMPLETE');
    await settled;

    expect(aws.callsOf('EnableRegion')).toHaveLength(0);
    expect(statusOf()).toBe('ENABLED');
    expect(optStatus()).toBe('ENABLED');
  });

  test('a Region that is DISABLING is waited on until DISABLED, then enabled, without a conflict', async () => {
    aws.setRegionStatus(MEMBER, REGION, 'DISABLING', Infinity);
    const settled = settleOnceWaited(); // the enable that follows takes no time

    expect((await cfn.deploy(regionStack())).status).toBe('CREATE_COMPLETE');
    await settled;

    expect(statusOf()).toBe('ENABLED');
    expect(aws.callsOf('EnableRegion').map(c => c.status)).toEqual([200]);
    expect(aws.calls.filter(c => c.errorType === 'ConflictException')).toHaveLength(0);
  });

  test('without waitForCompletion the deploy ends as soon as the transition has started', async () => {
    aws.regionTransitionMs = Infinity;
    const executions = aws.stepFunctions.executions.length;

    expect((await cfn.deploy(regionStack({ waitForCompletion: false }))).status).toBe('CREATE_COMPLETE');

    expect(optStatus()).toBe('ENABLING');
    expect(statusOf()).toBe('ENABLING');
    expect(aws.stepFunctions.executions.length).toBe(executions);
  });

  test('the management account\'s own Region is enabled in standalone context', async () => {
    expect((await cfn.deploy(regionStack({ accountId: MANAGEMENT }))).status).toBe('CREATE_COMPLETE');

    expect(aws.callsOf('EnableRegion')[0]).toMatchObject({ accountIdParameter: undefined, target: MANAGEMENT, status: 200 });
    expect(statusOf(MANAGEMENT)).toBe('ENABLED');
  });

  test('the declared poll interval, timeout and flags reach the handler as strings it parses', async () => {
    const stack = regionStack({ pollInterval: Duration.seconds(45), timeout: Duration.minutes(20) });
    expect(templateProperties(stack)).toMatchObject({ RegionName: REGION, AccountId: MEMBER, Enabled: 'true', WaitForCompletion: 'true', TimeoutSeconds: '1200', PollIntervalSeconds: '45' });
    const executions = aws.stepFunctions.executions.length;

    expect((await cfn.deploy(stack)).status).toBe('CREATE_COMPLETE');

    const [execution] = aws.stepFunctions.executions.slice(executions);
    const state = JSON.parse(execution.input);
    expect(state).toMatchObject({ PollSeconds: 45, WaitForCompletion: true, Goal: 'ENABLED', Done: false });
    // 20 minutes, as time runs here.
    expect(state.Deadline - execution.startedAt).toBeGreaterThan((1200_000 / TIME_SCALE) - 1000);
    expect(state.Deadline - execution.startedAt).toBeLessThanOrEqual(1200_000 / TIME_SCALE);
  });

  test('changing pollInterval, timeout and waitForCompletion is an ordinary update: same ServiceToken, no request', async () => {
    const before = regionStack();
    expect((await cfn.deploy(before)).status).toBe('CREATE_COMPLETE');
    aws.clearCalls();
    aws.cloudFormation.responses.length = 0;

    const after = regionStack({ pollInterval: Duration.minutes(1), timeout: Duration.minutes(10), waitForCompletion: false });
    const result = await cfn.deploy(after);

    expect(result.status).toBe('UPDATE_COMPLETE');
    expect(templateProperties(after).ServiceToken).toEqual(templateProperties(before).ServiceToken);
    expect(templateProperties(after)).toMatchObject({ WaitForCompletion: 'false', TimeoutSeconds: '600', PollIntervalSeconds: '60' });
    // The handler got the Update and answered it without a transition.
    expect(result.events).toContainEqual(expect.objectContaining({ logicalId: expect.stringMatching(/^Region/), status: 'UPDATE_COMPLETE' }));
    expect(aws.cloudFormation.responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', Data: { OptStatus: 'ENABLED' }, awaited: true })]);
    expect(aws.callsOf('EnableRegion')).toHaveLength(0);
    expect(aws.callsOf('DisableRegion')).toHaveLength(0);
    expect(statusOf()).toBe('ENABLED');
  });
});

describe('in-progress limits and faults', () => {
  const TEN_REGIONS = ['af-south-1', 'ap-east-1', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ca-west-1',
    'eu-south-1', 'eu-south-2', 'eu-central-2', 'il-central-1'];

  test('10 Regions of one account complete under the 6-in-progress limit without a failure', async () => {
    const stack = stackOf(s => TEN_REGIONS.forEach(regionName => new RegionOptIn(s, regionName, { regionName, accountId: MEMBER })));

    const result = await deployUnderLimits(stack, TEN_REGIONS.length);

    expect(result.failures).toEqual([]);
    expect(result.status).toBe('CREATE_COMPLETE');
    for (const regionName of TEN_REGIONS) expect(statusOf(MEMBER, regionName)).toBe('ENABLED');
    const enables = aws.callsOf('EnableRegion');
    expect(enables.filter(c => c.status === 200)).toHaveLength(10);
    expect(enables.some(c => c.errorType === 'TooManyRequestsException')).toBe(true);
  });

  test('Regions across the organization complete under its in-progress limit without a failure', async () => {
    aws.accountApi.maxTransitionsPerOrganization = 3;
    const declared = [MEMBER, OTHER_MEMBER, THIRD_MEMBER].flatMap(accountId => ['af-south-1', 'ap-east-1'].map(regionName => ({ accountId, regionName })));
    const stack = stackOf(s => declared.forEach(({ accountId, regionName }) => new RegionOptIn(s, `${regionName}${accountId}`, { regionName, accountId })));

    const result = await deployUnderLimits(stack, declared.length);

    expect(result.failures).toEqual([]);
    expect(result.status).toBe('CREATE_COMPLETE');
    for (const { accountId, regionName } of declared) expect(statusOf(accountId, regionName)).toBe('ENABLED');
    expect(aws.callsOf('EnableRegion').some(c => c.errorType === 'TooManyRequestsException')).toBe(true);
  });

  test('a Region the limits keep from starting times out saying so, in the service\'s words, with no limit of its own', async () => {
    aws.accountApi.maxTransitionsPerOrganization = 2;
    aws.setRegionStatus(OTHER_MEMBER, 'af-south-1', 'ENABLING', Infinity);
    aws.setRegionStatus(OTHER_MEMBER, 'ap-east-1', 'ENABLING', Infinity);
    aws.stepFunctions.waitMs = 100;

    const result = await cfn.deploy(regionStack({ timeout: Duration.minutes(1) }));

    expect(result.status).toBe('ROLLBACK_COMPLETE');
    const reason = result.failures[0].reason;
    expect(reason).toContain(failedWith(`EnableRegion for the Region ${REGION} of account ${MEMBER} is not started yet `
      + '(EnableRegion refused for now (TooManyRequestsException: The organization has 2 Region opt requests in progress)) after 1 minute'));
    expect(reason).toContain('The next deploy resumes waiting for it (it does not request it again)');
    expect(reason).not.toMatch(/\b(6|20)\b/);
    expect(aws.callsOf('EnableRegion').every(c => c.errorType === 'TooManyRequestsException')).toBe(true);
    expect(statusOf()).toBe('DISABLED');
  });

  test('bursts of throttling and server errors when starting end with the Region enabled', async () => {
    aws.injectFault({ operation: 'GetRegionOptStatus', status: 429, count: 4 });
    aws.injectFault({ operation: 'EnableRegion', status: 500, count: 2 });

    const result = await cfn.deploy(regionStack());

    expect(result.status).toBe('CREATE_COMPLETE');
    expect(statusOf()).toBe('ENABLED');
    expect(aws.callsOf('GetRegionOptStatus').slice(0, 4).map(c => c.status)).toEqual([429, 429, 429, 429]);
    expect(aws.callsOf('EnableRegion').map(c => c.status)).toEqual([500, 500, 200]);
  });

  test('network resets and 5xx while waiting end with the Region enabled; 5xx for a whole step defers to the next poll', async () => {
    aws.regionTransitionMs = Infinity;
    /** The next waiter step begins after one whose status reads failed with `errorType`: that step deferred, it did not fail. */
    const nextStepAfter = (errorType: string) => aws.nextCall(c => c.operation === 'cloudformation:DescribeStackResource' && c.status === 200
      && aws.callsOf('GetRegionOptStatus').some(read => read.errorType === errorType));
    const faulted = (async () => {
      await waiterPolled();
      // Reads are reset a few times, and so is the step's check of its request.
      aws.injectFault({ operation: 'cloudformation:DescribeStackResource', status: 'reset', count: 2 });
      aws.injectFault({ operation: 'GetRegionOptStatus', status: 'reset', count: 3 });
      // Then every read answers 503 or 500, for longer than a step retries it.
      aws.injectFault({ operation: 'GetRegionOptStatus', status: 503, count: 1_000_000, when: () => aws.callsOf('GetRegionOptStatus').filter(c => c.status >= 500).length < 10 });
      aws.injectFault({ operation: 'GetRegionOptStatus', status: 500, count: 1_000_000 });
      await nextStepAfter('InternalServerException');
      // The service answers again, and the transition ends.
      aws.clearFaults();
      aws.accountApi.settleRegion(MEMBER, REGION);
    })();

    const result = await cfn.deploy(regionStack());
    await faulted;

    expect(result.failures).toEqual([]);
    expect(result.status).toBe('CREATE_COMPLETE');
    expect(statusOf()).toBe('ENABLED');
    expect(optStatus()).toBe('ENABLED');
    const reads = aws.callsOf('GetRegionOptStatus').map(c => c.status);
    expect(reads.filter(s => s === 0)).toHaveLength(3);
    expect(reads.filter(s => s === 503)).toHaveLength(10);
    expect(reads.filter(s => s === 500).length).toBeGreaterThan(0);
    expect(aws.callsOf('cloudformation:DescribeStackResource').filter(c => c.errorType === 'ECONNRESET')).toHaveLength(2);
    expect(aws.callsOf('EnableRegion').map(c => c.status)).toEqual([200]);
  });

  test('network resets of every read for a whole step defer to the next poll, like 5xx', async () => {
    aws.regionTransitionMs = Infinity;
    const faulted = (async () => {
      await waiterPolled();
      aws.injectFault({ operation: 'GetRegionOptStatus', status: 'reset', count: 1_000_000 });
      // A later step checks its request again: by then the resets have outlasted a whole step's reads.
      await aws.nextCall(c => c.operation === 'cloudformation:DescribeStackResource' && c.status === 200
        && aws.calls.filter(read => read.operation === 'GetRegionOptStatus' && read.errorType === 'ECONNRESET').length > 1);
      aws.clearFaults();
      aws.accountApi.settleRegion(MEMBER, REGION);
    })();

    const result = await cfn.deploy(regionStack());
    await faulted;

    expect(result.failures).toEqual([]);
    expect(statusOf()).toBe('ENABLED');
    expect(aws.calls.filter(c => c.operation === 'GetRegionOptStatus' && c.errorType === 'ECONNRESET').length).toBeGreaterThan(1);
    expect(aws.callsOf('EnableRegion').map(c => c.status)).toEqual([200]);
  });

  test('a transition that outlives the timeout fails saying it is still in progress, and the next deploy resumes waiting without requesting again', async () => {
    aws.regionTransitionMs = Infinity;
    aws.stepFunctions.waitMs = 100;

    const timedOut = await cfn.deploy(regionStack({ timeout: Duration.minutes(1) }));

    expect(timedOut.status).toBe('ROLLBACK_COMPLETE');
    expect(timedOut.failures[0].reason).toMatch(new RegExp(`^${literal(failedWith(`EnableRegion for the Region ${REGION} of account ${MEMBER} `
      + 'is still in progress (status ENABLING) after 1 minute'))}s?${literal('; the service can take hours. The next deploy resumes waiting for it '
      + '(it does not request it again); set waitForCompletion: false to complete as soon as the transition has started.')}$`));
    expect(statusOf()).toBe('ENABLING');
    expect(aws.callsOf('DisableRegion')).toHaveLength(0); // the rollback's Delete left it

    // The next deploy: CloudFormation creates the resource again; it waits for the same transition.
    aws.stepFunctions.waitMs = 10;
    const settled = settleOnceWaited();
    expect((await cfn.deploy(regionStack())).status).toBe('CREATE_COMPLETE');
    await settled;

    expect(statusOf()).toBe('ENABLED');
    expect(optStatus()).toBe('ENABLED');
    expect(aws.callsOf('EnableRegion')).toHaveLength(1);
    expect(aws.calls.filter(c => c.errorType === 'ConflictException')).toHaveLength(0);
  });

  test('an AccessDenied while waiting fails the resource at once, not at the timeout', async () => {
    aws.regionTransitionMs = Infinity;
    const denied = waiterPolled().then(() => {
      aws.trustedAccess = false;
    });

    const result = await cfn.deploy(regionStack());
    await denied;

    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.failures[0].reason).toBe(failedWith(`GetRegionOptStatus for the Region ${REGION} of account ${MEMBER} (organizations mode) failed: `
      + 'check that trusted access for account.amazonaws.com is enabled in AWS Organizations, that the stack deploys from the management account '
      + `or the Account Management delegated administrator, and that account ${MEMBER} is a member of that organization. `
      + 'The service answered AccessDeniedException: The request failed because your organization does not have trusted access enabled for account.amazonaws.com'));
    // One denied read ended it: the waiter did not poll on until the timeout.
    expect(aws.callsOf('GetRegionOptStatus').filter(c => c.errorType === 'AccessDeniedException')).toHaveLength(1);
  });

  test('an AccessDenied when starting fails at once with the hint, and requests nothing', async () => {
    aws.trustedAccess = false;

    const result = await cfn.deploy(regionStack());

    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.failures[0].reason).toMatch(/^Received response status \[FAILED\] from custom resource\. Message returned: GetRegionOptStatus for the Region af-south-1 of account 222222222222 \(organizations mode\) failed: check that trusted access .*AccessDeniedException/);
    expect(aws.callsOf('EnableRegion')).toHaveLength(0);
    expect(aws.stepFunctions.executions.filter(e => e.status === 'RUNNING')).toHaveLength(0);
  });

  test('disabling a Region that is enabled by default is an error that says so', async () => {
    // Synth refuses enabled: false for eu-west-1; a token resolved at deploy time is not refused.
    const stack = stackOf(s => {
      const regionName = new CfnParameter(s, 'RegionName', { default: 'eu-west-1' });
      new RegionOptIn(s, 'Region', { regionName: regionName.valueAsString, accountId: MEMBER, enabled: false });
    });

    const result = await cfn.deploy(stack);

    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.failures[0].reason).toBe(failedWith(`DisableRegion for the Region eu-west-1 of account ${MEMBER} is not possible: `
      + 'eu-west-1 is enabled by default and cannot be disabled; declare enabled: true or remove the RegionOptIn'));
    expect(aws.callsOf('DisableRegion')).toHaveLength(0);
  });
});

describe('delete, replacement and rollback', () => {
  test('with RemovalPolicy.DESTROY, removing the resource disables the Region and waits for it', async () => {
    await cfn.deploy(regionStack({ removalPolicy: RemovalPolicy.DESTROY }));
    aws.regionTransitionMs = Infinity;
    let stackStatusWhileWaiting: string | undefined;
    const settled = waiterPolled().then(() => {
      stackStatusWhileWaiting = cfn.stackOf('Settings').status;
      aws.accountApi.settleRegion(MEMBER, REGION);
    });

    const result = await cfn.deploy(stackOf(() => undefined));
    await settled;

    expect(result.status).toBe('UPDATE_COMPLETE');
    expect(stackStatusWhileWaiting).toBe('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    expect(statusOf()).toBe('DISABLED');
    expect(aws.callsOf('DisableRegion')).toEqual([expect.objectContaining({ accountIdParameter: MEMBER, status: 200 })]);
  });

  test('with the default RemovalPolicy, removing the resource leaves the Region enabled', async () => {
    await cfn.deploy(regionStack());

    expect((await cfn.destroy('Settings')).status).toBe('DELETE_COMPLETE');

    expect(statusOf()).toBe('ENABLED');
    expect(aws.callsOf('DisableRegion')).toHaveLength(0);
  });

  test('removing the resource of a Region enabled by default leaves it, whatever the policy', async () => {
    await cfn.deploy(regionStack({ regionName: 'eu-west-1', removalPolicy: RemovalPolicy.DESTROY }));

    expect((await cfn.destroy('Settings')).status).toBe('DELETE_COMPLETE');

    expect(aws.callsOf('DisableRegion')).toHaveLength(0);
  });

  test('a renamed construct keeps its Region enabled, even with DESTROY', async () => {
    await cfn.deploy(regionStack({ removalPolicy: RemovalPolicy.DESTROY }));

    const result = await cfn.deploy(regionStack({ removalPolicy: RemovalPolicy.DESTROY }, { id: 'Renamed' }));

    expect(result.status).toBe('UPDATE_COMPLETE');
    expect(physicalIds(cfn)).toEqual([`${MEMBER}/region/${REGION}`]);
    expect(statusOf()).toBe('ENABLED');
    expect(aws.callsOf('DisableRegion')).toHaveLength(0);
  });

  test('a change of account with DESTROY enables the new account\'s Region, then disables the old one', async () => {
    await cfn.deploy(regionStack({ removalPolicy: RemovalPolicy.DESTROY }));

    const result = await cfn.deploy(regionStack({ accountId: OTHER_MEMBER, removalPolicy: RemovalPolicy.DESTROY }));

    expect(result.status).toBe('UPDATE_COMPLETE');
    expect(physicalIds(cfn)).toEqual([`${OTHER_MEMBER}/region/${REGION}`]);
    expect(statusOf(OTHER_MEMBER)).toBe('ENABLED');
    expect(statusOf(MEMBER)).toBe('DISABLED');
    const [enable] = aws.callsOf('EnableRegion').filter(c => c.target === OTHER_MEMBER);
    const [disable] = aws.callsOf('DisableRegion');
    expect(disable).toMatchObject({ target: MEMBER, status: 200 });
    expect(aws.calls.indexOf(enable)).toBeLessThan(aws.calls.indexOf(disable));
  });

  test('a rolled-back Create with DESTROY leaves the Region enabled', async () => {
    const result = await cfn.deploy(regionStack({ removalPolicy: RemovalPolicy.DESTROY }, { breaker: 'after' }), { breakResources: { [BREAKER]: {} } });

    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.failures.map(f => f.logicalId)).toEqual([BREAKER]);
    expect(statusOf()).toBe('ENABLED');
    expect(aws.callsOf('DisableRegion')).toHaveLength(0);
  });

  test('a rollback requests the old state without waiting for it', async () => {
    await cfn.deploy(regionStack({ enabled: false }, { breaker: 'after' }));
    aws.regionTransitionMs = Infinity;
    const executions = aws.stepFunctions.executions.length;
    const settled = settleOnceWaited();

    const result = await cfn.deploy(regionStack({ enabled: true }, { breaker: 'after' }), { breakResources: { [BREAKER]: {} } });
    await settled;

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(aws.callsOf('EnableRegion')).toHaveLength(1);
    expect(aws.callsOf('DisableRegion')).toHaveLength(1);
    // The rollback answered at once with the transition it started: only the update's waiter ran.
    expect(statusOf()).toBe('DISABLING');
    expect(optStatus()).toBe('DISABLING');
    expect(aws.stepFunctions.executions.length).toBe(executions + 1);
  });

  test('a rollback that meets a transition in progress completes at once, leaving it to the next deploy', async () => {
    await cfn.deploy(regionStack({ enabled: false }, { breaker: 'after' }));
    aws.regionTransitionMs = Infinity;
    const executions = aws.stepFunctions.executions.length;

    const { output, result } = await captureConsole(() => cfn.deploy(regionStack({ waitForCompletion: false }, { breaker: 'after' }), { breakResources: { [BREAKER]: {} } }));

    expect(result?.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(statusOf()).toBe('ENABLING');
    expect(optStatus()).toBe('ENABLING');
    expect(aws.callsOf('DisableRegion')).toHaveLength(0);
    expect(aws.stepFunctions.executions.length).toBe(executions);
    expect(output).toContain('left as it is by the rollback; the next deploy resumes the transition');
    jest.spyOn(console, 'info').mockImplementation(() => undefined); // captureConsole restored it

    // The next deploy that declares the Region enabled waits for the same transition.
    const settled = settleOnceWaited();
    expect((await cfn.deploy(regionStack({}, { breaker: 'after' }))).status).toBe('UPDATE_COMPLETE');
    await settled;
    expect(statusOf()).toBe('ENABLED');
    expect(optStatus()).toBe('ENABLED');
    expect(aws.callsOf('EnableRegion')).toHaveLength(1);
  });

  test('an update cancelled while its waiter waits stops, and does not undo the rollback', async () => {
    aws.regionTransitionMs = Infinity;
    await cfn.deploy(regionStack({ waitForCompletion: false }, { breaker: 'beside' }));
    expect(statusOf()).toBe('ENABLING');

    // v2 disables: its waiter waits for ENABLING to end; the breaker fails once the waiter has polled.
    const options: DeployOptions = { breakResources: { [BREAKER]: { when: waiterPolled() } } };
    const { output, result } = await captureConsole(async () => {
      const deployed = await cfn.deploy(regionStack({ enabled: false }, { breaker: 'beside' }), options);
      // Then the transition ends, and the cancelled request's waiter runs on.
      aws.accountApi.settleRegion(MEMBER, REGION);
      await aws.stepFunctions.settled();
      await aws.lambda.settled();
      return deployed;
    });

    expect(result?.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(result?.failures.map(f => f.logicalId)).toEqual([BREAKER]);
    expect(aws.callsOf('DisableRegion')).toHaveLength(0);
    expect(statusOf()).toBe('ENABLED');
    expect(output).toContain('stopped: CloudFormation no longer waits for this request; nothing requested, nothing answered');
    // The stale waiter answered nothing: CloudFormation no longer waited for its request (issue 14: no answer twice).
    expect(aws.cloudFormation.responses.filter(r => !r.awaited)).toEqual([]);
  });
});

describe('when the stack status cannot be read', () => {
  /** Fast enough for retries until the deadline to be short, slow enough for the handler's 45 s reserve to be a few dozen ms. */
  const FAST_TIME_SCALE = 250;

  test('a rollback\'s Delete of a Region with DESTROY does not disable it, and the log says why', async () => {
    // DescribeStacks fails (throttled) for as long as the stack rolls back, longer than the handler may retry.
    aws.injectFault({ operation: 'cloudformation:DescribeStacks', status: 429, count: 1_000_000, when: () => cfn.stackOf('Settings').status === 'ROLLBACK_IN_PROGRESS' });
    // The Create enables the Region and waits for it; the breaker fails once it has. The handler retries
    // DescribeStacks until its invocation's deadline: time runs faster for the rollback's Delete.
    const enabled = waiterPolled().then(() => {
      process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(FAST_TIME_SCALE);
    });

    const { output, result } = await captureConsole(() =>
      cfn.deploy(regionStack({ removalPolicy: RemovalPolicy.DESTROY }, { breaker: 'after' }), { breakResources: { [BREAKER]: { when: enabled } } }));

    expect(result?.status).toBe('ROLLBACK_COMPLETE');
    expect(result?.failures.map(f => f.logicalId)).toEqual([BREAKER]);
    expect(aws.callsOf('cloudformation:DescribeStacks').filter(c => c.errorType === 'Throttling').length).toBeGreaterThan(1);
    expect(aws.callsOf('EnableRegion')).toHaveLength(1);
    expect(aws.callsOf('DisableRegion')).toHaveLength(0);
    expect(statusOf()).toBe('ENABLED');
    expect(output).toContain('left as it is: cannot tell whether the stack is rolling back (cloudformation:DescribeStacks failed: Throttling');
  });

  test('an update to enabled: false fails with a clear message instead of disabling', async () => {
    await cfn.deploy(regionStack());
    expect(statusOf()).toBe('ENABLED');
    process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(FAST_TIME_SCALE);
    // DescribeStacks fails (5xx) for as long as the update is in progress, longer than the handler may retry.
    aws.injectFault({ operation: 'cloudformation:DescribeStacks', status: 500, count: 1_000_000, when: () => cfn.stackOf('Settings').status === 'UPDATE_IN_PROGRESS' });

    const result = await cfn.deploy(regionStack({ enabled: false }));

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(result.failures[0].reason).toBe(failedWith(`DisableRegion for the Region ${REGION} of account ${MEMBER} was not requested: `
      + 'it cannot be told whether the stack is rolling back (cloudformation:DescribeStacks failed: InternalFailure: Internal failure); deploy again'));
    expect(aws.callsOf('DisableRegion')).toHaveLength(0);
    expect(statusOf()).toBe('ENABLED');
  });
});

test('handler logs name the Region and the account, and nothing else', async () => {
  const allowed = ['requestType', 'setting', 'accountId', 'operation', 'outcome', 'physicalResourceId', 'error', 'status'];
  const { output, error } = await captureConsole(async () => {
    aws.injectFault({ operation: 'GetRegionOptStatus', status: 429, count: 1 });
    // EnableRegion is refused until the request has deferred it to the waiter.
    aws.injectFault({ operation: 'EnableRegion', status: 429, count: 1_000_000 });
    void aws.nextCall(c => c.operation === 'states:StartExecution').then(() => aws.clearFaults());
    await cfn.deploy(regionStack({ removalPolicy: RemovalPolicy.DESTROY }));
    await cfn.deploy(regionStack({ removalPolicy: RemovalPolicy.DESTROY, waitForCompletion: false }));
    await cfn.destroy('Settings');
  });

  expect(error).toBeUndefined();
  expect(statusOf()).toBe('DISABLED');
  const all = output.split('\n').filter(Boolean).map(line => JSON.parse(line) as Record<string, unknown>);
  // The stack's deletion empties the provider's response store, which names no Region.
  expect(all.filter(line => line.setting === 'Region response store')).toEqual([{ requestType: 'Delete', setting: 'Region response store', outcome: 'emptied' }]);
  const lines = all.filter(line => line.setting !== 'Region response store');
  expect(lines.length).toBeGreaterThan(3);
  expect(lines.map(line => line.outcome)).toEqual(expect.arrayContaining(['deferred to the next poll', 'waiting', 'complete']));
  for (const line of lines) {
    expect(line).toMatchObject({ setting: `Region ${REGION}`, accountId: MEMBER });
    expect(allowed).toEqual(expect.arrayContaining(Object.keys(line)));
  }
  // Nothing of the request itself: not its pre-signed ResponseURL, its ids or its properties.
  for (const secret of ['cloudformation-response', 'ResponseURL', 'RequestId', 'arn:aws:', 'ServiceToken']) expect(output).not.toContain(secret);
});

/** A string as a literal part of a regular expression. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
