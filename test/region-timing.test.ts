/*
 * When the reconciler looks at Region transitions again: the bounds it learns from reads, which
 * transitions are due, and the wait until the earliest is. Pure functions on explicit times: no clock.
 */
import {
  DEFAULT_POLL_SECONDS, estimate, isDue, learn, MAX_POLL_SECONDS, MIN_POLL_SECONDS, pollSeconds, TransitionBounds,
} from '../lambda/organization/region-timing';

const T0 = 1_700_000_000_000;
const s = (seconds: number) => T0 + seconds * 1000;
const TIME_SCALE = process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;

beforeEach(() => {
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = '1';
});

afterEach(() => {
  if (TIME_SCALE === undefined) delete process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
  else process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = TIME_SCALE;
});

test('before any transition was seen to end, the wait is the default and every transition is read', () => {
  const pending = learn(undefined, T0, s(20), false);
  expect(pending).toEqual([20]);
  expect(estimate(pending)).toBeUndefined();
  expect(isDue(pending, T0, s(21))).toBe(true);
  expect(pollSeconds(pending, [T0, s(1)], s(21))).toBe(DEFAULT_POLL_SECONDS);
});

test('an end seen bounds the duration from above, a transition still in progress from below, and the estimate narrows between them', () => {
  // Requested at 0, in progress at 280 s, enabled at 300 s: the transitions take between 280 and 300 s.
  let bounds: TransitionBounds = learn(learn(undefined, T0, s(280), false), T0, s(300), true);
  expect(bounds).toEqual([280, 300]);
  expect(estimate(bounds)).toBe(290);
  // Read at its estimate, one still in progress raises the lower bound; then the next is read a little later.
  bounds = learn(bounds, s(10), s(300), false);
  expect(bounds).toEqual([290, 300]);
  expect(estimate(bounds)).toBe(295);
  bounds = learn(bounds, s(20), s(316), true);
  expect(bounds).toEqual([290, 296]);
  bounds = learn(bounds, s(30), s(324), false);
  expect(bounds).toEqual([294, 296]);
  // Close enough: the upper bound.
  expect(estimate(bounds)).toBe(296);
});

test('a transition slower than the fastest seen does not raise the lower bound past the upper one', () => {
  const bounds = learn([280, 300], T0, s(400), false);
  expect(bounds).toEqual([300, 300]);
  expect(estimate(bounds)).toBe(300);
});

test('only the transitions that may have ended are due, and the next step comes when the earliest is', () => {
  const bounds: TransitionBounds = [299, 300];
  const requested = [s(0), s(10), s(20)];
  expect(requested.map(at => isDue(bounds, at, s(305)))).toEqual([true, false, false]);
  // After the read at 305 s that saw the first one end: the next (requested at 10 s) is due at 310 s.
  expect(pollSeconds(bounds, requested.slice(1), s(305))).toBe(MIN_POLL_SECONDS);
  expect(pollSeconds(bounds, requested.slice(1), s(300))).toBe(10);
  // A transition whose time is unknown (refused for the limits, or started by someone else) is read at every step.
  expect(isDue(bounds, undefined, s(1))).toBe(true);
});

test('the wait stays between its bounds, and one that outlived the estimate is looked at soon, then less often', () => {
  expect(pollSeconds([599, 600], [T0], s(1))).toBe(MAX_POLL_SECONDS);
  expect(pollSeconds([299, 300], [T0], s(299.5))).toBe(MIN_POLL_SECONDS);
  expect(pollSeconds([299, 300], [T0], s(301))).toBe(MIN_POLL_SECONDS);
  expect(pollSeconds([299, 300], [T0], s(340))).toBe(20);
  expect(pollSeconds([299, 300], [T0], s(600))).toBe(MAX_POLL_SECONDS);
  expect(pollSeconds([299, 300], [], s(400))).toBe(DEFAULT_POLL_SECONDS);
});

test('durations are counted on the scaled clock, as the waiter waits them', () => {
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = '100';
  // 3 real seconds at 100× are 300 seconds of the service's time.
  expect(learn(undefined, T0, T0 + 3000, true)).toEqual([0, 300]);
  expect(pollSeconds([299, 300], [T0], T0 + 2000)).toBe(MAX_POLL_SECONDS);
  expect(pollSeconds([299, 300], [T0], T0 + 2900)).toBe(10);
});
