/*
 * The command-line tool (cli/): plan, drift and import against the local services, with stacks
 * synthesized from the constructs and deployed by the local CloudFormation (the handlers' real
 * bundles), as a user runs them between `cdk synth` and `cdk deploy`.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ts from 'typescript';
import { main } from '../cli/index';
import { mask } from '../cli/mask';
import { OPT_IN_REGIONS } from '../local';
import { BILLING, OPERATIONS, PRIMARY_CONTACT, SECURITY, SUBSIDIARY_CONTACT } from './fixtures';
import { destroyedAfterEach, Local, MANAGEMENT, runCli, startLocal, stopLocal } from './support';
import {
  AccountBaseline, AlternateContact, AlternateContactDetails, AlternateContactType, OrganizationBaseline, PrimaryContactDetails, RegionOptIn,
} from '../src';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const TIME_SCALE = 50;
const MEMBERS = Array.from({ length: 50 }, (_, i) => String(300000000000 + i));
const [MEMBER_A, MEMBER_B] = MEMBERS;
const OU = 'ou-root-cli00001';
const IN_OU = MEMBERS.slice(0, 5);
const REGION = OPT_IN_REGIONS[0];
const OTHER_REGION = OPT_IN_REGIONS[1];
const ROOT = path.join(__dirname, '..');

jest.setTimeout(180_000);

let local: Local;
let workDir: string;

beforeAll(async () => {
  local = await startLocal({ memberAccountIds: MEMBERS }, TIME_SCALE);
  local.aws.addOrganizationalUnit(OU);
  for (const id of IN_OU) local.aws.moveAccount(id, OU);
  // Under the repository, so that the source `import` writes resolves its imports as a user's app would.
  workDir = fs.mkdtempSync(path.join(__dirname, 'cli.out.'));
});

afterAll(async () => {
  await stopLocal(local);
  fs.rmSync(workDir, { recursive: true, force: true });
});

const deployed = destroyedAfterEach(() => local);

beforeEach(() => {
  for (const id of [MANAGEMENT, ...MEMBERS]) {
    const account = local.aws.account(id);
    account.alternateContacts.clear();
    account.contactInformation = undefined;
    account.name = `account-${id}`;
    for (const region of OPT_IN_REGIONS) local.aws.setRegionStatus(id, region, 'DISABLED');
  }
  local.aws.clearCalls();
});

/** The stack's app, synthesized to a directory of its own: what `cdk synth` leaves in cdk.out. */
function synth(stack: Stack): string {
  return App.of(stack) ? (App.of(stack) as App).synth().directory : '';
}

function settingsStack(build: (stack: Stack) => void): Stack {
  const app = new App({ outdir: fs.mkdtempSync(path.join(workDir, 'cdk.out.')) });
  const stack = new Stack(app, 'Settings', { env: { account: MANAGEMENT, region: 'us-east-1' } });
  build(stack);
  return stack;
}

/** A security contact and a Region for member A, and a baseline over the OU. */
function declared(options: { withSecurityOfA?: boolean; retainRegion?: boolean } = {}): Stack {
  return settingsStack(stack => {
    if (options.withSecurityOfA ?? true) new AlternateContact(stack, 'SecurityOfA', { accountId: MEMBER_A, type: AlternateContactType.SECURITY, ...SECURITY });
    new RegionOptIn(stack, 'RegionOfB', { accountId: MEMBER_B, regionName: REGION, removalPolicy: options.retainRegion ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY });
    new OrganizationBaseline(stack, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { billing: BILLING }, primaryContact: PRIMARY_CONTACT });
  });
}

async function deploy(stack: Stack): Promise<void> {
  deployed.add(stack.stackName);
  const result = await local.cloudFormation.deploy(stack);
  expect(result.status).toMatch(/_COMPLETE$/);
  expect(result.status).not.toMatch(/ROLLBACK/);
  await local.aws.stepFunctions.settled();
}

function planJson(out: string): { changes: Json[]; counts: Record<string, number> } {
  return JSON.parse(out);
}

/** The contact values of the fixtures, none of which may be printed without --show-values. */
const VALUES = [SECURITY, BILLING].flatMap((c: AlternateContactDetails) => [c.name, c.emailAddress, c.phoneNumber])
  .concat([PRIMARY_CONTACT.fullName, PRIMARY_CONTACT.addressLine1, PRIMARY_CONTACT.phoneNumber]);

describe('plan', () => {
  test('on a fresh organization: every setting will be written or enabled, exit code 2, and no value is printed', async () => {
    const dir = synth(declared());
    const table = await runCli('plan', '--app', dir);
    const json = await runCli('plan', '--app', dir, '--json');

    expect(table.code).toBe(2);
    expect(json.code).toBe(2);
    const changes = planJson(json.out).changes;
    expect(changes).toContainEqual(expect.objectContaining({ account: MEMBER_A, setting: 'SECURITY alternate contact', action: 'write' }));
    expect(changes).toContainEqual(expect.objectContaining({ account: MEMBER_B, setting: `Region ${REGION}`, action: 'enable' }));
    for (const id of IN_OU) {
      expect(changes).toContainEqual(expect.objectContaining({ account: id, setting: 'BILLING alternate contact', action: 'write' }));
      expect(changes).toContainEqual(expect.objectContaining({ account: id, setting: 'primary contact', action: 'write' }));
    }
    // The baseline's targets were resolved through AWS Organizations: no account outside the OU.
    expect(new Set(changes.map((c: Json) => c.account))).toEqual(new Set([...IN_OU, MEMBER_B]));
    expect(table.out).toContain('will be written');
    expect(table.out).toMatch(/Plan: .*will be written/);
    // The ETA costs the writes at the quotas: the primary contacts' and the contacts' puts, the Region's enable.
    const eta = (JSON.parse(json.out) as { eta: { calls: Record<string, number>; seconds: number } }).eta;
    expect(eta.calls).toEqual(expect.objectContaining({
      PutAlternateContact: 1 + IN_OU.length, PutContactInformation: IN_OU.length, EnableRegion: 1,
    }));
    expect(table.out).toMatch(/\nETA: applying these changes takes about \d+m?\d*s? at the calling account's Account Management quotas/);
    for (const value of VALUES) {
      expect(table.out).not.toContain(value);
      expect(json.out).not.toContain(value);
    }
    // Read-only: no write of any kind was made.
    expect(local.aws.calls.filter(c => /^(Put|Delete|Enable|Disable)/.test(c.operation))).toEqual([]);
  });

  test('after the deploy, nothing: exit code 0', async () => {
    const stack = declared();
    await deploy(stack);
    local.aws.setRegionStatus(MEMBER_B, REGION, 'ENABLED');

    const result = await runCli('plan', '--app', synth(stack), '--json');

    expect(result.code).toBe(0);
    expect(planJson(result.out).changes.every((c: Json) => c.action === 'unchanged')).toBe(true);
    expect(planJson(result.out).changes).toHaveLength(1 + 1 + IN_OU.length * 2);
  });

  test('after a change by hand: the one field that differs, masked, or shown with --show-values', async () => {
    const stack = declared();
    await deploy(stack);
    local.aws.account(MEMBER_A).alternateContacts.set('SECURITY', { ...fieldsOf(SECURITY), EmailAddress: 'someone.else@example.org' });

    const masked = await runCli('plan', '--app', synth(stack), '--json');
    const shown = await runCli('plan', '--app', synth(stack), '--json', '--show-values');

    expect(masked.code).toBe(2);
    const change = planJson(masked.out).changes.find((c: Json) => c.action !== 'unchanged' && c.action !== 'in progress');
    expect(change).toEqual(expect.objectContaining({
      account: MEMBER_A,
      setting: 'SECURITY alternate contact',
      action: 'write',
      fields: [{ field: 'EmailAddress', current: 's***********@example.org', declared: mask(SECURITY.emailAddress) }],
    }));
    expect(planJson(shown.out).changes).toContainEqual(expect.objectContaining({
      fields: [{ field: 'EmailAddress', current: 'someone.else@example.org', declared: SECURITY.emailAddress }],
    }));
  });

  test('after removing constructs: a contact and a Region with RemovalPolicy.DESTROY will be deleted and disabled', async () => {
    await deploy(declared({ retainRegion: false }));
    local.aws.setRegionStatus(MEMBER_B, REGION, 'ENABLED');
    const without = settingsStack(stack => {
      new OrganizationBaseline(stack, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { billing: BILLING }, primaryContact: PRIMARY_CONTACT });
    });

    const result = await runCli('plan', '--app', synth(without), '--json');

    expect(result.code).toBe(2);
    const changes = planJson(result.out).changes;
    expect(changes).toContainEqual(expect.objectContaining({ account: MEMBER_A, setting: 'SECURITY alternate contact', action: 'delete' }));
    expect(changes).toContainEqual(expect.objectContaining({ account: MEMBER_B, setting: `Region ${REGION}`, action: 'disable' }));
  });

  test('a baseline that drops a contact type deletes it only with pruneUndeclared, and leaves it otherwise', async () => {
    const both = (prune: boolean) => settingsStack(stack => {
      new OrganizationBaseline(stack, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { billing: BILLING, operations: OPERATIONS }, pruneUndeclared: prune });
    });
    const one = (prune: boolean) => settingsStack(stack => {
      new OrganizationBaseline(stack, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { billing: BILLING }, pruneUndeclared: prune });
    });
    await deploy(both(false));

    const kept = planJson((await runCli('plan', '--app', synth(one(false)), '--json')).out).changes;
    const pruned = planJson((await runCli('plan', '--app', synth(one(true)), '--json')).out).changes;

    const operations = (changes: Json[]) => changes.filter(c => c.setting === 'OPERATIONS alternate contact').map(c => c.action);
    expect(operations(kept)).toEqual(IN_OU.map(() => 'keep'));
    expect(operations(pruned)).toEqual(IN_OU.map(() => 'delete'));
  });

  test('a renamed construct removes nothing, and neither does one whose setting moves into a baseline of the same stack', async () => {
    await deploy(declared());
    const renamed = settingsStack(stack => {
      new AlternateContact(stack, 'SecurityOfMemberA', { accountId: MEMBER_A, type: AlternateContactType.SECURITY, ...SECURITY });
      new RegionOptIn(stack, 'RegionOfB', { accountId: MEMBER_B, regionName: REGION, removalPolicy: RemovalPolicy.DESTROY });
      new OrganizationBaseline(stack, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { billing: BILLING }, primaryContact: PRIMARY_CONTACT });
    });
    const moved = settingsStack(stack => {
      new RegionOptIn(stack, 'RegionOfB', { accountId: MEMBER_B, regionName: REGION, removalPolicy: RemovalPolicy.DESTROY });
      new OrganizationBaseline(stack, 'Baseline', {
        organizationalUnitIds: [OU],
        alternateContacts: { billing: BILLING },
        primaryContact: PRIMARY_CONTACT,
        overrides: [{ accountId: MEMBER_A, alternateContacts: { security: SECURITY } }],
      });
    });

    const afterRename = await runCli('plan', '--app', synth(renamed), '--json');
    const afterMove = await runCli('plan', '--app', synth(moved));
    const afterMoveJson = await runCli('plan', '--app', synth(moved), '--json');

    expect(planJson(afterRename.out).changes.filter((c: Json) => c.action === 'delete' || c.action === 'keep')).toEqual([]);
    const ofA = planJson(afterMoveJson.out).changes.filter((c: Json) => c.account === MEMBER_A && c.setting === 'SECURITY alternate contact');
    expect(ofA.map((c: Json) => c.action).sort()).toEqual(['keep', 'unchanged']);
    expect(afterMove.err).not.toContain('deletes it at the end of the deploy');
  });

  test('a baseline\'s primary contact is compared field by field, a field it leaves out included (the reconciler clears it)', async () => {
    const stack = declared();
    await deploy(stack);
    local.aws.setRegionStatus(MEMBER_B, REGION, 'ENABLED');
    const withWebsite = { ...local.aws.account(IN_OU[0]).contactInformation!, WebsiteUrl: 'https://example.org' };
    local.aws.account(IN_OU[0]).contactInformation = withWebsite;

    const changes = planJson((await runCli('plan', '--app', synth(stack), '--json', '--show-values')).out).changes;

    expect(changes.filter((c: Json) => c.action !== 'unchanged')).toEqual([expect.objectContaining({
      account: IN_OU[0], setting: 'primary contact', action: 'write', fields: [{ field: 'WebsiteUrl', current: 'https://example.org' }],
    })]);
  });

  test('a setting two resources declare is a warning: each deploy overwrites the other', async () => {
    const both = settingsStack(stack => {
      new OrganizationBaseline(stack, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { billing: BILLING } });
      new AccountBaseline(stack, 'One', { accountId: IN_OU[1], alternateContacts: { billing: { ...BILLING, name: 'Someone Else' } } });
    });

    const result = await runCli('plan', '--app', synth(both));

    expect(result.err).toMatch(new RegExp(`Warning: ${IN_OU[1]}'s BILLING alternate contact is declared by Settings/\\w+ and Settings/\\w+: each overwrites the other's value`));
  });

  test('a denied read fails with exit code 1, naming the permission the tool needs', async () => {
    local.aws.injectFault({ operation: 'GetAlternateContact', status: 403, errorType: 'AccessDeniedException', count: 1_000 });
    try {
      const result = await runCli('plan', '--app', synth(declared()));
      expect(result.code).toBe(1);
      expect(result.err).toMatch(/Reading account \d{12} was denied: the tool needs account:GetAlternateContact/);
    } finally {
      local.aws.clearFaults();
    }
  });

  test('--stack selects stacks, and an unknown one is a clear error', async () => {
    const dir = synth(declared());
    expect((await runCli('plan', '--app', dir, '--stack', 'Settings', '--json')).code).toBe(2);
    const unknown = await runCli('plan', '--app', dir, '--stack', 'Nope');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('No stack named Nope in the assembly; it has Settings');
  });
});

describe('drift', () => {
  test('what changed by hand since the deploy, against the deployed template, whatever the app now declares', async () => {
    const stack = declared();
    await deploy(stack);
    local.aws.setRegionStatus(MEMBER_B, REGION, 'ENABLED');
    expect((await runCli('drift', '--app', synth(stack), '--json')).code).toBe(0);

    local.aws.account(IN_OU[2]).contactInformation = undefined;
    // The app changes too: drift still compares with what is deployed.
    const changedApp = settingsStack(s => new AccountBaseline(s, 'Other', { accountId: MEMBER_B, alternateContacts: { security: SECURITY } }));
    const result = await runCli('drift', '--app', synth(changedApp), '--json');

    expect(result.code).toBe(2);
    const drifted = planJson(result.out).changes.filter((c: Json) => c.action !== 'unchanged');
    expect(drifted).toEqual([expect.objectContaining({ account: IN_OU[2], setting: 'primary contact', action: 'write' })]);
    const table = await runCli('drift', '--app', synth(changedApp));
    expect(table.out).toContain('drifted');
    // Without an assembly, the stack's name is enough.
    const byName = await runCli('drift', '--app', path.join(workDir, 'none'), '--stack', stack.stackName, '--json');
    expect(planJson(byName.out).changes.filter((c: Json) => c.action !== 'unchanged')).toEqual(drifted);
  });
});

describe('import', () => {
  /** Most accounts share their values, a few differ, as in an organization set up by hand. */
  function organizationByHand(): void {
    for (const [i, id] of [...MEMBERS, MANAGEMENT].entries()) {
      const account = local.aws.account(id);
      account.alternateContacts.set('SECURITY', fieldsOf(i < 45 ? SECURITY : { ...SECURITY, name: `Security ${i}` }));
      if (i % 3 === 0) account.alternateContacts.set('BILLING', fieldsOf(BILLING));
      account.contactInformation = primaryFieldsOf(i < 48 ? PRIMARY_CONTACT : SUBSIDIARY_CONTACT);
      local.aws.setRegionStatus(id, REGION, 'ENABLED');
      if (i < 4) local.aws.setRegionStatus(id, OTHER_REGION, 'ENABLED');
    }
  }

  /** Type-checks the generated source as a user's app would compile it, against this package's API. */
  function typeCheck(file: string): string[] {
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      paths: { 'cdk-account-management': [path.join(ROOT, 'src', 'index.ts')] },
      types: ['node'],
    };
    const compiled = ts.createProgram([file], options);
    return ts.getPreEmitDiagnostics(compiled).map(d => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }

  /** Deploys the generated stack and returns the writes it made. */
  async function deployGenerated(file: string): Promise<string[]> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ImportedAccountSettings } = require(file) as { ImportedAccountSettings: new (scope: App, id: string, props: object) => Stack };
    const stack = new ImportedAccountSettings(new App(), 'Imported', { env: { account: MANAGEMENT, region: 'us-east-1' } });
    local.aws.clearCalls();
    await deploy(stack);
    return local.aws.calls.filter(c => /^(Put|Delete|Enable|Disable)/.test(c.operation) && c.status === 200).map(c => c.operation);
  }

  test('--organization: one OrganizationBaseline with what the accounts share and overrides; it compiles, and its deploy writes nothing', async () => {
    organizationByHand();
    const file = path.join(workDir, 'organization.ts');

    const result = await runCli('import', '--organization', '--out', file);

    expect(result.code).toBe(0);
    const source = fs.readFileSync(file, 'utf8');
    expect(source).toContain('new OrganizationBaseline(this, \'Baseline\'');
    expect(source).toContain('allAccounts: true,');
    expect(source.match(/accountId: '3000000000(4[5-9])'/g)?.length).toBeGreaterThanOrEqual(5);
    expect(source.match(/new RegionOptIn/g)).toHaveLength(4);
    expect(typeCheck(file)).toEqual([]);
    expect(await deployGenerated(file)).toEqual([]);
  });

  test('--accounts: an AccountBaseline per account, with its name; it compiles, and its deploy leaves every value as it was', async () => {
    organizationByHand();
    local.aws.account(MEMBER_B).name = 'Payments Production';
    const file = path.join(workDir, 'accounts.ts');
    const held = () => [MEMBER_A, MEMBER_B].map(id => {
      const account = local.aws.account(id);
      const regions = OPT_IN_REGIONS.map(r => local.aws.regionStatus(id, r));
      return JSON.stringify([[...account.alternateContacts], account.contactInformation, account.name, regions]);
    });
    const before = held();

    const result = await runCli('import', '--accounts', MEMBER_A, MEMBER_B, '--names', '--out', file);

    expect(result.code).toBe(0);
    const source = fs.readFileSync(file, 'utf8');
    expect(source.match(/new AccountBaseline/g)).toHaveLength(2);
    expect(source).toContain('accountName: \'Payments Production\'');
    expect(typeCheck(file)).toEqual([]);
    // The single-setting constructs write on create (the same values); the Regions, already enabled, are not asked again.
    expect((await deployGenerated(file)).filter(op => !['PutAlternateContact', 'PutContactInformation', 'PutAccountName'].includes(op))).toEqual([]);
    expect(held()).toEqual(before);
  });

  test('an account id that is not one is refused before any call', async () => {
    const result = await runCli('import', '--accounts', '12345');
    expect(result.code).toBe(1);
    expect(result.err).toContain('"12345" is not an account id (12 digits)');
    expect(local.aws.calls).toEqual([]);
  });
});

describe('the installed package', () => {
  test('`npx cdk-account-management --help` works from the packed tarball, which holds the tool as one file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-account-management-pack-'));
    try {
      const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
      const consumer = path.join(dir, 'consumer');
      fs.mkdirSync(consumer);
      fs.writeFileSync(path.join(consumer, 'package.json'), '{ "name": "consumer", "private": true }');
      // Offline and without its peer dependencies (aws-cdk-lib, constructs): the tool needs neither.
      execFileSync('npm', ['install', '--offline', '--legacy-peer-deps', '--no-audit', '--no-fund', path.join(dir, tarball)], { cwd: consumer, encoding: 'utf8' });
      const help = execFileSync('npx', ['--no-install', 'cdk-account-management', '--help'], { cwd: consumer, encoding: 'utf8' });

      expect(help).toContain('Usage: cdk-account-management');
      for (const command of ['plan', 'drift', 'import']) expect(help).toContain(command);
      expect(help).toContain('account:GetAlternateContact');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('main() turns an error into exit code 1 and a message', async () => {
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['plan', '--app', path.join(workDir, 'nowhere')])).toBe(1);
      expect(err).toHaveBeenCalledWith(expect.stringContaining('is not a cloud assembly (no manifest.json): run `cdk synth` first'));
    } finally {
      err.mockRestore();
    }
  });
});

function fieldsOf(contact: AlternateContactDetails): { Name: string; Title: string; EmailAddress: string; PhoneNumber: string } {
  return { Name: contact.name, Title: contact.title, EmailAddress: contact.emailAddress, PhoneNumber: contact.phoneNumber };
}

function primaryFieldsOf(details: PrimaryContactDetails): Record<string, string> {
  const fields: Record<string, string | undefined> = {
    FullName: details.fullName,
    AddressLine1: details.addressLine1,
    City: details.city,
    CompanyName: details.companyName,
    CountryCode: details.countryCode,
    PhoneNumber: details.phoneNumber,
    PostalCode: details.postalCode,
    StateOrRegion: details.stateOrRegion,
    AddressLine2: details.addressLine2,
    DistrictOrCounty: details.districtOrCounty,
    WebsiteUrl: details.websiteUrl,
  };
  return Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined));
}
