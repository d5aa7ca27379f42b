import type { RegionOptStatus } from '@aws-sdk/client-account';
import { answerStored, keepResponseUrl, onStoreRequest } from './responses';
import { RegionOptInAttributes, RegionOptInProperties, RESOURCE_TYPES } from '../../src/contract';
import { RegionGoal, regionStep } from '../shared/account-api';
import { Invocation, InvocationContext } from '../shared/clients';
import { confirmOrLog, confirmRequest, unconfirmedError } from '../shared/confirm';
import { answer, failedOutcome, isRequest, Request, Result, StoredRequest } from '../shared/custom-resource';
import { StackDeclarations } from '../shared/declarations';
import { confirmStep, logForgedStep, sameFields } from '../shared/execution';
import { log } from '../shared/log';
import { timeScale } from '../shared/pacing';
import { currentRequest, isRollingBack, RequestMarker } from '../shared/stack';
import { resolveTarget, Target } from '../shared/target';
import {
  checkVersion, endMessage, executionArn, executionName, ExecutionStatusChange, failureMessage, isExecutionStatusChange, isWaiterStep, STATE_VERSION,
  startWaiter, stillAwaited, unansweredEnd, WaiterState,
} from '../shared/waiter';

/*
 * The handler of RegionOptIn: its function is the resources' service token and the task of the stack's
 * waiter. A request reads the Region's status and requests the transition when one is needed; if the
 * deploy must wait for it, the waiter calls the function again every `PollIntervalSeconds` with the
 * state below until the transition has ended, the timeout has passed, or CloudFormation has stopped
 * waiting for the request. The function answers CloudFormation itself, from whichever step ends it, or,
 * when the execution ended without a step that could (stopped, States.Runtime, a failed report), from
 * the execution's status change. Each answer is given only while CloudFormation still waits for it. The
 * request's ResponseURL waits in the provider's response store, not in the execution's state.
 */

/** The ResourceProperties, parsed in one place. */
interface RegionRequest {
  readonly accountId: string | undefined;
  readonly regionName: string;
  readonly enabled: boolean;
  readonly waitForCompletion: boolean;
  readonly timeoutSeconds: number;
  readonly pollSeconds: number;
}

/** What the waiter carries from step to step. */
interface RegionWait extends WaiterState {
  readonly Request: StoredRequest;
  readonly PhysicalResourceId: string;
  readonly Goal: RegionGoal;
  /** When to stop waiting, in epoch ms: the timeout counted from CloudFormation's request, not from the handler's start. */
  readonly Deadline: number;
  readonly WaitForCompletion: boolean;
  /** Which request of the resource this is (Create and Update); undefined for a Delete, or when it could not be read yet. */
  readonly Marker?: RequestMarker;
  /** Why the last step did not request a transition that was due. */
  readonly Deferred?: string;
}

function parseBoolean(name: string, value: unknown): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error(`${name} must be "true" or "false", got "${String(value)}"`);
}

function parseSeconds(name: string, value: unknown, min: number, max: number): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < min || seconds > max) {
    throw new Error(`${name} must be a number of seconds from ${min} to ${max}, got "${String(value)}"`);
  }
  return seconds;
}

function parseRequest(resourceProperties: object): RegionRequest {
  const properties = resourceProperties as Partial<Record<keyof RegionOptInProperties, unknown>>;
  const regionName = properties.RegionName;
  if (typeof regionName !== 'string' || regionName === '') throw new Error('Missing resource property RegionName');
  return {
    accountId: typeof properties.AccountId === 'string' && properties.AccountId !== '' ? properties.AccountId : undefined,
    regionName,
    enabled: parseBoolean('Enabled', properties.Enabled),
    waitForCompletion: parseBoolean('WaitForCompletion', properties.WaitForCompletion),
    // The constructs check these at synth; values given as tokens are checked here.
    timeoutSeconds: parseSeconds('TimeoutSeconds', properties.TimeoutSeconds, 60, 55 * 60),
    pollSeconds: parseSeconds('PollIntervalSeconds', properties.PollIntervalSeconds, 10, 5 * 60),
  };
}

export async function handler(event: unknown, context: InvocationContext): Promise<RegionWait | undefined> {
  const invocation = new Invocation(context);
  if (isRequest(event)) {
    // Only CloudFormation's requests are acted on, and only they are answered (an unknown one, FAILED).
    const confirmation = await confirmOrLog(invocation, event, [RESOURCE_TYPES.regionOptIn, RESOURCE_TYPES.regionResponseStore], 'Region');
    if (!confirmation.confirmed && confirmation.known) return undefined;
    await answer(event, () => (!confirmation.confirmed ? Promise.reject(unconfirmedError(confirmation.why))
      : event.ResourceType === RESOURCE_TYPES.regionResponseStore
        ? onStoreRequest(event, invocation)
        : onRequest(event, invocation, context.invokedFunctionArn)), invocation.end);
    return undefined;
  }
  if (isExecutionStatusChange(event)) {
    await onExecutionEnd(event, invocation, context.invokedFunctionArn);
    return undefined;
  }
  if (isWaiterStep(event)) {
    const state = event as RegionWait;
    // The state's Version is not compared: a step of another release's state fails on it (checkVersion), acting on nothing.
    const confirmation = await confirmStep<RegionWait>(invocation, regionExecution(invocation, state), context.invokedFunctionArn,
      input => sameFields(input, state, ['Request', 'PhysicalResourceId', 'Goal', 'Deadline', 'WaitForCompletion']));
    if (!confirmation.confirmed) {
      logForgedStep('Region', confirmation.why);
      return { ...state, Done: true };
    }
    // A Delete's step asks CloudFormation too (a Create or Update's step checks its request itself): an
    // execution started by hand with an invented Delete is no execution of a request.
    if (state.Request.RequestType === 'Delete' && !state.Failure) {
      const request = await confirmRequest(invocation, state.Request, [RESOURCE_TYPES.regionOptIn]);
      if (!request.confirmed && !request.known) throw unconfirmedError(request.why);
      if (!request.confirmed) {
        logForgedStep('Region', request.why);
        return { ...state, Done: true };
      }
    }
    return step(state, invocation);
  }
  throw new Error('Expected a CloudFormation custom-resource request or a waiter step');
}

function outcome(physicalResourceId: string, status: string): Result {
  const data: RegionOptInAttributes = { OptStatus: status };
  return { PhysicalResourceId: physicalResourceId, Data: { ...data } };
}

async function onRequest(event: Request, invocation: Invocation, functionArn: string): Promise<Result | undefined> {
  const request = parseRequest(event.ResourceProperties);
  const target = resolveTarget(request.accountId, invocation.ownAccount);
  const physicalResourceId = event.RequestType === 'Delete' ? event.PhysicalResourceId : `${target.accountId}/region/${request.regionName}`;
  const setting = `Region ${request.regionName}`;
  const fields = { requestType: event.RequestType, setting, accountId: target.accountId };

  // A rollback restores the old state as far as the service allows now, but never waits for it: a
  // rollback that times out would leave the stack in UPDATE_ROLLBACK_FAILED.
  const rollback = await isRollingBack(invocation, event.StackId);
  const goal = await goalOf(event, request, target, rollback, invocation);
  if (goal === 'NONE') return outcome(physicalResourceId, 'UNCHANGED');
  if (goal === 'DISABLED' && !rollback.known) {
    log({ ...fields, outcome: `not disabled: cannot tell whether the stack is rolling back (${rollback.why})` });
    throw new Error(`DisableRegion for the ${setting} of account ${target.accountId} was not requested: `
      + `it cannot be told whether the stack is rolling back (${rollback.why}); deploy again`);
  }

  // The request CloudFormation waits for now: a transition is requested only while it still does.
  let marker: RequestMarker | undefined;
  if (event.RequestType !== 'Delete') {
    const current = await currentRequest(invocation, event);
    if (current.known && !current.value) throw new Error(noLongerWaitedFor(setting, target));
    marker = current.known ? current.value : undefined;
  }
  const mayRequest = async () => (event.RequestType === 'Delete' || marker ? undefined : 'cannot tell yet whether CloudFormation still waits for this request');
  const result = await regionStep(invocation, target, request.regionName, goal, mayRequest);
  if (goal === 'DISABLED' && result.status === 'ENABLED_BY_DEFAULT') {
    if (event.RequestType === 'Delete') return outcome(physicalResourceId, result.status); // removing it leaves a Region that cannot be disabled
    throw enabledByDefault(request.regionName, target);
  }
  const rollingBack = rollback.known && rollback.value;
  log({ ...fields, outcome: `goal ${goal}${rollingBack ? ' (rollback: not waiting)' : ''}`, status: result.status });
  if (isDone(goal, result.status, request.waitForCompletion)) return outcome(physicalResourceId, result.status!);
  if (rollingBack) {
    log({ ...fields, outcome: 'left as it is by the rollback; the next deploy resumes the transition', status: result.status });
    return outcome(physicalResourceId, result.status ?? 'UNKNOWN');
  }

  const state: RegionWait = {
    Function: functionArn,
    PollSeconds: request.pollSeconds,
    Done: false,
    Request: await keepResponseUrl(invocation, event),
    PhysicalResourceId: physicalResourceId,
    Goal: goal,
    Version: STATE_VERSION,
    Deadline: requestStart(event, marker) + (request.timeoutSeconds * 1000) / timeScale(),
    WaitForCompletion: request.waitForCompletion,
    Marker: marker,
    Deferred: result.deferred,
  };
  await startWaiter(invocation, executionName('region', event.RequestId), state);
  return undefined;
}

/** The execution a Region step belongs to: the one named after its request. */
function regionExecution(invocation: Invocation, state: RegionWait): string {
  return executionArn(invocation, executionName('region', String(state.Request?.RequestId)));
}

/** One step of the waiter: read, request if due and still waited for, and answer CloudFormation when it is over. */
async function step(state: RegionWait, invocation: Invocation): Promise<RegionWait> {
  const request = parseRequest(state.Request.ResourceProperties);
  const target = resolveTarget(request.accountId, invocation.ownAccount);
  const setting = `Region ${request.regionName}`;
  const fields = { requestType: state.Request.RequestType, setting, accountId: target.accountId };
  // A Create or Update is checked at the start of each step; a Delete, and a reported failure, before answering.
  let checked = false;
  const finish = async (result: { status: string } | { error: unknown }) => {
    if (!checked && !await stillAwaited(invocation, state.Request, state.Marker)) {
      log({ ...fields, outcome: 'not answered: CloudFormation no longer waits for this request (answered, cancelled or superseded)' });
      return { ...state, Done: true };
    }
    await answerStored(invocation, state.Request, 'error' in result
      ? failedOutcome(state.Request, result.error)
      : { Status: 'SUCCESS', ...outcome(state.PhysicalResourceId, result.status) }, fields);
    return { ...state, Done: true };
  };
  if (state.Failure) {
    log({ ...fields, outcome: 'failed', error: failureMessage(state.Failure) });
    return finish({ error: new Error(`Waiting for the ${setting} of account ${target.accountId} failed: ${failureMessage(state.Failure)}`) });
  }
  checkVersion(state);

  // A waiter acts only while CloudFormation still waits for its request: a deploy that failed elsewhere
  // cancels it and rolls the resource back, and a request made now would undo the rollback.
  let marker = state.Marker;
  let unsure: string | undefined;
  if (state.Request.RequestType !== 'Delete') {
    const current = await currentRequest(invocation, state.Request, marker);
    if (current.known && !current.value) {
      // Answered (a step made again after a timeout), cancelled or superseded: nothing to request, nor to answer.
      log({ ...fields, outcome: 'stopped: CloudFormation no longer waits for this request; nothing requested, nothing answered' });
      return { ...state, Done: true };
    }
    checked = true;
    if (current.known) marker = current.value;
    else unsure = `cannot tell whether CloudFormation still waits for this request (${current.why})`;
  }

  try {
    const result = await regionStep(invocation, target, request.regionName, state.Goal, async () => unsure);
    if (state.Goal === 'DISABLED' && result.status === 'ENABLED_BY_DEFAULT') return await finish({ error: enabledByDefault(request.regionName, target) });
    if (isDone(state.Goal, result.status, state.WaitForCompletion)) {
      log({ ...fields, outcome: 'complete', status: result.status });
      return await finish({ status: result.status! });
    }
    if (Date.now() >= state.Deadline) {
      log({ ...fields, outcome: 'timed out', status: result.status });
      return await finish({ error: new Error(stillInProgress(state, request, target, result.status, result.deferred)) });
    }
    log({ ...fields, outcome: 'waiting', status: result.status });
    // The last wait ends at the deadline, so that the answer comes within the hour counted from the request.
    const untilDeadline = Math.ceil(((state.Deadline - Date.now()) * timeScale()) / 1000);
    return { ...state, Marker: marker, Deferred: result.deferred, PollSeconds: Math.max(1, Math.min(request.pollSeconds, untilDeadline)) };
  } catch (error) {
    return finish({ error });
  }
}

/**
 * When CloudFormation made the request, as well as can be told: the earliest of now, the signing time of
 * its ResponseURL (a pre-signed S3 URL's X-Amz-Date) and the time the resource went in progress. Lambda
 * may hold an asynchronous event for minutes before the function runs.
 */
function requestStart(event: Request, marker: RequestMarker | undefined): number {
  const signed = /[?&]X-Amz-Date=(\d{8}T\d{6}Z)/.exec(event.ResponseURL)?.[1];
  const signedAt = signed ? Date.parse(signed.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z')) : NaN;
  const since = marker ? Date.parse(marker.since) : NaN;
  return Math.min(Date.now(), ...[signedAt, since].filter(Number.isFinite));
}

/**
 * An execution of this function ended without answering (stopped by hand, States.Runtime, a step and its
 * report both failed, the function could not be invoked): CloudFormation is told, if it still waits.
 */
async function onExecutionEnd(event: ExecutionStatusChange, invocation: Invocation, functionArn: string): Promise<void> {
  const end = await unansweredEnd<RegionWait>(invocation, event, functionArn);
  const name = event.detail.executionArn.split(':').pop();
  if ('ignored' in end) {
    log({ setting: 'Region', operation: `execution ${name} ended`, outcome: `nothing to answer: ${end.ignored}` });
    return;
  }
  const request = end.state.Request;
  const fields = { requestType: request.RequestType, setting: 'Region', operation: `execution ${name} ${end.status.toLowerCase()}` };
  if (!await stillAwaited(invocation, request, end.state.Marker)) {
    log({ ...fields, outcome: 'not answered: CloudFormation no longer waits for this request (answered, cancelled or superseded)' });
    return;
  }
  log({ ...fields, outcome: 'failed', error: `${end.status} ${end.error ?? ''}`.trim() });
  await answerStored(invocation, request, failedOutcome(request, new Error(endMessage(end))), fields);
}

async function goalOf(
  event: Request, request: RegionRequest, target: Target, rollback: Awaited<ReturnType<typeof isRollingBack>>, invocation: Invocation,
): Promise<RegionGoal | 'NONE'> {
  if (event.RequestType !== 'Delete') return request.enabled ? 'ENABLED' : 'DISABLED';
  // A Delete comes only with RemovalPolicy.DESTROY (RETAIN keeps CloudFormation from sending it). One that
  // undoes a failed deploy leaves the Region: it may have been enabled before the stack declared it.
  const fields = { requestType: 'Delete', setting: `Region ${request.regionName}`, accountId: target.accountId };
  if (event.PhysicalResourceId !== `${target.accountId}/region/${request.regionName}`) return 'NONE';
  if (!rollback.known || rollback.value) {
    log({ ...fields, outcome: rollback.known ? 'left as it is (rollback)' : `left as it is: cannot tell whether the stack is rolling back (${rollback.why})` });
    return 'NONE';
  }
  // Renamed, or moved into another construct of the stack (an OrganizationBaseline's enabledRegions): it stays enabled.
  const declarations = await StackDeclarations.read(invocation, event.StackId, event);
  const claimant = declarations.known
    ? await declarations.value.declarer({ accountId: target.accountId, regionName: request.regionName })
    : declarations;
  if (!claimant.known || claimant.value) {
    log({ ...fields, outcome: claimant.known ? `left as it is (now declared by ${claimant.value})` : `left as it is: ${claimant.why}` });
    return 'NONE';
  }
  return 'DISABLED';
}

function isDone(goal: RegionGoal, status: RegionOptStatus | undefined, wait: boolean): boolean {
  return goal === 'ENABLED'
    ? status === 'ENABLED' || status === 'ENABLED_BY_DEFAULT' || (!wait && status === 'ENABLING')
    : status === 'DISABLED' || (!wait && status === 'DISABLING');
}

function noLongerWaitedFor(setting: string, target: Target): string {
  return `The request for the ${setting} of account ${target.accountId} was stopped: CloudFormation no longer waits for it `
    + '(it was cancelled, or a later request of the resource began); nothing was requested';
}

function enabledByDefault(regionName: string, target: Target): Error {
  return new Error(`DisableRegion for the Region ${regionName} of account ${target.accountId} is not possible: `
    + `${regionName} is enabled by default and cannot be disabled; declare enabled: true or remove the RegionOptIn`);
}

function stillInProgress(
  state: RegionWait, request: RegionRequest, target: Target, status: string | undefined, deferred: string | undefined,
): string {
  const operation = state.Goal === 'ENABLED' ? 'EnableRegion' : 'DisableRegion';
  const minutes = Math.round(request.timeoutSeconds / 60);
  const after = `after ${minutes} minute${minutes === 1 ? '' : 's'}`;
  const where = `${operation} for the Region ${request.regionName} of account ${target.accountId}`;
  const waitingFor = status === (state.Goal === 'ENABLED' ? 'DISABLED' : 'ENABLED')
    ? `is not started yet${deferred ? ` (${deferred})` : ''}`
    : `is still in progress (status ${status ?? 'unknown'})`;
  return `${where} ${waitingFor} ${after}; the service can take hours. `
    + 'The next deploy resumes waiting for it (it does not request it again); '
    + 'set waitForCompletion: false to complete as soon as the transition has started.';
}
