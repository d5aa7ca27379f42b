/*
 * Cold start: this library's settings handler (one minified esbuild bundle with the SDK inside), and the same
 * handler as bundled before issue 18, against the same PutAlternateContact made with @aws-sdk/client-account
 * loaded unbundled from node_modules, as a handler that relies on the SDK files would. Per side: the code Node
 * loads, the module load time, and load + first create (the put, then the answer to CloudFormation) against the
 * local services, each in a fresh `node` process.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildBoth, BUNDLES, kib } from './bundles';
import { machine, median, quick, summarize, Section, table } from './stats';
import { LocalAws } from '../local';
import { AlternateContact, AlternateContactType } from '../src/alternate-contact';
import { LOCAL_RESPONSE_URL_ENV } from '../src/contract';

const ROOT = path.join(__dirname, '..');
const BUNDLE = path.join(ROOT, 'assets', 'lambda', 'settings', 'index', 'index.js');
const MANAGEMENT = '111111111111';
const MEMBER = '222222222222';
const RUNS = quick() ? 2 : 10;
/** The function the handler runs as (its account is the calling account). */
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${MANAGEMENT}:function:AccountSettingsHandler`;
const STACK_ID = `arn:aws:cloudformation:us-east-1:${MANAGEMENT}:stack/ColdStart/1`;

const CONTACT = {
  type: AlternateContactType.SECURITY,
  name: 'Security Operations Center',
  title: 'SOC',
  emailAddress: 'aws-security@example.com',
  phoneNumber: '+1 206-555-0103',
};

/** What the child does: `load` requires the module; `create` also makes the first PutAlternateContact and answers CloudFormation. */
type Mode = 'load' | 'create';
type SideName = 'bundle' | 'before' | 'sdk' | 'sdk-calls' | 'sdk-all';

interface ChildInput {
  readonly side: SideName;
  readonly mode: Mode;
  readonly bundle: string;
  /** The packages the SDK sides require. */
  readonly packages: string[];
  readonly event: { readonly ResponseURL: string; readonly StackId: string; readonly RequestId: string; readonly LogicalResourceId: string };
  readonly functionArn: string;
  readonly put: Record<string, string>;
  /** For 'sdk-calls': the CloudFormation reads to make before the put, as the handler does (`cloudformation:<Operation>`). */
  readonly reads: string[];
}

interface ChildReport {
  readonly loadMs: number;
  readonly callMs: number;
  /** Files in `require.cache` when the child ends, and their bytes on disk. */
  readonly files: number;
  readonly bytes: number;
}

/**
 * Runs in the child (`node -e`, cwd the project root, so that `@aws-sdk/client-account` resolves from
 * its node_modules). Times the require and the first call with process.hrtime, then prints a report.
 */
const CHILD = `
const fs = require('fs');
const http = require('http');
const input = JSON.parse(process.argv[1]);
console.info = () => undefined;
const ms = (from, to) => Number(to - from) / 1e6;
// What a hand-written handler does to answer CloudFormation (as cfn-response does): PUT the outcome to the ResponseURL.
const answer = event => new Promise((resolve, reject) => {
  const body = JSON.stringify({ Status: 'SUCCESS', PhysicalResourceId: input.put.AccountId + '/alternate-contact/' + input.put.AlternateContactType,
    StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId, Data: {} });
  const request = http.request(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } }, response => {
    response.resume();
    response.on('end', resolve);
  });
  request.on('error', reject);
  request.end(body);
});
(async () => {
  let loadMs, callMs = 0;
  if (input.side === 'bundle' || input.side === 'before') {
    const t0 = process.hrtime.bigint();
    const handler = require(input.bundle);
    const t1 = process.hrtime.bigint();
    loadMs = ms(t0, t1);
    if (input.mode === 'create') {
      const started = Date.now();
      const context = { invokedFunctionArn: input.functionArn, getRemainingTimeInMillis: () => started + 900000 - Date.now() };
      await handler.handler(input.event, context);
      callMs = ms(t1, process.hrtime.bigint());
    }
  } else {
    const t0 = process.hrtime.bigint();
    const [sdk, cloudFormation] = input.packages.map(name => require(name));
    const t1 = process.hrtime.bigint();
    loadMs = ms(t0, t1);
    if (input.mode === 'create') {
      if (input.side === 'sdk-calls') {
        const cfn = new cloudFormation.CloudFormationClient({});
        for (const read of input.reads) {
          const command = read === 'cloudformation:DescribeStacks'
            ? new cloudFormation.DescribeStacksCommand({ StackName: input.event.StackId })
            : new cloudFormation.DescribeStackResourceCommand({ StackName: input.event.StackId, LogicalResourceId: input.event.LogicalResourceId });
          await cfn.send(command);
        }
      }
      const client = new sdk.AccountClient({});
      await client.send(new sdk.PutAlternateContactCommand(input.put));
      await answer(input.event);
      callMs = ms(t1, process.hrtime.bigint());
    }
  }
  const files = Object.keys(require.cache).filter(f => f.startsWith('/'));
  const bytes = files.reduce((sum, f) => sum + fs.statSync(f).size, 0);
  process.stdout.write(JSON.stringify({ loadMs, callMs, files: files.length, bytes }));
})().catch(error => { console.error(error); process.exit(1); });
`;

/** One fresh `node` process; asynchronous, so that the local services in this process can answer it. */
function runChild(input: ChildInput, env: NodeJS.ProcessEnv): Promise<ChildReport & { wallMs: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', CHILD, JSON.stringify(input)], { cwd: ROOT, env }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${input.side} ${input.mode} child failed: ${stderr || error.message}`));
        return;
      }
      resolve({ ...(JSON.parse(stdout) as ChildReport), wallMs: Number(process.hrtime.bigint() - started) / 1e6 });
    });
  });
}

/** The ResourceProperties the construct synthesizes (without the ServiceToken, as the event carries it apart). */
function resourceProperties(): Record<string, string> {
  const stack = new Stack(new App(), 'ColdStart', { env: { account: MANAGEMENT, region: 'us-east-1' } });
  const contact = new AlternateContact(stack, 'Security', { accountId: MEMBER, ...CONTACT });
  const resource = contact.node.findAll().find((c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType.startsWith('Custom::'))!;
  const { ServiceToken, ...properties } = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(resource)].Properties;
  void ServiceToken;
  return properties;
}

/** The Create event CloudFormation sends the function, its ResponseURL pointing at the local services. */
function createEvent(endpoint: string, properties: Record<string, string>, n: number): ChildInput['event'] {
  const requestId = `request-${n}`;
  return {
    RequestType: 'Create',
    ServiceToken: FUNCTION_ARN,
    ResponseURL: `${endpoint}/cloudformation-response/bench/${n}`,
    StackId: STACK_ID,
    RequestId: requestId,
    LogicalResourceId: 'Security',
    ResourceType: 'Custom::AccountAlternateContact',
    ResourceProperties: { ServiceToken: FUNCTION_ARN, ...properties },
  } as ChildInput['event'];
}

export async function coldStartBenchmark(): Promise<Section> {
  if (!fs.existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npx projen bundle\` first`);
  const aws = await LocalAws.start({ managementAccountId: MANAGEMENT, memberAccountIds: [MEMBER] });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ENDPOINT_URL_ACCOUNT: aws.endpoint,
    AWS_ENDPOINT_URL_CLOUDFORMATION: aws.endpoint,
    AWS_ENDPOINT_URL_ORGANIZATIONS: aws.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // What the local deployment engine gives a function: the handler answers only a ResponseURL under it.
    [LOCAL_RESPONSE_URL_ENV]: `${aws.endpoint}/cloudformation-response/`,
  };
  const properties = resourceProperties();
  /** The CloudFormation reads the handler makes before its put: seen in the warm-up, repeated by the sdk-calls side. */
  let readsPerRun: string[] = [];
  // The handler acts only on a request CloudFormation confirms (DescribeStackResource): the stack's resource, being created.
  const stack = { stackId: STACK_ID, stackName: 'ColdStart', status: 'CREATE_IN_PROGRESS', resources: new Map(), template: {} };
  aws.cloudFormation.stacks.set(STACK_ID, stack);
  aws.cloudFormation.setResource(stack, {
    LogicalResourceId: 'Security', PhysicalResourceId: '', ResourceType: 'Custom::AccountAlternateContact', ResourceStatus: 'CREATE_IN_PROGRESS',
  });
  // The Account client first: the bare SDK side loads it alone.
  const built = buildBoth(BUNDLES[0]);
  const bundled = [...built.now.clients].sort((a, b) => Number(b === '@aws-sdk/client-account') - Number(a === '@aws-sdk/client-account'));
  let requests = 0;
  const input = (side: SideName, mode: Mode): ChildInput => ({
    side,
    mode,
    bundle: side === 'before' ? built.before.file : BUNDLE,
    packages: side === 'sdk' ? bundled.slice(0, 1) : side === 'sdk-calls' ? [bundled[0], '@aws-sdk/client-cloudformation'] : bundled,
    reads: readsPerRun,
    event: createEvent(aws.endpoint, properties, ++requests),
    functionArn: FUNCTION_ARN,
    put: {
      AccountId: MEMBER,
      AlternateContactType: CONTACT.type,
      Name: CONTACT.name,
      Title: CONTACT.title,
      EmailAddress: CONTACT.emailAddress,
      PhoneNumber: CONTACT.phoneNumber,
    },
  });
  const sides: Array<[SideName, string]> = [
    ['bundle', 'cdk-account-management handler (esbuild bundle, minified with names kept, SDK inside)'],
    ['before', 'the same handler bundled as before issue 18 (unminified, the SDK\'s CommonJS files inside)'],
    ['sdk', '@aws-sdk/client-account unbundled from node_modules'],
    ['sdk-calls', 'for attribution: @aws-sdk/client-account and client-cloudformation unbundled, making the handler\'s calls'],
    ['sdk-all', `for attribution: the ${bundled.length === 1 ? 'one client' : `${bundled.length} clients`} the bundle holds (${bundled.map(c => c.replace('@aws-sdk/client-', '')).join(', ')}), unbundled`],
  ];
  const rows: Array<Array<string | number>> = [];
  /** Median load and load + first create per side, for the goal's ratios. */
  const medians = new Map<SideName, { load: number; total: number }>();

  const loadBefore = os.loadavg()[0];
  try {
    // Warm-up: one of each, not counted, so that every counted run reads the files from the page cache.
    await runChild(input('bundle', 'create'), env);
    readsPerRun = aws.calls.map(c => c.operation).filter(operation => operation.startsWith('cloudformation:'));
    for (const [side] of sides) {
      await runChild(input(side, 'load'), env);
      await runChild(input(side, 'create'), env);
    }
    aws.clearCalls();
    aws.cloudFormation.responses.length = 0;
    // The sides take turns within each run, so that whatever else the machine does weighs on all of them.
    const loads = new Map<SideName, Array<ChildReport & { wallMs: number }>>(sides.map(([side]) => [side, []]));
    const creates = new Map<SideName, Array<ChildReport & { wallMs: number }>>(sides.map(([side]) => [side, []]));
    for (let run = 0; run < RUNS; run++) {
      for (const [side] of sides) {
        loads.get(side)!.push(await runChild(input(side, 'load'), env));
        creates.get(side)!.push(await runChild(input(side, 'create'), env));
      }
    }
    const written = aws.callsOf('PutAlternateContact').filter(c => c.status === 200 && c.target === MEMBER).length;
    const answered = aws.cloudFormation.responses.filter(r => r.Status === 'SUCCESS').length;
    const reads = aws.calls.filter(c => c.operation.startsWith('cloudformation:') && c.status === 200).length;
    const describingRuns = RUNS * sides.filter(([side]) => ['bundle', 'before', 'sdk-calls'].includes(side)).length;
    if (written !== RUNS * sides.length || answered !== RUNS * sides.length || !readsPerRun.includes('cloudformation:DescribeStackResource')
      || reads !== describingRuns * readsPerRun.length || aws.calls.length !== written + reads) {
      throw new Error(`expected ${RUNS * sides.length} PutAlternateContact calls answered 200 for ${MEMBER}, as many SUCCESS answers `
        + `to CloudFormation, the reads ${readsPerRun.join(', ')} in each of ${describingRuns} runs and no other call; the local services `
        + `saw ${written} puts, ${answered} answers, ${reads} CloudFormation reads and ${aws.calls.length} calls`);
    }
    for (const [side, label] of sides) {
      const l = loads.get(side)!;
      const c = creates.get(side)!;
      medians.set(side, { load: median(l.map(r => r.loadMs)), total: median(c.map(r => r.loadMs + r.callMs)) });
      rows.push([
        label,
        side === 'bundle' || side === 'before' ? `${kib(side === 'bundle' ? fs.statSync(BUNDLE).size : built.before.bytes)} (1 file)`
          : `${kib(l[0].bytes)} in ${l[0].files} files`
          + (c[0].files === l[0].files ? ', no more after the first call' : `; ${kib(c[0].bytes)} in ${c[0].files} files after the first call`),
        summarize(l.map(r => r.loadMs), 1),
        summarize(c.map(r => r.callMs), 1),
        summarize(c.map(r => r.loadMs + r.callMs), 1),
        summarize(c.map(r => r.wallMs)),
      ]);
    }
  } finally {
    await aws.close();
  }
  const ratio = (side: SideName, of: 'load' | 'total') => `${(medians.get(side)![of] / medians.get('sdk')![of]).toFixed(2)}×`;
  const goal = `Against issue 18's goal (load + first create at most 1.0× the bare SDK's, medians): now ${ratio('bundle', 'total')} `
    + `(load alone ${ratio('bundle', 'load')}), before ${ratio('before', 'total')} (load alone ${ratio('before', 'load')}). `
    + `The handler's create path calls two services, CloudFormation (${readsPerRun.map(r => r.replace('cloudformation:', '')).join(', ')}, signed awsQuery calls `
    + 'of its own, not the SDK\'s client: it acts only on a request CloudFormation confirms, and the stack\'s status places it in the deploy\'s schedule) '
    + 'and Account Management (the put), where the bare SDK side makes the put '
    + `alone (every call is checked): with the handler's calls, the unbundled SDK takes ${ratio('sdk-calls', 'total')} of the bare put's time. `
    + 'Organizations (for Deletes and denied calls) is called without its client, as signed JSON requests (lambda/shared/aws-json.ts): '
    + 'nothing of it is evaluated as the bundle loads.';
  const ms = (side: SideName) => `${medians.get(side)!.total.toFixed(0)} ms`;
  return {
    readme: `the settings handler's load + first create (median) ${ms('bundle')} against ${ms('sdk')} for the bare @aws-sdk/client-account `
      + `(${ratio('bundle', 'total')}; ${ms('before')}, ${ratio('before', 'total')}, the same sources as built before issue 18)`,
    title: 'Cold start: the bundled handler against the unbundled SDK',
    method: `Each figure from a fresh \`node\` child process (${machine(loadBefore)}), ${RUNS} runs per side after one warm-up run of each kind (not counted, `
      + 'so the files come from the page cache), the sides taking turns within each run; median (min-max). Code loaded: for the bundle, its file '
      + '(assets/lambda/settings/index/index.js, built by `npx projen bundle`); for the SDK, the files in `require.cache` after '
      + '`require(\'@aws-sdk/client-account\')` and after the first call (credential and other providers load then), with their bytes on disk. '
      + 'The row before issue 18 is the same sources bundled as they were then (benchmarks/bundles.ts: unminified, the SDK\'s CommonJS files, '
      + 'the default credential chain). Load: `process.hrtime` around the `require`. First create: the child loads the module, then the '
      + 'bundle\'s `handler` gets a Create '
      + `event for the SECURITY alternate contact of member account ${MEMBER} with the properties the construct synthesizes and the context `
      + `of a function in account ${MANAGEMENT} (organizations mode, 15 minutes left), which confirms the request with CloudFormation `
      + '(the local stack holds the resource, CREATE_IN_PROGRESS) and makes the put, or the SDK side creates an `AccountClient` and sends the same '
      + '`PutAlternateContactCommand`. First create includes answering CloudFormation: the handler PUTs its answer to the event\'s ResponseURL '
      + 'itself (there is no Provider framework in front of it), and the SDK sides PUT the same answer with Node.js\'s `http`, as a hand-written '
      + 'handler does (cfn-response). The attribution rows require, within the timed load, the clients the handler\'s calls need, or the '
      + `${bundled.length === 1 ? 'one SDK client' : `${bundled.length} SDK clients`} the bundle holds (read from esbuild's metafile). All against the local services in the `
      + 'parent process (local/: Account Management and the custom-resource response endpoint), over HTTP on 127.0.0.1 (AWS_ENDPOINT_URL_ACCOUNT), '
      + 'with made-up credentials from the environment and the handler\'s logging silenced; every run\'s put and answer are checked. '
      + '"first call" is from the end of the require to the answer\'s acknowledgement; "process" is the child\'s whole life as the parent sees it '
      + '(spawn, Node.js start, load, call, answer, exit). A real Lambda cold start adds the runtime\'s own init (download of the code, sandbox '
      + 'and runtime start), which is not measured here, and Lambda reads the code from the function\'s own file system, not from this '
      + 'machine\'s page cache. aws-cdk-lib\'s AwsCustomResource handler is not measured here: by default (`installLatestAwsSdk`) it runs '
      + '`npm install` of the service\'s client into /tmp on the first call of each execution environment, which needs the network; with it '
      + 'off, it loads the runtime\'s @aws-sdk/client-account as the bare SDK row does (it runs in the deploy-at-once section).',
    body: `${table(['code', 'code loaded', 'load (ms)', 'first call (ms)', 'load + first create (ms)', 'process (ms)'], rows)}\n\n${goal}`,
  };
}
