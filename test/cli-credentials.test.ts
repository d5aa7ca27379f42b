/*
 * The tool's credentials in its bundle (cli/credentials.ts): the environment's keys are read without the SDK's
 * default chain, which the bundle loads from the file beside it (assets/cli/credential-chain/index.js) only when a
 * profile says where the credentials are; against the local services.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CHAIN_BUNDLE, defaultProvider } from '../cli/credentials';
import { LocalAws } from '../local';

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'assets', 'cli', 'index', 'index.js');
const CHAIN = path.join(ROOT, 'assets', 'cli', 'credential-chain', 'index.js');
const MANAGEMENT = '111111111111';

jest.setTimeout(60_000);

let aws: LocalAws;
let dir: string;
let app: string;

beforeAll(async () => {
  aws = await LocalAws.start({ managementAccountId: MANAGEMENT });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-credentials-'));
  // A stack that declares nothing: the tool's calls are signed all the same.
  app = path.join(dir, 'cdk.out');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'manifest.json'), JSON.stringify({
    version: '36.0.0',
    artifacts: { Settings: { type: 'aws:cloudformation:stack', environment: 'aws://unknown-account/unknown-region', properties: { templateFile: 'Settings.template.json' } } },
  }));
  fs.writeFileSync(path.join(app, 'Settings.template.json'), '{ "Resources": {} }');
  // Lists, as the process exits, the files it loaded.
  fs.writeFileSync(path.join(dir, 'loaded.js'), 'process.on(\'exit\', () => require(\'fs\').writeFileSync(process.env.LOADED_FILE, JSON.stringify(Object.keys(require.cache))));\n');
});

afterAll(async () => {
  await aws.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => aws.clearCalls());

/** The bin, with a HOME, config files and environment of its own, and the files it loaded. */
function bin(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string; loaded: string[] }> {
  const loadedFile = path.join(dir, `loaded-${Date.now()}-${Math.random()}.json`);
  return new Promise(resolve => {
    execFile(process.execPath, ['--require', path.join(dir, 'loaded.js'), BIN, ...args], {
      timeout: 30_000,
      env: {
        PATH: process.env.PATH!,
        HOME: dir,
        AWS_CONFIG_FILE: path.join(dir, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'),
        AWS_ENDPOINT_URL: aws.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        LOADED_FILE: loadedFile,
        ...env,
      },
    }, (error, out, err) => resolve({
      code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
      out,
      err,
      loaded: fs.existsSync(loadedFile) ? JSON.parse(fs.readFileSync(loadedFile, 'utf8')) : [],
    }));
  });
}

test('--version, --help and a run that signs with the environment\'s keys never load the credential chain', async () => {
  const version = await bin(['--version'], {});
  const help = await bin(['plan', '--help'], {});
  const plan = await bin(['plan', '--app', app], { AWS_ACCESS_KEY_ID: 'AKIDLOCAL', AWS_SECRET_ACCESS_KEY: 'local' });

  expect(version.code).toBe(0);
  expect(help.code).toBe(0);
  expect(plan.code).toBe(0);
  for (const run of [version, help, plan]) {
    expect(run.loaded).toContain(BIN);
    expect(run.loaded).not.toContain(CHAIN);
  }
  // The plan's calls were signed by the environment's keys (the services' own user, no session)
  expect(aws.calls.map(c => c.operation)).toContain('sts:GetCallerIdentity');
  // (the stack is not deployed: CloudFormation's answer, a ValidationError, is a warning)
  expect(aws.calls.map(c => [c.operation, c.status, c.principal])).toEqual([['sts:GetCallerIdentity', 200, undefined], ['cloudformation:GetTemplate', 400, undefined]]);
});

test('a profile\'s credential_process: the chain is loaded, and the process\'s credentials sign every call, the environment\'s keys notwithstanding', async () => {
  const session = aws.sts.issue(`arn:aws:iam::${MANAGEMENT}:role/Operator`, 'operator', aws.clock() + 3600_000);
  const script = path.join(dir, 'credentials.js');
  fs.writeFileSync(script, `process.stdout.write(${JSON.stringify(JSON.stringify({
    Version: 1,
    AccessKeyId: session.accessKeyId,
    SecretAccessKey: session.secretAccessKey,
    SessionToken: session.sessionToken,
    Expiration: new Date(Date.now() + 3600_000).toISOString(),
  }))});\n`);
  fs.writeFileSync(path.join(dir, 'config'), `[profile operator]\ncredential_process = "${process.execPath}" "${script}"\n`);

  const byOption = await bin(['plan', '--app', app, '--profile', 'operator'], {});
  const calledByOption = aws.calls;
  aws.clearCalls();
  // A profile named wins over the environment's keys, as in the SDK's chain.
  const byVariable = await bin(['plan', '--app', app], { AWS_PROFILE: 'operator', AWS_ACCESS_KEY_ID: 'AKIDLOCAL', AWS_SECRET_ACCESS_KEY: 'local' });
  const calledByVariable = aws.calls;

  for (const [run, calls] of [[byOption, calledByOption], [byVariable, calledByVariable]] as const) {
    expect([run.code, run.err]).toEqual([0, expect.not.stringContaining('Error')]);
    expect(run.loaded).toContain(CHAIN);
    expect(calls.map(c => [c.operation, c.status, c.principal])).toEqual([['sts:GetCallerIdentity', 200, session.arn], ['cloudformation:GetTemplate', 400, session.arn]]);
  }
});

test('a profile that gives no credentials: exit code 1, naming the profile', async () => {
  fs.writeFileSync(path.join(dir, 'config'), '[profile empty]\nregion = us-east-1\n');

  const result = await bin(['plan', '--app', app, '--profile', 'empty'], {});

  expect(result.code).toBe(1);
  expect(result.err).toContain('profile empty');
  expect(result.loaded).toContain(CHAIN);
});

describe('in place of the SDK\'s chain (cli/credentials.ts, in this process)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  test('the environment\'s keys, as the SDK\'s fromEnv returns them, without the chain', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token', AWS_CREDENTIAL_EXPIRATION: '2030-01-01T00:00:00Z' });
    delete process.env.AWS_PROFILE;

    await expect(defaultProvider()()).resolves.toEqual({
      accessKeyId: 'AKIDENV', secretAccessKey: 'secret', sessionToken: 'token', expiration: new Date('2030-01-01T00:00:00Z'), $source: { CREDENTIALS_ENV_VARS: 'g' },
    });
  });

  test('a profile named goes to the chain, whose absence (here, beside the sources) is a credentials error naming the file', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDENV', AWS_SECRET_ACCESS_KEY: 'secret' });
    expect(fs.existsSync(CHAIN_BUNDLE)).toBe(false);

    await expect(defaultProvider({ profile: 'operator' })()).rejects.toMatchObject({
      name: 'CredentialsProviderError', message: expect.stringContaining(`the credential chain for profiles (${CHAIN_BUNDLE}) is missing`),
    });
  });
});
