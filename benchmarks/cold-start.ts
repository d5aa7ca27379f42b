/*
 * Cold start: this library's settings handler (one minified esbuild bundle with the SDK inside) against
 * the same PutAlternateContact made with @aws-sdk/client-account loaded unbundled from node_modules, as
 * a handler that relies on the SDK files would. Per side: the code Node loads, the module load time, and
 * load + first create (the put, then the answer to CloudFormation) against the local services, each in a
 * fresh `node` process.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildSync } from 'esbuild';
import { machine, quick, summarize, Section, table } from './stats';
import { LocalAws } from '../local';
import { AlternateContact, AlternateContactType } from '../src/alternate-contact';

const ROOT = path.join(__dirname, '..');
const BUNDLE = path.join(ROOT, 'assets', 'lambda', 'settings', 'index', 'index.js');
const MANAGEMENT = '111111111111';
const MEMBER = '222222222222';
const RUNS = quick() ? 2 : 10;
/** The function the handler runs as (its account is the calling account). */
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${MANAGEMENT}:function:AccountSettingsHandler`;

/**
 * The SDK clients the settings bundle holds, the Account client first (the others are evaluated only on
 * first use): read from esbuild's metafile of the same build as `npx projen bundle` makes.
 */
function bundledClients(): string[] {
  const result = buildSync({
    entryPoints: [path.join(ROOT, 'lambda', 'settings', 'index.ts')],
    bundle: true,
    platform: 'node',
    target: 'node22',
    minify: true,
    write: false,
    metafile: true,
    outfile: path.join(os.tmpdir(), 'bench-settings.js'),
    logLevel: 'silent',
  });
  const clients = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const match = /node_modules\/(@aws-sdk\/client-[^/]+)\//.exec(input);
    if (match) clients.add(match[1]);
  }
  return [...clients].sort((a, b) => Number(b === '@aws-sdk/client-account') - Number(a === '@aws-sdk/client-account') || a.localeCompare(b));
}

const CONTACT = {
  type: AlternateContactType.SECURITY,
  name: 'Security Operations Center',
  title: 'SOC',
  emailAddress: 'aws-security@example.com',
  phoneNumber: '+1 206-555-0103',
};

/** What the child does: `load` requires the module; `create` also makes the first PutAlternateContact and answers CloudFormation. */
type Mode = 'load' | 'create';
type SideName = 'bundle' | 'sdk' | 'sdk-all';

interface ChildInput {
  readonly side: SideName;
  readonly mode: Mode;
  readonly bundle: string;
  /** The packages the SDK sides require. */
  readonly packages: string[];
  readonly event: { readonly ResponseURL: string; readonly StackId: string; readonly RequestId: string; readonly LogicalResourceId: string };
  readonly functionArn: string;
  readonly put: Record<string, string>;
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
  if (input.side === 'bundle') {
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
    const sdk = input.packages.map(name => require(name))[0];
    const t1 = process.hrtime.bigint();
    loadMs = ms(t0, t1);
    if (input.mode === 'create') {
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
    StackId: `arn:aws:cloudformation:us-east-1:${MANAGEMENT}:stack/ColdStart/1`,
    RequestId: requestId,
    LogicalResourceId: 'Security',
    ResourceType: 'Custom::AccountAlternateContact',
    ResourceProperties: { ServiceToken: FUNCTION_ARN, ...properties },
  } as ChildInput['event'];
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

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
  };
  const properties = resourceProperties();
  const bundled = bundledClients();
  let requests = 0;
  const input = (side: SideName, mode: Mode): ChildInput => ({
    side,
    mode,
    bundle: BUNDLE,
    packages: side === 'sdk' ? bundled.slice(0, 1) : bundled,
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
    ['bundle', 'cdk-account-management handler (esbuild bundle, minified, SDK inside)'],
    ['sdk', '@aws-sdk/client-account unbundled from node_modules'],
    ['sdk-all', `for attribution: the ${bundled.length} clients the bundle holds (${bundled.map(c => c.replace('@aws-sdk/client-', '')).join(', ')}), unbundled`],
  ];
  const rows: Array<Array<string | number>> = [];
  const loadBefore = os.loadavg()[0];
  try {
    // Warm-up: one of each, not counted, so that every counted run reads the files from the page cache.
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
    if (written !== RUNS * sides.length || answered !== RUNS * sides.length || aws.calls.length !== written) {
      throw new Error(`expected ${RUNS * sides.length} PutAlternateContact calls answered 200 for ${MEMBER}, as many SUCCESS answers `
        + `to CloudFormation and no other call; the local services saw ${written} puts, ${answered} answers and ${aws.calls.length} calls`);
    }
    for (const [side, label] of sides) {
      const l = loads.get(side)!;
      const c = creates.get(side)!;
      rows.push([
        label,
        side === 'bundle' ? `${kb(fs.statSync(BUNDLE).size)} (1 file)` : `${kb(l[0].bytes)} in ${l[0].files} files`
          + (c[0].files === l[0].files ? ', no more after the first call' : `; ${kb(c[0].bytes)} in ${c[0].files} files after the first call`),
        summarize(l.map(r => r.loadMs), 1),
        summarize(c.map(r => r.callMs), 1),
        summarize(c.map(r => r.loadMs + r.callMs), 1),
        summarize(c.map(r => r.wallMs)),
      ]);
    }
  } finally {
    await aws.close();
  }
  return {
    title: 'Cold start: the bundled handler against the unbundled SDK',
    method: `Each figure from a fresh \`node\` child process (${machine(loadBefore)}), ${RUNS} runs per side after one warm-up run of each kind (not counted, `
      + 'so the files come from the page cache), the sides taking turns within each run; median (min-max). Code loaded: for the bundle, its file '
      + '(assets/lambda/settings/index/index.js, built by `npx projen bundle`); for the SDK, the files in `require.cache` after '
      + '`require(\'@aws-sdk/client-account\')` and after the first call (credential and other providers load then), with their bytes on disk. '
      + 'Load: `process.hrtime` around the `require`. First create: the child loads the module, then the bundle\'s `handler` gets a Create '
      + `event for the SECURITY alternate contact of member account ${MEMBER} with the properties the construct synthesizes and the context `
      + `of a function in account ${MANAGEMENT} (organizations mode, 15 minutes left), or the SDK side creates an \`AccountClient\` and sends the same `
      + '`PutAlternateContactCommand`. First create includes answering CloudFormation: the handler PUTs its answer to the event\'s ResponseURL '
      + 'itself (there is no Provider framework in front of it), and the SDK sides PUT the same answer with Node.js\'s `http`, as a hand-written '
      + `handler does (cfn-response). The attribution row requires the ${bundled.length} SDK clients the bundle holds (read from esbuild's metafile) within the `
      + 'timed load (the bundle evaluates only the Account client as it loads, the others on first use, but parses them all). All against the local services in the '
      + 'parent process (local/: Account Management and the custom-resource response endpoint), over HTTP on 127.0.0.1 (AWS_ENDPOINT_URL_ACCOUNT), '
      + 'with made-up credentials from the environment and the handler\'s logging silenced; every run\'s put and answer are checked. '
      + '"first call" is from the end of the require to the answer\'s acknowledgement; "process" is the child\'s whole life as the parent sees it '
      + '(spawn, Node.js start, load, call, answer, exit). A real Lambda cold start adds the runtime\'s own init (download of the code, sandbox '
      + 'and runtime start), which is not measured here, and Lambda reads the code from the function\'s own file system, not from this '
      + 'machine\'s page cache. aws-cdk-lib\'s AwsCustomResource handler is not measured here: by default (`installLatestAwsSdk`) it runs '
      + '`npm install` of the service\'s client into /tmp on the first call of each execution environment, which needs the network; with it '
      + 'off, it loads the runtime\'s @aws-sdk/client-account as the second row does (it runs in the deploy-at-once section).',
    body: table(['code', 'code loaded', 'load (ms)', 'first call (ms)', 'load + first create (ms)', 'process (ms)'], rows),
  };
}
