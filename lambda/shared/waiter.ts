import { createHash } from 'crypto';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
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

/**
 * Starts an execution named after `key` (e.g. the CloudFormation request id): a second start for the
 * same key (Lambda retrying the invocation) joins the first instead of starting another.
 */
export async function startWaiter(invocation: Invocation, key: string, state: WaiterState): Promise<void> {
  const stateMachineArn = invocation.waiterArn;
  if (!stateMachineArn) throw new Error(`The function has no ${WAITER_ARN_ENV}: it must be deployed by this library's constructs`);
  const name = `w-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
  try {
    await new SFNClient(invocation.config('sfn')).send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(state) }));
  } catch (error) {
    if (errorName(error) !== 'ExecutionAlreadyExists') throw error;
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
