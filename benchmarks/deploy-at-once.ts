/*
 * A stack of 50, 150 and 300 alternate contacts of member accounts deployed at once, as CloudFormation
 * starts them, under the reference's quotas applied to the calling account: this library's
 * AlternateContact against the same stack written with one AwsCustomResource per setting (what a user
 * would pick instead). Both deployed by the local CloudFormation (local/deployment.ts), their functions
 * run by the local Lambda: the library's bundle, and aws-cdk-lib's own AwsCustomResource handler.
 * Per N and side: wall time of the whole deploy against the quota-bound minimum, calls, throttled calls,
 * failed resources and the stack's final status.
 */
import * as http from 'http';
import * as os from 'os';
import { App, Aws, CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsCustomResource, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { machine, median, quick, quietly, Section, summarize, table } from './stats';
import { LocalAws, LocalCloudFormation, REFERENCE_RATE_QUOTAS, scaledQuotas } from '../local';
import { AlternateContact, AlternateContactType } from '../src';

const MANAGEMENT = '111111111111';
/** BENCH_DEPLOY_SIZES=300 and BENCH_DEPLOY_RUNS=1 narrow a run down while working on it. */
const SIZES = process.env.BENCH_DEPLOY_SIZES?.split(',').map(Number) ?? (quick() ? [30] : [50, 150, 300]);
/** Runs per N and side (the AwsCustomResource side fails within seconds, so it gets as many as the library). */
const RUNS = Number(process.env.BENCH_DEPLOY_RUNS ?? (quick() ? 1 : 3));
/**
 * How much faster time runs for the library's side (its handlers' delays and pacing, the quotas' rates,
 * the local services' timeouts); BENCH_DEPLOY_TIME_SCALE changes it. Small, because what the simulation
 * itself costs does not shrink with it: loading one execution environment per concurrent invocation, one
 * after the other in this process (measured, shown as start-up and left out of the time at real quotas),
 * and the handlers' CPU time, which all environments share here.
 */
const TIME_SCALE = Number(process.env.BENCH_DEPLOY_TIME_SCALE ?? '2');
/** The target: the stack finishes within this multiple of the quota-bound minimum. */
const TARGET_RATIO = 1.25;
const PUT_RATE = REFERENCE_RATE_QUOTAS.PutAlternateContact.rate;
const PUT_BURST = REFERENCE_RATE_QUOTAS.PutAlternateContact.burst;
const TYPES = [AlternateContactType.BILLING, AlternateContactType.OPERATIONS, AlternateContactType.SECURITY];
const CONTACTS: Record<AlternateContactType, { name: string; title: string; emailAddress: string; phoneNumber: string }> = {
  [AlternateContactType.BILLING]: { name: 'Finance Operations', title: 'Accounts Payable', emailAddress: 'aws-billing@example.com', phoneNumber: '+1 206-555-0101' },
  [AlternateContactType.OPERATIONS]: { name: 'Cloud Platform On-Call', title: 'Platform Operations', emailAddress: 'aws-ops@example.com', phoneNumber: '+1 206-555-0102' },
  [AlternateContactType.SECURITY]: { name: 'Security Operations Center', title: 'SOC', emailAddress: 'aws-security@example.com', phoneNumber: '+1 206-555-0103' },
};

interface Setting {
  readonly id: string;
  readonly accountId: string;
  readonly type: AlternateContactType;
}

/** Member accounts 200000000000 + i, each with its BILLING, OPERATIONS and SECURITY contacts, until there are n. */
function settings(n: number): Setting[] {
  return Array.from({ length: n }, (_, i) => {
    const accountId = String(200000000000 + Math.floor(i / TYPES.length));
    const type = TYPES[i % TYPES.length];
    return { id: `${type}${accountId}`, accountId, type };
  });
}

const memberArn = (accountId: string) => `arn:${Aws.PARTITION}:account::*:account/o-*/${accountId}`;

/** `titleSuffix` changes every contact's title: the same stack again is an Update of every setting. */
function declareWithLibrary(stack: Stack, list: Setting[], titleSuffix = ''): void {
  for (const s of list) {
    const contact = CONTACTS[s.type];
    new AlternateContact(stack, s.id, { accountId: s.accountId, type: s.type, ...contact, title: `${contact.title}${titleSuffix}` });
  }
}

/**
 * One AwsCustomResource per setting, PutAlternateContact on create and update, the SDK that the Lambda
 * runtime has (`installLatestAwsSdk: false`). They share one role with one managed policy that names
 * each member account (the actions those of the SDK calls): the documented `policy` of each resource
 * (`AwsCustomResourcePolicy.fromSdkCalls`) adds one inline policy per resource to the shared role, which
 * IAM refuses beyond 10,240 characters (about 40 settings) and which puts 300 settings over
 * CloudFormation's 500 resources (see the synthesis section).
 */
function declareWithAwsCustomResource(stack: Stack, list: Setting[]): void {
  const role = new iam.Role(stack, 'AccountSettingsRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
  });
  const policy = new iam.ManagedPolicy(stack, 'AccountSettingsPolicy', {
    roles: [role],
    statements: [new iam.PolicyStatement({
      actions: ['account:PutAlternateContact'],
      resources: [...new Set(list.map(s => s.accountId))].map(memberArn),
    })],
  });
  for (const s of list) {
    const contact = CONTACTS[s.type];
    const put = {
      service: 'Account',
      action: 'PutAlternateContact',
      parameters: {
        AccountId: s.accountId,
        AlternateContactType: s.type,
        Name: contact.name,
        Title: contact.title,
        EmailAddress: contact.emailAddress,
        PhoneNumber: contact.phoneNumber,
      },
      physicalResourceId: PhysicalResourceId.of(`${s.accountId}/alternate-contact/${s.type}`),
    };
    const resource = new AwsCustomResource(stack, s.id, { onCreate: put, onUpdate: put, installLatestAwsSdk: false, role });
    // As CloudFormation would need: the policy attached before the first call.
    resource.node.addDependency(policy);
  }
}

interface Side {
  readonly name: string;
  readonly key: string;
  /** The time scale the side runs at. */
  readonly scale: number;
  readonly declare: (stack: Stack, list: Setting[], titleSuffix?: string) => void;
  /** Whether a completed stack is then updated, every setting at once. */
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
  /** Every other call the functions made (CloudFormation reads…). */
  readonly otherCalls: number;
  readonly failed: number;
  readonly cancelled: number;
  /** Contacts present in the accounts once every invocation has ended. */
  readonly written: number;
  readonly status: string;
  /** From the first custom resource's start to the start of the last of the first N invocations: the simulation's start-up, ms. */
  readonly startupMs: number;
  /** The same stack deployed again with every setting changed, when the first deploy completed. */
  readonly update?: UpdateFigures;
}

interface UpdateFigures {
  /** From the stack's first event to its last, ms (the environments are warm: no start-up). */
  readonly wallMs: number;
  /** The handlers' CloudFormation reads, by operation. */
  readonly reads: Record<string, number>;
  readonly throttled: number;
  readonly status: string;
}

/**
 * aws-cdk-lib's handler answers CloudFormation with `https.request({ hostname, path })`: TLS on port 443
 * whatever the ResponseURL says, which the local endpoint (plain HTTP on another port) cannot take.
 * Those requests, and only those, are sent to the local endpoint over HTTP; the handler is otherwise
 * run as aws-cdk-lib ships it.
 */
function redirectAnswers(endpoint: string): () => void {
  // The module object itself (an `import * as` binding is a copy whose properties cannot be replaced).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const https: { request: (...args: unknown[]) => http.ClientRequest } = require('https');
  const original = https.request;
  const local = new URL(endpoint);
  https.request = (...args: unknown[]) => {
    const [options, callback] = args as [http.RequestOptions | string | URL, ((res: http.IncomingMessage) => void) | undefined];
    if (typeof options === 'object' && !(options instanceof URL) && options.hostname === local.hostname && options.port === undefined
      && String(options.path).startsWith('/cloudformation-response/')) {
      return http.request({ ...options, port: Number(local.port) }, callback);
    }
    return original(...args);
  };
  return () => {
    https.request = original;
  };
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
  const result = await quietly(async () => {
    const deployed = await cfn.deploy(stack);
    // Cancelled requests' functions run on, and still call the API.
    await aws.lambda.settled();
    return deployed;
  });

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
  const update = side.update && result.status === 'CREATE_COMPLETE' ? await updateEverySetting(aws, side, n, stack.stackName, cfn) : undefined;
  // Leave nothing running or loaded for the next run.
  for (const arn of functions) aws.lambda.unregister(arn);
  return {
    update,
    wallMs,
    puts: puts.length,
    throttled: puts.filter(c => c.status === 429).length,
    otherCalls: aws.calls.length - puts.length,
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
  side.declare(stack, settings(n), ' (updated)');
  const result = await quietly(async () => {
    const deployed = await cfn.deploy(stack);
    await aws.lambda.settled();
    return deployed;
  });
  const reads: Record<string, number> = {};
  for (const call of aws.calls.filter(c => c.operation.startsWith('cloudformation:') && c.operation !== 'cloudformation:Response')) {
    reads[call.operation] = (reads[call.operation] ?? 0) + 1;
  }
  return {
    wallMs: result.events[result.events.length - 1].at - result.events[0].at,
    reads,
    throttled: aws.callsOf('PutAlternateContact').filter(c => c.status === 429).length,
    status: result.status,
  };
}

/** The update's columns: its time at real quotas, the handlers' reads of their resource and of the stack's events, its status. */
function updateColumns(updates: UpdateFigures[], scale: number): string[] {
  if (updates.length === 0) return ['—', '—', '—'];
  const reads = (u: UpdateFigures, operation: string) => u.reads[`cloudformation:${operation}`] ?? 0;
  return [
    summarize(updates.map(u => (u.wallMs / 1000) * scale), 0),
    ['DescribeStackResource', 'DescribeStacks', 'DescribeStackEvents'].map(operation => summarize(updates.map(u => reads(u, operation)))).join(' + '),
    tally(updates.map(u => u.status)),
  ];
}

/** How often each value occurs: "CREATE_COMPLETE ×3". */
function tally(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, c]) => (values.length === 1 ? v : `${v} ×${c}`)).join(', ');
}

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
        if (side.key === 'Library') {
          const r = completed.length === runs.length ? median(completed) : undefined;
          verdicts.push(r === undefined
            ? `${n} settings: **not every run completed**`
            : `${n} settings: ${r.toFixed(2)}× the minimum (${r <= TARGET_RATIO ? 'within' : '**over**'} ${TARGET_RATIO}×)`);
        }
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
          summarize(runs.map(r => r.throttled)),
          summarize(runs.map(r => r.otherCalls)),
          summarize(runs.map(r => r.failed)),
          summarize(runs.map(r => r.cancelled)),
          summarize(runs.map(r => r.written)),
          tally(runs.map(r => r.status)),
          ...updateColumns(runs.map(r => r.update).filter((u): u is UpdateFigures => u !== undefined), side.scale),
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
      + `**This library**: AlternateContact, its bundle answering CloudFormation itself. Time runs ${TIME_SCALE}× faster for it `
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
      + '(a real cold start, a few hundred milliseconds, is not added). At real quotas: (wall time − start-up) × the side\'s scale. '
      + `Quota-bound minimum: N puts at ${PUT_RATE} per second (the burst of ${PUT_BURST} would save ${(PUT_BURST / PUT_RATE).toFixed(1)} s); the ratio is `
      + 'given for deploys that completed. Calls: every request the functions made until every invocation had ended (the functions of '
      + 'cancelled requests run on); "other" are the handlers\' CloudFormation reads. Failed: resources whose function answered FAILED; '
      + 'cancelled: those CloudFormation stopped waiting for when the first one failed. Contacts written: in the accounts once every '
      + 'invocation had ended (after a rollback: what the AwsCustomResource stack leaves behind, having no onDelete).\n\n'
      + '**Update of every setting** (the library): the completed stack deployed again with every contact\'s title changed, N Updates at '
      + 'once in warm environments; its wall time at real quotas (no start-up to leave out), and the handlers\' CloudFormation reads. '
      + 'Each request reads its resource before its first write (DescribeStackResource: is CloudFormation still waiting for it?) and, '
      + 'an Update, the stack\'s status (DescribeStacks), and only while the stack rolls back its events, newest first in pages of 100, '
      + 'down to its resource\'s latest one (DescribeStackEvents: are these its properties, not the rollback\'s?); a put throttled for '
      + '15 s reads its resource again.\n\n'
      + `Against the issue's target, the library's stack within ${TARGET_RATIO}× the quota-bound minimum (median): ${verdicts.join('; ')}.`,
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
      'other calls',
      'failed resources',
      'cancelled',
      'contacts written',
      'stack status',
      'update of every setting: wall time at real quotas (s)',
      'update: CloudFormation reads (DescribeStackResource + DescribeStacks + DescribeStackEvents)',
      'update: stack status',
    ], rows),
  };
}
