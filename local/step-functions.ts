import type { StateMachineDefinition } from 'aws-local-stepfunctions' with { 'resolution-mode': 'require' };
import { ApiError, timeScale } from './common';
import { FunctionError, LambdaService } from './lambda';

/*
 * AWS Step Functions, locally: StartExecution, DescribeExecution, StopExecution, and the reads of an operator
 * (ListExecutions, GetExecutionHistory: the execution's start, each task state's input and output, its end) (awsJson1_0) over
 * the state machines the local deployment engine registers, each execution run by aws-local-stepfunctions
 * (a maintained ASL interpreter) with its Lambda tasks invoking the local functions, and its Wait states
 * shortened to `waitMs` (or, with `scaledWaits`, waiting their SecondsPath on the scaled clock). Retry intervals take as long in total as in AWS, on the scaled clock. Tests may
 * make a task fail as the service would (`injectTaskFault`: Lambda service errors, which Retry and
 * Catch see, and States.Runtime / States.DataLimitExceeded, which end the execution at once), and every
 * change of an execution's status is sent as "Step Functions Execution Status Change" to `onStatusChange`
 * (the local default event bus).
 */

// aws-local-stepfunctions declares Node.js 22, for Promise.withResolvers alone: provide it on Node.js 20.
const promiseStatics = Promise as unknown as { withResolvers?: () => unknown };
promiseStatics.withResolvers ??= () => {
  let resolve: unknown;
  let reject: unknown;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

// The package is an ES module with a CommonJS build, which this CommonJS module requires.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StateMachine }: typeof import('aws-local-stepfunctions', { with: { 'resolution-mode': 'require' } }) = require('aws-local-stepfunctions');

export const STEP_FUNCTIONS_TARGET_PREFIX = 'AWSStepFunctions.';
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  output?: string;
  /** The execution's error and cause, as DescribeExecution reports them (FAILED, ABORTED). */
  error?: string;
  cause?: string;
  readonly startedAt: number;
  stoppedAt?: number;
  readonly abort: () => void;
  readonly done: Promise<void>;
  /** The events GetExecutionHistory returns, oldest first. */
  readonly history: HistoryEvent[];
  /** States entered so far, of every type and within Map iterations too: what Step Functions bills as state transitions. */
  statesEntered: number;
}

/** An event of an execution's history, in the service's shape (the details of the few kinds recorded here). */
export interface HistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: number;
  readonly type: 'ExecutionStarted' | 'TaskStateEntered' | 'TaskStateExited' | 'ExecutionSucceeded' | 'ExecutionFailed' | 'ExecutionAborted';
  readonly [details: string]: unknown;
}

type States = Record<string, { Type: string; Resource?: string }>;

/**
 * A fault of a task state, as Step Functions would meet it. `Lambda.*` errors (TooManyRequestsException…)
 * fail the invoke, and the state's Retry and Catch apply; `States.Runtime` and `States.DataLimitExceeded`
 * end the execution FAILED at once, which no Retry or Catch (States.ALL included) sees, as in AWS.
 */
export interface TaskFault {
  /** The task state ('Step', 'Report failure'). */
  readonly state: string;
  readonly error: string;
  readonly cause?: string;
  /** How many invokes of the state in a row get it. */
  readonly count: number;
  /** The function runs first, then the task fails (its result lost, as when a step outlives its TimeoutSeconds). */
  readonly afterInvoke?: boolean;
}

/** Errors that end an execution whatever its Retry and Catch say. */
const TERMINAL_ERRORS = new Set(['States.Runtime', 'States.DataLimitExceeded']);

/** The event Step Functions sends to the default bus when an execution's status changes. */
export interface ExecutionStatusChange {
  readonly 'version': '0';
  readonly 'id': string;
  readonly 'detail-type': 'Step Functions Execution Status Change';
  readonly 'source': 'aws.states';
  readonly 'account': string;
  readonly 'time': string;
  readonly 'region': string;
  readonly 'resources': string[];
  readonly 'detail': Record<string, unknown>;
}

/** What a `lambda:invoke` task passes, its Parameters resolved. */
interface LambdaInvokeParameters {
  readonly FunctionName: string;
  readonly Payload: unknown;
}

export class StepFunctionsService {
  /** How long a Wait state waits here, in ms, whatever its definition says (unless `scaledWaits`). */
  public waitMs = 10;
  /** Wait states with a `SecondsPath` wait what it says, on the scaled clock (seconds × 1000 / timeScale()), instead of `waitMs`. */
  public scaledWaits = false;
  public readonly executions: ExecutionRecord[] = [];
  private readonly definitions = new Map<string, StateMachineDefinition>();
  private taskFaults: Array<TaskFault & { remaining: number }> = [];
  private events = 0;

  constructor(private readonly lambda: LambdaService) {}

  /** Where status changes go (the local default event bus). */
  public onStatusChange: (event: ExecutionStatusChange) => void = () => undefined;

  public register(arn: string, definition: StateMachineDefinition): void {
    this.definitions.set(arn, definition);
  }

  public unregister(arn: string): void {
    this.definitions.delete(arn);
  }

  /** Makes the next `count` invokes of a task state fail with `error` (see TaskFault). */
  public injectTaskFault(fault: TaskFault): void {
    this.taskFaults.push({ ...fault, remaining: fault.count });
  }

  public clearTaskFaults(): void {
    this.taskFaults = [];
  }

  /** Stops an execution, as someone would by hand in the console. */
  public stop(executionArn: string, cause = 'Stopped by hand'): void {
    this.dispatch('StopExecution', { executionArn, cause });
  }

  /** Waits until every execution has ended. */
  public async settled(): Promise<void> {
    while (this.executions.some(e => e.status === 'RUNNING')) await Promise.allSettled(this.executions.map(e => e.done));
  }

  public dispatch(operation: string, body: Record<string, unknown>): unknown {
    switch (operation) {
      case 'StartExecution':
        return this.start(String(body.stateMachineArn), String(body.name ?? `execution-${this.executions.length + 1}`), String(body.input ?? '{}'));
      case 'DescribeExecution': {
        const execution = this.execution(String(body.executionArn));
        return { ...summaryOf(execution), input: execution.input, output: execution.output, error: execution.error, cause: execution.cause };
      }
      case 'ListExecutions':
        return this.list(body);
      case 'GetExecutionHistory':
        return this.historyOf(body);
      case 'StopExecution': {
        const execution = this.execution(String(body.executionArn));
        if (execution.status === 'RUNNING') {
          execution.error = body.error === undefined ? undefined : String(body.error);
          execution.cause = body.cause === undefined ? undefined : String(body.cause);
          execution.abort();
        }
        return { stopDate: Date.now() / 1000 };
      }
      default:
        throw new ApiError(400, 'UnknownOperationException', `Unknown operation ${operation}`);
    }
  }

  /** Newest first, in pages of `maxResults` (100 by default, as the service has it). */
  private list(body: Record<string, unknown>): unknown {
    const arn = String(body.stateMachineArn ?? '');
    if (!this.definitions.has(arn) && !this.executions.some(e => e.stateMachineArn === arn)) {
      throw new ApiError(400, 'StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    }
    const matching = this.executions
      .filter(e => e.stateMachineArn === arn && (body.statusFilter === undefined || e.status === body.statusFilter))
      .reverse();
    const { page, nextToken } = paged(matching, body);
    return {
      executions: page.map(summaryOf),
      nextToken,
    };
  }

  private historyOf(body: Record<string, unknown>): unknown {
    const execution = this.execution(String(body.executionArn));
    const events = body.reverseOrder === true ? [...execution.history].reverse() : execution.history;
    const { page, nextToken } = paged(events, body);
    // Without execution data, the service leaves out inputs and outputs.
    const shown = body.includeExecutionData === false
      ? page.map(e => JSON.parse(JSON.stringify(e, (key, value) => (key === 'input' || key === 'output' ? undefined : value))) as HistoryEvent)
      : page;
    return { events: shown, nextToken };
  }

  private record(history: HistoryEvent[], type: HistoryEvent['type'], details: Record<string, unknown> = {}): void {
    const id = history.length + 1;
    history.push({ id, previousEventId: id - 1, timestamp: Date.now() / 1000, type, ...details });
  }

  private execution(arn: string): ExecutionRecord {
    const execution = this.executions.find(e => e.executionArn === arn);
    if (!execution) throw new ApiError(400, 'ExecutionDoesNotExist', `Execution does not exist: '${arn}'`);
    return execution;
  }

  private start(stateMachineArn: string, name: string, input: string): unknown {
    const definition = this.definitions.get(stateMachineArn);
    if (!definition) throw new ApiError(400, 'StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.find(e => e.executionArn === executionArn);
    if (existing) {
      // The same name and input is the same execution; another input is refused.
      if (existing.input !== input) throw new ApiError(400, 'ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
      return { executionArn, startDate: existing.startedAt / 1000 };
    }
    const states = (definition as unknown as { States: States }).States;
    // A terminal error (States.Runtime…) ends the execution whatever its Catch says: the run is aborted and the execution FAILED.
    let terminal: { error: string; cause: string } | undefined;
    let abort = () => undefined as void;
    // The run is aborted (the first task may fail before `run` exists: once it does), then the task ends, so
    // that nothing of the aborted run (its task's timeout) keeps the process alive.
    const fail = (error: string, cause: string) => new Promise<never>((_, reject) => {
      terminal = { error, cause };
      setImmediate(() => {
        abort();
        reject(Object.assign(new Error(cause), { name: error }));
      });
    });
    const history: HistoryEvent[] = [];
    /** The last task's output: what the Wait after it reads its SecondsPath from (the Choice between passes it on). */
    let lastOutput: unknown;
    const tasks = Object.fromEntries(Object.entries(states)
      .filter(([, state]) => state.Type === 'Task' && state.Resource === LAMBDA_INVOKE)
      .map(([stateName]) => [stateName, async (parameters: unknown) => {
        const payload = (parameters as LambdaInvokeParameters).Payload;
        this.record(history, 'TaskStateEntered', { stateEnteredEventDetails: { name: stateName, input: JSON.stringify(payload) } });
        const result = await this.invokeTask(stateName, parameters as LambdaInvokeParameters, fail) as { Payload?: unknown };
        // The states' OutputPath is $.Payload: what the state passes on is the function's result.
        this.record(history, 'TaskStateExited', { stateExitedEventDetails: { name: stateName, output: JSON.stringify(result?.Payload ?? null) } });
        lastOutput = result?.Payload;
        return result as never;
      }]));
    const waits: Record<string, number> = {};
    for (const [stateName, state] of Object.entries(states).filter(([, st]) => st.Type === 'Wait')) {
      const secondsPath = (state as { SecondsPath?: string }).SecondsPath;
      // The interpreter takes a number per state: a getter reads it when the state runs.
      Object.defineProperty(waits, stateName, {
        enumerable: true,
        get: () => (this.scaledWaits && secondsPath?.startsWith('$.')
          ? (Number((lastOutput as Record<string, unknown> | undefined)?.[secondsPath.slice(2)] ?? 0) * 1000) / timeScale()
          : this.waitMs),
      });
    }
    const machine = new StateMachine(definition, { validationOptions: { checkArn: false } });
    const run = machine.run(JSON.parse(input), {
      overrides: { taskResourceLocalHandlers: tasks, waitTimeOverrides: waits, retryIntervalOverrides: retryIntervals(states) },
    });
    abort = () => run.abort();
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      name,
      input,
      status: 'RUNNING',
      startedAt: Date.now(),
      abort: () => run.abort(),
      history,
      statesEntered: 0,
      done: run.result.then(
        output => {
          record.status = 'SUCCEEDED';
          record.output = JSON.stringify(output);
        },
        (error: Error) => {
          if (terminal) {
            record.status = 'FAILED';
            record.error = terminal.error;
            record.cause = terminal.cause;
          } else if (error?.name === 'ExecutionAbortedError') {
            record.status = 'ABORTED';
          } else {
            // The error of the state that failed it (a Fail state's Error and Cause, or an uncaught task error).
            const failure = (error as Error & { cause?: Error }).cause;
            record.status = 'FAILED';
            record.error = failure?.name ?? error?.name;
            record.cause = failure?.message ?? error?.message;
          }
        },
      ).finally(() => {
        record.stoppedAt = Date.now();
        if (record.status === 'SUCCEEDED') this.record(record.history, 'ExecutionSucceeded', { executionSucceededEventDetails: { output: record.output } });
        else if (record.status === 'FAILED') this.record(record.history, 'ExecutionFailed', { executionFailedEventDetails: { error: record.error, cause: record.cause } });
        else this.record(record.history, 'ExecutionAborted', { executionAbortedEventDetails: { error: record.error, cause: record.cause } });
        this.statusChanged(record);
      }),
    };
    this.executions.push(record);
    // The interpreter's event log is the only place that sees Pass, Choice and Wait states as well as tasks.
    void (async () => {
      for await (const event of run.eventLogs) if (event.type === 'StateEntered') record.statesEntered++;
    })().catch(() => undefined);
    this.record(record.history, 'ExecutionStarted', { executionStartedEventDetails: { input } });
    this.statusChanged(record);
    return { executionArn, startDate: record.startedAt / 1000 };
  }

  private statusChanged(record: ExecutionRecord): void {
    const [, , , region, account] = record.executionArn.split(':');
    this.onStatusChange({
      'version': '0',
      'id': `local-states-event-${++this.events}`,
      'detail-type': 'Step Functions Execution Status Change',
      'source': 'aws.states',
      account,
      'time': new Date().toISOString(),
      region,
      'resources': [record.executionArn],
      'detail': {
        executionArn: record.executionArn,
        stateMachineArn: record.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: record.startedAt,
        stopDate: record.stoppedAt ?? null,
        input: record.input,
        output: record.output ?? null,
        inputDetails: { included: true },
        error: record.error ?? null,
        cause: record.cause ?? null,
      },
    });
  }

  /** A `lambda:invoke` task: the function's result in the integration's shape, or its error by its type. */
  private async invokeTask(
    stateName: string, parameters: LambdaInvokeParameters, fail: (error: string, cause: string) => Promise<never>,
  ): Promise<unknown> {
    const fault = this.taskFaults.find(f => f.state === stateName && f.remaining > 0);
    if (fault) {
      fault.remaining--;
      this.taskFaults = this.taskFaults.filter(f => f.remaining > 0);
      const cause = fault.cause ?? `Injected ${fault.error}`;
      if (fault.afterInvoke) await this.lambda.invoke(parameters.FunctionName, parameters.Payload).catch(() => undefined);
      if (TERMINAL_ERRORS.has(fault.error)) {
        return fail(fault.error, cause);
      }
      throw Object.assign(new Error(cause), { name: fault.error });
    }
    try {
      const payload = await this.lambda.invoke(parameters.FunctionName, parameters.Payload);
      return { Payload: payload, StatusCode: 200, ExecutedVersion: '$LATEST' };
    } catch (error) {
      const failure = error instanceof FunctionError ? error : new FunctionError('Lambda.Unknown', String(error));
      const cause = JSON.stringify({ errorType: failure.errorType, errorMessage: failure.errorMessage });
      throw Object.assign(new Error(cause), { name: failure.errorType });
    }
  }
}

/** A page of `items` from `nextToken` (an offset here), of `maxResults` (100 by default, 1000 at most). */
/** What DescribeExecution and ListExecutions both say of an execution (the service's epoch seconds). */
function summaryOf(e: ExecutionRecord) {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: e.startedAt / 1000,
    stopDate: e.stoppedAt === undefined ? undefined : e.stoppedAt / 1000,
  };
}

function paged<T>(items: T[], body: Record<string, unknown>): { page: T[]; nextToken?: string } {
  const size = Math.min(Number(body.maxResults || 100), 1000);
  const start = Number(body.nextToken ?? 0);
  return { page: items.slice(start, start + size), nextToken: start + size < items.length ? String(start + size) : undefined };
}

/**
 * Each retrier's interval, in ms on the scaled clock: constant per retrier here (the interpreter takes
 * one per retrier), chosen so that its attempts together wait as long as their backoff would in AWS.
 */
function retryIntervals(states: States): Record<string, number[]> {
  const intervals: Record<string, number[]> = {};
  for (const [stateName, state] of Object.entries(states)) {
    const retry = (state as { Retry?: Array<{ IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number }> }).Retry;
    if (!retry) continue;
    intervals[stateName] = retry.map(r => {
      const attempts = r.MaxAttempts ?? 3;
      const interval = r.IntervalSeconds ?? 1;
      const backoff = r.BackoffRate ?? 2;
      let total = 0;
      for (let k = 0; k < attempts; k++) total += interval * backoff ** k;
      return attempts > 0 ? (total * 1000) / attempts / timeScale() : 0;
    });
  }
  return intervals;
}
