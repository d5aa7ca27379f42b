import { createHash } from 'crypto';
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
  /** The function's execution role: its code's calls are signed with credentials of it (`principalOf`). */
  readonly role?: string;
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

/** Lambda waits at least a minute before the second attempt of a failed event, two before the third. */
const ASYNC_RETRY_DELAYS_MS = [60_000, 120_000];

/** How Lambda treats a function's asynchronous events (its AWS::Lambda::EventInvokeConfig). */
export interface AsyncInvokeConfig {
  /** Retries after a function error, 0-2. @default 2 */
  readonly maximumRetryAttempts?: number;
  /** How long an event is kept before it is dropped, 60-21600 seconds. @default 21600 */
  readonly maximumEventAgeSeconds?: number;
}

/** An asynchronous event, as Lambda's queue holds it. */
export interface AsyncEvent {
  readonly functionArn: string;
  readonly payload: unknown;
  /** When it was queued (this process's clock), and Lambda's clock offset then. */
  readonly queuedAt: number;
  readonly offsetAtQueue: number;
  /** How many times its function was given it (retries and repeated deliveries included). */
  deliveries: number;
  /** Why Lambda gave up on it: older than the function's maximum event age, or its retries used up. */
  dropped?: 'too old' | 'retries exhausted';
}

/** A delivery that a test holds back (Lambda delivering late): it happens when the test releases it. */
export interface HeldDelivery {
  /** Resolves with the event once a delivery of it is being held. */
  readonly held: Promise<AsyncEvent>;
  /** Delivers it now (dropped if it is older than its function allows); resolves once that delivery has ended. */
  release(): Promise<void>;
}

/** A test's say over the next delivery of an event that matches. */
interface Interception {
  readonly match: (payload: unknown, event: AsyncEvent) => boolean;
  readonly kind: 'hold' | 'fail';
  readonly seen: (event: AsyncEvent) => void;
  readonly gate: Promise<void>;
  readonly ended: () => void;
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>(r => {
    resolve = r;
  });
  return { promise, resolve };
}

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
  // context, as on Lambda, so that the errors of Node's modules are the Errors it knows; it sees its
  // function's environment variables, then this process's (a test runner's, when one runs it), and the
  // credentials of its role, as Lambda gives them (the local services tell callers apart by them).
  const module = { exports: {} as Record<string, unknown> };
  const run = script.runInThisContext() as ModuleFunction;
  run(module.exports, require, module, filename, path.dirname(filename), processOf(config), console);
  const handler = module.exports[exported];
  if (typeof handler !== 'function') throw new Error(`${filename} has no export ${exported}`);
  return { handler: handler as Handler };
}

/** The access key a function's code signs with: one per role, so the same role is the same principal. */
function accessKeyOf(config: LocalFunctionConfig): string | undefined {
  return config.role ? `ASIA${createHash('sha256').update(config.role).digest('hex').slice(0, 16).toUpperCase()}` : undefined;
}

/**
 * This process as the function's code sees it: its environment holds the function's variables (each
 * function only its own, as on Lambda, though they run in one process) and its role's access key over
 * this process's own. NODE_OPTIONS is the runtime's, not the code's (this process is already running).
 */
function processOf(config: LocalFunctionConfig): NodeJS.Process {
  const accessKeyId = accessKeyOf(config);
  const own: Record<string, string> = Object.fromEntries(Object.entries(config.environment ?? {}).filter(([name]) => name !== 'NODE_OPTIONS'));
  if (accessKeyId) own.AWS_ACCESS_KEY_ID = accessKeyId;
  const env = new Proxy(process.env, {
    get: (target, name) => (typeof name === 'string' && name in own ? own[name] : Reflect.get(target, name)),
    has: (target, name) => (typeof name === 'string' && name in own) || Reflect.has(target, name),
  });
  return new Proxy(process, { get: (target, name) => (name === 'env' ? env : Reflect.get(target, name)) });
}

export class LambdaService {
  public readonly invocations: InvocationRecord[] = [];
  /** Every asynchronous event queued, in order. */
  public readonly asyncEvents: AsyncEvent[] = [];
  private readonly functions = new Map<string, LocalFunction>();
  private readonly asyncConfigs = new Map<string, AsyncInvokeConfig>();
  private readonly running = new Set<Promise<unknown>>();
  private interceptions: Interception[] = [];
  /** Simulated milliseconds by which Lambda's clock is ahead (`advanceClock`). */
  private clockOffsetMs = 0;
  private requests = 0;

  /** Deploys a function, or new code or configuration for it (its environments are then replaced). */
  public register(config: LocalFunctionConfig): void {
    this.functions.set(config.arn, { ...config, idle: [], created: 0 });
  }

  public unregister(arn: string): void {
    this.functions.delete(arn);
    this.asyncConfigs.delete(arn);
  }

  /** Sets (or, undefined, resets) how the function's asynchronous events are retried and how long they are kept. */
  public configureAsync(arnOrName: string, config: AsyncInvokeConfig | undefined): void {
    if (config) {
      this.asyncConfigs.set(this.function(arnOrName).arn, config);
      return;
    }
    // The function may be gone already (deleted in the same deploy), its settings with it.
    const arn = [...this.asyncConfigs.keys()].find(a => a === arnOrName || a.endsWith(`:function:${arnOrName}`));
    if (arn) this.asyncConfigs.delete(arn);
  }

  /** The function's asynchronous-invocation settings, defaults included. */
  public asyncConfigOf(arnOrName: string): Required<AsyncInvokeConfig> {
    const config = this.asyncConfigs.get(this.function(arnOrName).arn) ?? {};
    return { maximumRetryAttempts: config.maximumRetryAttempts ?? 2, maximumEventAgeSeconds: config.maximumEventAgeSeconds ?? 21_600 };
  }

  /** Moves Lambda's clock on by `seconds` of simulated time: queued and held events age by as much. */
  public advanceClock(seconds: number): void {
    this.clockOffsetMs += seconds * 1000;
  }

  /**
   * Holds the next delivery (first, retry or repeated) of an event that matches: it waits, ageing, until
   * the test releases it, as an event that Lambda delivers late.
   */
  public holdNextDelivery(match: (payload: any) => boolean): HeldDelivery { // eslint-disable-line @typescript-eslint/no-explicit-any
    const seen = deferred<AsyncEvent>();
    const gate = deferred();
    const ended = deferred();
    this.interceptions.push({ match, kind: 'hold', seen: seen.resolve, gate: gate.promise, ended: ended.resolve });
    return {
      held: seen.promise,
      release: async () => {
        gate.resolve();
        await ended.promise;
      },
    };
  }

  /**
   * Fails the next delivery of an event that matches with a function error before its code runs (as a
   * runtime that exits would): Lambda then retries it as the function's settings say. Resolves with the
   * event once that delivery has failed.
   */
  public failNextDelivery(match: (payload: any) => boolean): Promise<AsyncEvent> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const seen = deferred<AsyncEvent>();
    this.interceptions.push({ match, kind: 'fail', seen: seen.resolve, gate: Promise.resolve(), ended: () => undefined });
    return seen.promise;
  }

  /** Delivers a queued event once more (Lambda may deliver an event twice); resolves once that delivery has ended. */
  public redeliver(event: AsyncEvent): Promise<void> {
    return this.track(this.deliver(event, true));
  }

  /** The role whose credentials an access key is, if a function's code signs with it. */
  public principalOf(accessKeyId: string): string | undefined {
    return [...this.functions.values()].find(f => accessKeyOf(f) === accessKeyId)?.role;
  }

  /** Drops the function's idle execution environments, as Lambda recycles them at will: the next invocation starts afresh. */
  public recycle(arn: string): void {
    this.function(arn).idle.length = 0;
  }

  /** How many execution environments the function has had. */
  public environmentsOf(arn: string): number {
    return this.function(arn).created;
  }

  /** A synchronous invocation: the function's result, or a FunctionError. */
  public async invoke(arn: string, payload: unknown): Promise<unknown> {
    return this.run(this.function(arn), payload, 'RequestResponse');
  }

  /**
   * An asynchronous invocation (as CloudFormation and EventBridge make them): queued, delivered, and after
   * a function error retried as the function's AsyncInvokeConfig says, unless older than its maximum age.
   */
  public invokeAsync(arn: string, payload: unknown): void {
    const fn = this.function(arn);
    const event: AsyncEvent = { functionArn: fn.arn, payload, queuedAt: Date.now(), offsetAtQueue: this.clockOffsetMs, deliveries: 0 };
    this.asyncEvents.push(event);
    void this.track(this.deliver(event, false));
  }

  /** How old the event is, in simulated seconds. */
  public ageOf(event: AsyncEvent): number {
    return ((Date.now() - event.queuedAt) * timeScale() + this.clockOffsetMs - event.offsetAtQueue) / 1000;
  }

  private track(running: Promise<void>): Promise<void> {
    this.running.add(running);
    void running.finally(() => this.running.delete(running));
    return running;
  }

  /** Delivers the event, and retries it after a function error (not a repeated delivery: that is one attempt). */
  private async deliver(event: AsyncEvent, repeated: boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await new Promise(resolve => setTimeout(resolve, ASYNC_RETRY_DELAYS_MS[attempt - 1] / timeScale()));
      const fn = this.functions.get(event.functionArn);
      if (!fn) return;
      const config = this.asyncConfigOf(fn.arn);
      const interception = this.interceptions.find(i => i.match(event.payload, event));
      this.interceptions = this.interceptions.filter(i => i !== interception);
      interception?.seen(event);
      try {
        await interception?.gate;
        if (this.ageOf(event) > config.maximumEventAgeSeconds) {
          event.dropped = 'too old';
          return;
        }
        event.deliveries++;
        if (interception?.kind === 'fail') {
          const now = Date.now();
          this.invocations.push({ functionArn: fn.arn, type: 'Event', outcome: 'threw', error: 'Runtime.ExitError: failed by the test', startedAt: now, endedAt: now });
          throw new FunctionError('Runtime.ExitError', 'failed by the test');
        }
        await this.run(fn, event.payload, 'Event');
        return;
      } catch {
        if (repeated || attempt >= Math.min(config.maximumRetryAttempts, ASYNC_RETRY_DELAYS_MS.length)) {
          if (!repeated) event.dropped = 'retries exhausted';
          return;
        }
      } finally {
        interception?.ended();
      }
    }
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
