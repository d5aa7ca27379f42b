/*
 * The command-line tool's bundle (what the package's bin runs) when AWS cannot be reached: it ends within
 * seconds with what it tried and what to check, whether the endpoint refuses connections or accepts them
 * and never answers; --timeout bounds every run; --profile, --region and --version.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { colourFor, packageVersion } from '../cli/index';

const BIN = path.join(__dirname, '..', 'assets', 'cli', 'index', 'index.js');
/** Far above what each run needs (about 0.2 s, 3 s or 10 s), far below the hours the tool used to retry. */
const GENEROUS_MS = 60_000;

jest.setTimeout(2 * GENEROUS_MS);

let dir: string;
let app: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-network-'));
  // An environment-agnostic stack that declares nothing: the tool's first call is all that matters here.
  app = path.join(dir, 'cdk.out');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'manifest.json'), JSON.stringify({
    version: '36.0.0',
    artifacts: { Settings: { type: 'aws:cloudformation:stack', environment: 'aws://unknown-account/unknown-region', properties: { templateFile: 'Settings.template.json' } } },
  }));
  fs.writeFileSync(path.join(app, 'Settings.template.json'), '{ "Resources": {} }');
  fs.writeFileSync(path.join(dir, 'config'), '[profile team]\nregion = eu-central-1\naws_access_key_id = AKIDTEAM\naws_secret_access_key = team\n');
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A port nothing listens on: a connection to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

/** The bin, as a user runs it, with an environment of its own (no AWS_REGION, no profile but ours), and how long it took. */
function bin(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string; ms: number }> {
  const started = Date.now();
  return new Promise(resolve => {
    execFile(process.execPath, [BIN, ...args], {
      timeout: GENEROUS_MS,
      env: {
        PATH: process.env.PATH!,
        HOME: dir,
        AWS_CONFIG_FILE: path.join(dir, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'),
        AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...env,
      },
    }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, out: stdout, err: stderr, ms: Date.now() - started });
    });
  });
}

test('against a port that refuses connections: exit code 1 within seconds, naming the endpoint, the Region and what to check', async () => {
  const port = await closedPort();

  const result = await bin(['plan', '--app', app], { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });

  expect(result.code).toBe(1);
  expect(result.ms).toBeLessThan(GENEROUS_MS);
  expect(result.err).toContain(`Could not reach AWS (endpoint http://127.0.0.1:${port}, Region us-east-1`);
  expect(result.err).toContain('ECONNREFUSED');
  expect(result.err).toMatch(/Check the network route to the endpoint .*the Region \(--region\), the profile \(--profile\)/);
});

describe('against a port that accepts connections and never answers', () => {
  let server: net.Server;
  let port: number;
  const sockets = new Set<net.Socket>();

  beforeAll(async () => {
    server = net.createServer(socket => sockets.add(socket));
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>(resolve => server.close(() => resolve()));
  });

  test('--timeout 3s ends the run at the timeout, saying so', async () => {
    const result = await bin(['drift', '--app', app, '--timeout', '3s'], { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });

    expect(result.code).toBe(1);
    // The message tells that the --timeout ended it, not the first call's own bound (10 s), nor the default (10 minutes).
    expect(result.err).toContain('Gave up after the --timeout of 3s');
    expect(result.err).toContain(`endpoint http://127.0.0.1:${port}`);
    expect(result.ms).toBeLessThan(GENEROUS_MS);
  });

  test('without --timeout, the first call gives up on its own and says AWS could not be reached', async () => {
    const result = await bin(['plan', '--app', app], { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });

    expect(result.code).toBe(1);
    expect(result.err).toContain('Could not reach AWS');
    expect(result.err).toContain('requestTimeout');
    expect(result.ms).toBeLessThan(GENEROUS_MS);
  });
});

test('--profile: its Region, as the AWS CLI takes it; AWS_REGION and --region win over it', async () => {
  const port = await closedPort();
  const env = { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` };

  const profile = await bin(['plan', '--app', app, '--profile', 'team'], env);
  const region = await bin(['plan', '--app', app, '--profile', 'team', '--region', 'eu-west-1'], env);
  const variable = await bin(['plan', '--app', app, '--profile', 'team'], { ...env, AWS_REGION: 'ap-south-1' });

  expect(profile.code).toBe(1);
  expect(profile.err).toContain('Region eu-central-1 (profile team), profile team');
  expect(region.err).toContain('Region eu-west-1 (--region), profile team');
  expect(variable.err).toContain('Region ap-south-1 (AWS_REGION), profile team');
});

test('a profile that does not exist is named in the error', async () => {
  const result = await bin(['plan', '--app', app, '--profile', 'nobody'], { AWS_ENDPOINT_URL: `http://127.0.0.1:${await closedPort()}` });

  expect(result.code).toBe(1);
  expect(result.err).toContain('profile nobody');
});

test('--version prints the package\'s version', async () => {
  const result = await bin(['--version'], {});

  expect(result.code).toBe(0);
  expect(result.out.trim()).toBe(JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')).version);
  expect(packageVersion()).toBe(result.out.trim());
});

test('colour only on a terminal, and never with NO_COLOR', () => {
  expect(colourFor({ isTTY: true }, {})).toBe(true);
  expect(colourFor({ isTTY: false }, {})).toBe(false);
  expect(colourFor({}, {})).toBe(false);
  expect(colourFor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
  expect(colourFor({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
});
