import { createHash } from 'crypto';
import { SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { Invocation } from './clients';
import { errorName } from './errors';
import { WAITER_ARN_ENV } from '../../src/contract';

/*
 * The stack's waiter: a Step Functions state machine (src/private/waiter.ts) that invokes a function with
 * a state, waits `PollSeconds`, and invokes it again with the state it returned, until the state says
 * `Done`. The function does the work of each step and answers CloudFormation itself; the state machine
 * only keeps time and the state between steps, for as long as it takes.
 */

/** What the state machine reads of the state; the rest belongs to the function. */
export interface WaiterState {
  /** The function to invoke at each step: the one that started the execution. */
  readonly Function: string;
  /** Seconds to wait before the next step. */
  readonly PollSeconds: number;
  /** True ends the execution. */
  readonly Done: boolean;
  /** Set by the state machine when a step failed (the function threw, timed out, or could not be invoked). */
  readonly Failure?: { readonly Error?: string; readonly Cause?: string };
}

/** Whether the event is a waiter step (as opposed to a custom-resource request). */
export function isWaiterStep(event: unknown): event is WaiterState {
  const e = event as Partial<WaiterState> | undefined;
  return typeof e?.Function === 'string' && typeof e.Done === 'boolean';
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
    const started = await new SFNClient(invocation.config('sfn')).send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(state) }));
    return started.executionArn ?? executionArn(invocation, name);
  } catch (error) {
    if (errorName(error) !== 'ExecutionAlreadyExists') throw error;
    return executionArn(invocation, name);
  }
}

/** Stops an execution (a superseded generation's), if it still runs. */
export async function stopWaiter(invocation: Invocation, arn: string, cause: string): Promise<void> {
  try {
    await new SFNClient(invocation.config('sfn')).send(new StopExecutionCommand({ executionArn: arn, cause }));
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
