import type { Invocation } from './clients';
import { paginateDescribeStackEvents, paginateListStackResources, StackResourceSummary } from './cloudformation';
import { describe, isTransient, ServiceError } from './errors';
import { backoffDelay, sleep } from './pacing';

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
  /** What the request asks for (an Update is told from another Update of the resource by them). */
  readonly ResourceProperties?: object;
}

/** An answer, or why there is none. */
export type Answer<T> = { readonly known: true; readonly value: T } | { readonly known: false; readonly why: string };

function unknown(operation: string, error: unknown): { known: false; why: string } {
  const answer = { known: false as const, why: `cloudformation:${operation} failed: ${describe((error ?? {}) as ServiceError)}` };
  if (isTransient(error)) transientFailures.add(answer);
  return answer;
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
    const stacks = await invocation.cloudFormation().describeStacks({ StackName: stackId });
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
 * it (answered, cancelled, superseded or rolled back), i.e.
 * - the resource is gone, or not in the state this request puts it in (CREATE_IN_PROGRESS…), or
 * - given the marker read earlier, a later request of it has begun since, or
 * - (an Update, without an earlier marker, while the stack rolls back) the properties that
 *   CloudFormation applies now, which its stack events carry, are not this request's. During an update
 *   rollback the rollback's own Update (old values) and a late delivery of the failed Update (new
 *   values) both find the resource UPDATE_IN_PROGRESS; only the properties tell them apart.
 * Outside a rollback the status tells: another request of the resource in the same state needs this
 * one to have been answered and a later deploy to have begun, within Lambda's event age (an hour). The
 * stack's events are read only then, since hundreds of Updates reading them at once would cost every
 * deploy (measured in benchmarks/deploy-at-once.ts).
 */
export async function currentRequest(
  invocation: Invocation, request: StackRequest, earlier?: RequestMarker, options: CheckOptions = {},
): Promise<Answer<RequestMarker | undefined>> {
  let marker: RequestMarker;
  if (options.readNow) {
    marker = options.readNow.marker;
  } else {
    try {
      const { StackResourceDetail: detail } = await invocation.cloudFormation().describeStackResource({
        StackName: request.StackId,
        LogicalResourceId: request.LogicalResourceId,
      });
      marker = { status: detail?.ResourceStatus ?? '', since: detail?.LastUpdatedTimestamp?.toISOString() ?? '' };
    } catch (error) {
      // The resource (or its stack) is gone: a Create rolled back, a Delete done.
      if (isGone(error)) return { known: true, value: undefined };
      return unknown('DescribeStackResource', error);
    }
  }
  if (marker.status !== `${request.RequestType.toUpperCase()}_IN_PROGRESS`) return { known: true, value: undefined };
  if (earlier) return { known: true, value: earlier.status === marker.status && earlier.since === marker.since ? marker : undefined };
  if (request.RequestType !== 'Update' || request.ResourceProperties === undefined) return { known: true, value: marker };
  if (!options.alwaysCompareProperties) {
    const stackStatus = options.readNow?.stackStatus;
    const rollback = stackStatus !== undefined
      ? { known: true as const, value: ROLLBACK_STATUSES.has(stackStatus) }
      : await isRollingBack(invocation, request.StackId);
    if (!rollback.known) return rollback;
    if (!rollback.value) return { known: true, value: marker };
  }
  const applied = await appliedProperties(invocation, request);
  if (!applied.known) return applied;
  // A stack event without properties cannot tell: the status says it is this request's.
  return { known: true, value: applied.value === undefined || sameProperties(applied.value, request.ResourceProperties) ? marker : undefined };
}

function isGone(error: unknown): boolean {
  const e = error as ServiceError;
  return e?.name === 'ValidationError' && /does not exist/.test(e?.message ?? '');
}

/** How a request is checked. */
export interface CheckOptions {
  /**
   * Compare an Update's properties with the stack's events outside a rollback too: for a resource of
   * which a stack has few (a baseline), whose stray Update would supersede a later deploy's generation.
   */
  readonly alwaysCompareProperties?: boolean;
  /**
   * The resource's marker (and the stack's status) as the caller read them a moment ago: used instead of
   * reading them again (only until the request has waited; a check after a wait reads afresh).
   */
  readonly readNow?: { readonly marker: RequestMarker; readonly stackStatus?: string };
}

/**
 * The request's marker as currentRequest reads it, asked again while the reads fail for a transient
 * reason (CloudFormation throttles them when hundreds of requests check at once) and the invocation has
 * time: a check that cannot be read then delays the request rather than failing it.
 */
export async function checkCurrentRequest(
  invocation: Invocation, request: StackRequest, options: CheckOptions = {},
): Promise<Answer<RequestMarker | undefined>> {
  for (let attempt = 0; ; attempt++) {
    const current = await currentRequest(invocation, request, undefined, options);
    if (current.known || !transientFailures.has(current) || invocation.remainingMs() <= 0) return current;
    await sleep(backoffDelay(attempt));
  }
}

/** The "cannot tell" answers whose cause was transient (throttling, 5xx, network). */
const transientFailures = new WeakSet<object>();

/** The stack's events are read newest first, at most this many pages (of 100) per check: a stack's 500 resources, twice over. */
const MAX_EVENT_PAGES = 20;

/**
 * The properties of the resource's latest IN_PROGRESS stack event (the request CloudFormation makes
 * now), undefined when the event has none.
 */
async function appliedProperties(invocation: Invocation, request: StackRequest): Promise<Answer<string | undefined>> {
  const status = `${request.RequestType.toUpperCase()}_IN_PROGRESS`;
  try {
    let pages = 0;
    for await (const page of paginateDescribeStackEvents(invocation.cloudFormation(), { StackName: request.StackId })) {
      const latest = (page.StackEvents ?? []).find(e => e.LogicalResourceId === request.LogicalResourceId);
      if (latest) {
        return latest.ResourceStatus === status
          ? { known: true, value: latest.ResourceProperties }
          : { known: false, why: `the resource's latest stack event is ${latest.ResourceStatus}, its status ${status}` };
      }
      if (++pages >= MAX_EVENT_PAGES) break;
    }
    return { known: false, why: `no stack event of ${request.LogicalResourceId} in the latest ${pages * 100}` };
  } catch (error) {
    return unknown('DescribeStackEvents', error);
  }
}

/**
 * Whether the properties CloudFormation applies (a stack event's JSON) are the request's: every property
 * that both name is the same once scalars are strings (as custom resources receive them). Properties
 * that only one side names are not compared, so that a format of the event's blob that leaves some out
 * (or adds some) does not refuse every Update; the user's values, which tell two Updates apart, are in both.
 */
function sameProperties(applied: string, requested: object): boolean {
  const normal = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(normal);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.keys(value).sort().map(k => [k, normal((value as Record<string, unknown>)[k])]));
    }
    return value === null || value === undefined ? value : String(value);
  };
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(applied);
  } catch {
    return true; // not JSON: it cannot tell, and the status says it is this request's
  }
  const asked = requested as Record<string, unknown>;
  return Object.keys(parsed).filter(k => k in asked).every(k => JSON.stringify(normal(parsed[k])) === JSON.stringify(normal(asked[k])));
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
    for await (const page of paginateListStackResources(invocation.cloudFormation(), { StackName: stackId })) {
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
