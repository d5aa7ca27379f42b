import type { Invocation } from './clients';
import { errorName, isTransient } from './errors';
import { log } from './log';
import { backoffDelay, sleep } from './pacing';
import { describeExecution, executionArn, WaiterState } from './waiter';

/*
 * Whether a waiter step comes from one of the stack's own executions: whoever may invoke the function
 * can send it any state. A step names its execution (the Region function's by its request id, the
 * reconciler's in its state); it is acted on only when Step Functions says that execution is RUNNING, is
 * one of the stack's waiter's, and started with the same function and the same request as the step
 * carries. A replay of a running execution's own state (readable in its history) then does only what
 * that execution's next step would do.
 */

export type StepConfirmation = { readonly confirmed: true } | { readonly confirmed: false; readonly why: string };

/**
 * Confirms a step that claims to be of execution `arn`; `same` compares what must not change from the
 * execution's input (its first state) to the step. Throws when Step Functions cannot be read (the step
 * then fails, and its execution reports it).
 */
export async function confirmStep<S extends WaiterState>(
  invocation: Invocation, arn: string, functionArn: string, same: (input: S) => boolean,
): Promise<StepConfirmation> {
  if (!arn.startsWith(executionArn(invocation, ''))) return { confirmed: false, why: 'it names no execution of the stack\'s waiter' };
  let execution;
  for (let attempt = 0; !execution; attempt++) {
    try {
      execution = await describeExecution(invocation, arn);
    } catch (error) {
      if (errorName(error) === 'ExecutionDoesNotExist') return { confirmed: false, why: 'its execution does not exist' };
      // A genuine step is not failed by a read that a loaded service times out or throttles while the invocation has time.
      if (!isTransient(error) || invocation.remainingMs() <= 0) throw error;
      await sleep(backoffDelay(attempt));
    }
  }
  if (execution.status !== 'RUNNING') return { confirmed: false, why: `its execution is ${execution.status}` };
  if (execution.stateMachineArn !== invocation.waiterArn) return { confirmed: false, why: 'its execution is another state machine\'s' };
  let input: S;
  try {
    input = JSON.parse(execution.input ?? '') as S;
  } catch {
    return { confirmed: false, why: 'its execution\'s input is not a waiter state' };
  }
  const unqualified = (a: unknown) => String(a).split(':').slice(0, 7).join(':');
  if (unqualified(input?.Function) !== unqualified(functionArn)) return { confirmed: false, why: 'its execution steps another function' };
  if (!same(input)) return { confirmed: false, why: 'it carries another request than its execution started with' };
  return { confirmed: true };
}

/** Logs a step that is not acted on (never its state: it may name a request's properties). */
export function logForgedStep(setting: string, why: string): void {
  log({ setting, operation: 'waiter step', outcome: `ignored: not a step of the stack's own running execution (${why}); nothing done, nothing answered` });
}

/** Whether the fields `keys` of two states are the same. */
export function sameFields<S>(a: S, b: S, keys: ReadonlyArray<keyof S>): boolean {
  return keys.every(key => JSON.stringify(a[key]) === JSON.stringify(b[key]));
}
