/*
 * OrganizationBaseline: executions end, and a removal finishes or says so (issue 14). Stacks are deployed
 * and deleted by the local CloudFormation, the organization function's bundle answers it, and the stack's
 * state machine runs the reconciler, as in organization-lifecycle-*.test.ts (whose set-up this copies, for
 * an organization of 12 member accounts).
 *
 * What local/ models here, and how: a service control policy that denies the reconciler's Region reads is
 * an injected fault (403 AccessDeniedException on GetRegionOptStatus, for one account, as AWS answers an
 * explicit deny; local/ evaluates no IAM); a closed account is SUSPENDED in Organizations, and the Account
 * API refuses every call naming it with AccessDeniedException, as AWS does. Region transitions last until a
 * test settles them, and a removal that cannot finish in time is held by DeleteAlternateContact being
 * throttled for some accounts until the test lifts it: nothing races the wall clock but the 55-minute
 * answer itself, which has 5 minutes of the scale (1.5 s) of margin before CloudFormation's hour.
 */
import { Duration, Stack, Stage } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type { GenerationEvent } from '../lambda/organization/events';
import type { ReconcileState } from '../lambda/organization/reconcile';
import { ExecutionRecord, LocalAws, LocalCloudFormation, scaledQuotas } from '../local';
import { Local, MANAGEMENT, stackOf, startLocal, stopLocal } from './support';
import { AlternateContactDetails, DeployWaitsFor, OrganizationBaseline, OrganizationBaselineProps } from '../src';
import { BASELINE_EVENTS } from '../src/contract';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const TIME_SCALE = 50;
const MEMBERS = Array.from({ length: 12 }, (_, i) => String(200000000000 + i));
const STACK = 'Settings';
const REGION = 'af-south-1';

jest.setTimeout(120_000);

let local: Local;
let aws: LocalAws;
let cfn: LocalCloudFormation;
let marks = { executions: 0, events: 0, responses: 0 };

beforeAll(async () => {
  local = await startLocal({ memberAccountIds: MEMBERS, rateQuotas: scaledQuotas(TIME_SCALE) }, TIME_SCALE);
  aws = local.aws;
});

afterAll(async () => {
  await stopLocal(local);
});

beforeEach(() => {
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(TIME_SCALE);
  aws.rateQuotas = scaledQuotas(TIME_SCALE);
  aws.regionTransitionMs = 0;
  aws.stepFunctions.waitMs = 10;
  aws.clearCalls();
  aws.clearFaults();
  for (const id of MEMBERS) {
    aws.members.add(id);
    aws.setAccountStatus(id, 'ACTIVE');
  }
  for (const account of aws.accounts.values()) {
    account.alternateContacts.clear();
    for (const [regionName, state] of account.regions) {
      if (state.status !== 'ENABLED_BY_DEFAULT') aws.setRegionStatus(account.id, regionName, 'DISABLED');
    }
  }
  aws.s3.buckets.clear();
  cfn = new LocalCloudFormation(aws);
  marks = { executions: aws.stepFunctions.executions.length, events: aws.eventBus.events.length, responses: aws.cloudFormation.responses.length };
});

afterEach(async () => {
  aws.clearFaults();
  settleAllRegions();
  await aws.stepFunctions.settled();
  await aws.lambda.settled();
});

function contact(label: string): AlternateContactDetails {
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, '.');
  return { name: `${label} Desk`, title: `${label} Lead`, emailAddress: `${slug}@example.com`, phoneNumber: '+1 (206) 555-0100' };
}

const SECURITY = contact('Security Operations');
const BILLING = contact('Accounts Payable');

function baselineStack(props: OrganizationBaselineProps): Stack {
  return stackOf(stack => new OrganizationBaseline(stack, 'Baseline', props));
}

function templateOf(stack: Stack): { Resources: Record<string, Json> } {
  return Stage.of(stack)!.synth().getStackArtifact(stack.artifactId).template;
}

function baselineLogicalId(stack: Stack): string {
  return Object.keys(templateOf(stack).Resources).find(l => /^Baseline[0-9A-F]{8}$/.test(l))!;
}

function resolve(value: Json): Json {
  if (typeof value === 'string') return value;
  if (value.Ref === 'AWS::StackId') return cfn.stackOf(STACK).stackId;
  if (value.Ref) return cfn.resource(STACK, value.Ref)!.attributes.Ref ?? cfn.resource(STACK, value.Ref)!.physicalId;
  if (value['Fn::GetAtt']) return cfn.resource(STACK, value['Fn::GetAtt'][0])!.attributes[value['Fn::GetAtt'][1]];
  if (value['Fn::Join']) return (value['Fn::Join'][1] as Json[]).map(resolve).join(value['Fn::Join'][0]);
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

/** Runs the baseline's schedule once, as its rule would (the function invoked with the rule's Input), and waits for what it started. */
async function scheduledRun(stack: Stack): Promise<void> {
  const [, rule] = Object.entries(templateOf(stack).Resources)
    .find(([logicalId, resource]) => resource.Type === 'AWS::Events::Rule' && /Reconcile[0-9A-F]{8}$/.test(logicalId))!;
  const target = rule.Properties.Targets[0];
  await aws.lambda.invoke(resolve(target.Arn), JSON.parse(resolve(target.Input)));
  await aws.stepFunctions.settled();
}

function executionsSince(): ExecutionRecord[] {
  return aws.stepFunctions.executions.slice(marks.executions);
}

function stateOf(execution: ExecutionRecord): ReconcileState {
  return JSON.parse(execution.output ?? execution.input);
}

function eventsSince(): Array<GenerationEvent & { detailType: string }> {
  return aws.eventBus.events.slice(marks.events).map(e => ({ ...JSON.parse(e.Detail), detailType: e.DetailType }));
}

/** The answers to the baseline's requests since the test began (or since the `since`-th answer). */
function answersTo(stack: Stack, since = marks.responses) {
  const logicalId = baselineLogicalId(stack);
  return aws.cloudFormation.responses.slice(since).filter(r => r.LogicalResourceId === logicalId);
}

function settleAllRegions(): void {
  for (const account of aws.accounts.values()) {
    for (const [regionName, state] of account.regions) {
      if (state.status === 'ENABLING' || state.status === 'DISABLING') aws.accountApi.settleRegion(account.id, regionName);
    }
  }
}

describe('a Region whose reads keep failing stops being polled', () => {
  const [STAYS, ALSO_STAYS, CLOSED, DENIED] = MEMBERS;
  const ACCOUNTS = [STAYS, ALSO_STAYS, CLOSED, DENIED];

  /**
   * Deploys `props` over ACCOUNTS, enabling REGION; once every account's transition has started (ENABLING
   * until settled), CLOSED is closed and a service control policy denies DENIED's reads; then the other
   * two transitions end. Returns what the deploy returned.
   */
  async function closeAndDenyWhileEnabling(props: Partial<OrganizationBaselineProps>) {
    aws.regionTransitionMs = Infinity;
    const stack = baselineStack({ accountIds: ACCOUNTS, alternateContacts: { security: SECURITY }, enabledRegions: [REGION], ...props });
    const requested = Promise.all(ACCOUNTS.map(id => aws.nextCall(c => c.operation === 'EnableRegion' && c.status === 200 && c.target === id)));
    const deploying = cfn.deploy(stack);
    await requested;
    aws.setAccountStatus(CLOSED, 'SUSPENDED');
    aws.injectFault({
      operation: 'GetRegionOptStatus',
      status: 403,
      errorType: 'AccessDeniedException',
      count: Infinity,
      when: body => body.AccountId === DENIED,
      message: `User: arn:aws:sts::${MANAGEMENT}:assumed-role/handler is not authorized to perform: account:GetRegionOptStatus with an explicit deny in a service control policy`,
    });
    aws.accountApi.settleRegion(STAYS, REGION);
    aws.accountApi.settleRegion(ALSO_STAYS, REGION);
    return { stack, result: await deploying };
  }

  test('an account closed and one denied while ENABLING: the execution ends, one Region failed and one skipped, and the schedule runs again', async () => {
    const { stack, result } = await closeAndDenyWhileEnabling({ reconcileSchedule: events.Schedule.rate(Duration.hours(12)) });
    expect(result.status).toBe('CREATE_COMPLETE');
    // The test settles nothing more: the execution ends by itself.
    await aws.stepFunctions.settled();

    const [execution] = executionsSince();
    expect(execution.status).toBe('SUCCEEDED');
    const regions = stateOf(execution).Regions;
    expect(regions).toMatchObject({ inFlight: [], enabled: 4, failed: 1, skipped: 1 });
    expect(regions.failures).toEqual([{ accountId: DENIED, reason: expect.stringContaining(`GetRegionOptStatus for the Region ${REGION} of account ${DENIED}`) }]);
    expect(regions.skips).toEqual([{ accountId: CLOSED, reason: `Region ${REGION}: the account is closed` }]);
    // The denied Region was read a few times (20 s apart), not for ever.
    expect(aws.callsOf('GetRegionOptStatus').filter(c => c.accountIdParameter === DENIED && c.status === 403)).toHaveLength(3);
    expect(eventsSince()).toEqual([expect.objectContaining({ detailType: BASELINE_EVENTS.failed, regions: { enabled: 4, failed: 1, skipped: 1 } })]);

    // The schedule is not blocked by a generation "still converging": its run starts, and ends too.
    await scheduledRun(stack);
    const runs = executionsSince();
    expect(runs).toHaveLength(2);
    expect(runs[1].name).toMatch(/-s[0-9a-z]+$/);
    expect(runs[1].status).toBe('SUCCEEDED');
    expect(stateOf(runs[1]).Regions).toMatchObject({ inFlight: [], enabled: 0, failed: 1, skipped: 1 });
  });

  test('a deploy that waits for everything fails, naming the Region that failed (and not the closed account\'s)', async () => {
    const { stack, result } = await closeAndDenyWhileEnabling({ deployWaitsFor: DeployWaitsFor.EVERYTHING });

    expect(result.status).toBe('ROLLBACK_COMPLETE');
    const [answer] = answersTo(stack);
    expect(answer).toMatchObject({ Status: 'FAILED', awaited: true });
    expect(answer.Reason).toMatch(new RegExp(`^The organization baseline's Regions failed \\(1\\) in account\\(s\\) ${DENIED}\\. `));
    expect(answer.Reason).toContain(`GetRegionOptStatus for the Region ${REGION} of account ${DENIED}`);
    expect(answer.Reason).toContain('Regions: 4 enabled, 0 in progress, 1 failed, 1 skipped');
    expect(answer.Reason).not.toContain(CLOSED);
    // Ended (the rollback's Delete may stop it between its answer and its end).
    await aws.stepFunctions.settled();
    expect(['SUCCEEDED', 'ABORTED']).toContain(executionsSince()[0].status);
  });
});

describe('removeAlternateContactsOnDelete: the removal finishes or says so', () => {
  /** 55 minutes in 16.5 s; CloudFormation's hour in 18 s. */
  const REMOVAL_SCALE = 200;
  const TARGETS = MEMBERS.slice(0, 10);
  /** Their DeleteAlternateContact is throttled until the test lifts it: the removal cannot finish before its answer is due. */
  const HELD = TARGETS.slice(5);

  test('a removal not done in time fails the stack\'s deletion saying how far it got, and deleting again resumes it to the end', async () => {
    const stack = baselineStack({
      accountIds: TARGETS, alternateContacts: { security: SECURITY, billing: BILLING }, removeAlternateContactsOnDelete: true,
    });
    expect((await cfn.deploy(stack)).status).toBe('CREATE_COMPLETE');
    await aws.stepFunctions.settled();
    for (const id of TARGETS) expect(Object.keys(Object.fromEntries(aws.account(id).alternateContacts)).sort()).toEqual(['BILLING', 'SECURITY']);
    const bucket = resolve(templateOf(stack).Resources[baselineLogicalId(stack)].Properties.Store);

    process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(REMOVAL_SCALE);
    aws.rateQuotas = scaledQuotas(REMOVAL_SCALE);
    aws.injectFault({ operation: 'DeleteAlternateContact', status: 429, count: Infinity, when: body => HELD.includes(String(body.AccountId)) });
    aws.clearCalls();
    const deleting = aws.cloudFormation.responses.length;
    const first = await cfn.destroy(STACK);

    // The Delete was answered FAILED before the hour, saying how far the removal got and what to do.
    expect(first.status).toBe('DELETE_FAILED');
    const [failed] = answersTo(stack, deleting);
    expect(failed).toMatchObject({ Status: 'FAILED', awaited: true });
    expect(failed.Reason).toMatch(/^The removal of the organization baseline's alternate contacts is not done: 5 of 10 accounts done \(5 removed, /);
    expect(failed.Reason).toMatch(/delete the stack \(or deploy without the baseline\) again to resume it/);
    const at = (status: string) => first.events.find(e => e.logicalId === baselineLogicalId(stack) && e.status === status)!.at;
    const minutes = ((at('DELETE_FAILED') - at('DELETE_IN_PROGRESS')) * REMOVAL_SCALE) / 60_000;
    expect(minutes).toBeGreaterThanOrEqual(55);
    expect(minutes).toBeLessThan(60);
    // Nothing the removal needs was deleted: the store (with the baseline's record), the function and the state machine.
    expect([...aws.s3.buckets.get(bucket)!.keys()].some(key => key.includes('/generations/'))).toBe(true);
    const kept = [...cfn.stackOf(STACK).resources.values()].map(r => r.ResourceType);
    expect(kept).toEqual(expect.arrayContaining(['AWS::S3::Bucket', 'AWS::Lambda::Function', 'AWS::StepFunctions::StateMachine']));
    for (const id of TARGETS) expect(aws.account(id).alternateContacts.size).toBe(HELD.includes(id) ? 2 : 0);
    const firstExecution = executionsSince().at(-1)!;
    expect(firstExecution.status).toBe('RUNNING'); // it goes on: still held

    // Deleting again resumes the removal; the hold is lifted once the resuming execution has started.
    const resuming = aws.nextCall(c => c.operation === 'states:StartExecution');
    const again = cfn.destroy(STACK);
    await resuming;
    aws.clearFaults();
    aws.clearCalls();
    const second = await again;
    await aws.stepFunctions.settled();

    expect(second.status).toBe('DELETE_COMPLETE');
    expect(answersTo(stack, deleting).slice(1)).toEqual([expect.objectContaining({ Status: 'SUCCESS', awaited: true })]);
    for (const id of TARGETS) expect(Object.fromEntries(aws.account(id).alternateContacts)).toEqual({});
    // Resumed, not started over: the accounts done before were not asked again.
    const deletes = aws.callsOf('DeleteAlternateContact');
    expect(new Set(deletes.map(c => c.accountIdParameter))).toEqual(new Set(HELD));
    expect(['ABORTED', 'SUCCEEDED']).toContain(firstExecution.status); // stopped, or ended by itself on seeing the newer generation
    const resumed = executionsSince().at(-1)!;
    expect(resumed.status).toBe('SUCCEEDED');
    expect(stateOf(resumed).Counts).toEqual({ applied: 10, unchanged: 0, skipped: 0, failed: 0 });
    expect(aws.s3.buckets.has(bucket)).toBe(false);
  });

  test('a removal that finished after its Delete was answered lets the next Delete succeed at once', async () => {
    const stack = baselineStack({ accountIds: TARGETS, alternateContacts: { security: SECURITY }, removeAlternateContactsOnDelete: true });
    expect((await cfn.deploy(stack)).status).toBe('CREATE_COMPLETE');
    await aws.stepFunctions.settled();

    process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(REMOVAL_SCALE);
    aws.rateQuotas = scaledQuotas(REMOVAL_SCALE);
    aws.injectFault({ operation: 'DeleteAlternateContact', status: 429, count: Infinity, when: body => HELD.includes(String(body.AccountId)) });
    expect((await cfn.destroy(STACK)).status).toBe('DELETE_FAILED');
    aws.clearFaults();
    await aws.stepFunctions.settled();
    for (const id of TARGETS) expect(aws.account(id).alternateContacts.size).toBe(0);

    aws.clearCalls();
    expect((await cfn.destroy(STACK)).status).toBe('DELETE_COMPLETE');
    expect(aws.callsOf('DeleteAlternateContact')).toEqual([]);
    expect(aws.callsOf('states:StartExecution')).toEqual([]);
    expect(answersTo(stack).map(a => a.Status)).toEqual(['SUCCESS', 'FAILED', 'SUCCESS']); // the Create's, then the two Deletes'
  });
});
