import { createHash } from 'crypto';
import { jsonCall, stepFunctionsApi } from './aws-json';
import type { Invocation } from './clients';
import { errorName } from './errors';
import { currentRequest, RequestMarker, StackRequest } from './stack';
import { WAITER_ARN_ENV, WAITER_FAILURES } from '../../src/contract';

/*
 * The stack's waiter: a Step Functions state machine (src/private/waiter.ts) that invokes a function with
 * a state, waits `PollSeconds`, and invokes it again with the state it returned, until the state says
 * `Done`. The function does the work of each step and answers CloudFormation itself; the state machine
 * only keeps time and the state between steps, for as long as it takes.
 */

/**
 * The version of the state's shape that this release writes and reads. The waiter invokes the
 * function's latest code, so a library upgraded while an execution runs meets the state of the release
 * before: a step refuses a version it does not know (the execution then fails, saying to deploy again).
 */
export const STATE_VERSION = 1;

/** What the state machine reads of the state; the rest belongs to the function. */
export interface WaiterState {
  /** The release's STATE_VERSION (absent in states written before versions were). */
  readonly Version?: number;
  /** The function to invoke at each step: the one that started the execution. */
  readonly Function: string;
  /** Seconds to wait before the next step. */
  readonly PollSeconds: number;
  /** True ends the execution. */
  readonly Done: boolean;
  /** Set by the state machine when a step failed (the function threw, timed out, or could not be invoked). */
  readonly Failure?: { readonly Error?: string; readonly Cause?: string };
}

/** Throws, naming what to do, when the state was written by a release whose state this one does not read. */
export function checkVersion(state: WaiterState): void {
  if (state.Version === STATE_VERSION) return;
  const error = new Error(`The waiter's state is of ${state.Version === undefined ? 'an earlier release' : `version ${state.Version}`} of `
    + `cdk-account-management and this function reads version ${STATE_VERSION} (the library changed while the execution ran); deploy again`);
  error.name = 'StateVersionMismatch';
  throw error;
}

/** Whether the event is a waiter step (as opposed to a custom-resource request). */
export function isWaiterStep(event: unknown): event is WaiterState {
  const e = event as Partial<WaiterState> | undefined;
  return typeof e?.Function === 'string' && typeof e.Done === 'boolean';
}

/** What DescribeExecution answers that the handlers read. */
export interface ExecutionDescription {
  readonly executionArn?: string;
  readonly stateMachineArn?: string;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE. */
  readonly status?: string;
  readonly input?: string;
  readonly error?: string;
  readonly cause?: string;
}

/**
 * One Step Functions call (without its SDK client: lambda/shared/aws-json.ts), retried until the
 * invocation's deadline; errors are named as the SDK names them (ExecutionDoesNotExist…).
 */
export function stepFunctions<T>(invocation: Invocation, operation: string, input: object): Promise<T> {
  // The environment's rate limiter of Step Functions paces these calls, as it paced its SDK client's.
  return jsonCall<T>(invocation, stepFunctionsApi(), operation, input, { retryStrategy: invocation.config('states').retryStrategy });
}

/** The execution `arn`, as Step Functions describes it. */
export function describeExecution(invocation: Invocation, arn: string): Promise<ExecutionDescription> {
  return stepFunctions<ExecutionDescription>(invocation, 'DescribeExecution', { executionArn: arn });
}

/** An execution name from a key (a request id…): the same key, the same name; at most 80 characters. */
export function executionName(prefix: string, key: string): string {
  return `${prefix}-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

/** The ARN an execution named `name` of the invocation's waiter has. */
export function executionArn(invocation: Invocation, name: string): string {
  return `${waiterArn(invocation).replace(':stateMachine:', ':execution:')}:${name}`;
}

function waiterArn(invocation: Invocation): string {
  if (!invocation.waiterArn) throw new Error(`The function has no ${WAITER_ARN_ENV}: it must be deployed by this library's constructs`);
  return invocation.waiterArn;
}

/**
 * Starts the execution `name` (at most 80 characters: letters, digits, - and _) with `state`. A second
 * start of the same name (Lambda retrying the invocation) joins the first instead of starting another.
 * Returns its ARN.
 */
export async function startWaiter<S extends WaiterState>(invocation: Invocation, name: string, state: S): Promise<string> {
  const stateMachineArn = waiterArn(invocation);
  try {
    const started = await stepFunctions<{ executionArn?: string }>(invocation, 'StartExecution', { stateMachineArn, name, input: JSON.stringify(state) });
    return started.executionArn ?? executionArn(invocation, name);
  } catch (error) {
    if (errorName(error) !== 'ExecutionAlreadyExists') throw error;
    return executionArn(invocation, name);
  }
}

/** Stops an execution (a superseded generation's), if it still runs. */
export async function stopWaiter(invocation: Invocation, arn: string, cause: string): Promise<void> {
  try {
    await stepFunctions(invocation, 'StopExecution', { executionArn: arn, cause });
  } catch (error) {
    if (errorName(error) !== 'ExecutionDoesNotExist') throw error;
  }
}

/** What a failed step's Cause says, as a person would want to read it. */
export function failureMessage(failure: NonNullable<WaiterState['Failure']>): string {
  let cause = failure.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (parsed.errorMessage) cause = parsed.errorMessage;
  } catch {
    // not JSON: kept as it is
  }
  return `${failure.Error ?? 'Error'}${cause ? `: ${cause}` : ''}`;
}

/**
 * Whether CloudFormation may still wait for the request: it is the resource's current one (`marker`, when
 * known, tells it from a later request of the resource). Checked before every answer from a waiter, so
 * that a step made again (Step Functions retries a step that timed out) or an execution's end does not
 * answer a request that was answered, cancelled or superseded. A resource gone is not waited for; any
 * other doubt says yes: an answer CloudFormation no longer waits for is ignored, an answer missing is a
 * wait until the ServiceTimeout. A Delete of a replaced resource (in the cleanup phase, when the logical
 * id names the replacement) cannot be told answered: yes.
 */
export async function stillAwaited(
  invocation: Invocation, request: StackRequest & { readonly PhysicalResourceId?: string }, marker?: RequestMarker,
): Promise<boolean> {
  if (request.RequestType === 'Delete') {
    try {
      const { StackResourceDetail: detail } = await invocation.cloudFormation().describeStackResource({
        StackName: request.StackId, LogicalResourceId: request.LogicalResourceId,
      });
      if (request.PhysicalResourceId !== undefined && detail?.PhysicalResourceId !== request.PhysicalResourceId) return true;
      return detail?.ResourceStatus === 'DELETE_IN_PROGRESS';
    } catch (error) {
      return !/does not exist/.test((error as Error).message ?? '');
    }
  }
  const current = await currentRequest(invocation, request, marker);
  if (current.known) return current.value !== undefined;
  return !/does not exist/.test(current.why);
}

/** The event Step Functions sends to the default bus when an execution's status changes (the fields read here). */
export interface ExecutionStatusChange {
  readonly 'source': 'aws.states';
  readonly 'detail-type': 'Step Functions Execution Status Change';
  readonly 'detail': { readonly executionArn: string };
}

/** Whether the event is an execution's status change (the waiter's rule delivers those of unsuccessful ends). */
export function isExecutionStatusChange(event: unknown): event is ExecutionStatusChange {
  const e = event as Partial<ExecutionStatusChange> | undefined;
  return e?.source === 'aws.states' && e['detail-type'] === 'Step Functions Execution Status Change' && typeof e.detail?.executionArn === 'string';
}

/** An execution of this function's that ended without answering, as Step Functions describes it. */
export interface UnansweredEnd<S extends WaiterState> {
  readonly executionArn: string;
  readonly status: string;
  readonly error?: string;
  readonly cause?: string;
  /** The execution's input: its first state. */
  readonly state: S;
}

const UNSUCCESSFUL = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * The end of one of this function's executions, read from Step Functions (not from the event, which
 * anyone who may invoke the function could write), when it ended without success and without having
 * reported its failure; otherwise why there is nothing to answer.
 */
export async function unansweredEnd<S extends WaiterState>(
  invocation: Invocation, event: ExecutionStatusChange, functionArn: string,
): Promise<UnansweredEnd<S> | { readonly ignored: string }> {
  const arn = event.detail.executionArn;
  if (!arn.startsWith(`${executionArn(invocation, '')}`)) return { ignored: 'not an execution of this stack\'s waiter' };
  const execution = await describeExecution(invocation, arn);
  const status = execution.status ?? 'UNKNOWN';
  if (!UNSUCCESSFUL.has(status)) return { ignored: `the execution is ${status}` };
  if (status === 'FAILED' && execution.error === WAITER_FAILURES.reported) return { ignored: 'the function reported its failure itself' };
  let state: S;
  try {
    state = JSON.parse(execution.input ?? '') as S;
  } catch {
    return { ignored: 'the execution\'s input is not a waiter state' };
  }
  const unqualified = (a: string) => a.split(':').slice(0, 7).join(':');
  if (typeof state?.Function !== 'string' || unqualified(state.Function) !== unqualified(functionArn)) return { ignored: 'another function\'s execution' };
  return { executionArn: arn, status, error: execution.error, cause: execution.cause, state };
}

/** What happened to an execution that ended without answering, and what to do: for CloudFormation's Reason. */
export function endMessage(end: UnansweredEnd<WaiterState>): string {
  const name = end.executionArn.split(':').pop();
  const cause = end.cause && end.cause.length > 300 ? `${end.cause.slice(0, 300)}…` : end.cause;
  const what = end.status === 'ABORTED' ? `was stopped${cause ? ` (${cause})` : ''}`
    : end.status === 'TIMED_OUT' ? 'timed out'
      : `failed with ${end.error ?? 'an error'}${cause ? `: ${cause}` : ''}`;
  const hint = end.error?.startsWith('Lambda.') || end.cause?.includes('Lambda.TooManyRequestsException')
    ? 'the function could not be invoked (Lambda refused it for its concurrency or failed); deploy again when fewer deploys run at once, or give the function more concurrency'
    : end.error === WAITER_FAILURES.unreported
      ? 'its report could not reach CloudFormation (the execution\'s history shows each step); deploy again'
      : end.status === 'ABORTED'
        ? 'deploy again to start it over'
        : 'deploy again; the execution\'s history in the Step Functions console shows the step that failed';
  return `The waiter's execution ${name} ${what} before it answered: ${hint}`;
}
