import type { StateMachineDefinition } from 'aws-local-stepfunctions' with { 'resolution-mode': 'require' };
import { ApiError } from './common';
import { FunctionError, LambdaService } from './lambda';

/*
 * AWS Step Functions, locally: StartExecution, DescribeExecution and StopExecution (awsJson1_0) over
 * the state machines the local deployment engine registers, each execution run by aws-local-stepfunctions
 * (a maintained ASL interpreter) with its Lambda tasks invoking the local functions, and its Wait states
 * shortened to `waitMs`.
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
  error?: string;
  readonly startedAt: number;
  stoppedAt?: number;
  readonly abort: () => void;
  readonly done: Promise<void>;
}

type States = Record<string, { Type: string; Resource?: string }>;

/** What a `lambda:invoke` task passes, its Parameters resolved. */
interface LambdaInvokeParameters {
  readonly FunctionName: string;
  readonly Payload: unknown;
}

export class StepFunctionsService {
  /** How long a Wait state waits here, in ms, whatever its definition says. */
  public waitMs = 10;
  public readonly executions: ExecutionRecord[] = [];
  private readonly definitions = new Map<string, StateMachineDefinition>();

  constructor(private readonly lambda: LambdaService) {}

  public register(arn: string, definition: StateMachineDefinition): void {
    this.definitions.set(arn, definition);
  }

  public unregister(arn: string): void {
    this.definitions.delete(arn);
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
        return {
          executionArn: execution.executionArn,
          stateMachineArn: execution.stateMachineArn,
          name: execution.name,
          status: execution.status,
          input: execution.input,
          output: execution.output,
          startDate: execution.startedAt / 1000,
          stopDate: execution.stoppedAt === undefined ? undefined : execution.stoppedAt / 1000,
        };
      }
      case 'StopExecution': {
        const execution = this.execution(String(body.executionArn));
        if (execution.status === 'RUNNING') execution.abort();
        return { stopDate: Date.now() / 1000 };
      }
      default:
        throw new ApiError(400, 'UnknownOperationException', `Unknown operation ${operation}`);
    }
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
    const tasks = Object.fromEntries(Object.entries(states)
      .filter(([, state]) => state.Type === 'Task' && state.Resource === LAMBDA_INVOKE)
      .map(([stateName]) => [stateName, async (parameters: unknown) => this.invokeTask(parameters as LambdaInvokeParameters) as never]));
    const waits = Object.fromEntries(Object.entries(states).filter(([, state]) => state.Type === 'Wait').map(([stateName]) => [stateName, this.waitMs]));
    const machine = new StateMachine(definition, { validationOptions: { checkArn: false } });
    const run = machine.run(JSON.parse(input), { overrides: { taskResourceLocalHandlers: tasks, waitTimeOverrides: waits } });
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn,
      name,
      input,
      status: 'RUNNING',
      startedAt: Date.now(),
      abort: () => run.abort(),
      done: run.result.then(
        output => {
          record.status = 'SUCCEEDED';
          record.output = JSON.stringify(output);
        },
        (error: Error) => {
          record.status = error?.name === 'ExecutionAbortedError' ? 'ABORTED' : 'FAILED';
          record.error = error?.message;
        },
      ).finally(() => {
        record.stoppedAt = Date.now();
      }),
    };
    this.executions.push(record);
    return { executionArn, startDate: record.startedAt / 1000 };
  }

  /** A `lambda:invoke` task: the function's result in the integration's shape, or its error by its type. */
  private async invokeTask(parameters: LambdaInvokeParameters): Promise<unknown> {
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
