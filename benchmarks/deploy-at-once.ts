/*
 * A stack of 50, 150 and 300 alternate contacts of member accounts deployed at once, as CloudFormation
 * starts them, under the reference's quotas applied to the calling account: this library's
 * AlternateContact against the same stack written with one AwsCustomResource per setting (what a user
 * would pick instead). Both deployed by the local CloudFormation (local/deployment.ts), their functions
 * run by the local Lambda: the library's bundle, and aws-cdk-lib's own AwsCustomResource handler.
 * Per N and side: wall time of the whole deploy against the quota-bound minimum, calls, throttled calls,
 * failed resources and the stack's final status.
 */
import * as os from 'os';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { declareWithAwsCustomResource, redirectAnswers } from './aws-custom-resource';
import { CONTACTS, MANAGEMENT, Setting, settings, TYPES } from './deploy-settings';
import { machine, median, quick, quietly, Section, summarize, table } from './stats';
import { DeployResult, LocalAws, LocalCloudFormation, REFERENCE_RATE_QUOTAS, scaledQuotas } from '../local';
import { AlternateContact } from '../src';

/** BENCH_DEPLOY_SIZES=300 and BENCH_DEPLOY_RUNS=1 narrow a run down while working on it. */
const SIZES = process.env.BENCH_DEPLOY_SIZES?.split(',').map(Number) ?? (quick() ? [30] : [50, 150, 300]);
/** Runs per N and side (the AwsCustomResource side fails within seconds, so it gets as many as the library). */
const RUNS = Number(process.env.BENCH_DEPLOY_RUNS ?? (quick() ? 1 : 3));
/**
 * How much faster time runs for the library's side (its handlers' delays and pacing, the quotas' rates,
 * the local services' timeouts); BENCH_DEPLOY_TIME_SCALE changes it. Small, because what the simulation
 * itself costs does not shrink with it: loading one execution environment per concurrent invocation, one
 * after the other in this process (measured, shown as start-up), and the handlers' CPU time, which all
 * environments share here.
 */
const TIME_SCALE = Number(process.env.BENCH_DEPLOY_TIME_SCALE ?? '2');
/** The targets: the stack finishes within this multiple of the quota-bound minimum… */
const TARGET_RATIO = 1.1;
/** …with at most this share of its Account Management calls answered 429… */
const TARGET_THROTTLED = 0.1;
/** …and a setting changed alone in the deployed stack is answered within this many seconds (at real time). */
const TARGET_ONE_CHANGE_S = 2;
const PUT_RATE = REFERENCE_RATE_QUOTAS.PutAlternateContact.rate;
const PUT_BURST = REFERENCE_RATE_QUOTAS.PutAlternateContact.burst;
/** A change of the contacts' titles: of every one (an Update of every setting), or of the first one only. */
interface Change {
  readonly suffix: string;
  readonly which: 'every' | 'first';
}

function declareWithLibrary(stack: Stack, list: Setting[], change?: Change): void {
  list.forEach((s, i) => {
    const contact = CONTACTS[s.type];
    const changed = change && (change.which === 'every' || i === 0);
    new AlternateContact(stack, s.id, { accountId: s.accountId, type: s.type, ...contact, title: `${contact.title}${changed ? change.suffix : ''}` });
  });
}

interface Side {
  readonly name: string;
  readonly key: string;
  /** The time scale the side runs at. */
  readonly scale: number;
  readonly declare: (stack: Stack, list: Setting[], change?: Change) => void;
  /** Whether a completed stack is then updated: one setting, then every setting at once. */
  readonly update: boolean;
}

const SIDES: Side[] = [
  { name: 'cdk-account-management (AlternateContact)', key: 'Library', scale: TIME_SCALE, declare: declareWithLibrary, update: true },
  { name: 'AwsCustomResource, one per setting', key: 'AwsCustomResource', scale: 1, declare: declareWithAwsCustomResource, update: false },
];

interface RunFigures {
  /** From the stack's first event to its last (synthesis excluded), ms. */
  readonly wallMs: number;
  readonly puts: number;
  readonly throttled: number;
  /** The handlers' CloudFormation reads, by operation, and how many were throttled. */
  readonly reads: Record<string, number>;
  readonly readsThrottled: number;
  readonly failed: number;
  readonly cancelled: number;
  /** Contacts present in the accounts once every invocation has ended. */
  readonly written: number;
  readonly status: string;
  /** From the first custom resource's start to the start of the last of the first N invocations: the simulation's start-up, ms. */
  readonly startupMs: number;
  /** The same stack deployed again with every setting changed, when the first deploy completed. */
  readonly update?: UpdateFigures;
  /** The same stack deployed again with one setting changed (before the update of every setting). */
  readonly oneChange?: OneChangeFigures;
}

interface OneChangeFigures {
  /** From the resource's UPDATE_IN_PROGRESS to its UPDATE_COMPLETE, ms. */
  readonly answeredMs: number;
  readonly reads: number;
}

/** The handlers' CloudFormation reads (not their answers), by operation, and how many CloudFormation throttled. */
function cloudFormationReads(aws: LocalAws): { reads: Record<string, number>; throttled: number } {
  const reads: Record<string, number> = {};
  const calls = aws.calls.filter(c => c.operation.startsWith('cloudformation:') && c.operation !== 'cloudformation:Response');
  for (const call of calls) reads[call.operation] = (reads[call.operation] ?? 0) + 1;
  return { reads, throttled: calls.filter(c => c.errorType === 'Throttling').length };
}

interface UpdateFigures {
  /** From the stack's first event to its last, ms (the environments are warm: no start-up). */
  readonly wallMs: number;
  /** The handlers' CloudFormation reads, by operation. */
  readonly reads: Record<string, number>;
  readonly throttled: number;
  readonly puts: number;
  readonly status: string;
}

/** Deploys the stack with the functions' logging silenced, and waits for every invocation to end: cancelled requests' functions run on, and still call the API. */
async function deployAndSettle(cfn: LocalCloudFormation, aws: LocalAws, stack: Stack): Promise<DeployResult> {
  return quietly(async () => {
    const deployed = await cfn.deploy(stack);
    await aws.lambda.settled();
    return deployed;
  });
}

async function deployOnce(aws: LocalAws, side: Side, n: number, run: number): Promise<RunFigures> {
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(side.scale);
  aws.rateQuotas = scaledQuotas(side.scale); // full buckets, as after a quiet while
  aws.clearCalls();
  aws.cloudFormation.responses.length = 0;
  aws.lambda.invocations.length = 0;
  for (const account of aws.accounts.values()) account.alternateContacts.clear();

  // A new stack (and so new functions, with cold environments) for every run.
  const stack = new Stack(new App(), `DeployAtOnce${side.key}${n}Run${run}`, { env: { account: MANAGEMENT, region: 'us-east-1' } });
  side.declare(stack, settings(n));
  const cfn = new LocalCloudFormation(aws);
  const result = await deployAndSettle(cfn, aws, stack);

  const wallMs = result.events[result.events.length - 1].at - result.events[0].at;
  const custom = new Set(stack.node.findAll()
    .filter((c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType.startsWith('Custom::'))
    .map(c => stack.getLogicalId(c)));
  const customStarts = result.events.filter(e => e.status === 'CREATE_IN_PROGRESS' && custom.has(e.logicalId)).map(e => e.at);
  const firstWave = [...aws.lambda.invocations].sort((a, b) => a.startedAt - b.startedAt).slice(0, n);
  const startupMs = Math.max(...firstWave.map(i => i.startedAt)) - Math.min(...customStarts);
  const puts = aws.callsOf('PutAlternateContact');
  const written = [...aws.accounts.values()].reduce((sum, account) => sum + account.alternateContacts.size, 0);
  // Every invocation answers CloudFormation once (an answer CloudFormation no longer waits for is recorded too).
  const answers = aws.cloudFormation.responses.length;
  if (answers !== aws.lambda.invocations.length) {
    throw new Error(`${side.name}, ${n} settings: ${aws.lambda.invocations.length} invocations but ${answers} answers to CloudFormation`);
  }
  const functions = new Set(aws.lambda.invocations.map(i => i.functionArn));
  const { reads, throttled: readsThrottled } = cloudFormationReads(aws);
  const completed = side.update && result.status === 'CREATE_COMPLETE';
  const oneChange = completed ? await updateOneSetting(aws, side, n, stack.stackName, cfn) : undefined;
  const update = completed ? await updateEverySetting(aws, side, n, stack.stackName, cfn) : undefined;
  // Leave nothing running or loaded for the next run.
  for (const arn of functions) aws.lambda.unregister(arn);
  return {
    update,
    oneChange,
    wallMs,
    puts: puts.length,
    throttled: puts.filter(c => c.status === 429).length,
    reads,
    readsThrottled,
    failed: result.failures.length,
    cancelled: result.events.filter(e => e.reason?.endsWith('cancelled')).length,
    written,
    status: result.status,
    startupMs,
  };
}

/** The deployed stack again with every contact's title changed: N Updates at once, as a change of a shared value makes. */
async function updateEverySetting(aws: LocalAws, side: Side, n: number, stackName: string, cfn: LocalCloudFormation): Promise<UpdateFigures> {
  aws.rateQuotas = scaledQuotas(side.scale);
  aws.clearCalls();
  aws.cloudFormation.responses.length = 0;
  aws.lambda.invocations.length = 0;
  const stack = new Stack(new App(), stackName, { env: { account: MANAGEMENT, region: 'us-east-1' } });
  side.declare(stack, settings(n), { suffix: ' (updated)', which: 'every' });
  const result = await deployAndSettle(cfn, aws, stack);
  const { reads } = cloudFormationReads(aws);
  const puts = aws.callsOf('PutAlternateContact');
  return {
    wallMs: result.events[result.events.length - 1].at - result.events[0].at,
    reads,
    throttled: puts.filter(c => c.status === 429).length,
    puts: puts.length,
    status: result.status,
  };
}

/** The deployed stack again with the first contact's title changed: one Update, which must not wait for a crowd. */
async function updateOneSetting(aws: LocalAws, side: Side, n: number, stackName: string, cfn: LocalCloudFormation): Promise<OneChangeFigures> {
  aws.rateQuotas = scaledQuotas(side.scale);
  aws.clearCalls();
  const stack = new Stack(new App(), stackName, { env: { account: MANAGEMENT, region: 'us-east-1' } });
  side.declare(stack, settings(n), { suffix: ' (changed alone)', which: 'first' });
  const result = await deployAndSettle(cfn, aws, stack);
  const changed = result.events.filter(e => e.status.startsWith('UPDATE_') && e.logicalId !== stackName);
  const began = changed.find(e => e.status === 'UPDATE_IN_PROGRESS');
  const ended = changed.find(e => e.status === 'UPDATE_COMPLETE');
  if (result.status !== 'UPDATE_COMPLETE' || !began || !ended || new Set(changed.map(e => e.logicalId)).size !== 1) {
    throw new Error(`${side.name}, ${n} settings: the update of one setting ended ${result.status} with ${changed.length} resource events`);
  }
  const { reads } = cloudFormationReads(aws);
  return { answeredMs: ended.at - began.at, reads: Object.values(reads).reduce((a, b) => a + b, 0) };
}

const READ_OPERATIONS = ['DescribeStackResource', 'DescribeStacks', 'DescribeStackEvents'];

/** Reads by operation, in READ_OPERATIONS' order: "300 + 300 + 0". */
function readColumn(reads: Array<Record<string, number>>): string {
  const known = READ_OPERATIONS.map(operation => summarize(reads.map(r => r[`cloudformation:${operation}`] ?? 0))).join(' + ');
  const others = reads.map(r => Object.entries(r).filter(([op]) => !READ_OPERATIONS.includes(op.replace('cloudformation:', '')))
    .reduce((sum, [, count]) => sum + count, 0));
  return Math.max(...others) > 0 ? `${known} + ${summarize(others)} other` : known;
}

/** A share as a percentage: "4.2 %". */
const percent = (part: number, whole: number) => `${whole === 0 ? '0.0' : ((100 * part) / whole).toFixed(1)} %`;

/** The updates' columns: one setting changed (answered after, at real time), then every setting (time, reads, 429s, status). */
function updateColumns(runs: RunFigures[], scale: number): string[] {
  const ones = runs.map(r => r.oneChange).filter((u): u is OneChangeFigures => u !== undefined);
  const updates = runs.map(r => r.update).filter((u): u is UpdateFigures => u !== undefined);
  if (updates.length === 0) return ['—', '—', '—', '—', '—'];
  return [
    `${summarize(ones.map(u => (u.answeredMs / 1000) * scale), 2)} (${summarize(ones.map(u => u.reads))} reads)`,
    summarize(updates.map(u => (u.wallMs / 1000) * scale), 0),
    readColumn(updates.map(u => u.reads)),
    `${summarize(updates.map(u => u.throttled))} of ${summarize(updates.map(u => u.puts))} (${percent(median(updates.map(u => u.throttled)), median(updates.map(u => u.puts)))})`,
    tally(updates.map(u => u.status)),
  ];
}

/** How often each value occurs: "CREATE_COMPLETE ×3". */
function tally(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, c]) => (values.length === 1 ? v : `${v} ×${c}`)).join(', ');
}

/** The library's figures against the targets (medians). */
function verdict(n: number, runs: RunFigures[], ratios: number[], scale: number): string {
  if (ratios.length < runs.length) return `${n} settings: **not every run completed**`;
  const r = median(ratios);
  const share = median(runs.map(x => x.throttled)) / median(runs.map(x => x.puts));
  const ones = runs.map(x => x.oneChange).filter((u): u is OneChangeFigures => u !== undefined).map(u => (u.answeredMs / 1000) * scale);
  const one = ones.length > 0 ? median(ones) : undefined;
  return `${n} settings: ${r.toFixed(2)}× the minimum (${r <= TARGET_RATIO ? 'within' : '**over**'} ${TARGET_RATIO}×), `
    + `${(100 * share).toFixed(1)} % of PutAlternateContact answered 429 (${share <= TARGET_THROTTLED ? 'within' : '**over**'} ${100 * TARGET_THROTTLED} %)`
    + (one === undefined ? '' : `, one setting changed alone answered after ${one.toFixed(2)} s (${one <= TARGET_ONE_CHANGE_S ? 'within' : '**over**'} ${TARGET_ONE_CHANGE_S} s)`);
}

/**
 * The library before issue 18's schedule (commit bf1b8a4: every request tried at once and retried with
 * jitter), measured by this benchmark on the same machine (1 run per N), as the columns of the table.
 */
const BEFORE: Record<number, Array<string | number>> = {
  50: ['before: cdk-account-management at bf1b8a4', '1 at 2×', '9.1', '2.0', 14, 10, '1.41', 146, '96 (65.8 %)', '185 in all (0 throttled)', 0, 0, 50, 'CREATE_COMPLETE',
    '—', 16, '100 + 50 + 0', '—', 'UPDATE_COMPLETE'],
  150: ['before: cdk-account-management at bf1b8a4', '1 at 2×', '24.4', '6.8', 35, 30, '1.18', 998, '848 (85.0 %)', '417 in all (0 throttled)', 0, 0, 150,
    'CREATE_COMPLETE', '—', 32, '320 + 150 + 0', '—', 'UPDATE_COMPLETE'],
  300: ['before: cdk-account-management at bf1b8a4', '1 at 2×', '48.0', '12.0', 72, 60, '1.20', 3603, '3303 (91.7 %)', '1289 in all (0 throttled)', 0, 0, 300,
    'CREATE_COMPLETE', '—', 104, '1117 + 300 + 0', '—', 'UPDATE_COMPLETE'],
};

export async function deployAtOnceBenchmark(): Promise<Section> {
  const accounts = Math.ceil(Math.max(...SIZES) / TYPES.length);
  const aws = await LocalAws.start({
    managementAccountId: MANAGEMENT,
    memberAccountIds: Array.from({ length: accounts }, (_, i) => String(200000000000 + i)),
  });
  aws.useForSdkClients();
  const restore = redirectAnswers(aws.endpoint);
  const loadBefore = os.loadavg()[0];
  const rows: Array<Array<string | number>> = [];
  const verdicts: string[] = [];
  const scaleBefore = process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
  try {
    for (const n of SIZES) {
      const minimumS = n / PUT_RATE;
      for (const side of SIDES) {
        const runs: RunFigures[] = [];
        for (let run = 0; run < RUNS; run++) runs.push(await deployOnce(aws, side, n, run));
        const wallS = runs.map(r => r.wallMs / 1000);
        // The start-up is this process loading environments one after the other, which Lambda does in
        // parallel: it is left out of the time at real quotas.
        const realS = runs.map(r => ((r.wallMs - r.startupMs) / 1000) * side.scale);
        const completed = runs.map((r, i) => (r.status === 'CREATE_COMPLETE' ? realS[i] / minimumS : undefined)).filter((r): r is number => r !== undefined);
        if (side.key === 'Library') verdicts.push(verdict(n, runs, completed, side.scale));
        if (side.key === 'Library' && BEFORE[n]) rows.push([n, ...BEFORE[n]]);
        rows.push([
          n,
          side.name,
          `${runs.length} at ${side.scale}×`,
          summarize(wallS, 1),
          summarize(runs.map(r => r.startupMs / 1000), 1),
          summarize(realS, 0),
          minimumS.toFixed(0),
          completed.length > 0 ? summarize(completed, 2) + (completed.length < runs.length ? ` (${completed.length} completed)` : '') : '— (rolled back)',
          summarize(runs.map(r => r.puts)),
          `${summarize(runs.map(r => r.throttled))} (${percent(median(runs.map(r => r.throttled)), median(runs.map(r => r.puts)))})`,
          `${readColumn(runs.map(r => r.reads))} (${summarize(runs.map(r => r.readsThrottled))} throttled)`,
          summarize(runs.map(r => r.failed)),
          summarize(runs.map(r => r.cancelled)),
          summarize(runs.map(r => r.written)),
          tally(runs.map(r => r.status)),
          ...updateColumns(runs, side.scale),
        ]);
      }
    }
  } finally {
    restore();
    if (scaleBefore === undefined) delete process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
    else process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = scaleBefore;
    await aws.close();
  }
  return {
    title: 'A stack of settings deployed at once: this library against AwsCustomResource',
    method: `One stack (env ${MANAGEMENT}/us-east-1, organizations mode) declares N alternate contacts of member accounts (BILLING, `
      + 'OPERATIONS and SECURITY of accounts 200000000000 + i). The local CloudFormation (local/deployment.ts) deploys it as AWS does: '
      + 'every custom resource starts at once (their only dependencies are the function, role and policies), each request is an '
      + 'asynchronous invocation of its service token answered by a PUT to its ResponseURL, and the first failed resource cancels the '
      + 'others and rolls the stack back. The local Account Management API enforces the reference\'s quotas per calling account '
      + `(PutAlternateContact ${PUT_RATE}/s, burst ${PUT_BURST}; every function calls as account ${MANAGEMENT}). The local Lambda runs the functions `
      + 'from the synthesized cloud assembly, one execution environment per concurrent invocation, each evaluating the code afresh '
      + '(its own SDK clients and rate limiters).\n\n'
      + '**This library**: AlternateContact, its bundle answering CloudFormation itself. The requests of one deploy share the quota by '
      + 'a schedule each computes alone (lambda/shared/schedule.ts): its rank among the settings of the operation that the deploy began, '
      + 'from its resource\'s Metadata (read by the DescribeStackResource that confirms the request) while the stack is created, from the '
      + 'stack\'s newest events during an update; it calls rank ÷ rate after it started. One that starts, or whose wait ends, a slot or '
      + 'more after its slot calls at once among the first ranks (the burst less 2), else in a lane after the crowd\'s last slot, one '
      + 'slot per rank at 0.8 of the quota; a throttled call is retried there or after the crowd\'s end. This process runs every '
      + 'environment and the local services on one thread, so the environments\' loading and reads hold up the others\' waits and '
      + 'calls, which in AWS run apart: '
      + 'the lane takes the held-up requests, but calls issued in their slots and delivered together after such a hold-up are throttled '
      + `here. Time runs ${TIME_SCALE}× faster for it `
      + `(CDK_ACCOUNT_MANAGEMENT_TIME_SCALE=${TIME_SCALE}: the handler's backoff delays and adaptive rate limiter, the Lambda and custom-resource `
      + `timeouts) and the quotas' rates are ×${TIME_SCALE} with it (\`scaledQuotas(${TIME_SCALE})\`; a burst is a number of calls and stays ${PUT_BURST}). `
      + 'The scale is kept small because the handlers\' own CPU time is not scaled: here every environment shares one thread, where on Lambda '
      + 'each has its own.\n\n'
      + '**AwsCustomResource**: one per setting (PutAlternateContact on create and update, `installLatestAwsSdk: false`, no onDelete), '
      + 'all sharing one role with one managed policy naming each member account (the documented policy per resource, '
      + '`AwsCustomResourcePolicy.fromSdkCalls`, adds an inline policy per resource to the shared role, which IAM refuses from about '
      + '40 settings on, and puts 300 settings over 500 resources: see the synthesis section). Its function is aws-cdk-lib\'s own '
      + 'handler as staged in the cloud assembly, run by the local Lambda with `require` resolving @aws-sdk/client-account from this '
      + 'repository\'s node_modules (on Lambda: the runtime\'s SDK; here the SDK\'s modules are loaded once for the process, not once per '
      + 'environment, so its environments start faster than on Lambda). It answers CloudFormation with `https.request({ hostname, path })`, '
      + 'i.e. TLS on port 443 whatever port the ResponseURL names, which cannot reach the local endpoint: those requests alone are sent '
      + 'to it over plain HTTP; the handler is otherwise run as shipped, and every invocation\'s answer arrived (checked in every run). '
      + 'This side runs at the real quotas and in real time (scale 1): its client retries with the SDK\'s defaults (3 attempts, delays '
      + 'in real time), which the time scale cannot shorten, so scaled quotas would give each of its retries several times the quota '
      + 'it meets in AWS.\n\n'
      + `On ${machine(loadBefore)}. ${RUNS} run${RUNS === 1 ? '' : 's'} per N and side, each a new stack (new functions, cold environments) on accounts `
      + 'without contacts and with full quota buckets; median (min-max). Wall time: from the stack\'s first event to its last '
      + '(synthesis excluded, rollback included). Start-up: from the first custom resource\'s start to the start of the last of the first N '
      + 'invocations: this process loading one environment after the other before any call goes out, which Lambda does in parallel '
      + '(a real cold start, a few hundred milliseconds, is not added; the library\'s schedule runs from each request\'s own start, so the '
      + 'start-up delays its end by as much). At real quotas: (wall time − start-up) × the side\'s scale. '
      + `Quota-bound minimum: N puts at ${PUT_RATE} per second (the burst of ${PUT_BURST} would save ${(PUT_BURST / PUT_RATE).toFixed(1)} s); the ratio is `
      + 'given for deploys that completed. Calls: every request the functions made until every invocation had ended (the functions of '
      + 'cancelled requests run on); the 429 share is of the Account Management calls (PutAlternateContact). CloudFormation reads: '
      + 'the handlers\' reads, by operation (the local CloudFormation enforces no quota, so none is throttled here). Failed: resources whose function answered FAILED; '
      + 'cancelled: those CloudFormation stopped waiting for when the first one failed. Contacts written: in the accounts once every '
      + 'invocation had ended (after a rollback: what the AwsCustomResource stack leaves behind, having no onDelete).\n\n'
      + '**One setting changed**, then **every setting** (the library): the completed stack deployed again with the first contact\'s '
      + 'title changed (one Update: from its resource\'s UPDATE_IN_PROGRESS to its UPDATE_COMPLETE, at real time, and the reads it made), '
      + 'then with every contact\'s title changed, N Updates at once in warm environments (wall time at real quotas, reads, 429s). Each '
      + 'request reads its resource once (DescribeStackResource: confirms the request, and tells its status and Metadata), the stack\'s '
      + 'status (DescribeStacks), and during an update the stack\'s newest events (DescribeStackEvents, a page of 100: which '
      + 'settings this update began); these serve the check before the write unless the request waited 15 s or more for its slot, '
      + 'which then reads its resource again; a put throttled for 15 s reads it again too.\n\n'
      + 'The rows "before" are this library at commit bf1b8a4 (before the schedule: every request tried at once and was retried with '
      + 'jitter), measured on 2026-12-07 by this benchmark as it was then, on the same machine under the same load (1 run per N, time 2× '
      + 'faster; its CloudFormation reads were counted in all, and neither the change of one setting nor the update\'s 429s).\n\n'
      + `Against the issue's targets (median): ${verdicts.join('; ')}.`,
    body: table([
      'settings',
      'written with',
      'runs',
      'wall time (s, measured)',
      'of which start-up (s)',
      'wall time at real quotas (s)',
      'quota-bound minimum (s)',
      'ratio',
      'PutAlternateContact calls',
      'throttled (429)',
      'CloudFormation reads (DescribeStackResource + DescribeStacks + DescribeStackEvents)',
      'failed resources',
      'cancelled',
      'contacts written',
      'stack status',
      'one setting changed: answered after (s, real time)',
      'every setting changed: wall time at real quotas (s)',
      'every setting: CloudFormation reads',
      'every setting: throttled (429)',
      'every setting: stack status',
    ], rows),
  };
}
