import * as fs from 'fs';
import * as path from 'path';
import { CommandSpec, OptionSpec, run, UsageError } from './args';
import { isAssembly, readAssembly, selectStacks } from './assembly';
import { Aws, duration, READ_PERMISSIONS } from './aws';
import { etaOf, etaText } from './eta';
import { guidanceText } from './guidance';
import { accountsSource, organizationSource, readAccounts } from './import';
import { mask, NOT_SECRET } from './mask';
import { Action, CHANGES, Plan, plan, Progress } from './plan';
import { status, watchStatus } from './status';
import { progressLine, table } from './terminal';

/*
 * npx cdk-account-management plan | drift | import | status: what a deploy would change in the accounts,
 * what changed by hand since the last one, TypeScript that declares what accounts hold now, and where
 * each OrganizationBaseline's run is. Read-only: the tool never writes to an account.
 */

/** Exit codes, as `terraform plan -detailed-exitcode` has them. */
export const EXIT = { NO_CHANGES: 0, ERROR: 1, CHANGES: 2 } as const;

/** How long the tool may take by default: long enough for the quotas of a large organization, short enough for a pipeline. */
const DEFAULT_TIMEOUT = '10m';
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
  readonly all: boolean;
}

interface Connection {
  readonly profile?: string;
  readonly region?: string;
  readonly timeout: number;
}

/** Where the program writes, and how it ends (the bin entry, or a test). */
export interface Io {
  /** Whether standard output takes ANSI colour. @default false */
  readonly colour?: boolean;
  /** Whether standard output is a terminal (progress bars, `status --watch` redrawn in place). @default false */
  readonly tty?: boolean;
  out(text: string): void;
  err(text: string): void;
  exit(code: number): void;
}

/** Colour only on a terminal, and never with NO_COLOR set (https://no-color.org). */
export function colourFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

/** The package's version, from the package.json above this file (the source, or the bundle under assets/cli/). */
export function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'cdk-account-management') return pkg.version ?? 'unknown';
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

/** "90s", "10m", "1h" or a number of seconds, in ms. */
function timeoutOf(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match || Number(match[1]) <= 0) throw new UsageError(`"${value}" is not a duration (such as 90s, 10m or 1h)`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

/** The command line's options that every command takes: where to call, and for how long. */
const CONNECTION: OptionSpec[] = [
  { flags: '--profile <name>', description: 'the named profile to use (default: AWS_PROFILE, else the default profile)' },
  {
    flags: '--region <region>',
    description: 'the Region to call, where stacks whose environment names none are looked for (default: AWS_REGION, AWS_DEFAULT_REGION, '
      + 'the profile\'s Region, us-east-1)',
  },
  {
    flags: '--timeout <duration>',
    description: 'give up after this long (such as 90s, 10m, 1h): throttled and failed calls are retried until then',
    parse: timeoutOf,
    default: timeoutOf(DEFAULT_TIMEOUT),
    defaultText: DEFAULT_TIMEOUT,
  },
];

/** The options of the commands that print a table. */
const OUTPUT: OptionSpec[] = [
  { flags: '--json', description: 'print JSON (for pipelines) instead of a table' },
  { flags: '--show-values', description: 'print contact values (masked by default)' },
  { flags: '--all', description: 'list unchanged settings too (hidden by default in the table)' },
];

const stacks = (value: string, previous: unknown) => [...(previous as string[]), value];

/** `--app` and `--stack`, as a command takes them. */
function assemblyOptions(app: string, stack: string): OptionSpec[] {
  return [
    { flags: '--app <dir>', description: app, default: 'cdk.out', defaultText: '"cdk.out"' },
    { flags: '--stack <name>', description: stack, parse: stacks, default: [] },
  ];
}

/** The program, with its output and exit code given to the caller (the bin entry, or a test). */
export function program(io: Io): { parseAsync(args: string[]): Promise<void> } {
  const aws = (options: Connection) => Aws.connect({ ...options, timeoutMs: options.timeout, notice: io.err });
  const commands: CommandSpec[] = [
    {
      name: 'plan',
      description: 'What deploying the app would change in each account, setting by setting (exit 0: nothing, 2: changes, 1: error)',
      options: [...assemblyOptions('the cloud assembly that `cdk synth` wrote', 'only this stack (repeat for more)'), ...OUTPUT, ...CONNECTION],
      action: async values => {
        const options = values as unknown as Output & Connection & { app: string; stack: string[] };
        const selected = selectStacks(readAssembly(options.app), options.stack);
        const client = await aws(options);
        report('plan', await client.within(plan(selected, client, 'assembly', progressBar())), options, io);
      },
    },
    {
      name: 'drift',
      description: 'What differs in each account from the deployed templates: what changed by hand since the last deploy, and what to do about it '
        + '(exit 0: none, 2: drift, 1: error)',
      options: [
        ...assemblyOptions('the cloud assembly whose stacks to check (not needed with --stack)', 'only this deployed stack (repeat for more)'),
        ...OUTPUT, ...CONNECTION,
      ],
      action: async values => {
        const options = values as unknown as Output & Connection & { app: string; stack: string[] };
        // The deployed templates are all drift needs: with stack names, no assembly is read.
        const selected = options.stack.length && !isAssembly(options.app)
          ? options.stack.map(name => ({ stackName: name, displayName: name, template: {} }))
          : selectStacks(readAssembly(options.app), options.stack);
        const client = await aws(options);
        report('drift', await client.within(plan(selected, client, 'deployed', progressBar())), options, io);
      },
    },
    {
      name: 'status',
      description: 'Where each OrganizationBaseline\'s current generation is: progress, pace, failed and skipped accounts, what to do '
        + '(exit 0: converged, 2: running, 1: failed)',
      options: [
        ...assemblyOptions('the cloud assembly whose stacks to look at (not needed with --stack)', 'only this deployed stack (repeat for more)'),
        { flags: '--json', description: 'print JSON (for pipelines) instead of text' },
        { flags: '--watch [seconds]', description: 'read again every few seconds (default 10) until no run is running, or the --timeout', parse: seconds },
        ...CONNECTION,
      ],
      action: async values => {
        const options = values as unknown as Connection & { app: string; stack: string[]; json: boolean; watch?: number | true };
        const named = options.stack.length > 0 && !isAssembly(options.app);
        const selected = named
          ? options.stack.map(name => ({ stackName: name, displayName: name, template: {} }))
          : selectStacks(readAssembly(options.app), options.stack);
        const client = await aws(options);
        const watchMs = options.watch === undefined ? undefined : (options.watch === true ? 10 : options.watch) * 1000;
        const read = () => client.within(status(selected, client, !named));
        io.exit(await watchStatus(read, io, { json: options.json, watchMs, deadline: client.deadline }));
      },
    },
    {
      name: 'import',
      description: 'Write TypeScript that declares what the accounts hold now, so that a first deploy changes nothing',
      options: [
        { flags: '--accounts <ids...>', description: 'these accounts, an AccountBaseline each', parse: accountIds, conflicts: 'organization' },
        { flags: '--organization', description: 'the organization\'s accounts, in one OrganizationBaseline (what they share, and overrides)' },
        {
          flags: '--ou <ids...>',
          description: 'with --organization: only the accounts under these organizational units (nested ones included)',
          default: [],
        },
        { flags: '--names', description: 'declare the account names too (read at 1 per second)' },
        { flags: '--out <file>', description: 'write the source to this file instead of standard output' },
        ...CONNECTION,
      ],
      action: async values => {
        const options = values as unknown as Connection & { accounts?: string[]; organization: boolean; ou: string[]; names: boolean; out?: string };
        await importAccounts(options, aws, io);
      },
    },
  ];
  const epilogue = [
    'Exit codes (plan, drift): 0 nothing to change, 2 changes (or drift), 1 an error.',
    'Exit codes (status): 0 every baseline converged, 2 a run is still running, 1 a run failed (or none was found) or an error.',
    `Every command gives up after --timeout (default ${duration(timeoutOf(DEFAULT_TIMEOUT))}); one that cannot reach AWS at all fails within seconds, saying what it tried.`,
    'Tables hide unchanged settings (--all lists them) and mask contact values (--show-values shows them); --json lists every setting.',
    'Colour only on a terminal; NO_COLOR turns it off.',
    `Permissions (read-only): ${READ_PERMISSIONS.join(', ')}.`,
  ].join('\n');
  const spec = {
    name: 'cdk-account-management',
    description: 'See what a deploy of cdk-account-management constructs would change in your AWS accounts, what changed by hand, '
      + 'where each OrganizationBaseline\'s run is, and adopt what exists.',
    version: packageVersion(),
    commands,
    epilogue,
  };
  return { parseAsync: args => run(spec, args, io) };
}

/** `import`: the accounts' settings read, and written as the source of a stack that declares them. */
async function importAccounts(
  options: Connection & { accounts?: string[]; organization: boolean; ou: string[]; names: boolean; out?: string },
  aws: (options: Connection) => Promise<Aws>,
  io: Io,
): Promise<void> {
  if (!options.accounts && !options.organization) throw new Error('import needs --accounts <ids...> or --organization');
  const client = await aws(options);
  const caller = await client.within(client.caller());
  const env = { account: caller, region: client.region };
  const scope = { organizationalUnitIds: options.ou };
  const ids = options.accounts
    ? [...new Set(options.accounts)]
    : await client.within(client.resolve(options.ou.length ? { organizationalUnitIds: options.ou } : { allAccounts: true }));
  const bar = progressBar();
  bar.start(ids.length);
  const accounts = await client.within(readAccounts(client, ids, { names: options.names }, () => bar.tick())).finally(() => bar.stop());
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
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`"${value}" is not a number of seconds`);
  return n;
}

function accountIds(value: string, previous: unknown): string[] {
  if (!/^\d{12}$/.test(value)) throw new UsageError(`"${value}" is not an account id (12 digits)`);
  return [...(previous as string[] | undefined ?? []), value];
}

/** How drift names what differs: nothing would be written by it. */
const DRIFT_WORDS: Partial<Record<Action, string>> = {
  write: 'drifted',
  enable: 'drifted (declared enabled)',
  disable: 'drifted (declared disabled)',
};

/** ANSI colours of the table's actions, on a terminal only. */
const COLOURS: Partial<Record<Action, number>> = { 'write': 33, 'enable': 32, 'disable': 31, 'delete': 31, 'in progress': 36 };

/** Prints the changes (a table, or JSON) and the warnings, and sets the exit code. */
function report(command: 'plan' | 'drift', { changes, warnings, skipped, whatToDo, handChanges }: Plan, output: Output, io: Io): void {
  // Only contact values are secrets: an account's name or a country code is shown as it is.
  const show = (field: string, value: string | undefined) => (output.showValues || NOT_SECRET.has(field) ? value ?? '—' : mask(value));
  const shownOrAbsent = (field: string, value: string | undefined) => (value === undefined ? undefined : show(field, value));
  const counts: Partial<Record<Action, number>> = {};
  for (const change of changes) counts[change.action] = (counts[change.action] ?? 0) + 1;
  const changed = changes.some(change => CHANGES.has(change.action));
  // How long a deploy takes to apply the plan; drift has nothing to apply.
  const eta = command === 'plan' ? etaOf(changes) : undefined;
  if (output.json) {
    const shown = changes.map(change => ({
      ...change,
      fields: change.fields?.map(f => ({ field: f.field, current: shownOrAbsent(f.field, f.current), declared: shownOrAbsent(f.field, f.declared) })),
    }));
    io.out(`${JSON.stringify({ command, changes: shown, counts, eta, whatToDo, handChanges, warnings, skipped, valuesMasked: !output.showValues }, null, 2)}\n`);
  } else {
    const paint = (code: number | undefined, text: string) => (io.colour && code ? `\u001b[${code}m${text}\u001b[39m` : text);
    const word = (action: Action) => (command === 'drift' ? DRIFT_WORDS[action] : undefined) ?? WORDS[action];
    const listed = output.all ? changes : changes.filter(change => change.action !== 'unchanged');
    const rows: string[][] = [];
    for (const change of listed) {
      const detail = [
        ...(change.fields ?? []).map(f => `${f.field}: ${show(f.field, f.current)} → ${show(f.field, f.declared)}`),
        // The number is never shown without --show-values; whether the account's root user has verified it is.
        ...(change.phoneVerification && change.phoneVerification !== 'VERIFIED' ? [`phone verification: ${change.phoneVerification}`] : []),
      ].join('\n');
      rows.push([change.account, change.setting, paint(COLOURS[change.action], word(change.action)), detail, change.construct]);
    }
    const summary = Object.entries(counts).map(([action, n]) => `${n} ${word(action as Action)}`).join(', ');
    const hidden = changes.length - listed.length;
    const notes = [
      hidden ? `${hidden} unchanged not listed; --all lists them` : '',
      output.showValues || !changes.some(c => c.fields?.some(f => !NOT_SECRET.has(f.field))) ? '' : 'contact values masked; --show-values shows them',
    ].filter(Boolean);
    const head = ['Account', 'Setting', command === 'drift' ? 'State' : 'Action', 'Detail', 'Declared by'];
    io.out(`${listed.length ? `${table(head, rows, { colour: io.colour })}\n` : ''}${command === 'plan' ? 'Plan' : 'Drift'}: ${summary || 'no settings declared'}`
      + `${skipped.length ? `, ${skipped.length} account(s) skipped` : ''}${notes.length ? ` (${notes.join('; ')})` : ''}\n`
      + `${eta ? `ETA: ${etaText(eta)}\n` : ''}${guidanceText(whatToDo ?? [])}${handChanges.map(line => `${line}\n`).join('')}`);
    for (const warning of warnings) io.err(`Warning: ${warning}\n`);
  }
  io.exit(changed ? EXIT.CHANGES : EXIT.NO_CHANGES);
}

/** A progress line on standard error, shown only on a terminal and once a run has taken a few seconds. */
function progressBar(): Progress {
  if (!process.stderr.isTTY) return { start: () => undefined, tick: () => undefined, stop: () => undefined };
  const line = progressLine(process.stderr);
  let timer: NodeJS.Timeout | undefined;
  return {
    start: (n: number) => {
      line.start(n);
      timer = setTimeout(() => line.show(), PROGRESS_AFTER_MS);
    },
    tick: () => line.tick(),
    stop: () => {
      clearTimeout(timer);
      line.stop();
    },
  };
}

/** The bin entry. */
export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.NO_CHANGES;
  const io: Io = {
    out: (t: string) => process.stdout.write(t),
    err: (t: string) => process.stderr.write(t),
    exit: (c: number) => { code = c; },
    colour: colourFor(process.stdout),
    tty: process.stdout.isTTY === true,
  };
  try {
    await program(io).parseAsync(argv);
  } catch (error) {
    io.err(`Error: ${(error as Error).message}\n`);
    return EXIT.ERROR;
  }
  return code;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then(code => {
    process.exitCode = code;
    // A call the run stopped may hold a socket open: the process ends anyway, once its output is written.
    process.stdout.write('', () => process.stderr.write('', () => setTimeout(() => process.exit(code), 200).unref()));
  });
}
