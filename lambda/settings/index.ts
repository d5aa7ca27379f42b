import { isHandChangeTrigger, onHandChange } from './hand-changes';
import { handleInformation } from './information';
import { parseSetting, Setting } from './settings';
import { METRICS, RESOURCE_TYPES, SettingAttributes } from '../../src/contract';
import { departure, departureReason, explainedFailure } from '../shared/account-api';
import { Invocation, InvocationContext } from '../shared/clients';
import { ConfirmedResource, confirmOrLog, unconfirmedError } from '../shared/confirm';
import { answer, isFailedCreateId, Request, Result } from '../shared/custom-resource';
import { StackDeclarations } from '../shared/declarations';
import { errorName, failure, isThrottling, isTransient } from '../shared/errors';
import { LineMetrics, log, logWithMetrics } from '../shared/log';
import { sleep, timeScale } from '../shared/pacing';
import { retryDelay, slotOf, waitForSlot } from '../shared/schedule';
import { checkCurrentRequest, currentRequest, isRollingBack, RequestMarker } from '../shared/stack';
import { resolveTarget, Target } from '../shared/target';

/*
 * The custom-resource handler of the alternate contacts, the primary contact, the account name and the
 * account information (a read, lambda/settings/information.ts): its function is the resources' service
 * token, CloudFormation invokes it with each request, and it answers CloudFormation itself. Each request is one API call, retried (throttling, 5xx, network errors) for as
 * long as the invocation has time: CloudFormation starts a stack's resources at once, and they share the
 * calling account's quotas.
 */

const SETTING_TYPES = [RESOURCE_TYPES.alternateContact, RESOURCE_TYPES.primaryContact, RESOURCE_TYPES.accountName, RESOURCE_TYPES.accountInformation];

export async function handler(event: Request, context: InvocationContext): Promise<void> {
  const invocation = new Invocation(context);
  // The stack's hand-change rule (restoreHandChanges): no request, nothing to answer.
  if (isHandChangeTrigger(event)) return onHandChange(event, invocation);
  // Only CloudFormation's requests are acted on, and only they are answered (an unknown one, FAILED).
  const confirmation = await confirmOrLog(invocation, event, SETTING_TYPES, 'setting');
  if (!confirmation.confirmed && confirmation.known) return;
  const handled = () => (confirmation.confirmed
    ? handle(event, invocation, confirmation.resource)
    : Promise.reject(unconfirmedError(confirmation.why)));
  await answer(event, handled, invocation.end);
}

/** The request's result; throws what fails it. `resource`: the request's resource as its confirmation read it. */
export async function handle(event: Request, invocation: Invocation, resource?: ConfirmedResource): Promise<Result> {
  // Confirmed with CloudFormation, the type is the resource's own: the read-only resource has no Setting property.
  if (event.ResourceType === RESOURCE_TYPES.accountInformation) return handleInformation(event, invocation);
  const setting = parseSetting(event.ResourceProperties);
  const target = resolveTarget(setting.accountId, invocation.ownAccount);
  switch (event.RequestType) {
    case 'Create':
    case 'Update':
      return put(event, setting, target, invocation, resource);
    case 'Delete':
      return remove(event, setting, target, invocation);
  }
}

/** The physical id names the target (account and setting), so a change of target replaces the resource. */
function physicalId(setting: Setting, target: Target): string {
  return `${target.accountId}/${setting.idSuffix}`;
}

function result(physicalResourceId: string, target: Target): Result {
  const data: SettingAttributes = { AccountId: target.accountId };
  return { PhysicalResourceId: physicalResourceId, Data: { ...data } };
}

/**
 * How long a put may stay throttled before the handler checks again that CloudFormation still waits for
 * it: a deploy that fails elsewhere cancels this request and rolls the resource back to its old value,
 * and a put of the new value that lands after that would undo the rollback.
 */
const CHECK_AFTER_MS = 15_000;

async function put(
  event: Request & { RequestType: 'Create' | 'Update' }, setting: Setting, target: Target, invocation: Invocation, resource?: ConfirmedResource,
): Promise<Result> {
  const fields = { requestType: event.RequestType, setting: setting.description, accountId: target.accountId, operation: setting.putOperation };
  const stopped = () => {
    // CloudFormation ignores this answer; should it still wait after all, it learns at once.
    log({ ...fields, outcome: 'stopped: CloudFormation no longer waits for this request; nothing written' });
    return new Error(`${setting.putOperation} for the ${setting.description} of account ${target.accountId} was stopped: CloudFormation no longer `
      + 'waits for this request (it was answered, cancelled or rolled back, or a later request of the resource began); nothing was written');
  };
  // The stack's settings share the calling account's quota: this request calls in its slot of the deploy's schedule.
  const readAt = Date.now();
  const slot = await slotOf(invocation, event, resource, setting.putOperation);
  const waited = await waitForSlot(invocation, slot);
  if (slot.of > 1) log({ ...fields, outcome: `paced: slot ${slot.rank + 1} of ${slot.of} (${slot.basis}), waited ${Math.round(waited)} ms` });
  // Checked before the first write: a delivery that Lambda makes late, twice, or again after a failure
  // finds its request answered, cancelled, rolled back or superseded, and writes nothing. Reads made a
  // moment ago serve; after a wait, CloudFormation is asked again.
  const fresh = resource && (Date.now() - readAt) * timeScale() < CHECK_AFTER_MS
    ? { marker: { status: resource.status, since: resource.since }, stackStatus: slot.stackStatus } : undefined;
  const first = await checkCurrentRequest(invocation, event, { readNow: fresh });
  if (!first.known) {
    log({ ...fields, outcome: `not written: cannot tell whether CloudFormation still waits for this request (${first.why})` });
    throw new Error(`${setting.putOperation} for the ${setting.description} of account ${target.accountId} was not made: it cannot be told `
      + `whether CloudFormation still waits for this request (${first.why}); deploy again`);
  }
  if (!first.value) throw stopped();
  let marker: RequestMarker = first.value;
  let checkedAt = Date.now();
  let throttles = 0;
  for (;;) {
    try {
      // Throttling comes back at once, to be retried by the schedule; 5xx and network errors are retried by the client.
      await setting.put(invocation.account(CHECK_AFTER_MS, { retryThrottling: false }), target);
      break;
    } catch (error) {
      if (!isTransient(error) || invocation.remainingMs() <= 0) {
        logWithMetrics({ ...fields, outcome: 'failed', error: errorName(error) }, settingMetrics(setting, METRICS.settings.failed));
        throw await explainedFailure(invocation, setting.putOperation, setting.description, target, error);
      }
      if (isThrottling(error)) await sleep(Math.min(retryDelay(slot, throttles++), invocation.remainingMs()));
      if ((Date.now() - checkedAt) * timeScale() < CHECK_AFTER_MS) continue;
      const current = await currentRequest(invocation, event, marker);
      checkedAt = Date.now();
      // Not knowing, the put goes on: it was this request's when checked, and writing the declared value is what it asks for.
      if (!current.known) continue;
      if (!current.value) throw stopped();
      marker = current.value;
    }
  }
  const physicalResourceId = physicalId(setting, target);
  logWithMetrics({ ...fields, outcome: 'written', physicalResourceId }, settingMetrics(setting, METRICS.settings.written));
  return result(physicalResourceId, target);
}

/** One put's outcome as a metric of its kind of setting. */
function settingMetrics(setting: Setting, metric: string): LineMetrics {
  const dimension = METRICS.dimensions.setting;
  return { dimensions: { [dimension]: setting.description }, dimensionSets: [[dimension]], counts: { [metric]: 1 } };
}

async function remove(event: Request & { RequestType: 'Delete' }, setting: Setting, target: Target, invocation: Invocation): Promise<Result> {
  const response = result(event.PhysicalResourceId, target);
  const fields = { requestType: 'Delete', setting: setting.description, accountId: target.accountId, physicalResourceId: event.PhysicalResourceId };
  if (event.PhysicalResourceId !== physicalId(setting, target)) {
    log({
      ...fields,
      outcome: isFailedCreateId(event.PhysicalResourceId)
        ? 'nothing to delete (the resource was never created)'
        : 'nothing to delete (the physical id names another setting)',
    });
    return response;
  }
  if (!setting.remove) {
    log({ ...fields, outcome: 'left in place (the API cannot delete it)' });
    return response;
  }
  // Undoing a failed deploy: the setting may have been there before the stack declared it. Not knowing
  // whether the stack is rolling back, nothing is deleted either.
  const rollback = await isRollingBack(invocation, event.StackId);
  if (!rollback.known || rollback.value) {
    log({
      ...fields,
      outcome: rollback.known
        ? 'left in place (the deploy that wrote it is being rolled back)'
        : `left in place: cannot tell whether the stack is rolling back (${rollback.why}); deploy again to remove it`,
    });
    return response;
  }
  // Renamed, or moved into another construct of the stack (an AccountBaseline, an OrganizationBaseline
  // that targets the account): the setting lives on there.
  const declarations = await StackDeclarations.read(invocation, event.StackId, event);
  const claimant = declarations.known ? await declarations.value.declarer(setting.remove.declared(target.accountId)) : declarations;
  if (!claimant.known || claimant.value) {
    log({
      ...fields,
      outcome: claimant.known
        ? `left in place (now declared by ${claimant.value})`
        : `left in place: cannot tell whether another resource of the stack declares it (${claimant.why})`,
    });
    return response;
  }
  try {
    const outcome = await setting.remove.run(invocation.account(), target);
    log({
      ...fields,
      operation: setting.remove.operation,
      outcome: outcome === 'changed' ? 'left in place: it no longer holds the values this resource declared (changed by hand or by another stack)' : outcome,
    });
  } catch (error) {
    const gone = await departure(invocation, target, error);
    // A suspended or not yet active account keeps its settings, to be removed once it can be: the Delete fails, saying why.
    if (gone !== 'closed' && gone !== 'not a member') {
      log({ ...fields, operation: setting.remove.operation, outcome: 'failed', error: errorName(error) });
      const failed = failure(setting.remove.operation, setting.description, target, error);
      throw gone ? new Error(`${failed.message} (${departureReason(gone)})`) : failed;
    }
    // A closed account, or one that left the organization, no longer has settings this stack can manage.
    log({ ...fields, operation: setting.remove.operation, outcome: `gone: account ${target.accountId} ${gone === 'closed' ? 'is closed' : 'is no longer a member of the organization'}` });
  }
  return response;
}
