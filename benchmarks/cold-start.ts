/*
 * Cold start: this library's settings handler (one minified esbuild bundle with the SDK inside) against
 * the same PutAlternateContact made with @aws-sdk/client-account loaded unbundled from node_modules, as
 * a handler that relies on the SDK files would. Per side: the code Node loads, the module load time, and
 * load + first create against the local fake, each in a fresh `node` process.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { summarize, Section, table } from './stats';
import { AlternateContact, AlternateContactType } from '../src/alternate-contact';
import { FakeAccountApi } from '../test/fake-account-api';
import { propertiesOf } from '../test/simulated-stack';

const ROOT = path.join(__dirname, '..');
const BUNDLE = path.join(ROOT, 'assets', 'lambda', 'settings', 'index', 'index.js');
const MANAGEMENT = '111111111111';
const MEMBER = '222222222222';
const RUNS = 10;

const CONTACT = {
  type: AlternateContactType.SECURITY,
  name: 'Security Operations Center',
  title: 'SOC',
  emailAddress: 'aws-security@example.com',
  phoneNumber: '+1 206-555-0103',
};

/** What the child does: `load` requires the module; `create` also makes the first PutAlternateContact. */
type Mode = 'load' | 'create';
type SideName = 'bundle' | 'sdk' | 'sdk-both';

interface ChildInput {
  readonly side: SideName;
  readonly mode: Mode;
  readonly bundle: string;
  readonly event: unknown;
  readonly context: { readonly invokedFunctionArn: string };
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
const input = JSON.parse(process.argv[1]);
console.info = () => undefined;
const ms = (from, to) => Number(to - from) / 1e6;
(async () => {
  let loadMs, callMs = 0;
  if (input.side === 'bundle') {
    const t0 = process.hrtime.bigint();
    const handler = require(input.bundle);
    const t1 = process.hrtime.bigint();
    loadMs = ms(t0, t1);
    if (input.mode === 'create') {
      await handler.handler(input.event, input.context);
      callMs = ms(t1, process.hrtime.bigint());
    }
  } else {
    const t0 = process.hrtime.bigint();
    const sdk = require('@aws-sdk/client-account');
    if (input.side === 'sdk-both') require('@aws-sdk/client-cloudformation');
    const t1 = process.hrtime.bigint();
    loadMs = ms(t0, t1);
    if (input.mode === 'create') {
      const client = new sdk.AccountClient({});
      await client.send(new sdk.PutAlternateContactCommand(input.put));
      callMs = ms(t1, process.hrtime.bigint());
    }
  }
  const files = Object.keys(require.cache).filter(f => f.startsWith('/'));
  const bytes = files.reduce((sum, f) => sum + fs.statSync(f).size, 0);
  process.stdout.write(JSON.stringify({ loadMs, callMs, files: files.length, bytes }));
})().catch(error => { console.error(error); process.exit(1); });
`;

/** One fresh `node` process; asynchronous, so that the fake in this process can answer it. */
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

/** The Create event the Provider framework hands the handler, with the properties the construct synthesizes. */
function createEvent(): unknown {
  const stack = new Stack(new App(), 'ColdStart', { env: { account: MANAGEMENT, region: 'us-east-1' } });
  const properties = propertiesOf(new AlternateContact(stack, 'Security', { accountId: MEMBER, ...CONTACT }));
  const stackId = `arn:aws:cloudformation:us-east-1:${MANAGEMENT}:stack/ColdStart/1`;
  return {
    RequestType: 'Create',
    ServiceToken: 'token',
    ResponseURL: '...',
    StackId: stackId,
    RequestId: 'request',
    LogicalResourceId: 'Security',
    ResourceType: 'Custom::AccountAlternateContact',
    ResourceProperties: { ServiceToken: 'token', ...properties },
  };
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

export async function coldStartBenchmark(): Promise<Section> {
  if (!fs.existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npx projen bundle\` first`);
  const fake = await FakeAccountApi.start({ memberAccountIds: [MEMBER] });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ENDPOINT_URL_ACCOUNT: fake.endpoint,
    AWS_ENDPOINT_URL_CLOUDFORMATION: fake.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDFAKE',
    AWS_SECRET_ACCESS_KEY: 'fake',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const base = {
    bundle: BUNDLE,
    event: createEvent(),
    context: { invokedFunctionArn: `arn:aws:lambda:us-east-1:${MANAGEMENT}:function:h` },
    put: {
      AccountId: MEMBER,
      AlternateContactType: CONTACT.type,
      Name: CONTACT.name,
      Title: CONTACT.title,
      EmailAddress: CONTACT.emailAddress,
      PhoneNumber: CONTACT.phoneNumber,
    },
  };
  const sides: Array<[SideName, string]> = [
    ['bundle', 'cdk-account-management handler (esbuild bundle, minified, SDK inside)'],
    ['sdk', '@aws-sdk/client-account unbundled from node_modules'],
    ['sdk-both', 'for attribution: client-account + client-cloudformation (the two clients the bundle holds), unbundled'],
  ];
  const rows: Array<Array<string | number>> = [];
  const loadBefore = os.loadavg()[0];
  try {
    // Warm-up: one of each, not counted, so that every counted run reads the files from the page cache.
    for (const [side] of sides) {
      await runChild({ ...base, side, mode: 'load' }, env);
      await runChild({ ...base, side, mode: 'create' }, env);
    }
    fake.clearCalls();
    // The sides take turns within each run, so that whatever else the machine does weighs on all of them.
    const loads = new Map<SideName, Array<ChildReport & { wallMs: number }>>(sides.map(([side]) => [side, []]));
    const creates = new Map<SideName, Array<ChildReport & { wallMs: number }>>(sides.map(([side]) => [side, []]));
    for (let run = 0; run < RUNS; run++) {
      for (const [side] of sides) {
        loads.get(side)!.push(await runChild({ ...base, side, mode: 'load' }, env));
        creates.get(side)!.push(await runChild({ ...base, side, mode: 'create' }, env));
      }
    }
    const written = fake.callsOf('PutAlternateContact').filter(c => c.status === 200 && c.target === MEMBER).length;
    if (written !== RUNS * sides.length) {
      throw new Error(`expected ${RUNS * sides.length} PutAlternateContact calls answered 200 for ${MEMBER}, the fake saw ${written}`);
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
    await fake.close();
  }
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node.js ${process.version}; `
    + `1-minute load average ${loadBefore.toFixed(1)} before and ${os.loadavg()[0].toFixed(1)} after`;
  return {
    title: 'Cold start: the bundled handler against the unbundled SDK',
    method: `Each figure from a fresh \`node\` child process (${machine}), ${RUNS} runs per side after one warm-up run of each kind (not counted, `
      + 'so the files come from the page cache), the sides taking turns within each run; median (min-max). Code loaded: for the bundle, its file '
      + '(assets/lambda/settings/index/index.js, built by `npx projen bundle`); for the SDK, the files in `require.cache` after '
      + '`require(\'@aws-sdk/client-account\')` and after the first call (credential and other providers load then), with their bytes on disk. '
      + 'Load: `process.hrtime` around the `require`. First create: the child loads the module, then the bundle\'s `handler` gets a Create '
      + `event for the SECURITY alternate contact of member account ${MEMBER} with the properties the construct synthesizes and the context `
      + `of a function in account ${MANAGEMENT} (organizations mode), or the SDK side creates an \`AccountClient\` and sends the same `
      + '`PutAlternateContactCommand` (the attribution row requires @aws-sdk/client-cloudformation too, within the timed load); all against the local fake of the Account API in the parent process, over HTTP on 127.0.0.1 '
      + '(AWS_ENDPOINT_URL_ACCOUNT), with fake credentials from the environment and the handler\'s logging silenced. "first call" is from the '
      + 'end of the require to the answer; "process" is the child\'s whole life as the parent sees it (spawn, Node.js start, load, call, exit). '
      + 'A real Lambda cold start adds the runtime\'s own init (download of the code, sandbox and runtime start), which is not measured '
      + 'here, and Lambda reads the code from the function\'s own file system, not from this machine\'s page cache. Nor is the real '
      + 'AwsCustomResource handler measured: by default (`installLatestAwsSdk`) it runs `npm install` of the service\'s client into /tmp '
      + 'on the first call of each execution environment, which needs the network.',
    body: table(['code', 'code loaded', 'load (ms)', 'first call (ms)', 'load + first create (ms)', 'process (ms)'], rows),
  };
}
