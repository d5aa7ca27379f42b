/*
 * The main job: deploy the example organization's settings (examples/example-org.ts) locally, as
 * CloudFormation would, with the handlers' real bundles, against the local AWS services (local/), and
 * show what each account held before and after, the calls made and the time; then deploy again
 * unchanged, run the baseline's scheduled reconciliation, and remove one construct; then run the
 * command-line tool's plan, drift (after a change made by hand), import and, last, status (where the
 * baseline's current generation is) against the same services.
 *
 *   npx projen demo
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { program } from '../cli/index';
import { LocalAws, LocalCloudFormation, scaledQuotas } from '../local';
import { DATA_OU, DATA_PLATFORM, exampleStack, MANAGEMENT, PROD, STAGING, WORKLOAD_ACCOUNTS, WORKLOADS_OU } from './example-org';

/** Time runs this much faster here than in AWS: the handlers' delays, the quotas, the Region transition. */
const TIME_SCALE = 20;
/** How long the Region's transition takes, at real time (a few minutes is typical). */
const TRANSITION_MINUTES = 3;
const ACCOUNTS = [MANAGEMENT, PROD, STAGING, ...WORKLOAD_ACCOUNTS, DATA_PLATFORM];
const REGION = 'af-south-1';
const TYPES = ['BILLING', 'OPERATIONS', 'SECURITY'] as const;

export interface DemoOptions {
  /** Where the demo's lines go. */
  readonly print: (line: string) => void;
  /** @default 20 */
  readonly timeScale?: number;
}

/** What the demo's steps did, for tests. */
export interface DemoResult {
  readonly steps: Array<{ readonly title: string; readonly status: string; readonly writes: number; readonly changed: number }>;
  /** The command-line tool's runs against the same local services: its arguments, exit code and output. */
  readonly cli: Array<{ readonly args: string[]; readonly code: number; readonly output: string }>;
  /** Every setting of every account at the end: account → setting → what it holds. */
  readonly final: Record<string, Record<string, string>>;
}

/** What each account holds, setting by setting: the example's made-up values, shown as they are. */
function snapshot(aws: LocalAws): Record<string, Record<string, string>> {
  return Object.fromEntries(ACCOUNTS.map(id => {
    const account = aws.account(id);
    const settings: Record<string, string> = {};
    for (const type of TYPES) {
      const contact = account.alternateContacts.get(type);
      settings[`${type.toLowerCase()} contact`] = contact ? `${contact.Name} <${contact.EmailAddress}>` : '—';
    }
    const primary = account.contactInformation;
    settings['primary contact'] = primary ? `${primary.FullName}, ${primary.City} ${primary.CountryCode}` : '—';
    settings.name = account.name;
    settings[`Region ${REGION}`] = aws.regionStatus(id, REGION) ?? '—';
    return [id, settings];
  }));
}

function columns(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)));
  return rows.map(r => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
}

const WRITES = /^(Put|Delete|Enable|Disable)/;

/** Where the demo leaves the reader: what to read, change and run next. */
export const NEXT_STEPS = [
  '',
  'Next:',
  '  - read examples/example-org.ts, the stack deployed here; change a value or an account in it, check it with'
    + ' `npx tsc --noEmit -p examples/tsconfig.json` and run `npx projen demo` again',
  '  - run `npx projen example` to see what the stack declares, as `cdk synth` makes it',
  '  - in your own app, `npx cdk synth && npx cdk-account-management plan` shows what a deploy would change (read-only: see the README\'s "See before you deploy"),'
    + ' and `npx cdk-account-management status --watch` follows an OrganizationBaseline\'s run after it',
  '  - read the README\'s "Start an app" to put these constructs into your own CDK app, and CONTRIBUTING.md for how the code is laid out',
];

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { print } = options;
  const scale = options.timeScale ?? TIME_SCALE;
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(scale);
  const aws = await LocalAws.start({
    managementAccountId: MANAGEMENT,
    memberAccountIds: ACCOUNTS.filter(id => id !== MANAGEMENT),
    rateQuotas: scaledQuotas(scale),
    regionTransitionMs: (TRANSITION_MINUTES * 60_000) / scale,
  });
  aws.useForSdkClients();
  aws.addOrganizationalUnit(WORKLOADS_OU);
  aws.addOrganizationalUnit(DATA_OU, WORKLOADS_OU);
  WORKLOAD_ACCOUNTS.forEach(id => aws.moveAccount(id, WORKLOADS_OU));
  aws.moveAccount(DATA_PLATFORM, DATA_OU);
  aws.stepFunctions.waitMs = 30_000 / scale; // the Region's poll interval, 30 s at real time
  const cloudFormation = new LocalCloudFormation(aws);
  const steps: DemoResult['steps'] = [];
  // The handlers' log lines and their SDK's warnings (a local request slower than its scaled timeout): in AWS, their CloudWatch log groups.
  const { info, warn } = console;
  console.info = () => undefined;
  console.warn = () => undefined;

  const step = async (title: string, run: () => Promise<string>) => {
    print(`\n== ${title}`);
    const before = snapshot(aws);
    aws.clearCalls();
    const started = Date.now();
    const progress = setInterval(() => {
      const status = aws.regionStatus(PROD, REGION);
      if (status === 'ENABLING') print(`   … ${REGION} of ${PROD} is ENABLING (${((Date.now() - started) * scale / 1000).toFixed(0)} s at real time)`);
    }, 1000);
    let status: string;
    try {
      status = await run();
      await aws.stepFunctions.settled();
      await aws.lambda.settled();
    } finally {
      clearInterval(progress);
    }
    const seconds = (Date.now() - started) / 1000;
    const after = snapshot(aws);
    const rows = [['account', 'setting', 'before', 'after']];
    let changed = 0;
    for (const id of ACCOUNTS) {
      for (const setting of Object.keys(after[id])) {
        if (before[id][setting] === after[id][setting]) continue;
        changed++;
        rows.push([id, setting, before[id][setting], after[id][setting]]);
      }
    }
    const calls = new Map<string, number>();
    for (const call of aws.calls) {
      if (call.operation.includes(':')) continue; // Account Management calls only
      calls.set(call.operation, (calls.get(call.operation) ?? 0) + 1);
    }
    const writes = [...calls].filter(([op]) => WRITES.test(op)).reduce((n, [, c]) => n + c, 0);
    print(`   stack ${status} in ${seconds.toFixed(1)} s here, ${(seconds * scale / 60).toFixed(1)} min at real time`);
    if (changed === 0) print('   no setting of any account changed');
    else columns(rows).forEach(line => print(`   ${line}`));
    print(`   Account Management calls: ${[...calls].map(([op, c]) => `${op} ${c}`).join(', ') || 'none'} (${writes} write${writes === 1 ? '' : 's'})`);
    steps.push({ title, status, writes, changed });
  };

  try {
    print(`The example organization: management account ${MANAGEMENT}, ${ACCOUNTS.length - 1} members, the ${WORKLOADS_OU} OU `
      + `(nested ${DATA_OU}); time runs ${scale}× faster here, the Region takes ${TRANSITION_MINUTES} minutes to enable at real time.`);
    print('Its contact values are made up (example.com, 555 numbers), so they are shown as they are: the data platform\'s '
      + `own security contact (${DATA_PLATFORM}, an override) can be told from its OU's. The CLI masks real ones.`);
    const deploy = async (stack = exampleStack()) => {
      const result = await cloudFormation.deploy(stack);
      result.failures.forEach(f => print(`   ! ${f.logicalId}: ${f.reason}`));
      return result.status;
    };
    await step('Deploy the example stack', () => deploy());
    await step('Deploy it again, unchanged', () => deploy());
    await step('Run the OU baseline\'s scheduled reconciliation (reads, writes only what drifted)', async () => {
      const baseline = cloudFormation.stackOf('OrgBaseline').resources;
      const [logicalId] = [...baseline.keys()].filter(id => baseline.get(id)!.ResourceType === 'Custom::AccountOrganizationBaseline');
      const properties = cloudFormation.resourceProperties('OrgBaseline', logicalId);
      await aws.lambda.invoke(String(properties.ServiceToken), { Trigger: 'schedule', BaselineId: properties.BaselineId, Store: properties.Store });
      return 'unchanged (a scheduled run)';
    });
    await step('Remove the management account\'s operations contact from the stack', () => deploy(exampleStack({ withoutOperationsContact: true })));
    const final = snapshot(aws);

    const cli: DemoResult['cli'] = [];
    const run = async (title: string, args: string[]) => {
      print(`\n== ${title}\n   $ npx cdk-account-management ${args.join(' ')}`);
      let output = '';
      let code = 0;
      const io = { out: (text: string) => { output += text; }, err: (text: string) => { output += text; }, exit: (c: number) => { code = c; } };
      try {
        await program(io).parseAsync(args);
      } catch (error) {
        output += `Error: ${(error as Error).message}\n`;
        code = 1;
      }
      output.trimEnd().split('\n').forEach(line => print(`   ${line}`));
      print(`   (exit code ${code})`);
      cli.push({ args, code, output });
    };
    // `cdk synth` of the example with the operations contact declared again, as a user's cdk.out.
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-account-management-demo-'));
    try {
      const app = new App({ outdir });
      exampleStack({}, app);
      app.synth();
      await run('What deploying the example again (its operations contact back) would change', ['plan', '--app', outdir]);
      aws.account(STAGING).name = 'renamed-by-hand';
      await run(`What changed by hand since the last deploy (${STAGING} was just renamed)`, ['drift', '--stack', 'OrgBaseline']);
      await run(`TypeScript that declares what ${PROD} holds now`, ['import', '--accounts', PROD, '--names']);
      await run('Where the OU baseline\'s current generation is (what a pipeline waits on after a deploy)', ['status', '--stack', 'OrgBaseline']);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
    print('\nEvery step above ran the handlers\' bundles (assets/lambda/*) under the local CloudFormation, Lambda and Step Functions.');
    NEXT_STEPS.forEach(line => print(line));
    return { steps, cli, final };
  } finally {
    Object.assign(console, { info, warn });
    await aws.close();
  }
}

if (require.main === module) {
  runDemo({ print: line => console.log(line) }).catch(error => {
    console.error(error);
    process.exit(1);
  });
}
