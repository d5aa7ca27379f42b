import { sendFailedEvent } from './events';
import { forgetResponseUrl, responseTarget } from './responses';
import type { ReconcileState, Responder } from './state';
import { Store } from './store';
import { superseded } from './supersession';
import type { Invocation } from '../shared/clients';
import { log } from '../shared/log';
import { respond } from '../shared/response';
import { endMessage, ExecutionStatusChange, stillAwaited, unansweredEnd } from '../shared/waiter';

/*
 * Answers from outside a reconciler's execution: one that ended failed, timed out or stopped without
 * answering the deploy that waits for it (stopped by hand, States.Runtime, a step and its report that
 * both failed) is handed to the function by the waiter's rule.
 */

/** Whether CloudFormation may still wait for the answer (a Responder of a release before versions cannot tell: yes). */
export async function awaited(invocation: Invocation, responder: Responder): Promise<boolean> {
  if (!responder.RequestType) return true;
  return stillAwaited(invocation, {
    StackId: responder.StackId,
    LogicalResourceId: responder.LogicalResourceId,
    RequestType: responder.RequestType,
    PhysicalResourceId: responder.PhysicalResourceId,
  });
}

export async function onExecutionEnd(event: ExecutionStatusChange, invocation: Invocation, functionArn: string): Promise<void> {
  const name = event.detail.executionArn.split(':').pop();
  const fields = { setting: 'organization baseline', operation: `execution ${name} ended` };
  const end = await unansweredEnd<ReconcileState>(invocation, event, functionArn);
  if ('ignored' in end) {
    log({ ...fields, outcome: `nothing to answer: ${end.ignored}` });
    return;
  }
  const state = end.state;
  // A generation stopped because a newer one superseded it: CloudFormation no longer waits for its request, and nothing failed.
  if (end.status === 'ABORTED' && await superseded(new Store(invocation, state.Store, state.BaselineId), state).catch(() => false)) {
    log({ ...fields, outcome: 'nothing to answer: a newer generation superseded it' });
    return;
  }
  // Every run that ends failed says so, whoever waits: scheduled and new-account runs included.
  await sendFailedEvent(invocation, state, `${end.status}: ${endMessage(end)}`);
  const responder = state.Respond;
  if (!responder) {
    log({ ...fields, outcome: 'nothing to answer: no deploy waited for it' });
    return;
  }
  if (!await awaited(invocation, responder)) {
    log({ ...fields, outcome: 'not answered: CloudFormation no longer waits for this request (answered, cancelled or superseded)' });
    return;
  }
  log({ ...fields, outcome: 'failed', error: `${end.status} ${end.error ?? ''}`.trim() });
  const target = await responseTarget(state, responder, invocation);
  if (!target) {
    log({ ...fields, outcome: 'not answered: the deploy\'s response URL is gone from the store (answered already)' });
    return;
  }
  await respond(target, {
    Status: 'FAILED',
    Reason: `The organization baseline's generation ${state.Generation}: ${endMessage(end)}`,
    PhysicalResourceId: responder.PhysicalResourceId,
  }, invocation.end);
  await forgetResponseUrl(state, responder, invocation);
}
