/*
 * The schedule by which a stack's settings share the calling account's quota without a shared service:
 * each request computes its slot from its resource's Metadata (a stack being created) or from the stack's
 * events (an update). Driven by the local Account API's token buckets on a fake clock, never the wall clock.
 */
import type { StackEvent } from '@aws-sdk/client-cloudformation';
import { Template } from 'aws-cdk-lib/assertions';
import { stackOf } from './support';
import type { Invocation } from '../lambda/shared/clients';
import { DOCUMENTED_QUOTAS } from '../lambda/shared/pacer';
import { laneTime, pacingOf, retryDelay, Slot, slotTime, slotWait, updateCrowd, waitForSlot } from '../lambda/shared/schedule';
import { RateLimits, REFERENCE_RATE_QUOTAS } from '../local/common';
import { AccountName, AlternateContact, AlternateContactType, PrimaryContact } from '../src';
import { PACING_METADATA, RESOURCE_TYPES } from '../src/contract';

const TYPES = [AlternateContactType.BILLING, AlternateContactType.OPERATIONS, AlternateContactType.SECURITY];
const STACK_ID = 'arn:aws:cloudformation:us-east-1:111111111111:stack/Settings/1';

/** A stack of `n` alternate contacts (of accounts 200000000000 + i), plus the primary contact and name of the first account. */
function settingsStack(n: number) {
  return stackOf(s => {
    for (let i = 0; i < n; i++) {
      const accountId = String(200000000000 + Math.floor(i / TYPES.length));
      const type = TYPES[i % TYPES.length];
      new AlternateContact(s, `${type}${accountId}`, { accountId, type, name: 'Desk', title: 'Desk', emailAddress: 'desk@example.com', phoneNumber: '+1 206-555-0100' });
    }
    new PrimaryContact(s, 'Primary', {
      accountId: '200000000000', fullName: 'Team', addressLine1: '410 Terry Ave N', city: 'Seattle', stateOrRegion: 'WA', postalCode: '98109', countryCode: 'US', phoneNumber: '+1 206-555-0100',
    });
    new AccountName(s, 'Name', { accountId: '200000000000', accountName: 'workload' });
  });
}

/** The Metadata (as DescribeStackResource returns it: JSON) of every resource of `type`, by logical id. */
function metadataOf(n: number, type: string): Map<string, string> {
  const resources = Template.fromStack(settingsStack(n)).findResources(type);
  return new Map(Object.entries(resources).map(([id, r]) => [id, JSON.stringify(r.Metadata)]));
}

test('each setting carries its rank among the stack\'s settings of its operation, in the template\'s order', () => {
  const contacts = metadataOf(7, RESOURCE_TYPES.alternateContact);
  expect([...contacts.values()].map(json => pacingOf(json, 'PutAlternateContact')?.Rank)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  expect(new Set([...contacts.values()].map(json => pacingOf(json, 'PutAlternateContact')?.Of))).toEqual(new Set([7]));
  // Another operation's settings are ranked apart: each alone here.
  const [primary] = metadataOf(7, RESOURCE_TYPES.primaryContact).values();
  expect(JSON.parse(primary)[PACING_METADATA]).toEqual({ Operation: 'PutContactInformation', Rank: 0, Of: 1 });
  // A rank of another operation is not taken for this one.
  expect(pacingOf(primary, 'PutAlternateContact')).toBeUndefined();
});

/**
 * `n` requests begun together by CloudFormation, each calling in its slot (or at its start, when that is
 * later: environments start late), against the service's token bucket on a fake clock. Starts are spread
 * over the first second, in an order unrelated to the ranks (a fixed pseudo-random sequence).
 */
function burst(n: number): { throttled: number; lastCallMs: number } {
  const quota = DOCUMENTED_QUOTAS.PutAlternateContact;
  let clock = 0;
  const service = new RateLimits(() => clock);
  service.quotas = { PutAlternateContact: REFERENCE_RATE_QUOTAS.PutAlternateContact };
  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const calls = [...metadataOf(n, RESOURCE_TYPES.alternateContact).values()]
    .map(json => pacingOf(json, 'PutAlternateContact')!)
    .map(pacing => Math.max(slotTime(0, pacing.Rank, quota, 1), random() * 1000))
    .sort((a, b) => a - b);
  let throttled = 0;
  for (const at of calls) {
    clock = at;
    try {
      service.take('PutAlternateContact', '111111111111');
    } catch {
      throttled++;
    }
  }
  return { throttled, lastCallMs: calls[calls.length - 1] };
}

test.each([50, 150, 300])('a burst of %i settings calls within the quota: at most 10 %% throttled, within 1.1× the quota-bound minimum', n => {
  const { throttled, lastCallMs } = burst(n);
  expect(throttled / n).toBeLessThanOrEqual(0.1);
  const minimumMs = (n / REFERENCE_RATE_QUOTAS.PutAlternateContact.rate) * 1000;
  expect(lastCallMs).toBeLessThanOrEqual(1.1 * minimumMs);
});

function event(logicalId: string, status: string, type: string = RESOURCE_TYPES.alternateContact): StackEvent {
  return { LogicalResourceId: logicalId, ResourceStatus: status, ResourceType: type, PhysicalResourceId: `${logicalId}-id`, StackId: STACK_ID } as StackEvent;
}
const stackEvent = (status: string): StackEvent =>
  ({ LogicalResourceId: 'Settings', ResourceStatus: status, ResourceType: 'AWS::CloudFormation::Stack', PhysicalResourceId: STACK_ID, StackId: STACK_ID }) as StackEvent;

test('a setting changed alone in an update is alone in its crowd: rank 0, it calls at once', () => {
  // Newest first: this update began, one contact changed; the deploy before touched every contact.
  const events = [event('C', 'UPDATE_IN_PROGRESS'), stackEvent('UPDATE_IN_PROGRESS'), stackEvent('UPDATE_COMPLETE'),
    event('A', 'UPDATE_COMPLETE'), event('B', 'UPDATE_COMPLETE'), event('A', 'UPDATE_IN_PROGRESS'), event('B', 'UPDATE_IN_PROGRESS'), stackEvent('UPDATE_IN_PROGRESS')];
  expect(updateCrowd(events, STACK_ID, RESOURCE_TYPES.alternateContact)).toEqual(['C']);
  expect(slotTime(1_000, 0, DOCUMENTED_QUOTAS.PutAlternateContact, 1)).toBe(1_000);
});

test('the settings an update began form its crowd, in the order they began: of the same type, created or updated, finished or not', () => {
  const events = [
    event('B', 'UPDATE_COMPLETE'), event('D', 'CREATE_IN_PROGRESS'), event('Primary', 'UPDATE_IN_PROGRESS', RESOURCE_TYPES.primaryContact),
    event('Nested', 'UPDATE_IN_PROGRESS', 'AWS::CloudFormation::Stack'), event('B', 'UPDATE_IN_PROGRESS'), event('E', 'UPDATE_IN_PROGRESS'),
    stackEvent('UPDATE_IN_PROGRESS'), event('Z', 'UPDATE_IN_PROGRESS'),
  ];
  // A nested stack's own event is not where this stack's update began.
  expect(updateCrowd(events, STACK_ID, RESOURCE_TYPES.alternateContact)).toEqual(['E', 'B', 'D']);
  expect(updateCrowd(events, STACK_ID, RESOURCE_TYPES.primaryContact)).toEqual(['Primary']);
});

test('events that do not reach back to the update\'s start tell no crowd (the stack\'s ranks are used)', () => {
  expect(updateCrowd([event('A', 'UPDATE_IN_PROGRESS'), event('B', 'UPDATE_IN_PROGRESS')], STACK_ID, RESOURCE_TYPES.alternateContact)).toBeUndefined();
});

/** A slot of a crowd of `of` PutAlternateContact requests begun at 0 (time scale 1: 200 ms apart). */
function slotOfRank(rank: number, of: number): Slot {
  const quota = DOCUMENTED_QUOTAS.PutAlternateContact;
  return { rank, of, start: 0, at: slotTime(0, rank, quota, 1), end: slotTime(0, of, quota, 1), periodMs: 200, burst: quota.burst, basis: 'test' };
}

test('a request waits for its slot; one a slot or more late calls in the lane after the crowd\'s last slot, in the order of the ranks', () => {
  expect(slotWait(slotOfRank(30, 100), 1_000)).toBe(5_000);
  // Late for its slot (6 s): the crowd ends at 20 s; the burst (8) less 2 calls of slack took ranks 0-5 at once, so rank 30 is the
  // lane's 25th, whose slots are 1.25 of the crowd's apart.
  expect(laneTime(slotOfRank(30, 100))).toBe(20_000 + 24 * 250);
  expect(slotWait(slotOfRank(30, 100), 10_000)).toBe(16_000);
  // Late ranks have a lane slot each: none two at once, whenever each starts.
  const lane = Array.from({ length: 94 }, (_, i) => laneTime(slotOfRank(6 + i, 100)));
  expect(new Set(lane).size).toBe(94);
  expect(lane.every((at, i) => i === 0 || at - lane[i - 1] === 250)).toBe(true);
  // Less than a slot late: at once (it takes hardly more than its own slot's share).
  expect(slotWait(slotOfRank(30, 100), 6_150)).toBe(0);
  // Within the first ranks, or alone: at once.
  expect(slotWait(slotOfRank(5, 100), 10_000)).toBe(0);
  expect(slotWait(slotOfRank(6, 100), 10_000)).toBe(10_000);
  expect(slotWait(slotOfRank(0, 1), 10_000)).toBe(0);
  // Past its lane slot too: at once.
  expect(slotWait(slotOfRank(30, 100), 30_000)).toBe(0);
});

/**
 * `n` requests of a deploy, each ready to call at `readyAt(rank)`, in an environment that runs no timer
 * before `heldUntil` (a starved event loop): each waits as waitForSlot does, asking again when a wait ends,
 * against the service's token bucket on a fake clock.
 */
function heldUp(n: number, readyAt: (rank: number) => number, heldUntil = 0): { throttled: number; lastCallMs: number } {
  const quota = DOCUMENTED_QUOTAS.PutAlternateContact;
  let clock = 0;
  const service = new RateLimits(() => clock);
  service.quotas = { PutAlternateContact: REFERENCE_RATE_QUOTAS.PutAlternateContact };
  const calls = Array.from({ length: n }, (_, rank) => {
    const slot = slotOfRank(rank, n);
    expect(slot.periodMs).toBe(1000 / quota.rate);
    let at = readyAt(rank);
    for (let wait = slotWait(slot, at); wait > 0; wait = slotWait(slot, at)) at = Math.max(at + wait, heldUntil);
    return at;
  }).sort((x, y) => x - y);
  let throttled = 0;
  for (const at of calls) {
    clock = at;
    try {
      service.take('PutAlternateContact', '111111111111');
    } catch {
      throttled++;
    }
  }
  return { throttled, lastCallMs: calls[calls.length - 1] };
}

test.each([50, 150, 300])('%i requests held up together for 3 s call one after the other: none throttled, the held-up ones after the crowd', n => {
  // Every rank starts 3 s (15 slots) late: ranks 0-5 call at once, 6-14 in the lane after the crowd, the others in their slots.
  const late = heldUp(n, () => 3_000);
  expect(late.throttled).toBe(0);
  expect(late.lastCallMs).toBe(n * 200 + (14 - 6) * 250);
  // Ready at once, but no timer runs before 3 s: the waits of ranks 0-14 end together; those ended a slot late go to the lane.
  const starved = heldUp(n, () => 0, 3_000);
  expect(starved.throttled).toBe(0);
  expect(starved.lastCallMs).toBe(n * 200 + (14 - 6) * 250);
});

test('a wait for a slot that ends a slot or more late (the environment was held up) goes on in the lane; one that ends in time does not', async () => {
  jest.useFakeTimers({ now: 0 });
  try {
    const invocation = { remainingMs: () => 60_000 } as unknown as Invocation;
    // Rank 10 of 50 waits for its slot at 2 s; no timer runs before 3 s: it goes on to its lane slot, 10 s + (10 - 6) × 250 ms.
    const held = waitForSlot(invocation, slotOfRank(10, 50));
    // The clock runs 1 s ahead of the timers: the 2-second wait ends at 3 s.
    jest.setSystemTime(1_000);
    await jest.advanceTimersByTimeAsync(2_000);
    expect(Date.now()).toBe(3_000);
    await jest.advanceTimersByTimeAsync(8_000);
    await expect(held).resolves.toBe(2_000 + 8_000);
    // Woken less than a slot late: it calls.
    jest.setSystemTime(0);
    const inTime = waitForSlot(invocation, slotOfRank(10, 50));
    jest.setSystemTime(150);
    await jest.advanceTimersByTimeAsync(2_000);
    await expect(inTime).resolves.toBe(2_000);
  } finally {
    jest.useRealTimers();
  }
});

test('a throttled call of a crowd is made again after the crowd\'s last slot, not among the slots of the others', () => {
  // Throttled in its slot (6 s) in a crowd that ends at 20 s: between 20 s and 20 s + a twentieth of the crowd's slots (5 × 200 ms).
  expect(retryDelay(slotOfRank(30, 100), 0, 6_000, () => 0)).toBe(14_000);
  expect(retryDelay(slotOfRank(30, 100), 0, 6_000, () => 1)).toBe(15_000);
  // Throttled a slot or more after its own (held up with the first ranks): its place in the lane, once.
  expect(retryDelay(slotOfRank(30, 100), 0, 8_000, () => 1)).toBe(26_000 - 8_000);
  expect(retryDelay(slotOfRank(30, 100), 1, 8_000, () => 1)).toBe(12_000 + 1_000);
  // After the end the window doubles with each refusal.
  expect(retryDelay(slotOfRank(30, 100), 2, 25_000, () => 1)).toBe(4_000);
});
