/*
 * The command line's grammar (cli/args.ts, on util.parseArgs) and what the tool draws (cli/terminal.ts):
 * the program's own commands and options, no AWS call made.
 */
import { run, UsageError } from '../cli/args';
import { program } from '../cli/index';
import { progressLine, table, widthOf } from '../cli/terminal';

/** The program's grammar, its actions replaced by one that records the options it was given. */
async function parse(...args: string[]): Promise<{ code?: number; out: string; err: string; options?: Record<string, unknown> }> {
  const result: { code?: number; out: string; err: string; options?: Record<string, unknown> } = { out: '', err: '' };
  const io = { out: (t: string) => { result.out += t; }, err: (t: string) => { result.err += t; }, exit: (c: number) => { result.code = c; } };
  const spec = {
    name: 'tool',
    description: 'A tool.',
    version: '1.2.3',
    epilogue: 'After.',
    commands: [{
      name: 'go',
      description: 'Goes.',
      options: [
        { flags: '--app <dir>', description: 'the app', default: 'cdk.out', defaultText: '"cdk.out"' },
        { flags: '--stack <name>', description: 'a stack', default: [], parse: (v: string, p: unknown) => [...(p as string[]), v] },
        { flags: '--json', description: 'JSON' },
        { flags: '--watch [seconds]', description: 'again', parse: (v: string) => { if (!/^\d+$/.test(v)) throw new UsageError(`"${v}" is not a number`); return Number(v); } },
        { flags: '--accounts <ids...>', description: 'accounts', conflicts: 'all' },
        { flags: '--all', description: 'all' },
      ],
      action: async (options: Record<string, unknown>) => { result.options = options; },
    }],
  };
  await run(spec, args, io);
  return result;
}

describe('options', () => {
  test('defaults, repeated options, an optional value and a list that takes what follows it', async () => {
    expect((await parse('go')).options).toEqual({ app: 'cdk.out', stack: [], json: false, all: false });
    expect((await parse('go', '--stack', 'A', '--stack=B', '--app', 'out', '--json')).options).toEqual({ app: 'out', stack: ['A', 'B'], json: true, all: false });
    expect((await parse('go', '--watch', '--json')).options).toEqual(expect.objectContaining({ watch: true, json: true }));
    expect((await parse('go', '--watch', '5')).options).toEqual(expect.objectContaining({ watch: 5 }));
    // A required value is the next argument whatever it is, as commander took it: a dash does not make it an option.
    expect((await parse('go', '--app', '-out', '--stack', '--json', '--stack', '-')).options).toEqual({ app: '-out', stack: ['--json', '-'], json: false, all: false });
    expect((await parse('go', '--json', '--app')).err.split('\n')[0]).toBe('error: option \'--app <dir>\' argument missing');
    expect((await parse('go', '--accounts', '1', '2', '--json', '--accounts=3')).options).toEqual(expect.objectContaining({ accounts: ['1', '2', '3'], json: true }));
  });

  test('a bad command line says what was given and what is allowed, with the command\'s help, and exits 1 without running it', async () => {
    const cases: Array<[string[], string]> = [
      [['go', '--nope'], 'error: unknown option \'--nope\' (the options of go: --app, --stack, --json, --watch, --accounts, --all, --help)'],
      [['go', '--watch', 'soon'], 'error: option \'--watch [seconds]\' argument \'soon\' is invalid. "soon" is not a number'],
      [['go', '--app'], 'error: option \'--app <dir>\' argument missing'],
      [['go', '--accounts'], 'error: option \'--accounts <ids...>\' argument missing'],
      [['go', '--json=yes'], 'error: option \'--json\' takes no value (given \'yes\')'],
      [['go', '--accounts', '1', '--all'], 'error: option \'--accounts <ids...>\' cannot be used with option \'--all\''],
      [['go', 'extra'], 'error: too many arguments for \'go\': \'extra\' (it takes options only'],
    ];
    for (const [args, message] of cases) {
      const result = await parse(...args);
      expect([args, result.code, result.options]).toEqual([args, 1, undefined]);
      expect(result.err.startsWith(message)).toBe(true);
      expect(result.err).toContain('\n\nUsage: tool go [options]\n');
    }
  });

  test('an unknown command names the commands; none at all prints the help on stderr; both exit 1', async () => {
    const unknown = await parse('went');
    const none = await parse();

    expect(unknown).toEqual({ code: 1, out: '', err: expect.stringMatching(/^error: unknown command 'went' \(the commands: go, help\)\n\nUsage: tool \[options\] \[command\]\n/) });
    expect(none).toEqual({ code: 1, out: '', err: expect.stringMatching(/^Usage: tool \[options\] \[command\]\n/) });
    expect((await parse('--nope')).err).toMatch(/^error: unknown option '--nope'/);
  });

  test('--help, -h, help <command> and --version print on stdout and exit 0', async () => {
    const help = await parse('--help');
    expect(help.code).toBe(0);
    expect(help.out).toBe([
      'Usage: tool [options] [command]', '', 'A tool.', '', 'Options:',
      '  -V, --version   print the package\'s version',
      '  -h, --help      display help for command', '', 'Commands:',
      '  go [options]    Goes.',
      '  help [command]  display help for command', '', 'After.', '',
    ].join('\n'));
    expect((await parse('go', '-h')).out).toContain('  --app <dir>          the app (default: "cdk.out")\n');
    expect((await parse('help', 'go')).out).toBe((await parse('go', '--help')).out);
    expect(await parse('-V')).toEqual({ code: 0, out: '1.2.3\n', err: '' });
  });
});

describe('the program', () => {
  test('its help lists every command, wrapped at 80 columns, and its commands\' options with their defaults', async () => {
    let out = '';
    const io = { out: (t: string) => { out += t; }, err: () => undefined, exit: () => undefined };
    await program(io).parseAsync(['--help']);
    const main = out;
    out = '';
    await program(io).parseAsync(['status', '--help']);

    for (const command of ['plan [options]', 'drift [options]', 'status [options]', 'import [options]']) expect(main).toContain(`\n  ${command}  `);
    expect(main.split('\n').slice(0, 20).every(line => line.length <= 80)).toBe(true);
    expect(main).toContain('Permissions (read-only): account:GetAlternateContact');
    expect(out).toMatch(/--timeout <duration> +give up after this long[^]*\(default: 10m\)/);
    expect(out).toContain('--watch [seconds]');
  });

  test('bad values of its own options: an account id, a duration', async () => {
    let err = '';
    let code = -1;
    const io = { out: () => undefined, err: (t: string) => { err += t; }, exit: (c: number) => { code = c; } };
    await program(io).parseAsync(['import', '--accounts', '123456789012', '12']);
    expect([code, err.split('\n')[0]]).toEqual([1, 'error: option \'--accounts <ids...>\' argument \'12\' is invalid. "12" is not an account id (12 digits)']);
    err = '';
    await program(io).parseAsync(['drift', '--timeout', '0s']);
    expect(err.split('\n')[0]).toBe('error: option \'--timeout <duration>\' argument \'0s\' is invalid. "0s" is not a duration (such as 90s, 10m or 1h)');
  });
});

describe('the table and the progress line', () => {
  test('columns as wide as their widest line, whatever colour or wide characters a cell holds', () => {
    const plain = table(['A', 'Setting'], [['1', 'x\nyy'], ['22', '\u001b[33mz\u001b[39m']]);
    expect(plain).toBe([
      '┌────┬─────────┐',
      '│ A  │ Setting │',
      '├────┼─────────┤',
      '│ 1  │ x       │',
      '│    │ yy      │',
      '├────┼─────────┤',
      '│ 22 │ \u001b[33mz\u001b[39m       │',
      '└────┴─────────┘',
    ].join('\n'));
    expect(widthOf('名前 → ok')).toBe(9);
    const coloured = table(['A'], [['1']], { colour: true });
    expect(coloured).toContain('\u001b[1m A \u001b[22m');
    expect(coloured).toContain('\u001b[90m┌───┐\u001b[39m');
  });

  test('the progress line: nothing until shown, then redrawn in place at most every 100 ms (the ticks between are not drawn), the cursor back at the end', () => {
    let now = 0;
    let written = '';
    const line = progressLine({ write: (t: string) => { written += t; } }, () => now);
    line.start(4);
    line.tick();
    expect(written).toBe('');
    now = 2_000;
    line.show();
    line.tick();
    now = 2_050;
    line.tick();
    now = 2_200;
    line.tick();
    line.stop();

    const draws = written.split('\r\u001b[K').slice(1);
    expect(draws.map(d => d.replace(/ \| .*/s, ''))).toEqual([
      `Reading ${'='.repeat(10)}${'-'.repeat(30)} 1/4 settings`,
      `Reading ${'='.repeat(40)} 4/4 settings`,
      `Reading ${'='.repeat(40)} 4/4 settings`,
    ]);
    expect(draws[0]).toContain('| 6s left');
    expect(written.startsWith('\u001b[?25l')).toBe(true);
    expect(written.endsWith('\n\u001b[?25h')).toBe(true);
  });
});
