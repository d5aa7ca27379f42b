import { awaited, onExecutionEnd } from './ended';
import { sendFailedEvent } from './events';
import { failureSummary, ReconcileState, reconcileStep } from './reconcile';
import { onRequest, onStoreRequest } from './request';
import { isTrigger, onTrigger } from './triggers';
import { RESOURCE_TYPES } from '../../src/contract';
import { Invocation, InvocationContext } from '../shared/clients';
import { answer, isRequest } from '../shared/custom-resource';
import { log } from '../shared/log';
import { respond } from '../shared/response';
import { checkVersion, failureMessage, isExecutionStatusChange, isWaiterStep } from '../shared/waiter';

/*
 * The function of the OrganizationBaselines of a stack: the service token of their custom resources,
 * the task of the waiter that reconciles their generations, and the target of their rules (accounts
 * that join, the schedule).
 */
export async function handler(event: unknown, context: InvocationContext): Promise<ReconcileState | undefined> {
  const invocation = new Invocation(context);
  if (isRequest(event)) {
    await answer(event, () => event.ResourceType === RESOURCE_TYPES.baselineStore
      ? onStoreRequest(event, invocation)
      : onRequest(event, invocation, context.invokedFunctionArn), invocation.end);
    return undefined;
  }
  if (isWaiterStep(event)) {
    const state = event as ReconcileState;
    if (state.Failure) return reportFailure(state, invocation);
    checkVersion(state);
    // A step made again (Step Functions retries one that timed out) may find its deploy answered already.
    const responder = state.Respond && await awaited(invocation, state.Respond) ? state.Respond : undefined;
    return reconcileStep({ ...state, Respond: responder }, invocation);
  }
  if (isExecutionStatusChange(event)) {
    await onExecutionEnd(event, invocation, context.invokedFunctionArn);
    return undefined;
  }
  if (isTrigger(event)) {
    await onTrigger(event, invocation, context.invokedFunctionArn);
    return undefined;
  }
  throw new Error('Expected a CloudFormation custom-resource request, a waiter step or a baseline trigger');
}

/** A step failed (threw, timed out): the deploy, if it still waits, learns why. */
async function reportFailure(state: ReconcileState, invocation: Invocation): Promise<ReconcileState> {
  const why = failureMessage(state.Failure!);
  log({ setting: 'organization baseline', operation: `generation ${state.Generation}`, outcome: 'failed', error: why });
  await sendFailedEvent(invocation, state, why);
  if (state.Respond && await awaited(invocation, state.Respond)) {
    const reason = `The organization baseline's generation ${state.Generation} failed: ${why}`
      + (state.Counts.failed > 0 ? `. ${failureSummary(state)}` : '');
    await respond(state.Respond, { Status: 'FAILED', Reason: reason, PhysicalResourceId: state.Respond.PhysicalResourceId }, invocation.end);
  }
  return { ...state, Respond: undefined, Done: true };
}
