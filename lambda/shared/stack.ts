import {
  DescribeStackResourceCommand,
  DescribeStacksCommand,
  paginateListStackResources,
  StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import type { Invocation } from './clients';
import { describe, ServiceError } from './errors';

/*
 * What a handler asks CloudFormation about its own stack: whether a rollback is under way, whether the
 * request it serves is still the one CloudFormation waits for, and whether another resource declares
 * the same setting. Each answer may be "cannot tell" (the calls are retried until the invocation's
 * deadline first); callers then do the safe thing: no delete, no disable, no stale write.
 */

/** What a request carries about its place in the stack. */
export interface StackRequest {
  readonly StackId: string;
  readonly LogicalResourceId: string;
  readonly RequestType: 'Create' | 'Update' | 'Delete';
}

/** An answer, or why there is none. */
export type Answer<T> = { readonly known: true; readonly value: T } | { readonly known: false; readonly why: string };

function unknown(operation: string, error: unknown): { known: false; why: string } {
  return { known: false, why: `cloudformation:${operation} failed: ${describe((error ?? {}) as ServiceError)}` };
}

const ROLLBACK_STATUSES = new Set([
  'ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'IMPORT_ROLLBACK_IN_PROGRESS',
]);

/**
 * Whether CloudFormation is rolling the stack back (an Update then restores old properties; a Delete
 * undoes a Create or a replacement of the failed deploy).
 */
export async function isRollingBack(invocation: Invocation, stackId: string): Promise<Answer<boolean>> {
  try {
    const stacks = await invocation.cloudFormation().send(new DescribeStacksCommand({ StackName: stackId }));
    return { known: true, value: ROLLBACK_STATUSES.has(stacks.Stacks?.[0]?.StackStatus ?? '') };
  } catch (error) {
    return unknown('DescribeStacks', error);
  }
}

/**
 * Which request of a resource is under way: its status and since when. A later request of the same
 * resource (CloudFormation cancelled this one and rolls it back, or a newer deploy) changes either.
 */
export interface RequestMarker {
  readonly status: string;
  readonly since: string;
}

/**
 * The marker of the request being served, read now: undefined when CloudFormation no longer waits for
 * it, i.e. the resource is not in the state this request puts it in (CREATE_IN_PROGRESS,
 * UPDATE_IN_PROGRESS…) or, given the marker read earlier, a later request of it has begun since.
 */
export async function currentRequest(
  invocation: Invocation, request: StackRequest, earlier?: RequestMarker,
): Promise<Answer<RequestMarker | undefined>> {
  try {
    const { StackResourceDetail: detail } = await invocation.cloudFormation().send(new DescribeStackResourceCommand({
      StackName: request.StackId,
      LogicalResourceId: request.LogicalResourceId,
    }));
    const marker = { status: detail?.ResourceStatus ?? '', since: detail?.LastUpdatedTimestamp?.toISOString() ?? '' };
    const current = marker.status === `${request.RequestType.toUpperCase()}_IN_PROGRESS`
      && (earlier === undefined || (earlier.status === marker.status && earlier.since === marker.since));
    return { known: true, value: current ? marker : undefined };
  } catch (error) {
    return unknown('DescribeStackResource', error);
  }
}

/** What a Delete event tells about the resource being deleted. */
export interface DeletedResource {
  readonly StackId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId: string;
}

/**
 * The logical id of another live resource of the same stack that has the same physical id, i.e. that
 * declares the same setting of the same account (`value` undefined when there is none).
 *
 * When a construct is renamed, CloudFormation creates the new resource and only then deletes the old
 * one. Both name the same setting, so deleting it with the old resource would leave the account without
 * what the stack declares. The same holds when two constructs swap their targets in one update.
 */
export async function otherClaimant(invocation: Invocation, event: DeletedResource): Promise<Answer<string | undefined>> {
  return findLive(invocation, event.StackId, resource =>
    resource.LogicalResourceId !== event.LogicalResourceId && resource.PhysicalResourceId === event.PhysicalResourceId);
}

/**
 * Whether the deleted resource's declaration lives on: another resource has its physical id (renamed),
 * or its own logical id lives on with a new physical id (replaced by an update). For settings whose
 * physical id is not their target (an organization baseline), either means "still declared".
 */
export async function stillDeclared(invocation: Invocation, event: DeletedResource): Promise<Answer<boolean>> {
  const found = await findLive(invocation, event.StackId, resource =>
    (resource.LogicalResourceId === event.LogicalResourceId) !== (resource.PhysicalResourceId === event.PhysicalResourceId));
  return found.known ? { known: true, value: found.value !== undefined } : found;
}

async function findLive(
  invocation: Invocation, stackId: string, match: (resource: StackResourceSummary) => boolean,
): Promise<Answer<string | undefined>> {
  try {
    for await (const page of paginateListStackResources({ client: invocation.cloudFormation() }, { StackName: stackId })) {
      for (const resource of page.StackResourceSummaries ?? []) {
        const status = resource.ResourceStatus ?? '';
        if (!status.startsWith('DELETE_') && status !== 'CREATE_FAILED' && match(resource)) return { known: true, value: resource.LogicalResourceId };
      }
    }
    return { known: true, value: undefined };
  } catch (error) {
    return unknown('ListStackResources', error);
  }
}
