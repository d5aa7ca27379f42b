import type { Invocation } from './clients';
import type { StackEvent } from './cloudformation';
import type { ConfirmedResource } from './confirm';
import { DOCUMENTED_QUOTAS, Quota } from './pacer';
import { backoffDelay, sleep, timeScale } from './pacing';
import { PACING_METADATA, PacingMetadata } from '../../src/contract';

/*
 * When a setting's request calls, so that the requests of one deploy share the calling account's quota
 * without a shared service: each computes the same schedule from what CloudFormation tells it anyway.
 * The requests writing one operation form a crowd; each takes its rank in the crowd (the order in which
 * CloudFormation starts them: the template's, or the events')
 * and calls rank / rate after CloudFormation began it (its resource's timestamp: the same for the whole
 * crowd). A request alone in its deploy has rank 0 and calls at once. A request that starts after its
 * slot (a cold start, Lambda's queue of asynchronous invocations) does not call among the slots of the
 * others: the first ranks call at once (the service's burst absorbs them, less a few calls of slack),
 * the others in a lane after the crowd's last slot, one slot each in the order of their ranks (requests
 * start late together, so the late ones are the first ranks); a throttled one goes after the crowd's
 * last slot, spread over a window. Who is in the crowd:
 * - a stack being created: every setting of the stack that the operation writes, whose rank and number
 *   each resource carries in its Metadata (PACING_METADATA), which the confirming read returned already;
 * - a stack being updated: the settings of the same type that the stack's newest events show begun since
 *   the stack's own UPDATE_IN_PROGRESS; when that is further back than the pages read (a large crowd),
 *   the whole stack's ranks again (as when a shared value changes every setting);
 * - otherwise (a rollback, an unreadable stack): nobody waits, and throttled calls are retried with jitter.
 * A schedule that goes wrong (a late start, another caller of the operation) costs throttled retries,
 * never a lost setting: the calls are retried as before.
 */

/** Where a request stands in its crowd. */
export interface Slot {
  readonly rank: number;
  /** How many requests the crowd has (1: alone). */
  readonly of: number;
  /** Epoch ms at which CloudFormation began the crowd (the request's resource), from which the slots run. */
  readonly start: number;
  /** Epoch ms at which the request may call. */
  readonly at: number;
  /** The operation's burst: the first ranks of it (less BURST_SLACK) may call late without waiting for the lane after the crowd's end. */
  readonly burst: number;
  /** Epoch ms at which the crowd's last slot ends. */
  readonly end: number;
  /** The time between two slots, ms. */
  readonly periodMs: number;
  /** The stack's status as read (undefined when it could not be read). */
  readonly stackStatus?: string;
  /** How the crowd was told, for the logs. */
  readonly basis: string;
}

/** A resource begun longer ago than this is not scheduled from its beginning (a retried delivery): it goes after the crowd. */
const MAX_LATE_MS = 5 * 60_000;

/** The stack's newest events are read (a page of 100) to find where its update began: further back, the crowd is large. */
const MAX_EVENT_PAGES = 1;

/** The request's slot; the CloudFormation reads it makes (one or two, a few on a large update) are its only cost. */
export async function slotOf(
  invocation: Invocation, request: { StackId: string; LogicalResourceId: string; ResourceType: string },
  resource: ConfirmedResource | undefined, operation: string,
): Promise<Slot> {
  const pacing = pacingOf(resource?.metadata, operation);
  // CloudFormation's timestamp, but never a future one (a skewed clock), nor one long past (a late delivery).
  const start = Math.min(Date.now(), Math.max(Date.parse(resource?.since ?? '') || 0, Date.now() - MAX_LATE_MS / timeScale()));
  const at = (rank: number, of: number, basis: string, stackStatus?: string): Slot => {
    const quota = DOCUMENTED_QUOTAS[operation] ?? { rate: 1, burst: 1 };
    const scale = timeScale();
    return {
      rank,
      of,
      start,
      at: slotTime(start, rank, quota, scale),
      end: slotTime(start, of, quota, scale),
      periodMs: 1000 / (quota.rate * scale),
      burst: quota.burst,
      stackStatus,
      basis,
    };
  };
  // Without the confirming read there is no rank nor start to go by: the request calls at once.
  if (!resource) return at(0, 1, 'its resource was not read');
  let stackStatus: string;
  try {
    const stacks = await invocation.cloudFormation().describeStacks({ StackName: request.StackId });
    stackStatus = stacks.Stacks?.[0]?.StackStatus ?? '';
  } catch {
    return at(0, 1, 'the stack\'s status could not be read');
  }
  if (stackStatus === 'CREATE_IN_PROGRESS') {
    return pacing ? at(pacing.Rank, pacing.Of, 'the stack is being created', stackStatus) : at(0, 1, 'no pacing metadata', stackStatus);
  }
  if (stackStatus !== 'UPDATE_IN_PROGRESS') return at(0, 1, `the stack is ${stackStatus}`, stackStatus);
  let events: StackEvent[] = [];
  try {
    let token: string | undefined;
    for (let page = 0; page < MAX_EVENT_PAGES; page++) {
      const answer = await invocation.cloudFormation().describeStackEvents({ StackName: request.StackId, NextToken: token });
      events = events.concat(answer.StackEvents ?? []);
      const crowd = updateCrowd(events, request.StackId, request.ResourceType);
      if (crowd) {
        const rank = Math.max(0, crowd.indexOf(request.LogicalResourceId));
        return at(rank, Math.max(crowd.length, 1), 'the settings begun in this update', stackStatus);
      }
      token = answer.NextToken;
      if (!token) break;
    }
  } catch {
    return at(0, 1, 'the stack\'s events could not be read', stackStatus);
  }
  return pacing ? at(pacing.Rank, pacing.Of, 'a large update: the stack\'s ranks', stackStatus) : at(0, 1, 'no pacing metadata', stackStatus);
}

/**
 * Waits for the slot (or until the invocation's deadline); returns how long it waited, ms. A wait that
 * ends a slot or more late (the environment was held up) is late like a late start: it goes to the lane.
 */
export async function waitForSlot(invocation: Invocation, slot: Slot): Promise<number> {
  let waited = 0;
  for (;;) {
    const wait = Math.min(slotWait(slot), invocation.remainingMs());
    if (wait <= 0) return waited;
    await sleep(wait);
    waited += wait;
  }
}

/** Calls of the burst that late requests leave to callers the schedule does not know of (another caller, a retry). */
const BURST_SLACK = 2;

/**
 * How long the request waits for its slot, from `now`. One that starts after its slot calls at once when
 * it is less than a slot late (it takes hardly more than its own slot's share) or among the first ranks
 * (the burst); the others call in the lane after the crowd's last slot.
 */
export function slotWait(slot: Slot, now = Date.now()): number {
  if (now <= slot.at) return slot.at - now;
  if (slot.of <= 1 || slot.rank < atOnce(slot) || now - slot.at < slot.periodMs) return 0;
  return Math.max(0, laneTime(slot) - now);
}

/** Of a crowd's requests that call late, so many of the first ranks call at once: the burst less BURST_SLACK. */
function atOnce(slot: Slot): number {
  return Math.max(1, slot.burst - BURST_SLACK);
}

/**
 * The lane's slots are this many of the crowd's slots apart: a little slower than the quota, so that it
 * gains back the slack that held-up calls and retries among its slots take (at the quota's rate it has
 * none left once the first ranks took the burst).
 */
const LANE_SPACING = 1.25;

/**
 * Where a request late for its slot calls: after the crowd's last slot, one slot per rank in the order of
 * the ranks. The requests of a deploy start, and are held up, together (cold starts, Lambda's queue), so
 * those late for their slots are the first ranks: the lane holds them one after the other.
 */
export function laneTime(slot: Slot): number {
  return slot.end + Math.max(0, slot.rank - atOnce(slot)) * slot.periodMs * LANE_SPACING;
}

/** The window after a crowd's end over which its throttled calls are spread: a few slots, a twentieth of a large crowd's. */
function tail(slot: Slot): number {
  return Math.max(2, 0.05 * slot.of) * slot.periodMs;
}

/**
 * How long a throttled call waits before it is made again. Within a crowd's schedule every slot is taken,
 * so a retry there would throttle a request in its slot, whose retry would throttle the next (measured: an
 * update of every setting answered 429 nine times in ten). A call throttled a slot or more after its own
 * was held up with the others of the first ranks, which called together: it takes its place in the lane
 * (spread at random, they were throttled again at the crowd's end: measured, a fifth of an update's puts).
 * Another goes after the crowd's end, spread over a few slots, and after the end over a window that
 * doubles. Alone: full-jitter backoff.
 */
export function retryDelay(slot: Slot, retry: number, now = Date.now(), random = Math.random): number {
  if (slot.of <= 1) return backoffDelay(retry);
  const lane = laneTime(slot);
  if (retry === 0 && slot.rank >= atOnce(slot) && now - slot.at >= slot.periodMs && now < lane) return lane - now;
  if (now < slot.end) return slot.end - now + random() * tail(slot);
  // After the crowd's end the throttled calls contend among themselves: the window doubles with each refusal.
  return random() * tail(slot) * 2 ** Math.min(retry, 4);
}

/**
 * When the request of `rank` calls: `rank` calls at the quota's rate after `startMs`. The burst is left
 * as slack for calls that the schedule does not know of (another caller, starts close together).
 */
export function slotTime(startMs: number, rank: number, quota: Quota, scale: number): number {
  return startMs + (rank * 1000) / (quota.rate * scale);
}

/** The resource's pacing for `operation`, from its Metadata (JSON); undefined when it has none. */
export function pacingOf(metadata: string | undefined, operation: string): PacingMetadata | undefined {
  if (!metadata) return undefined;
  try {
    const pacing = (JSON.parse(metadata) as Record<string, PacingMetadata | undefined>)[PACING_METADATA];
    const valid = pacing?.Operation === operation
      && Number.isInteger(pacing.Rank) && Number.isInteger(pacing.Of) && pacing.Rank >= 0 && pacing.Rank < pacing.Of;
    return valid ? pacing : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The logical ids of the resources of `resourceType` that the stack's current update has begun (CREATE_
 * or UPDATE_IN_PROGRESS since the stack's latest UPDATE_IN_PROGRESS), in the order CloudFormation began
 * them, from its events newest first; undefined when the events do not reach back to that start.
 */
export function updateCrowd(events: readonly StackEvent[], stackId: string, resourceType: string): string[] | undefined {
  const begun = new Set<string>();
  for (const event of events) {
    // The stack's own events (a nested stack's resource is of the same type, with another physical id).
    if (event.ResourceType === 'AWS::CloudFormation::Stack' && event.PhysicalResourceId === stackId) {
      if (event.ResourceStatus === 'UPDATE_IN_PROGRESS') return [...begun].reverse();
      continue;
    }
    if (event.ResourceType === resourceType && (event.ResourceStatus === 'CREATE_IN_PROGRESS' || event.ResourceStatus === 'UPDATE_IN_PROGRESS')) {
      // Its oldest event places it (a custom resource has a second CREATE_IN_PROGRESS once its handler is invoked).
      const id = event.LogicalResourceId ?? '';
      begun.delete(id);
      begun.add(id);
    }
  }
  return undefined;
}
