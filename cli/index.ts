import * as fs from 'fs';
import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import { Command, InvalidArgumentError, Option } from 'commander';
import { isAssembly, readAssembly, selectStacks } from './assembly';
import { Aws, READ_PERMISSIONS } from './aws';
import { accountsSource, organizationSource, readAccounts } from './import';
import { mask } from './mask';
import { Action, CHANGES, Plan, plan, Progress } from './plan';

/*
 * npx cdk-account-management plan | drift | import: what a deploy would change in the accounts, what
 * changed by hand since the last one, and TypeScript that declares what accounts hold now. Read-only:
 * the tool never writes to an account.
 */

/** Exit codes, as `terraform plan -detailed-exitcode` has them. */
export const EXIT = { NO_CHANGES: 0, ERROR: 1, CHANGES: 2 } as const;

/** How long the tool may take: its paced calls are retried until then. */
const DEADLINE_MS = 6 * 3600_000;
/** Runs shorter than this show no progress bar. */
const PROGRESS_AFTER_MS = 2_000;

const WORDS: Record<Action, string> = {
  'unchanged': 'unchanged',
  'in progress': 'in progress',
  'write': 'will be written',
  'enable': 'will be enabled',
  'disable': 'will be disabled',
  'delete': 'will be deleted',
  'keep': 'left as it is (no longer declared)',
};

interface Output {
  readonly json: boolean;
  readonly showValues: boolean;
}

/** The program, with its output and exit code given to the caller (the bin entry, or a test). */
export function program(io: { out: (text: string) => void; err: (text: string) => void; exit: (code: number) => void }): Command {
  const cli = new Command('cdk-account-management')
    .description('See what a deploy of cdk-account-management constructs would change in your AWS accounts, what changed by hand, and adopt what exists.')
    .showHelpAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride(error => {
      io.exit(error.exitCode === 0 ? 0 : EXIT.ERROR);
      throw error;
    });
  const shared = (command: Command) => command
    .option('--json', 'print JSON (for pipelines) instead of a table', false)
    .option('--show-values', 'print contact values (masked by default)', false);
  const stacks = (value: string, previous: string[] = []) => [...previous, value];

  shared(cli.command('plan')
    .description('What deploying the app would change in each account, setting by setting (exit 0: nothing, 2: changes, 1: error)')
    .option('--app <dir>', 'the cloud assembly that `cdk synth` wrote', 'cdk.out')
    .option('--stack <name>', 'only this stack (repeat for more)', stacks, []))
    .action(async (options: Output & { app: string; stack: string[] }) => {
      const selected = selectStacks(readAssembly(options.app), options.stack);
      report('plan', await plan(selected, new Aws(Date.now() + DEADLINE_MS), 'assembly', progressBar()), options, io);
    });

  shared(cli.command('drift')
    .description('What differs in each account from the deployed templates: what changed by hand since the last deploy (exit 0: none, 2: drift, 1: error)')
    .option('--app <dir>', 'the cloud assembly whose stacks to check (not needed with --stack)', 'cdk.out')
    .option('--stack <name>', 'only this deployed stack (repeat for more)', stacks, []))
    .action(async (options: Output & { app: string; stack: string[] }) => {
      // The deployed templates are all drift needs: with stack names, no assembly is read.
      const selected = options.stack.length && !isAssembly(options.app)
        ? options.stack.map(name => ({ stackName: name, displayName: name, template: {} }))
        : selectStacks(readAssembly(options.app), options.stack);
      report('drift', await plan(selected, new Aws(Date.now() + DEADLINE_MS), 'deployed', progressBar()), options, io);
    });

  cli.command('import')
    .description('Write TypeScript that declares what the accounts hold now, so that a first deploy changes nothing')
    .addOption(new Option('--accounts <ids...>', 'these accounts, an AccountBaseline each').argParser(accountIds).conflicts('organization'))
    .option('--organization', 'the organization\'s accounts, in one OrganizationBaseline (what they share, and overrides)', false)
    .option('--ou <ids...>', 'with --organization: only the accounts under these organizational units (nested ones included)', [])
    .option('--names', 'declare the account names too (read at 1 per second)', false)
    .option('--out <file>', 'write the source to this file instead of standard output')
    .action(async (options: { accounts?: string[]; organization: boolean; ou: string[]; names: boolean; out?: string }) => {
      if (!options.accounts && !options.organization) throw new Error('import needs --accounts <ids...> or --organization');
      const aws = new Aws(Date.now() + DEADLINE_MS);
      const caller = await aws.caller();
      const env = { account: caller, region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1' };
      const scope = { organizationalUnitIds: options.ou };
      const ids = options.accounts
        ? [...new Set(options.accounts)]
        : await aws.resolve(options.ou.length ? { organizationalUnitIds: options.ou } : { allAccounts: true });
      const bar = progressBar();
      bar.start(ids.length);
      const accounts = await readAccounts(aws, ids, { names: options.names }, () => bar.tick()).finally(() => bar.stop());
      if (!accounts.some(a => Object.keys(a.contacts).length || a.primaryContact || a.accountName !== undefined || a.enabledRegions.length)) {
        throw new Error(`Nothing to import: the ${ids.length} account(s) hold no alternate contact, primary contact or opt-in Region`);
      }
      const source = options.organization ? organizationSource(accounts, scope, env) : accountsSource(accounts, env);
      if (options.out) {
        // Readable by its owner only: it holds contact values.
        fs.writeFileSync(options.out, source, { mode: 0o600 });
        io.err(`Wrote ${options.out}: the settings of ${accounts.length} account(s). It holds their contact values: keep it where your code is.\n`);
      } else {
        io.out(source);
      }
      io.exit(EXIT.NO_CHANGES);
    });

  cli.addHelpText('after', `\nPermissions (read-only): ${READ_PERMISSIONS.join(', ')}.`);
  return cli;
}

function accountIds(value: string, previous: string[] = []): string[] {
  if (!/^\d{12}$/.test(value)) throw new InvalidArgumentError(`"${value}" is not an account id (12 digits)`);
  return [...previous, value];
}

/** How drift names what differs: nothing would be written by it. */
const DRIFT_WORDS: Partial<Record<Action, string>> = {
  write: 'drifted',
  enable: 'drifted (declared enabled)',
  disable: 'drifted (declared disabled)',
};

/** Prints the changes (a table, or JSON) and the warnings, and sets the exit code. */
function report(command: 'plan' | 'drift', { changes, warnings }: Plan, output: Output, io: Parameters<typeof program>[0]): void {
  const show = (value: string | undefined) => (output.showValues ? value ?? '—' : mask(value));
  const shownOrAbsent = (value: string | undefined) => (value === undefined ? undefined : show(value));
  const counts: Partial<Record<Action, number>> = {};
  for (const change of changes) counts[change.action] = (counts[change.action] ?? 0) + 1;
  const changed = changes.some(change => CHANGES.has(change.action));
  if (output.json) {
    const shown = changes.map(change => ({
      ...change,
      fields: change.fields?.map(f => ({ field: f.field, current: shownOrAbsent(f.current), declared: shownOrAbsent(f.declared) })),
    }));
    io.out(`${JSON.stringify({ command, changes: shown, counts, warnings, valuesMasked: !output.showValues }, null, 2)}\n`);
  } else {
    const word = (action: Action) => (command === 'drift' ? DRIFT_WORDS[action] : undefined) ?? WORDS[action];
    const table = new Table({ head: ['Account', 'Setting', command === 'drift' ? 'State' : 'Action', 'Detail'], wordWrap: true });
    for (const change of changes) {
      const detail = (change.fields ?? []).map(f => `${f.field}: ${show(f.current)} → ${show(f.declared)}`).join('\n');
      table.push([change.account, change.setting, word(change.action), detail]);
    }
    const summary = Object.entries(counts).map(([action, n]) => `${n} ${word(action as Action)}`).join(', ');
    io.out(`${table.toString()}\n${command === 'plan' ? 'Plan' : 'Drift'}: ${summary || 'no settings declared'}`
      + `${output.showValues ? '' : ' (values masked; --show-values shows them)'}\n`);
    for (const warning of warnings) io.err(`Warning: ${warning}\n`);
  }
  io.exit(changed ? EXIT.CHANGES : EXIT.NO_CHANGES);
}

/** A progress bar on standard error, shown only on a terminal and once a run has taken a few seconds. */
function progressBar(): Progress {
  if (!process.stderr.isTTY) return { start: () => undefined, tick: () => undefined, stop: () => undefined };
  const bar = new SingleBar({ stream: process.stderr, format: 'Reading {bar} {value}/{total} settings | {eta_formatted} left', hideCursor: true });
  let done = 0;
  let total = 0;
  let shown = false;
  let timer: NodeJS.Timeout | undefined;
  return {
    start: (n: number) => {
      total = n;
      timer = setTimeout(() => {
        shown = true;
        bar.start(total, done);
      }, PROGRESS_AFTER_MS);
    },
    tick: () => {
      done++;
      if (shown) bar.update(done);
    },
    stop: () => {
      clearTimeout(timer);
      if (shown) bar.stop();
    },
  };
}

/** The bin entry. */
export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.NO_CHANGES;
  const io = { out: (t: string) => process.stdout.write(t), err: (t: string) => process.stderr.write(t), exit: (c: number) => { code = c; } };
  try {
    await program(io).parseAsync(argv, { from: 'user' });
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('commander.')) return code;
    io.err(`Error: ${(error as Error).message}\n`);
    return EXIT.ERROR;
  }
  return code;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then(code => {
    process.exitCode = code;
  });
}
