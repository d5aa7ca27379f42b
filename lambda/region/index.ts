import {
  DisableRegionCommand,
  EnableRegionCommand,
  GetRegionOptStatusCommand,
  RegionOptStatus,
} from '@aws-sdk/client-account';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { accountClient } from '../shared/clients';
import { isRollingBack } from '../shared/cloudformation';
import { otherClaimant } from '../shared/delete-guard';
import { errorName, failure, isTransient } from '../shared/errors';
import { log } from '../shared/log';
import { ownAccountId, resolveTarget, Target } from '../shared/target';

/*
 * onEvent and isComplete handlers for RegionOptIn. onEvent reads the Region's status and starts a
 * transition only when one is needed; the provider framework then calls isComplete every poll interval
 * until it says the transition has ended (or has started, without waitForCompletion). Both run the same
 * step: read the status, request the transition if the status allows it now, report the status.
 */

/**
 * Region calls make few attempts: the in-progress limits (6 per account, 20 per organization) answer
 * TooManyRequestsException for minutes, so the next poll, not a quick retry, is the time to ask again.
 */
const REGION_CALL_ATTEMPTS = 3;

/** What the deploy waits for: the Region enabled, disabled, or nothing (a Delete that leaves it). */
type Goal = 'ENABLED' | 'DISABLED' | 'NONE';

/** The ResourceProperties, parsed in one place. */
interface RegionRequest {
  readonly accountId: string | undefined;
  readonly regionName: string;
  readonly enabled: boolean;
  readonly waitForCompletion: boolean;
  readonly timeoutSeconds: number;
}

/** Carried from onEvent to every isComplete call in the response's Data (all strings). */
interface WaitState {
  readonly Goal: Goal;
  /** When to give up waiting, in epoch milliseconds. */
  readonly Deadline: string;
  readonly WaitForCompletion: 'true' | 'false';
  /** A rollback asks for the old state as far as the service allows now, and never waits or times out. */
  readonly Rollback: 'true' | 'false';
}

export interface OnEventResponse {
  readonly PhysicalResourceId: string;
  readonly Data: WaitState;
}

export interface IsCompleteResponse {
  readonly IsComplete: boolean;
  readonly Data?: { readonly OptStatus: string };
}

type IsCompleteEvent = CloudFormationCustomResourceEvent & { readonly PhysicalResourceId?: string; readonly Data: WaitState };

function parseBoolean(name: string, value: unknown): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error(`${name} must be "true" or "false", got "${String(value)}"`);
}

function parseRequest(properties: Record<string, unknown>): RegionRequest {
  const regionName = properties.RegionName;
  if (typeof regionName !== 'string' || regionName === '') throw new Error('Missing resource property RegionName');
  const timeoutSeconds = Number(properties.TimeoutSeconds);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new Error(`TimeoutSeconds must be a positive number, got "${String(properties.TimeoutSeconds)}"`);
  return {
    accountId: typeof properties.AccountId === 'string' && properties.AccountId !== '' ? properties.AccountId : undefined,
    regionName,
    enabled: parseBoolean('Enabled', properties.Enabled),
    waitForCompletion: parseBoolean('WaitForCompletion', properties.WaitForCompletion),
    timeoutSeconds,
  };
}

export async function onEvent(event: CloudFormationCustomResourceEvent, context: Pick<Context, 'invokedFunctionArn'>): Promise<OnEventResponse> {
  const request = parseRequest(event.ResourceProperties);
  const target = resolveTarget(request.accountId, ownAccountId(context.invokedFunctionArn));
  const physicalResourceId = `${target.accountId}/region/${request.regionName}`;
  // A rollback restores the old state as far as the service allows now, but never waits for it: a
  // rollback that times out would leave the stack in UPDATE_ROLLBACK_FAILED.
  const rollback = await isRollingBack(event.StackId);
  let goal = await goalOf(event, request, physicalResourceId, rollback);
  const wait = request.waitForCompletion && !rollback;
  if (goal !== 'NONE') {
    const status = await step(goal, request.regionName, target);
    if (goal === 'DISABLED' && status === 'ENABLED_BY_DEFAULT') {
      if (event.RequestType !== 'Delete') throw enabledByDefault(request.regionName, target);
      goal = 'NONE'; // Removing the resource leaves a Region that cannot be disabled.
    }
    log({ requestType: event.RequestType, setting: `Region ${request.regionName}`, accountId: target.accountId, outcome: `goal ${goal}`, status });
  }
  return {
    PhysicalResourceId: event.RequestType === 'Delete' ? event.PhysicalResourceId : physicalResourceId,
    Data: {
      Goal: goal,
      Deadline: String(Date.now() + request.timeoutSeconds * 1000),
      WaitForCompletion: wait ? 'true' : 'false',
      Rollback: rollback ? 'true' : 'false',
    },
  };
}

export async function isComplete(event: IsCompleteEvent, context: Pick<Context, 'invokedFunctionArn'>): Promise<IsCompleteResponse> {
  const request = parseRequest(event.ResourceProperties);
  const target = resolveTarget(request.accountId, ownAccountId(context.invokedFunctionArn));
  const goal = event.Data.Goal;
  if (goal === 'NONE') return { IsComplete: true, Data: { OptStatus: 'UNCHANGED' } };

  const status = await step(goal, request.regionName, target);
  if (goal === 'DISABLED' && status === 'ENABLED_BY_DEFAULT') throw enabledByDefault(request.regionName, target);
  const wait = event.Data.WaitForCompletion === 'true';
  const done = goal === 'ENABLED'
    ? status === 'ENABLED' || status === 'ENABLED_BY_DEFAULT' || (!wait && status === 'ENABLING')
    : status === 'DISABLED' || (!wait && status === 'DISABLING');
  const fields = { requestType: event.RequestType, setting: `Region ${request.regionName}`, accountId: target.accountId, status };
  if (!done && event.Data.Rollback === 'true') {
    log({ ...fields, outcome: 'left as it is by the rollback; the next deploy resumes the transition' });
    return { IsComplete: true, Data: { OptStatus: status ?? 'UNKNOWN' } };
  }
  if (done) {
    log({ ...fields, outcome: 'complete' });
    return { IsComplete: true, Data: { OptStatus: status! } };
  }
  if (Date.now() >= Number(event.Data.Deadline)) {
    log({ ...fields, outcome: 'timed out' });
    throw new Error(stillInProgress(goal, request, target, status));
  }
  log({ ...fields, outcome: 'waiting' });
  return { IsComplete: false };
}

async function goalOf(
  event: CloudFormationCustomResourceEvent, request: RegionRequest, physicalResourceId: string, rollback: boolean,
): Promise<Goal> {
  if (event.RequestType !== 'Delete') return request.enabled ? 'ENABLED' : 'DISABLED';
  // Delete comes only with RemovalPolicy.DESTROY (RETAIN keeps CloudFormation from sending it). One that
  // undoes a failed deploy leaves the Region: it may have been enabled before the stack declared it.
  if (event.PhysicalResourceId !== physicalResourceId || rollback) return 'NONE';
  const claimant = await otherClaimant(event);
  if (claimant) {
    log({ requestType: 'Delete', setting: `Region ${request.regionName}`, accountId: physicalResourceId.split('/')[0], outcome: `left as it is (now declared by ${claimant})` });
    return 'NONE';
  }
  return 'DISABLED';
}

/**
 * One step towards `goal`: read the status and, when it allows, request the transition. Returns the
 * status after the step, or undefined when it could not be read for a transient reason (the next poll
 * reads it again). Real errors (AccessDenied, Validation…) are thrown at once.
 */
async function step(goal: 'ENABLED' | 'DISABLED', regionName: string, target: Target): Promise<RegionOptStatus | undefined> {
  const setting = `Region ${regionName}`;
  const client = accountClient(REGION_CALL_ATTEMPTS);
  let status: RegionOptStatus | undefined;
  try {
    status = (await client.send(new GetRegionOptStatusCommand({ AccountId: target.accountIdParameter, RegionName: regionName }))).RegionOptStatus;
  } catch (error) {
    if (isTransient(error)) return undefined;
    throw failure('GetRegionOptStatus', setting, target, error);
  }

  const from = goal === 'ENABLED' ? 'DISABLED' : 'ENABLED';
  if (status !== from) return status; // done, in progress, or the opposite transition to wait for

  const operation = goal === 'ENABLED' ? 'EnableRegion' : 'DisableRegion';
  const input = { AccountId: target.accountIdParameter, RegionName: regionName };
  try {
    if (goal === 'ENABLED') await client.send(new EnableRegionCommand(input));
    else await client.send(new DisableRegionCommand(input));
  } catch (error) {
    if (!isTransient(error)) throw failure(operation, setting, target, error);
    log({ setting, accountId: target.accountId, operation, outcome: 'deferred to the next poll', error: errorName(error) });
    return status;
  }
  log({ setting, accountId: target.accountId, operation, outcome: 'requested' });
  return goal === 'ENABLED' ? 'ENABLING' : 'DISABLING';
}

function enabledByDefault(regionName: string, target: Target): Error {
  return new Error(`DisableRegion for the Region ${regionName} of account ${target.accountId} is not possible: `
    + `${regionName} is enabled by default and cannot be disabled; declare enabled: true or remove the RegionOptIn`);
}

function stillInProgress(goal: 'ENABLED' | 'DISABLED', request: RegionRequest, target: Target, status: string | undefined): string {
  const operation = goal === 'ENABLED' ? 'EnableRegion' : 'DisableRegion';
  const minutes = Math.round(request.timeoutSeconds / 60);
  const where = `${operation} for the Region ${request.regionName} of account ${target.accountId}`;
  const waitingFor = status === (goal === 'ENABLED' ? 'DISABLED' : 'ENABLED')
    ? 'is not started yet: the account (6) or the organization (20) still has as many Region transitions in progress as the service allows'
    : `is still in progress (status ${status ?? 'unknown'})`;
  return `${where} ${waitingFor} after ${minutes} minutes; the service can take hours. `
    + 'The next deploy resumes waiting for it (it does not request it again); '
    + 'set waitForCompletion: false to complete as soon as the transition has started.';
}
