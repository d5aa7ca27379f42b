import { timeScale } from '../shared/pacing';

/*
 * When the reconciler looks at Region transitions again. Each transition it requested carries the time of
 * its request; a read that sees it ENABLED bounds its duration from above, one that sees it still in
 * progress from below. The state keeps the two tightest bounds (seconds): the next step comes when the
 * earliest transition in progress is due by them, and reads only the transitions that are due, so that
 * nothing is read while nothing can have changed. While the bounds are far apart, a transition is due
 * halfway between them (a read then narrows them), so that the estimate converges on the transitions'
 * time instead of keeping the lateness of the first look.
 */

/** The wait before transitions have been seen to end (seconds). */
export const DEFAULT_POLL_SECONDS = 20;
/** The shortest and longest waits between steps: steps read, and an estimate may be wrong. */
export const MIN_POLL_SECONDS = 5;
export const MAX_POLL_SECONDS = 60;
/** Bounds closer than this are close enough: the upper one is used. */
const PRECISION_SECONDS = 2;

/** [the longest time a transition was seen still in progress, the shortest it was seen to take (none yet: absent)], seconds. */
export type TransitionBounds = [number, number?];

/** Seconds (of the scaled clock: real seconds in AWS) from `requestedAt` (ms) to `now` (ms). */
export function elapsedSeconds(requestedAt: number, now: number): number {
  return ((now - requestedAt) * timeScale()) / 1000;
}

/** The bounds after a read at `now` of a transition requested at `requestedAt` that had (or had not) ended. */
export function learn(bounds: TransitionBounds | undefined, requestedAt: number, now: number, ended: boolean): TransitionBounds {
  const elapsed = Math.round(elapsedSeconds(requestedAt, now) * 10) / 10;
  const [low, high] = bounds ?? [0, undefined];
  if (ended) {
    const shortest = Math.min(high ?? Infinity, elapsed);
    return [Math.min(low, shortest), shortest];
  }
  // A transition slower than the fastest one seen says nothing of the next: the lower bound stays under the upper one.
  const longest = Math.max(low, Math.min(elapsed, high ?? Infinity));
  return high === undefined ? [longest] : [longest, high];
}

/** How long after its request a transition is expected to have ended (seconds), or undefined before any end was seen. */
export function estimate(bounds: TransitionBounds | undefined): number | undefined {
  const [low, high] = bounds ?? [0, undefined];
  if (typeof high !== 'number') return undefined;
  return high - low > PRECISION_SECONDS ? (low + high) / 2 : high;
}

/** Whether a transition requested at `requestedAt` is worth reading at `now`: it may have ended (or its time is unknown). */
export function isDue(bounds: TransitionBounds | undefined, requestedAt: number | undefined, now: number): boolean {
  const expected = estimate(bounds);
  return requestedAt === undefined || expected === undefined || elapsedSeconds(requestedAt, now) >= expected;
}

/** Seconds until each transition is due by `expected`; one that outlived it is looked at again soon, then less often the longer it runs over. */
function untilDue(expected: number | undefined, requested: Array<number | undefined>, now: number): number[] {
  return requested
    .filter((at): at is number => at !== undefined)
    .map(at => (expected === undefined ? DEFAULT_POLL_SECONDS : expected - elapsedSeconds(at, now)))
    .map(due => (due > 0 ? due : -due / 2));
}

/**
 * The wait before the next step (whole seconds, as the waiter's Wait state takes them): until the earliest
 * transition still to be due is, within the bounds; the default without an estimate or a transition to expect.
 */
export function pollSeconds(bounds: TransitionBounds | undefined, requested: Array<number | undefined>, now: number): number {
  const dues = untilDue(estimate(bounds), requested, now);
  if (dues.length === 0) return DEFAULT_POLL_SECONDS;
  return Math.min(MAX_POLL_SECONDS, Math.max(MIN_POLL_SECONDS, Math.ceil(Math.min(...dues))));
}

/** The longest wait within a step (seconds): a longer one is the waiter's Wait state's, which costs nothing while it waits. */
export const MAX_STEP_WAIT_SECONDS = MAX_POLL_SECONDS;
/** The shortest wait within a step (seconds): a transition that outlived the estimate is not read in a tight loop. */
export const MIN_STEP_WAIT_SECONDS = 1;

/**
 * Within a step: the seconds until the earliest transition in progress is due (at least
 * MIN_STEP_WAIT_SECONDS), or undefined when none is expected (no estimate yet, or none in progress).
 */
export function nextDueSeconds(bounds: TransitionBounds | undefined, requested: Array<number | undefined>, now: number): number | undefined {
  const expected = estimate(bounds);
  const dues = untilDue(expected, requested, now);
  if (expected === undefined || dues.length === 0) return undefined;
  return Math.max(MIN_STEP_WAIT_SECONDS, Math.min(...dues));
}
