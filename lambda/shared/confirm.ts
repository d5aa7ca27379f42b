import type { Invocation } from './clients';
import { paginateDescribeStackEvents } from './cloudformation';
import { isFailedCreateId, Request, StoredRequest } from './custom-resource';
import { describe, isTransient, ServiceError } from './errors';
import { log } from './log';
import { backoffDelay, sleep } from './pacing';
import { isCloudFormationResponseUrl } from './response';
import { STACK_ID_ENV } from '../../src/contract';

/*
 * Whether a custom-resource request is CloudFormation's: whoever may invoke a function can send it any
 * event, a real StackId and an invented logical id included. A request is acted on only when
 * CloudFormation confirms it: it comes from the function's own stack (whose resources of these types
 * the function serves: one provider per stack), its ResponseURL is CloudFormation's, and the resource
 * exists, is of the request's type, and is in the state the request implies (a Delete: DELETE_IN_PROGRESS
 * with the request's physical id).
 */

export type Confirmation =
  /** `resource`: what the confirming read told of it, for the handler to use instead of reading it again. */
  | { readonly confirmed: true; readonly resource?: ConfirmedResource }
  /** `known` false: CloudFormation could not be read (the request may be genuine). */
  | { readonly confirmed: false; readonly known: boolean; readonly why: string };

/** The resource as the confirming read saw it. */
export interface ConfirmedResource {
  readonly status: string;
  /** Its LastUpdatedTimestamp (ISO): when CloudFormation began the request. */
  readonly since: string;
  /** Its Metadata attribute (JSON), if any. */
  readonly metadata?: string;
}

const refused = (why: string): Confirmation => ({ confirmed: false, known: true, why });

/**
 * Confirms `request` with CloudFormation; `types` are the resource types the function serves. A stored
 * request (a waiter's) has no URL to check: the function checked it before it stored it.
 */
export async function confirmRequest(invocation: Invocation, request: Request | StoredRequest, types: readonly string[]): Promise<Confirmation> {
  if (!types.includes(request.ResourceType)) return refused(`its resource type ${request.ResourceType} is not one this function serves`);
  const ownStack = process.env[STACK_ID_ENV];
  if (ownStack && request.StackId !== ownStack) return refused('it names another stack than the function\'s own');
  if (request.ResponseURL !== undefined && !isCloudFormationResponseUrl(request.ResponseURL, request.StackId)) {
    return refused('its ResponseURL is not a CloudFormation response endpoint');
  }
  for (let attempt = 0; ; attempt++) {
    try {
      return await confirmed(invocation, request);
    } catch (error) {
      const gone = (error as ServiceError)?.name === 'ValidationError' && /does not exist/.test((error as Error).message ?? '');
      if (gone) return refused('its stack or resource does not exist');
      const why = `cloudformation:DescribeStackResource failed: ${describe((error ?? {}) as ServiceError)}`;
      if (!isTransient(error) || invocation.remainingMs() <= 0) return { confirmed: false, known: false, why };
      await sleep(backoffDelay(attempt));
    }
  }
}

async function confirmed(invocation: Invocation, request: Request | StoredRequest): Promise<Confirmation> {
  const { StackResourceDetail: detail } = await invocation.cloudFormation().describeStackResource({
    StackName: request.StackId, LogicalResourceId: request.LogicalResourceId,
  });
  if (detail?.ResourceType !== request.ResourceType) return refused(`the resource is of type ${detail?.ResourceType}`);
  const implied = `${request.RequestType.toUpperCase()}_IN_PROGRESS`;
  // A Delete that rolls back a failed Create names the marker it was answered with (nothing was written for it).
  const physicalId = request.RequestType === 'Create' ? undefined : request.PhysicalResourceId;
  if (request.RequestType !== 'Delete' || detail.PhysicalResourceId === physicalId || isFailedCreateId(physicalId ?? '')) {
    if (detail.ResourceStatus !== implied) return refused(`the resource is ${detail.ResourceStatus}`);
    return { confirmed: true, resource: { status: detail.ResourceStatus, since: detail.LastUpdatedTimestamp?.toISOString() ?? '', metadata: detail.Metadata } };
  }
  // The logical id names another physical resource: a replaced one is deleted in the cleanup phase,
  // which only the resource's stack events show.
  let pages = 0;
  for await (const page of paginateDescribeStackEvents(invocation.cloudFormation(), { StackName: request.StackId })) {
    const latest = (page.StackEvents ?? []).find(e => e.LogicalResourceId === request.LogicalResourceId && e.PhysicalResourceId === physicalId);
    if (latest) return latest.ResourceStatus === implied ? { confirmed: true } : refused(`the resource with that physical id is ${latest.ResourceStatus}`);
    if (++pages >= 20) break;
  }
  return refused('no resource of the stack has that physical id');
}

/**
 * Confirms `request`, logging why when it is not (never a property: they may hold contact values). True
 * when the handler may act on it; a request that CloudFormation could not confirm for want of an answer
 * is then `unconfirmed`'s to answer (FAILED, to the genuine CloudFormation endpoint its URL was checked to be).
 */
export async function confirmOrLog(invocation: Invocation, request: Request, types: readonly string[], setting: string): Promise<Confirmation> {
  const confirmation = await confirmRequest(invocation, request, types);
  if (!confirmation.confirmed) {
    log({
      requestType: request.RequestType,
      setting,
      outcome: confirmation.known
        ? `ignored: CloudFormation does not confirm the request (${confirmation.why}); nothing done, nothing answered`
        : `not done: it cannot be told whether CloudFormation made the request (${confirmation.why})`,
    });
  }
  return confirmation;
}

/** The error that answers a request CloudFormation could not be asked about: nothing was done. */
export function unconfirmedError(why: string): Error {
  return new Error(`The request was not acted on: CloudFormation could not confirm it (${why}); nothing was done. Deploy again`);
}
