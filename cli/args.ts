import { parseArgs } from 'util';

/*
 * The command line's grammar and help, on Node's own util.parseArgs rather than commander (40 KiB of the
 * bundle): commands with long options, each option a flag (`--json`), a value (`--app <dir>`), an optional
 * value (`--watch [seconds]`) or a list (`--accounts <ids...>`); help text in commander's layout.
 */

/** A bad command line: the message says what was given and what is allowed; the command's help follows it. */
export class UsageError extends Error {
  public override readonly name = 'UsageError';
}

export interface OptionSpec {
  /** `--name`, `--name <value>`, `--name [value]` or `--name <values...>`. */
  readonly flags: string;
  readonly description: string;
  /** The value when the option is not given (a flag's is false). */
  readonly default?: unknown;
  /** How help shows the default, when it tells something. */
  readonly defaultText?: string;
  /** Turns the text given into the value (throwing a UsageError for a bad one), with the value so far (repeated options). */
  readonly parse?: (value: string, previous: unknown) => unknown;
  /** An option that may not be given with this one (by its long name, without dashes). */
  readonly conflicts?: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly description: string;
  readonly options: OptionSpec[];
  action(options: Record<string, unknown>): Promise<void>;
}

export interface ProgramSpec {
  readonly name: string;
  readonly description: string;
  readonly version: string;
  readonly commands: CommandSpec[];
  /** Printed after the program's help. */
  readonly epilogue: string;
}

/** Where the program writes and how it ends: help and --version exit 0, a bad command line 1. */
export interface ArgsIo {
  out(text: string): void;
  err(text: string): void;
  exit(code: number): void;
}

const HELP: OptionSpec = { flags: '-h, --help', description: 'display help for command' };
const VERSION: OptionSpec = { flags: '-V, --version', description: 'print the package\'s version' };
/** Help's width, as commander wrapped it when the output is not a terminal's. */
const WIDTH = 80;

interface Parsed {
  readonly spec: OptionSpec;
  /** The long name, without dashes; the key in the options an action receives is its camelCase. */
  readonly name: string;
  readonly short?: string;
  readonly kind: 'flag' | 'value' | 'optional' | 'list';
}

function parsedOf(spec: OptionSpec): Parsed {
  const match = /^(?:-(\w), )?--([\w-]+)(?: (<[\w-]+>|\[[\w-]+\]|<[\w-]+\.\.\.>))?$/.exec(spec.flags);
  if (!match) throw new Error(`Bad option flags: ${spec.flags}`);
  const kind = !match[3] ? 'flag' : match[3].startsWith('[') ? 'optional' : match[3].endsWith('...>') ? 'list' : 'value';
  return { spec, name: match[2], short: match[1], kind };
}

const camelCase = (name: string) => name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/** Runs the command line `args` (without node and the script): a command's action, help, the version, or a usage error. */
export async function run(program: ProgramSpec, args: string[], io: ArgsIo): Promise<void> {
  const [first, ...rest] = args;
  const command = program.commands.find(c => c.name === first);
  if (command) return runCommand(program, command, rest, io);
  if (first === 'help' && rest.length <= 1) {
    const about = program.commands.find(c => c.name === rest[0]);
    if (rest.length === 0 || about) {
      io.out(about ? commandHelp(program, about) : programHelp(program));
      return io.exit(0);
    }
  }
  const usage = (message: string) => {
    io.err(`error: ${message}\n\n${programHelp(program)}`);
    io.exit(1);
  };
  const names = [...program.commands.map(c => c.name), 'help'];
  if (first === undefined) {
    io.err(programHelp(program));
    return io.exit(1);
  }
  if (!first.startsWith('-') || first === 'help') return usage(`unknown command '${args.join(' ')}' (the commands: ${names.join(', ')})`);
  const options = [HELP, VERSION].map(parsedOf);
  const { tokens } = parseArgs({ args, options: optionsOf(options), strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === 'option' && token.name === 'help') {
      io.out(programHelp(program));
      return io.exit(0);
    }
    if (token.kind === 'option' && token.name === 'version') {
      io.out(`${program.version}\n`);
      return io.exit(0);
    }
    if (token.kind === 'option') return usage(`unknown option '${token.rawName}' (before a command: ${names.join(', ')}; or --help, --version)`);
  }
  return usage(`unknown command '${args.join(' ')}' (the commands: ${names.join(', ')})`);
}

function optionsOf(options: Parsed[]) {
  // Optional values and lists take the positionals after them (parseArgs knows neither): they are parsed as flags.
  return Object.fromEntries(options.map(o => [o.name, { type: o.kind === 'value' ? 'string' as const : 'boolean' as const, ...(o.short && { short: o.short }) }]));
}

async function runCommand(program: ProgramSpec, command: CommandSpec, args: string[], io: ArgsIo): Promise<void> {
  const options = [...command.options, HELP].map(parsedOf);
  let values: Record<string, unknown>;
  try {
    const { tokens } = parseArgs({ args, options: optionsOf(options), strict: false, allowPositionals: true, tokens: true });
    if (tokens.some(t => t.kind === 'option' && t.name === 'help')) {
      io.out(commandHelp(program, command));
      return io.exit(0);
    }
    values = valuesOf(command, options, tokens);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`error: ${error.message}\n\n${commandHelp(program, command)}`);
    return io.exit(1);
  }
  return command.action(values);
}

type Token = ReturnType<typeof parseArgs>['tokens'] extends Array<infer T> | undefined ? T : never;

function valuesOf(command: CommandSpec, options: Parsed[], tokens: Token[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const given = new Set<Parsed>();
  const set = (option: Parsed, text: string) => {
    const key = camelCase(option.name);
    const previous = key in values ? values[key] : option.spec.default;
    try {
      values[key] = option.spec.parse ? option.spec.parse(text, previous) : option.kind === 'list' ? [...(previous as string[] ?? []), text] : text;
    } catch (error) {
      throw new UsageError(`option '${option.spec.flags}' argument '${text}' is invalid. ${(error as Error).message}`);
    }
  };
  for (const option of options) {
    if (option.spec !== HELP && (option.spec.default !== undefined || option.kind === 'flag')) values[camelCase(option.name)] = option.spec.default ?? false;
  }
  /** The option that takes the positionals that follow it (an optional value takes one). */
  let taking: Parsed | undefined;
  let afterTerminator = false;
  for (const token of tokens) {
    if (token.kind === 'option-terminator') {
      afterTerminator = true;
      taking = undefined;
      continue;
    }
    if (token.kind === 'positional') {
      if (!taking || afterTerminator) {
        throw new UsageError(`too many arguments for '${command.name}': '${token.value}' (it takes options only: ${options.map(o => `--${o.name}`).join(', ')})`);
      }
      set(taking, token.value);
      if (taking.kind === 'optional') taking = undefined;
      continue;
    }
    const option = options.find(o => o.name === token.name || (token.rawName === `-${o.short}` && o.short));
    if (!option) throw new UsageError(`unknown option '${token.rawName}' (the options of ${command.name}: ${options.map(o => `--${o.name}`).join(', ')})`);
    given.add(option);
    taking = undefined;
    if (option.kind === 'flag') {
      if (token.value !== undefined) throw new UsageError(`option '${option.spec.flags}' takes no value (given '${token.value}')`);
      values[camelCase(option.name)] = true;
    } else if (token.inlineValue) {
      set(option, token.value!);
      if (option.kind === 'list') taking = option;
    } else if (option.kind === 'value') {
      // The next argument is the value whatever it is (`--app -dir`), as commander took it: only an option last on the line has none.
      if (token.value === undefined) throw new UsageError(`option '${option.spec.flags}' argument missing`);
      set(option, token.value);
    } else {
      if (option.kind === 'optional') values[camelCase(option.name)] = true;
      taking = option;
    }
  }
  for (const option of options) {
    if (option.kind === 'list' && given.has(option) && !(values[camelCase(option.name)] as unknown[] | undefined)?.length) {
      throw new UsageError(`option '${option.spec.flags}' argument missing`);
    }
    const other = options.find(o => o.name === option.spec.conflicts);
    if (other && given.has(option) && given.has(other)) throw new UsageError(`option '${option.spec.flags}' cannot be used with option '--${other.name}'`);
  }
  return values;
}

/** `text` wrapped to `width` columns, its lines after the first indented by `indent`. */
function wrap(text: string, width: number, indent = 0): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** Terms and their descriptions in two columns, the descriptions wrapped to the help's width. */
function columns(rows: Array<[string, string]>, termWidth = Math.max(...rows.map(([term]) => term.length))): string {
  return rows.map(([term, description]) => `  ${term.padEnd(termWidth)}  ${wrap(description, WIDTH - termWidth - 4, termWidth + 4)}`).join('\n');
}

function programHelp(program: ProgramSpec): string {
  const options: Array<[string, string]> = [VERSION, HELP].map(o => [o.flags, o.description]);
  const commands: Array<[string, string]> = [...program.commands.map(c => [`${c.name} [options]`, c.description] as [string, string]),
    ['help [command]', 'display help for command']];
  // One column for both lists, as commander lays them out.
  const termWidth = Math.max(...[...options, ...commands].map(([term]) => term.length));
  return [
    `Usage: ${program.name} [options] [command]`,
    '',
    wrap(program.description, WIDTH),
    '',
    'Options:',
    columns(options, termWidth),
    '',
    'Commands:',
    columns(commands, termWidth),
    '',
    program.epilogue,
    '',
  ].join('\n');
}

function commandHelp(program: ProgramSpec, command: CommandSpec): string {
  const option = (o: OptionSpec): [string, string] => [o.flags, o.defaultText ? `${o.description} (default: ${o.defaultText})` : o.description];
  return [
    `Usage: ${program.name} ${command.name} [options]`,
    '',
    wrap(command.description, WIDTH),
    '',
    'Options:',
    columns([...command.options, HELP].map(option)),
    '',
  ].join('\n');
}
