/*
 * RegionOptIn's waiter: a stack that enables N Regions of one account, deployed at once by the local
 * CloudFormation, with the stack's real waiter (its Step Functions state machine, run locally) stepping
 * the Region function between Wait states. Per N: how long after the last Region reached ENABLED its
 * resource reported complete (the detection latency, bounded by one poll interval), and the calls made.
 */
import * as os from 'os';
import { App, Stack } from 'aws-cdk-lib';
import { machine, quick, quietly, Section, summarize, table } from './stats';
import { LocalAws, LocalCloudFormation, OPT_IN_REGIONS, REFERENCE_RATE_QUOTAS, scaledQuotas } from '../local';
import { RegionOptIn } from '../src';

const MANAGEMENT = '111111111111';
const MEMBER = '200000000000';
const SIZES = quick() ? [1, 8] : [1, 6, 10];
const RUNS = quick() ? 1 : 5;
/** Time runs this much faster for the handlers and the local services; the quotas' rates are scaled with it. */
const TIME_SCALE = 50;
/** The default poll interval. */
const POLL_SECONDS = 30;
/** A transition of 2.5 minutes at real time (most take a few minutes). */
const TRANSITION_S = 150;
/** The service's limit of transitions in progress per account. */
const IN_PROGRESS_LIMIT = 6;

const scaledMs = (seconds: number) => (seconds * 1000) / TIME_SCALE;

interface RunFigures {
  /** From the moment the last Region reached ENABLED to its resource's CREATE_COMPLETE, ms. */
  readonly latencyMs: number;
  /** From the stack's first event to its last, ms. */
  readonly wallMs: number;
  readonly gets: number;
  readonly getsThrottled: number;
  readonly enables: number;
  /** EnableRegion refused while the account had IN_PROGRESS_LIMIT transitions in progress. */
  readonly refusedInProgress: number;
  /** EnableRegion refused by its rate quota. */
  readonly refusedRate: number;
  readonly stackReads: number;
  readonly invocations: number;
  readonly executions: number;
}

async function deployOnce(aws: LocalAws, n: number, run: number): Promise<RunFigures> {
  for (const regionName of OPT_IN_REGIONS) aws.setRegionStatus(MEMBER, regionName, 'DISABLED');
  aws.rateQuotas = scaledQuotas(TIME_SCALE);
  aws.clearCalls();
  aws.lambda.invocations.length = 0;
  aws.stepFunctions.executions.length = 0;
  // Transitions end at a different phase of the poll cycle in each run, as they do for real.
  const transitionMs = scaledMs(TRANSITION_S) + Math.round((run * scaledMs(POLL_SECONDS)) / RUNS);
  aws.regionTransitionMs = transitionMs;

  const stack = new Stack(new App(), `Regions${n}Run${run}`, { env: { account: MANAGEMENT, region: 'us-east-1' } });
  const regions = OPT_IN_REGIONS.slice(0, n);
  for (const regionName of regions) new RegionOptIn(stack, regionName, { regionName, accountId: MEMBER });
  const cfn = new LocalCloudFormation(aws);
  const result = await quietly(async () => {
    const deployed = await cfn.deploy(stack);
    await aws.stepFunctions.settled();
    await aws.lambda.settled();
    return deployed;
  });
  if (result.status !== 'CREATE_COMPLETE') {
    throw new Error(`${n} Regions, run ${run + 1}: the stack ended ${result.status}: ${result.failures.map(f => `${f.logicalId}: ${f.reason}`).join('; ')}`);
  }
  const notEnabled = regions.filter(r => aws.regionStatus(MEMBER, r) !== 'ENABLED');
  if (notEnabled.length > 0) throw new Error(`${n} Regions, run ${run + 1}: ${notEnabled.join(', ')} not ENABLED after the deploy`);

  // The Region that reached ENABLED last, its resource, and when the resource completed.
  const last = aws.transitions.reduce((a, b) => (b.endsAt > a.endsAt ? b : a));
  const resource = [...cfn.stackOf(stack.stackName).resources.values()].find(r => r.PhysicalResourceId === `${MEMBER}/region/${last.regionName}`);
  const completed = result.events.find(e => e.logicalId === resource?.LogicalResourceId && e.status === 'CREATE_COMPLETE');
  if (!completed) throw new Error(`no CREATE_COMPLETE for the resource of ${last.regionName}`);

  const enables = aws.callsOf('EnableRegion');
  const inProgressAt = (at: number) => aws.transitions.filter(t => t.endsAt - transitionMs <= at && at < t.endsAt).length;
  const refused = enables.filter(c => c.status === 429);
  const refusedInProgress = refused.filter(c => inProgressAt(c.at) >= IN_PROGRESS_LIMIT).length;
  const gets = aws.callsOf('GetRegionOptStatus');
  for (const arn of new Set(aws.lambda.invocations.map(i => i.functionArn))) aws.lambda.unregister(arn);
  return {
    latencyMs: completed.at - last.endsAt,
    wallMs: result.events[result.events.length - 1].at - result.events[0].at,
    gets: gets.length,
    getsThrottled: gets.filter(c => c.status === 429).length,
    enables: enables.length,
    refusedInProgress,
    refusedRate: refused.length - refusedInProgress,
    stackReads: aws.calls.filter(c => c.operation.startsWith('cloudformation:')).length,
    invocations: aws.lambda.invocations.length,
    executions: aws.stepFunctions.executions.length,
  };
}

export async function regionWaiterBenchmark(): Promise<Section> {
  const scaleBefore = process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(TIME_SCALE);
  const aws = await LocalAws.start({ managementAccountId: MANAGEMENT, memberAccountIds: [MEMBER] });
  aws.useForSdkClients();
  // The Wait states wait the poll interval, scaled.
  aws.stepFunctions.waitMs = scaledMs(POLL_SECONDS);
  const loadBefore = os.loadavg()[0];
  const rows: Array<Array<string | number>> = [];
  try {
    for (const n of SIZES) {
      const runs: RunFigures[] = [];
      for (let run = 0; run < RUNS; run++) runs.push(await deployOnce(aws, n, run));
      const last = runs[runs.length - 1];
      rows.push([
        n,
        summarize(runs.map(r => r.latencyMs)),
        summarize(runs.map(r => (r.latencyMs * TIME_SCALE) / 1000)),
        summarize(runs.map(r => r.wallMs)),
        summarize(runs.map(r => (r.wallMs * TIME_SCALE) / 60_000), 1),
        `${last.gets} Get${last.getsThrottled ? ` (${last.getsThrottled} throttled)` : ''}, ${last.enables} Enable `
          + `(${last.refusedInProgress} refused by the ${IN_PROGRESS_LIMIT}-in-progress limit, ${last.refusedRate} by the rate quota), ${last.stackReads} CloudFormation reads`,
        `${last.invocations} invocation${last.invocations === 1 ? '' : 's'}, ${last.executions} execution${last.executions === 1 ? '' : 's'}`,
      ]);
    }
  } finally {
    if (scaleBefore === undefined) delete process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
    else process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = scaleBefore;
    await aws.close();
  }
  const q = (op: string) => `${op} ${REFERENCE_RATE_QUOTAS[op].rate}/s burst ${REFERENCE_RATE_QUOTAS[op].burst}`;
  return {
    title: 'RegionOptIn: detection latency and API calls',
    method: `A stack (env ${MANAGEMENT}/us-east-1) declares N RegionOptIn resources for opt-in Regions of member account ${MEMBER}, all DISABLED, with `
      + `the default poll interval (${POLL_SECONDS} s) and timeout; the local CloudFormation deploys it (every Region's resource starts at once) and `
      + 'the local services run the stack\'s Region function (its bundle) and its waiter state machine (aws-local-stepfunctions), whose '
      + 'Wait states wait the poll interval. Time runs '
      + `${TIME_SCALE}× faster (CDK_ACCOUNT_MANAGEMENT_TIME_SCALE=${TIME_SCALE}, the Wait states ${scaledMs(POLL_SECONDS)} ms, the quotas' rates ×${TIME_SCALE}: `
      + `${q('GetRegionOptStatus')}, ${q('EnableRegion')} at real time); each transition takes ${TRANSITION_S / 60} minutes at real time `
      + `(${scaledMs(TRANSITION_S)} ms measured) plus 0-${POLL_SECONDS} s (a different phase of the poll cycle in each run), and the account `
      + `allows ${IN_PROGRESS_LIMIT} transitions in progress. On ${machine(loadBefore)}. ${RUNS} run${RUNS === 1 ? '' : 's'} per N, each a new stack; median (min-max). `
      + 'Latency: from the moment the last Region reached ENABLED to its resource\'s CREATE_COMPLETE (bounded by one poll interval plus a '
      + 'step: invoking the function, which reads the resource\'s status in CloudFormation and the Region\'s, and answers). Whole deploy: from '
      + 'the stack\'s first event to its last. "at real time" multiplies by the scale. Calls, invocations (of the Region function: one per '
      + 'request and one per step) and executions (of the waiter: one per Region that had to be waited for): of the last run. An EnableRegion '
      + `refused with TooManyRequestsException counts against the in-progress limit when the account had ${IN_PROGRESS_LIMIT} transitions in progress `
      + 'at that moment, against the rate quota otherwise; the handler asks again at the next poll.',
    body: table(['N Regions', 'latency after the last ENABLED (ms)', 'at real time (s)', 'whole deploy (ms)', 'at real time (min)', 'API calls', 'Lambda and Step Functions'], rows),
  };
}
