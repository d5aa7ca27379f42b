import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import { timeScale } from './common';

/*
 * AWS Lambda, locally: functions run their deployed code (the esbuild bundles under assets/, as the
 * cloud assembly stages them) in execution environments of their own. As on Lambda, an environment
 * serves one invocation at a time and is reused by later ones, so invocations that overlap run in
 * separate environments: each has its own module state (SDK clients, rate limiters), and nothing is
 * shared between them that would not be shared on Lambda.
 */

export interface LocalFunctionConfig {
  readonly arn: string;
  /** The directory of the function's code (index.js). */
  readonly codeDirectory: string;
  /** 'index.handler': the file and its export. */
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly environment?: Record<string, string>;
}

/** How a function's invocation ended. */
export interface InvocationRecord {
  readonly functionArn: string;
  readonly type: 'RequestResponse' | 'Event';
  readonly outcome: 'returned' | 'threw' | 'timed out';
  readonly error?: string;
  readonly startedAt: number;
  readonly endedAt: number;
}

/** The error of a function that threw or timed out, as Lambda reports it. */
export class FunctionError extends Error {
  constructor(readonly errorType: string, readonly errorMessage: string) {
    super(`${errorType}: ${errorMessage}`);
    this.name = errorType;
  }
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

interface Environment {
  readonly handler: Handler;
}

interface LocalFunction extends LocalFunctionConfig {
  readonly idle: Environment[];
  created: number;
}

/** Lambda retries a failed asynchronous invocation twice. */
const ASYNC_RETRY_DELAYS_MS = [60_000, 120_000];

type ModuleFunction = (
  exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string, process: NodeJS.Process, console: Console,
) => void;

const compiled = new Map<string, vm.Script>();

function load(config: LocalFunctionConfig): Environment {
  const [file, exported] = config.handler.split('.');
  const filename = path.join(config.codeDirectory, `${file}.js`);
  let script = compiled.get(filename);
  if (!script) {
    const source = fs.readFileSync(filename, 'utf8');
    script = new vm.Script(`(function (exports, require, module, __filename, __dirname, process, console) {${source}
})`, { filename });
    compiled.set(filename, script);
  }
  // A module of its own, evaluated afresh: the environment's state is its own. It runs in Node's own
  // context, as on Lambda, so that the errors of Node's modules are the Errors it knows; it sees this
  // process's environment variables and console (a test runner's, when one runs it).
  const module = { exports: {} as Record<string, unknown> };
  (script.runInThisContext() as ModuleFunction)(module.exports, require, module, filename, path.dirname(filename), process, console);
  const handler = module.exports[exported];
  if (typeof handler !== 'function') throw new Error(`${filename} has no export ${exported}`);
  return { handler: handler as Handler };
}

export class LambdaService {
  public readonly invocations: InvocationRecord[] = [];
  private readonly functions = new Map<string, LocalFunction>();
  private readonly running = new Set<Promise<unknown>>();
  private requests = 0;

  /** Deploys a function, or new code or configuration for it (its environments are then replaced). */
  public register(config: LocalFunctionConfig): void {
    this.functions.set(config.arn, { ...config, idle: [], created: 0 });
  }

  public unregister(arn: string): void {
    this.functions.delete(arn);
  }

  /** How many execution environments the function has had. */
  public environmentsOf(arn: string): number {
    return this.function(arn).created;
  }

  /** A synchronous invocation: the function's result, or a FunctionError. */
  public async invoke(arn: string, payload: unknown): Promise<unknown> {
    return this.run(this.function(arn), payload, 'RequestResponse');
  }

  /** An asynchronous invocation (as CloudFormation and EventBridge make them): retried twice if the function fails. */
  public invokeAsync(arn: string, payload: unknown): void {
    const fn = this.function(arn);
    const attempt = async () => {
      for (let retry = 0; ; retry++) {
        try {
          return await this.run(fn, payload, 'Event');
        } catch {
          if (retry >= ASYNC_RETRY_DELAYS_MS.length) return undefined;
          await new Promise(resolve => setTimeout(resolve, ASYNC_RETRY_DELAYS_MS[retry] / timeScale()));
        }
      }
    };
    const running = attempt();
    this.running.add(running);
    void running.finally(() => this.running.delete(running));
  }

  /** Waits until every asynchronous invocation has ended. */
  public async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private function(arnOrName: string): LocalFunction {
    const fn = this.functions.get(arnOrName) ?? [...this.functions.values()].find(f => f.arn.endsWith(`:function:${arnOrName}`));
    if (!fn) throw new FunctionError('ResourceNotFoundException', `Function not found: ${arnOrName}`);
    return fn;
  }

  private async run(fn: LocalFunction, payload: unknown, type: InvocationRecord['type']): Promise<unknown> {
    let environment = fn.idle.pop();
    if (!environment) {
      environment = load(fn);
      fn.created++;
    }
    const startedAt = Date.now();
    const timeoutMs = (fn.timeoutSeconds * 1000) / timeScale();
    const context = {
      invokedFunctionArn: fn.arn,
      functionName: fn.arn.split(':').pop(),
      awsRequestId: `local-${++this.requests}`,
      getRemainingTimeInMillis: () => Math.max(0, startedAt + timeoutMs - Date.now()),
    };
    // The function's environment variables, set before its code runs (it reads them as it starts);
    // NODE_OPTIONS is the runtime's, not the code's (this process is already running).
    for (const [name, value] of Object.entries(fn.environment ?? {})) {
      if (name !== 'NODE_OPTIONS') process.env[name] = value;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FunctionError('Sandbox.Timedout', `Task timed out after ${fn.timeoutSeconds} seconds`)), timeoutMs);
    });
    try {
      const result = await Promise.race([environment.handler(JSON.parse(JSON.stringify(payload)), context), timeout]);
      fn.idle.push(environment);
      this.invocations.push({ functionArn: fn.arn, type, outcome: 'returned', startedAt, endedAt: Date.now() });
      return result === undefined ? null : JSON.parse(JSON.stringify(result));
    } catch (error) {
      const timedOut = error instanceof FunctionError && error.errorType === 'Sandbox.Timedout';
      // An environment whose invocation timed out is not reused (Lambda stops it; here its code may run on).
      if (!timedOut) fn.idle.push(environment);
      const thrown = error instanceof FunctionError ? error : new FunctionError((error as Error)?.name ?? 'Error', (error as Error)?.message ?? String(error));
      this.invocations.push({ functionArn: fn.arn, type, outcome: timedOut ? 'timed out' : 'threw', error: thrown.message, startedAt, endedAt: Date.now() });
      throw thrown;
    } finally {
      clearTimeout(timer);
    }
  }
}
