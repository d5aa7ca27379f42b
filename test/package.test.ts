/*
 * The package as a user gets it: `npx projen package:js` in a fresh copy of the repository (what git
 * tracks, with no assets/, lib/ or .jsii), then the tarball installed offline into a fresh CDK app that
 * synthesizes a stack with every construct and runs the command-line tool.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BUNDLE_GOAL_KIB, problems } from '../projenrc/check-package';

jest.setTimeout(300_000);

const ROOT = path.join(__dirname, '..');
// The handlers', and the command-line tool's credential chain, which its bin loads from beside it.
const HANDLER_BUNDLES = ['settings', 'region', 'organization'].map(name => `assets/lambda/${name}/index/index.js`);
/** The files the package needs besides its bin: the handlers' bundles and the CLI's credential chain, which it loads when a profile needs it. */
const BUNDLES = [...HANDLER_BUNDLES, 'assets/cli/credential-chain/index.js'];
const BIN = 'assets/cli/index/index.js';

let dir: string;
let tarball: string;
let app: string;

function sh(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/** Every file a clone of the working tree holds: tracked or new, not ignored (so no build output). */
function copyClone(to: string): void {
  const files = sh('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ROOT).split('\0').filter(Boolean);
  for (const file of files) {
    if (!fs.existsSync(path.join(ROOT, file))) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(to, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(to, file));
  }
  // What `npm ci` installs, without the network.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(to, 'node_modules'));
}

/** A fresh app with the tarball installed offline; its peers aws-cdk-lib and constructs, and cdk-nag, from this repository's. */
function installInApp(to: string): void {
  fs.mkdirSync(to);
  fs.writeFileSync(path.join(to, 'package.json'), '{ "name": "account-settings", "private": true }');
  sh('npm', ['install', '--offline', '--legacy-peer-deps', '--no-audit', '--no-fund', tarball], to);
  for (const peer of ['aws-cdk-lib', 'constructs', 'cdk-nag']) {
    fs.symlinkSync(path.join(ROOT, 'node_modules', peer), path.join(to, 'node_modules', peer));
  }
}

function listing(file: string): Map<string, string> {
  return new Map(sh('tar', ['-tvzf', file], dir).trim().split('\n').map(line => {
    const fields = line.trim().split(/\s+/);
    return [fields[fields.length - 1], fields[0]];
  }));
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-account-management-package-'));
  const clone = path.join(dir, 'clone');
  copyClone(clone);
  expect(fs.existsSync(path.join(clone, 'assets'))).toBe(false);
  expect(fs.existsSync(path.join(clone, '.jsii'))).toBe(false);
  sh('npx', ['projen', 'package:js'], clone);
  const [name] = fs.readdirSync(path.join(clone, 'dist', 'js')).filter(f => f.endsWith('.tgz'));
  tarball = path.join(clone, 'dist', 'js', name);
  app = path.join(dir, 'app');
  installInApp(app);
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('packaging a fresh clone bundles, compiles and packs every handler, the library and the executable bin', () => {
  const files = listing(tarball);
  for (const file of ['.jsii', 'lib/index.js', 'lib/index.d.ts', ...BUNDLES]) expect(files.has(`package/${file}`)).toBe(true);
  expect(files.get(`package/${BIN}`)).toMatch(/^-..x/);
  expect(problems(tarball, BUNDLES)).toEqual([]);
});

test('the packaging check fails on a tarball without a handler bundle, with a stale asset, a bundle over its budget, or whose bin is not executable', () => {
  const unpacked = path.join(dir, 'unpacked');
  fs.mkdirSync(unpacked);
  sh('tar', ['-xzf', tarball, '-C', unpacked], dir);
  fs.rmSync(path.join(unpacked, 'package', BUNDLES[1]));
  fs.chmodSync(path.join(unpacked, 'package', BIN), 0o644);
  fs.writeFileSync(path.join(unpacked, 'package', 'assets/lambda/settings/index/index.js.map'), '{}');
  // The settings bundle, grown past the goal.
  const settings = path.join(unpacked, 'package', BUNDLES[0]);
  const grownKiB = BUNDLE_GOAL_KIB + 1;
  fs.appendFileSync(settings, `\n//${' '.repeat(grownKiB * 1024 - fs.statSync(settings).size - 3)}`);
  const broken = path.join(dir, 'broken.tgz');
  sh('tar', ['-czf', broken, '-C', unpacked, 'package'], dir);

  expect(problems(broken, BUNDLES)).toEqual([
    `${BUNDLES[1]} is missing`,
    `the bin cdk-account-management (${BIN}) is not executable (-rw-r--r--)`,
    'assets/lambda/settings/index/index.js.map is not a file the build makes (left from an earlier one?)',
    `${BUNDLES[0]} is ${grownKiB} KiB, over its budget of ${BUNDLE_GOAL_KIB} KiB`,
  ]);
});

test('a fresh CDK app that installs the tarball offline synthesizes a stack with every construct, with the handlers\' code', () => {
  fs.writeFileSync(path.join(app, 'app.js'), `
const { App, Stack } = require('aws-cdk-lib');
const m = require('cdk-account-management');
const app = new App();
const stack = new Stack(app, 'AccountSettings', { env: { account: '111111111111', region: 'us-east-1' } });
const contact = { name: 'Security Operations Center', title: 'SOC', emailAddress: 'aws-security@example.com', phoneNumber: '+1 206-555-0103' };
new m.AlternateContact(stack, 'Security', { type: m.AlternateContactType.SECURITY, ...contact });
new m.PrimaryContact(stack, 'Primary', { fullName: 'Cloud Platform Team', addressLine1: '410 Terry Ave N', city: 'Seattle', stateOrRegion: 'WA', postalCode: '98109', countryCode: 'US', phoneNumber: '+1 206-555-0100' });
new m.AccountName(stack, 'Name', { accountId: '222222222222', accountName: 'workload-prod' });
new m.RegionOptIn(stack, 'CapeTown', { accountId: '222222222222', regionName: 'af-south-1' });
new m.AccountBaseline(stack, 'Staging', { accountId: '333333333333', accountName: 'workload-staging', alternateContacts: { security: contact } });
new m.OrganizationBaseline(stack, 'Baseline', { organizationalUnitIds: ['ou-root-workloads'], alternateContacts: { billing: contact } });
new m.AccountManagementMonitoring(stack, 'Monitoring');
app.synth();
`);
  const out = path.join(app, 'cdk.out');
  execFileSync('node', ['app.js'], { cwd: app, env: { ...process.env, CDK_OUTDIR: out } });

  const template = JSON.parse(fs.readFileSync(path.join(out, 'AccountSettings.template.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
  const types = new Set(Object.values(template.Resources).map(r => r.Type));
  for (const type of [
    'Custom::AccountAlternateContact', 'Custom::AccountPrimaryContact', 'Custom::AccountName', 'Custom::AccountRegionOptIn', 'Custom::AccountOrganizationBaseline',
    'AWS::CloudWatch::Dashboard', 'AWS::CloudWatch::Alarm',
  ]) {
    expect(types).toContain(type);
  }
  expect(Object.values(template.Resources).filter(r => r.Type === 'AWS::Lambda::Function')).toHaveLength(3);
  const assets = fs.readdirSync(out).filter(f => f.startsWith('asset.'));
  const handlers = assets.map(a => fs.readFileSync(path.join(out, a, 'index.js'), 'utf8'));
  // Each function's code is its bundle, as installed.
  for (const bundle of HANDLER_BUNDLES) {
    const installed = fs.readFileSync(path.join(app, 'node_modules', 'cdk-account-management', bundle), 'utf8');
    expect(handlers.filter(code => code === installed)).toHaveLength(1);
  }
});

/**
 * The README's TypeScript examples pasted into the constructor of one stack, as its first steps say (the
 * provider's options first), in the app `cdk init app --language typescript` makes.
 */
function readmeApp(options: { withNagRecipe: boolean }): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/^```(?:ts|tsx)\n([\s\S]*?)^```$/gm)].map(match => match[1])
    .filter(block => options.withNagRecipe || !block.includes('AwsSolutionsChecks'));
  const ordered = [...blocks.filter(b => b.includes('getOrCreate(')), ...blocks.filter(b => !b.includes('getOrCreate('))];
  const imports = new Map([['aws-cdk-lib', new Set(['App', 'Stack', 'StackProps'])], ['constructs', new Set(['Construct'])]]);
  const bodies = ordered.map(block => block.replace(/^import (.*) from '([^']+)';\n/gm, (_, what: string, from: string) => {
    const names = imports.get(from) ?? new Set<string>();
    (/^\{ (.*) \}$/.exec(what)?.[1].split(', ') ?? [what]).forEach(name => names.add(name));
    imports.set(from, names);
    return '';
  }));
  return [
    ...[...imports].flatMap(([from, names]) => [...names].map(name => `import ${name.startsWith('* as ') ? name : `{ ${name} }`} from '${from}';`)),
    'export class AccountSettingsStack extends Stack {',
    '  constructor(scope: Construct, id: string, props?: StackProps) {',
    '    super(scope, id, props);',
    ...bodies.map(body => `    {\n${body}    }`),
    '  }',
    '}',
    'const app = new App();',
    "new AccountSettingsStack(app, 'AccountSettings');",
    'app.synth();',
  ].join('\n');
}

/** Runs a TypeScript app of the fresh app's directory as `cdk synth` does (ts-node, type-checked): its stderr, '' when it succeeded. */
function runApp(file: string, source: string, out: string): string {
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['es2022'], strict: true, types: [] },
  }));
  fs.writeFileSync(path.join(app, file), source);
  try {
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'ts-node'), [file], {
      cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CDK_OUTDIR: path.join(app, out) },
    });
    return '';
  } catch (error) {
    return String((error as { stderr?: string }).stderr);
  }
}

test('the README\'s examples pasted into one stack of a fresh app compile against the package and synthesize', () => {
  expect(runApp('readme-app.ts', readmeApp({ withNagRecipe: false }), 'readme.out')).toBe('');

  const template = JSON.parse(fs.readFileSync(path.join(app, 'readme.out', 'AccountSettings.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; DeletionPolicy?: string }> };
  const resources = Object.values(template.Resources);
  // The organization example and the member footprint's.
  expect(resources.filter(r => r.Type === 'Custom::AccountOrganizationBaseline')).toHaveLength(2);
  expect(resources.filter(r => r.Type === 'AWS::CloudFormation::StackSet')).toHaveLength(1);
  // What the README says a deleted stack leaves behind: the functions' log groups.
  expect(resources.filter(r => r.Type === 'AWS::Logs::LogGroup').map(r => r.DeletionPolicy)).toEqual(['Retain', 'Retain', 'Retain']);
});

test('the README\'s cdk-nag recipe, pasted with them, fails the synth on the app\'s own finding only', () => {
  const error = runApp('readme-nag-app.ts', readmeApp({ withNagRecipe: true }), 'readme-nag.out');

  // The README's Region rule sends to an SNS topic that does not enforce SSL: the user's own finding, and the only one.
  expect(error).toContain('cdk-nag AwsSolutions findings:\nAwsSolutions-SNS3 on AccountSettings/RegionNews/Resource\n');
  expect(error).not.toMatch(/AwsSolutions-[A-Z0-9]+ on AccountSettings\/(?!RegionNews\/)/);
});

test('the installed bin runs from the app without any dependency of its own and tells the installed version', () => {
  const { version } = JSON.parse(sh('tar', ['-xzOf', tarball, 'package/package.json'], dir)) as { version: string };
  expect(sh('npx', ['--no-install', 'cdk-account-management', '--version'], app).trim()).toBe(version);
});
