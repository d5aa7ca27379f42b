/*
 * The metrics a generation publishes, read as CloudWatch would read them: the embedded-metric-format
 * documents in the reconciler's log lines of a local run (an OU whose one account a service control
 * policy denies, then a scheduled run after a contact was changed by hand).
 */
import { Stack } from 'aws-cdk-lib';
import { useSmallOrganization } from './small-organization';
import { captureConsole, MANAGEMENT, stackOf } from './support';
import { stepMetrics } from '../lambda/organization/metrics';
import { initialState } from '../lambda/organization/reconcile';
import { logWithMetrics } from '../lambda/shared/log';
import { AlternateContactDetails, DeployWaitsFor, OrganizationBaseline, OrganizationBaselineProps } from '../src';
import { METRICS } from '../src/contract';

const TIME_SCALE = 50;
const MEMBERS = Array.from({ length: 5 }, (_, i) => String(240000000000 + i));
const OU = 'ou-root-metrics0';
const [DENIED, DRIFTED] = MEMBERS;

jest.setTimeout(120_000);

const org = useSmallOrganization(MEMBERS, { [OU]: MEMBERS }, TIME_SCALE);

const SECURITY: AlternateContactDetails = { name: 'Metrics Desk', title: 'Lead', emailAddress: 'metrics@example.com', phoneNumber: '+1 206-555-0177' };

/** One EMF document of a log line: its metrics by name, with the dimension sets and units they were declared with. */
interface Emitted {
  readonly dimensions: Record<string, string>;
  readonly dimensionSets: string[][];
  readonly values: Record<string, number>;
  readonly units: Record<string, string>;
  readonly outcome: string;
}

/** The EMF documents in captured console output, checked to be well-formed as CloudWatch requires. */
function emitted(output: string): Emitted[] {
  const documents = output.split('\n').filter(line => line.includes('"_aws"')).map(line => JSON.parse(line));
  return documents.map(document => {
    const [directive] = document._aws.CloudWatchMetrics;
    expect(directive.Namespace).toBe(METRICS.namespace);
    expect(typeof document._aws.Timestamp).toBe('number');
    const dimensionSets: string[][] = directive.Dimensions;
    const names: Array<{ Name: string; Unit: string }> = directive.Metrics;
    // Every dimension and metric the directive names is a member of the document's root, as EMF requires.
    const dimensions = Object.fromEntries(dimensionSets.flat().map(name => [name, document[name]]));
    for (const value of Object.values(dimensions)) expect(typeof value).toBe('string');
    const values = Object.fromEntries(names.map(({ Name }) => [Name, document[Name]]));
    for (const value of Object.values(values)) expect(typeof value).toBe('number');
    return { dimensions, dimensionSets, values, units: Object.fromEntries(names.map(m => [m.Name, m.Unit])), outcome: document.message.outcome };
  });
}

function baselineStack(props: Partial<OrganizationBaselineProps> = {}): { stack: Stack; baseline: OrganizationBaseline } {
  let baseline: OrganizationBaseline | undefined;
  const stack = stackOf(s => {
    baseline = new OrganizationBaseline(s, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY }, ...props });
  });
  return { stack, baseline: baseline! };
}

/** Deploys (or runs) `fn` and lets every execution end, capturing what the functions logged meanwhile. */
async function run(fn: () => Promise<unknown>): Promise<string> {
  const { output, error } = await captureConsole(async () => {
    await fn();
    await org.aws.stepFunctions.settled();
  });
  expect(error).toBeUndefined();
  return output;
}

const { step, end } = METRICS;

test('each step publishes where the generation is, per baseline and generation, and its end that it failed for a denied account', async () => {
  org.aws.injectFault({ operation: 'PutAlternateContact', status: 403, errorType: 'AccessDeniedException', count: 1_000, when: body => body.AccountId === DENIED });
  const { stack, baseline } = baselineStack();

  const output = await run(() => org.cfn.deploy(stack));

  const documents = emitted(output);
  const steps = documents.filter(d => step.accountsTotal in d.values);
  const ends = documents.filter(d => end.generationFailed in d.values);
  expect(steps.length).toBeGreaterThan(0);
  expect(ends).toHaveLength(1);
  for (const document of [...steps, ...ends]) {
    expect(document.dimensions[METRICS.dimensions.baseline]).toBe(baseline.baselineId);
    expect(document.dimensionSets).toEqual([[METRICS.dimensions.baseline], [METRICS.dimensions.baseline, METRICS.dimensions.generation]]);
  }
  const last = steps[steps.length - 1];
  expect(last.values).toMatchObject({
    [step.accountsTotal]: MEMBERS.length,
    [step.accountsDone]: MEMBERS.length,
    [step.applied]: MEMBERS.length - 1,
    [step.unchanged]: 0,
    [step.skipped]: 0,
    [step.failed]: 1,
    [step.regionsInTransition]: 0,
    [step.driftUndone]: 0,
  });
  expect(last.units[step.generationAgeSeconds]).toBe('Seconds');
  expect(last.values[step.generationAgeSeconds]).toBeGreaterThanOrEqual(0);
  expect(ends[0].values).toEqual({ [end.generationConverged]: 0, [end.generationFailed]: 1 });
  // The generation the metrics name is the one the deploy made.
  const generation = last.dimensions[METRICS.dimensions.generation];
  expect(org.aws.stepFunctions.executions.some(e => e.name.endsWith(generation))).toBe(true);
});

test('a step publishes the Region transitions it waits on, and none once they have ended', async () => {
  const REGION = 'af-south-1';
  org.aws.regionTransitionMs = Infinity; // each transition waits until the test settles it
  const { stack } = baselineStack({ enabledRegions: [REGION] });

  const output = await run(async () => {
    const requested = Promise.all(MEMBERS.map(id => org.aws.nextCall(c => c.operation === 'EnableRegion' && c.status === 200 && c.target === id)));
    const deploying = org.cfn.deploy(stack);
    await requested;
    for (const id of MEMBERS) org.aws.accountApi.settleRegion(id, REGION);
    await deploying;
  });

  const inTransition = emitted(output).filter(d => step.accountsTotal in d.values).map(d => d.values[step.regionsInTransition]);
  expect(inTransition).toContain(MEMBERS.length);
  expect(inTransition[inTransition.length - 1]).toBe(0);
});

test('the calls the service throttled are counted in the step that made them', async () => {
  org.aws.injectFault({ operation: 'PutAlternateContact', status: 429, errorType: 'TooManyRequestsException', count: 3 });
  const { stack } = baselineStack();

  const documents = emitted(await run(() => org.cfn.deploy(stack))).filter(d => step.accountsTotal in d.values);

  expect(documents.reduce((sum, d) => sum + d.values[step.throttledCalls], 0)).toBe(3);
  expect(documents[documents.length - 1].values).toMatchObject({ [step.applied]: MEMBERS.length, [step.failed]: 0 });
});

test('a run that fails as a whole publishes its end as failed', async () => {
  org.aws.stepFunctions.injectTaskFault({ state: 'Step', error: 'Lambda.Unknown', cause: 'the step broke', count: 1 });
  const { stack } = baselineStack({ deployWaitsFor: DeployWaitsFor.NOTHING });

  const ends = emitted(await run(() => org.cfn.deploy(stack))).filter(d => end.generationFailed in d.values);

  expect(ends.map(d => d.values)).toEqual([{ [end.generationConverged]: 0, [end.generationFailed]: 1 }]);
  expect(ends[0].outcome).toMatch(/^generation failed/);
});

test('the metric lines hold no contact value', async () => {
  const { stack } = baselineStack();
  const output = await run(() => org.cfn.deploy(stack));
  const lines = output.split('\n').filter(line => line.includes('"_aws"'));
  expect(lines.length).toBeGreaterThan(0);
  for (const value of Object.values(SECURITY)) for (const line of lines) expect(line).not.toContain(value);
});

test('a scheduled run that puts back a contact changed by hand counts it as drift undone, and the others as unchanged', async () => {
  const { stack } = baselineStack();
  const deployed = emitted(await run(() => org.cfn.deploy(stack)));
  expect(deployed.filter(d => end.generationConverged in d.values).map(d => d.values[end.generationConverged])).toEqual([1]);
  expect(deployed.reduce((sum, d) => sum + (d.values[step.driftUndone] ?? 0), 0)).toBe(0);

  org.aws.account(DRIFTED).alternateContacts.set('SECURITY', { Name: 'By hand', Title: 'Lead', EmailAddress: 'hand@example.com', PhoneNumber: '+1 206-555-0199' });
  // The baseline's schedule, delivered as its rule would.
  const resources = [...org.cfn.stackOf('Settings').resources.values()];
  const resource = resources.find(r => r.ResourceType === 'Custom::AccountOrganizationBaseline')!;
  const handler = resources.find(r => r.ResourceType === 'AWS::Lambda::Function' && r.LogicalResourceId.startsWith('OrganizationBaselineProviderHandler'))!;
  const { BaselineId, Store } = org.cfn.resourceProperties('Settings', resource.LogicalResourceId);
  const functionArn = `arn:aws:lambda:us-east-1:${MANAGEMENT}:function:${handler.PhysicalResourceId}`;
  const scheduled = emitted(await run(() => org.aws.lambda.invoke(functionArn, { Trigger: 'schedule', BaselineId, Store })));

  const steps = scheduled.filter(d => step.accountsTotal in d.values);
  expect(steps.reduce((sum, d) => sum + d.values[step.driftUndone], 0)).toBe(1);
  expect(steps[steps.length - 1].values).toMatchObject({ [step.applied]: 1, [step.unchanged]: MEMBERS.length - 1, [step.failed]: 0 });
  expect(scheduled.filter(d => end.generationConverged in d.values).map(d => d.values[end.generationConverged])).toEqual([1]);
});

test('on Lambda with JSON logs, a metric line goes to stdout as it is, so that its _aws member is at the log event\'s root', () => {
  const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const info = jest.spyOn(console, 'info');
  const format = process.env.AWS_LAMBDA_LOG_FORMAT;
  process.env.AWS_LAMBDA_LOG_FORMAT = 'JSON';
  let lines: string[];
  try {
    logWithMetrics({ setting: 'organization baseline', outcome: 'step 1' }, {
      dimensions: { [METRICS.dimensions.baseline]: 'b1' }, dimensionSets: [[METRICS.dimensions.baseline]], counts: { [step.failed]: 2 },
    });
    lines = write.mock.calls.map(call => String(call[0]));
  } finally {
    if (format === undefined) delete process.env.AWS_LAMBDA_LOG_FORMAT;
    else process.env.AWS_LAMBDA_LOG_FORMAT = format;
    write.mockRestore();
  }
  expect(info).not.toHaveBeenCalled();
  expect(lines).toHaveLength(1);
  const line = lines[0];
  expect(line.endsWith('}\n')).toBe(true);
  expect(JSON.parse(line)).toMatchObject({
    level: 'INFO',
    message: { setting: 'organization baseline', outcome: 'step 1' },
    _aws: { CloudWatchMetrics: [{ Namespace: METRICS.namespace, Dimensions: [[METRICS.dimensions.baseline]], Metrics: [{ Name: step.failed, Unit: 'Count' }] }] },
    [METRICS.dimensions.baseline]: 'b1',
    [step.failed]: 2,
  });
});

describe('what a step publishes', () => {
  const state = (account?: string) => ({
    ...initialState({ functionArn: 'fn', executionArn: 'arn:exec:b1-g1', store: 'store', baselineId: 'b1', generation: 'g1', account }),
    Counts: { applied: 3, unchanged: 1, skipped: 0, failed: 1 },
  });

  test('a run over the targets publishes its progress, done never more than the total', () => {
    expect(stepMetrics(state(), 4, { calls: 9, throttled: 2 }, 1).counts).toEqual({
      [step.accountsDone]: 4,
      [step.accountsTotal]: 4,
      [step.applied]: 3,
      [step.unchanged]: 1,
      [step.skipped]: 0,
      [step.failed]: 1,
      [step.regionsInTransition]: 0,
      [step.throttledCalls]: 2,
      [step.driftUndone]: 1,
    });
    expect(stepMetrics({ ...state(), Phase: 'prune' }, 3, { calls: 0, throttled: 0 }, 0).counts[step.accountsDone]).toBe(3);
  });

  test('a run for one new account publishes only what the step did, not a progress that would read as the baseline\'s', () => {
    expect(stepMetrics(state('240000000009'), 1, { calls: 4, throttled: 1 }, 0).counts).toEqual({ [step.throttledCalls]: 1, [step.driftUndone]: 0 });
  });
});
