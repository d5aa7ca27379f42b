import { awaited, onExecutionEnd } from './ended';
import { sendFailedEvent } from './events';
import { failureSummary, ReconcileState, reconcileStep } from './reconcile';
import { onRequest, onStoreRequest } from './request';
import { answerIn, forgetResponseUrl, holdResponseUrl, responseTarget } from './responses';
import { isTrigger, onTrigger } from './triggers';
import { RESOURCE_TYPES } from '../../src/contract';
import { Invocation, InvocationContext } from '../shared/clients';
import { confirmOrLog, unconfirmedError } from '../shared/confirm';
import { answer, isRequest } from '../shared/custom-resource';
import { confirmStep, logForgedStep, sameFields } from '../shared/execution';
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
  answerIn(invocation);
  if (isRequest(event)) {
    // Only CloudFormation's requests are acted on, and only they are answered (an unknown one, FAILED).
    const types = [RESOURCE_TYPES.organizationBaseline, RESOURCE_TYPES.baselineStore];
    const confirmation = await confirmOrLog(invocation, event, types, 'organization baseline');
    if (!confirmation.confirmed && confirmation.known) return undefined;
    await answer(event, () => (!confirmation.confirmed ? Promise.reject(unconfirmedError(confirmation.why))
      : event.ResourceType === RESOURCE_TYPES.baselineStore
        ? onStoreRequest(event, invocation)
        : onRequest(event, invocation, context.invokedFunctionArn)), invocation.end);
    return undefined;
  }
  if (isWaiterStep(event)) {
    const state = event as ReconcileState;
    const confirmation = await confirmStep<ReconcileState>(invocation, String(state.ExecutionArn), context.invokedFunctionArn,
      input => sameRun(input, state));
    if (!confirmation.confirmed) {
      logForgedStep('organization baseline', confirmation.why);
      return { ...state, Respond: undefined, Done: true };
    }
    if (state.Failure) return reportFailure(state, invocation);
    checkVersion(state);
    // A step made again (Step Functions retries one that timed out) may find its deploy answered already.
    const responder = state.Respond && await awaited(invocation, state.Respond) ? state.Respond : undefined;
    if (responder?.RequestType === 'Delete') await holdResponseUrl(state, responder, invocation);
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

/**
 * Whether a step carries the run its execution started (the rest, the progress, changes from step to
 * step): the deploy's responder and the superseded generation are dropped once done with.
 */
function sameRun(input: ReconcileState, state: ReconcileState): boolean {
  return sameFields(input, state, ['Task', 'BaselineId', 'Store', 'Generation', 'ExecutionArn', 'Run', 'Account',
    'KeepPriors', 'RestoreFrom', 'Digest', 'Stack', 'HandChange'])
    && (state.Respond === undefined || sameFields(input, state, ['Respond']))
    && (state.Previous === undefined || sameFields(input, state, ['Previous']));
}

/** A step failed (threw, timed out): the deploy, if it still waits, learns why. */
async function reportFailure(state: ReconcileState, invocation: Invocation): Promise<ReconcileState> {
  const why = failureMessage(state.Failure!);
  log({ setting: 'organization baseline', operation: `generation ${state.Generation}`, outcome: 'failed', error: why });
  await sendFailedEvent(invocation, state, why);
  if (state.Respond && await awaited(invocation, state.Respond)) {
    const reason = `The organization baseline's generation ${state.Generation} failed: ${why}`
      + (state.Counts.failed > 0 ? `. ${failureSummary(state)}` : '');
    const target = await responseTarget(state, state.Respond, invocation);
    if (target) {
      await respond(target, { Status: 'FAILED', Reason: reason, PhysicalResourceId: state.Respond.PhysicalResourceId }, invocation.end);
      await forgetResponseUrl(state, state.Respond, invocation);
    }
  }
  return { ...state, Respond: undefined, Done: true };
}
