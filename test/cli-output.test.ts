/*
 * The command-line tool's output, for people and pipelines, against the local services: unchanged rows
 * hidden unless --all, the construct that declares each row, only contact values masked, colour only on
 * a terminal; a closed account skipped, not fatal; the deletions a prune makes; a stack not found where
 * expected; the first error ends the run.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { BILLING, PRIMARY_CONTACT, SECURITY } from './fixtures';
import { destroyedAfterEach, Local, MANAGEMENT, runCli, startLocal, stopLocal } from './support';
import { Aws } from '../cli/aws';
import { program } from '../cli/index';
import { AccountBaseline, AccountName, AlternateContact, AlternateContactType, OrganizationBaseline, PrimaryContact } from '../src';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const MEMBERS = Array.from({ length: 40 }, (_, i) => String(310000000000 + i));
const [MEMBER_A, MEMBER_B, CLOSED] = MEMBERS;
const OU = 'ou-root-cliout01';
const IN_OU = MEMBERS.slice(3, 8);
const BIN = path.join(__dirname, '..', 'assets', 'cli', 'index', 'index.js');

jest.setTimeout(180_000);

let local: Local;
let workDir: string;
const deployed = destroyedAfterEach(() => local);

beforeAll(async () => {
  local = await startLocal({ memberAccountIds: MEMBERS }, 50);
  local.aws.addOrganizationalUnit(OU);
  for (const id of IN_OU) local.aws.moveAccount(id, OU);
  workDir = fs.mkdtempSync(path.join(__dirname, 'cli-output.out.'));
});

afterAll(async () => {
  await stopLocal(local);
  fs.rmSync(workDir, { recursive: true, force: true });
});

beforeEach(() => {
  for (const id of [MANAGEMENT, ...MEMBERS]) {
    const account = local.aws.account(id);
    account.alternateContacts.clear();
    account.contactInformation = undefined;
    account.name = `account-${id}`;
  }
  local.aws.setAccountStatus(CLOSED, 'ACTIVE');
  local.aws.clearFaults();
  local.aws.clearCalls();
});

/** The bin as a user runs it, its output piped, against the local services (this process's environment points at them). */
function bin(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise(resolve => {
    execFile(process.execPath, [BIN, ...args], { timeout: 120_000, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env } },
      (error, out, err) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, out, err }));
  });
}

function settingsStack(build: (stack: Stack) => void, options: { agnostic?: boolean } = {}): Stack {
  // The path metadata that `cdk synth` writes (unless --no-path-metadata).
  const app = new App({ outdir: fs.mkdtempSync(path.join(workDir, 'cdk.out.')), context: { 'aws:cdk:enable-path-metadata': true } });
  const stack = new Stack(app, 'Settings', { env: options.agnostic ? undefined : { account: MANAGEMENT, region: 'us-east-1' } });
  build(stack);
  return stack;
}

function synth(stack: Stack): string {
  return (App.of(stack) as App).synth().directory;
}

async function deploy(stack: Stack): Promise<void> {
  deployed.add(stack.stackName);
  const result = await local.cloudFormation.deploy(stack);
  expect(result.status).toMatch(/_COMPLETE$/);
  expect(result.status).not.toMatch(/ROLLBACK/);
  await local.aws.stepFunctions.settled();
}

/** A contact, a name and a primary contact of member A, and a baseline over the OU. */
function declared(): Stack {
  return settingsStack(stack => {
    new AlternateContact(stack, 'SecurityOfA', { accountId: MEMBER_A, type: AlternateContactType.SECURITY, ...SECURITY });
    new AccountName(stack, 'NameOfA', { accountId: MEMBER_A, accountName: 'Payments Production' });
    new PrimaryContact(stack, 'PrimaryOfA', { accountId: MEMBER_A, ...PRIMARY_CONTACT });
    new OrganizationBaseline(stack, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { billing: BILLING } });
  });
}

describe('the table', () => {
  test('after a change by hand: only the changed row, unless --all; the summary counts the others', async () => {
    const stack = declared();
    await deploy(stack);
    local.aws.account(MEMBER_A).alternateContacts.set('SECURITY', { Name: SECURITY.name, Title: SECURITY.title, EmailAddress: 'other@example.org', PhoneNumber: SECURITY.phoneNumber });

    const table = await runCli('drift', '--app', synth(stack));
    const all = await runCli('drift', '--app', synth(stack), '--all');
    const json = await runCli('drift', '--app', synth(stack), '--json');

    expect(table.code).toBe(2);
    // The rows end at the summary; what to do after it names the drifted account again.
    const rows = table.out.slice(0, table.out.indexOf('Drift:'));
    expect(rows.match(/\d{12}/g)).toEqual([MEMBER_A]);
    expect(table.out.slice(table.out.indexOf('What to do:')).match(/\d{12}/g)).toEqual([MEMBER_A]);
    expect(table.out).toContain('SECURITY alternate contact');
    expect(table.out).not.toContain('BILLING alternate contact');
    expect(table.out).toMatch(/Drift: .*\d+ unchanged.*unchanged not listed; --all lists them/);
    expect(all.out).toContain('BILLING alternate contact');
    for (const id of IN_OU) expect(all.out).toContain(id);
    // JSON is for pipelines: every row, as before.
    expect(JSON.parse(json.out).changes.length).toBe(3 + IN_OU.length);
  });

  test('each row names the construct that declares it, by its path', async () => {
    const result = await runCli('plan', '--app', synth(declared()), '--json');
    const table = await runCli('plan', '--app', synth(declared()));

    const changes = JSON.parse(result.out).changes as Json[];
    expect(changes.find(c => c.setting === 'SECURITY alternate contact').construct).toBe('Settings/SecurityOfA');
    expect(changes.find(c => c.setting === 'account name').construct).toBe('Settings/NameOfA');
    expect(changes.filter(c => c.setting === 'BILLING alternate contact').map(c => c.construct)).toEqual(IN_OU.map(() => 'Settings/Baseline'));
    expect(table.out).toContain('Declared by');
    expect(table.out).toContain('Settings/SecurityOfA');
  });

  test('only contact values are masked: an account name and a country code are shown; --show-values shows the rest', async () => {
    const masked = await runCli('plan', '--app', synth(declared()), '--json');
    const table = await runCli('plan', '--app', synth(declared()));
    const shown = await runCli('plan', '--app', synth(declared()), '--json', '--show-values');

    const fieldsOf = (out: string, setting: string) => (JSON.parse(out).changes as Json[])
      .find(c => c.account === MEMBER_A && c.setting === setting).fields as Json[];
    expect(fieldsOf(masked.out, 'account name')).toEqual([{ field: 'AccountName', current: `account-${MEMBER_A}`, declared: 'Payments Production' }]);
    expect(fieldsOf(masked.out, 'primary contact')).toContainEqual({ field: 'CountryCode', declared: PRIMARY_CONTACT.countryCode });
    expect(fieldsOf(masked.out, 'primary contact').find(f => f.field === 'FullName').declared).not.toBe(PRIMARY_CONTACT.fullName);
    expect(table.out).toContain('Payments Production');
    expect(table.out).not.toContain(PRIMARY_CONTACT.fullName);
    expect(table.out).not.toContain(SECURITY.emailAddress);
    expect(fieldsOf(shown.out, 'primary contact').find(f => f.field === 'FullName').declared).toBe(PRIMARY_CONTACT.fullName);
  });

  test('no colour when piped or with NO_COLOR; colour on a terminal', async () => {
    const dir = synth(declared());

    const piped = await bin(['plan', '--app', dir]);
    let out = '';
    const io = (colour: boolean) => ({ colour, out: (t: string) => { out += t; }, err: () => undefined, exit: () => undefined });
    await program(io(true)).parseAsync(['plan', '--app', dir]);
    const terminal = out;

    expect(piped.code).toBe(2);
    expect(piped.out).toContain('will be written');
    expect(piped.out).not.toContain('\u001b[');
    expect(terminal).toContain('\u001b[');
  });
});

describe('what the plan cannot read or must say', () => {
  test('a closed account among a baseline\'s explicit accountIds is reported as skipped, and the plan goes on', async () => {
    local.aws.setAccountStatus(CLOSED, 'SUSPENDED');
    const stack = settingsStack(s => {
      new OrganizationBaseline(s, 'Baseline', { accountIds: [MEMBER_A, CLOSED], alternateContacts: { billing: BILLING } });
      new AccountBaseline(s, 'Closed', { accountId: CLOSED, alternateContacts: { security: SECURITY } });
    });

    const json = await runCli('plan', '--app', synth(stack), '--json');
    const table = await runCli('plan', '--app', synth(stack));

    expect(json.code).toBe(2);
    const parsed = JSON.parse(json.out);
    expect(parsed.skipped).toEqual([{ account: CLOSED, reason: 'the account is closed' }]);
    expect(parsed.changes.map((c: Json) => c.account)).toEqual([MEMBER_A]);
    expect(table.err).toContain(`Warning: Account ${CLOSED} is skipped: the account is closed`);
    expect(table.err).not.toContain('denied');
  });

  test('a pruning baseline whose targets shrink: the accounts taken out lose its contacts, an excluded one keeps them', async () => {
    const baseline = (props: object) => settingsStack(s => new OrganizationBaseline(s, 'Baseline', { alternateContacts: { billing: BILLING }, pruneUndeclared: true, ...props }));
    await deploy(baseline({ organizationalUnitIds: [OU] }));

    const fewer = JSON.parse((await runCli('plan', '--app', synth(baseline({ accountIds: IN_OU.slice(0, 3) })), '--json')).out);
    const excluding = await runCli('plan', '--app', synth(baseline({ organizationalUnitIds: [OU], excludeAccountIds: [IN_OU[4]] })), '--json');

    const billing = (changes: Json[]) => Object.fromEntries(changes.filter(c => c.setting === 'BILLING alternate contact').map(c => [c.account, c.action]));
    expect(billing(fewer.changes)).toEqual({ [IN_OU[0]]: 'unchanged', [IN_OU[1]]: 'unchanged', [IN_OU[2]]: 'unchanged', [IN_OU[3]]: 'delete', [IN_OU[4]]: 'delete' });
    expect(billing(JSON.parse(excluding.out).changes)[IN_OU[4]]).toBe('keep');
    // What it cannot know is said: accounts that left the targets since the last deploy.
    expect(fewer.warnings).toContainEqual(expect.stringContaining('Settings/Baseline prunes (pruneUndeclared)'));
    expect(fewer.warnings).toContainEqual(expect.stringContaining('the tool cannot list them'));
  });

  test('a stack whose environment names no Region, not found in the tool\'s Region: a warning that names the Region and --region', async () => {
    const agnostic = settingsStack(s => new AccountBaseline(s, 'One', { accountId: MEMBER_B, alternateContacts: { security: SECURITY } }), { agnostic: true });

    const plan = await runCli('plan', '--app', synth(agnostic));
    const drift = await runCli('drift', '--app', synth(agnostic), '--region', 'eu-west-1');

    expect(plan.code).toBe(2);
    expect(plan.err).toContain('Warning: Stack Settings was not found in Region us-east-1 (AWS_REGION): the plan shows it as a first deploy, with no removals; '
      + 'if it is deployed in another Region, name it with --region');
    expect(drift.code).toBe(1);
    expect(drift.err).toContain('Stack Settings is not deployed in Region eu-west-1 (--region)');
  });

  test('a wait on throttling or a failing service says why on stderr, and the plan then goes on', async () => {
    const dir = synth(declared());
    local.aws.injectFault({ operation: 'GetAlternateContact', status: 429, count: 2 });
    const throttled = await runCli('plan', '--app', dir, '--json');
    local.aws.injectFault({ operation: 'organizations:ListAccountsForParent', status: 500, count: 2 });
    const failing = await runCli('plan', '--app', dir, '--json');

    expect(throttled.code).toBe(2);
    expect(throttled.err).toMatch(/^Waiting: account:GetAlternateContact is throttled, the tool slows down; retrying until the --timeout \(\d+m\d*s? left\)$/m);
    expect(failing.code).toBe(2);
    expect(failing.err).toMatch(/^Waiting: organizations answered 500 \(\w+\); retrying until the --timeout/m);
  });

  test('the first error stops the readers: none takes another account, and calls not yet made are not made', async () => {
    const aws = await Aws.connect({ timeoutMs: 60_000 });
    const items = Array.from({ length: 41 }, (_, i) => i);
    const called: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>(resolve => { release = resolve; });
    const read = async (i: number) => {
      called.push(i);
      if (i === 0) throw new Error('denied');
      // The other first reads are in flight when the first fails; the reads after them would answer at once.
      if (i < 16) await gate;
    };

    await expect(aws.each(items, read)).rejects.toThrow('denied');
    release();
    await new Promise(resolve => setImmediate(resolve));

    expect(called).toEqual(items.slice(0, 16));
    expect(aws.stopped).toBe(true);
  });

  test('the first error ends the run of the bin, with the permission it needs', async () => {
    const stack = settingsStack(s => new OrganizationBaseline(s, 'Baseline', { allAccounts: true, alternateContacts: { billing: BILLING } }));
    const dir = synth(stack);
    // One read is denied; the others would succeed.
    local.aws.injectFault({ operation: 'GetAlternateContact', status: 403, errorType: 'AccessDeniedException', count: 1 });

    // At the real pace (no time scale), GetAlternateContact's burst of 15 goes at once, then 10 a second.
    const result = await bin(['plan', '--app', dir], { CDK_ACCOUNT_MANAGEMENT_TIME_SCALE: '1' });

    expect(result.code).toBe(1);
    expect(result.err).toContain('was denied: the tool needs account:GetAlternateContact');
    // Its many calls at once share one stop signal: no warning of a leak among the messages.
    expect(result.err).not.toContain('MaxListenersExceededWarning');
    // The process has exited: every call it made is counted. About the burst (15), not one per account (41) read on after the error.
    expect(local.aws.calls.filter(c => c.operation === 'GetAlternateContact').length).toBeLessThanOrEqual(30);
  });
});
