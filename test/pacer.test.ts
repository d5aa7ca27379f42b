/*
 * The reconciler's pacer grows only while its rate holds calls back, and within a ceiling tied to the
 * documented quota: sparse calls (a Region poll every 20 seconds) must not teach it a rate that later
 * meets the caller-wide quota as a wall of throttling. Run on a fake clock.
 */
import { CAPPED_SHARE, CEILING, Pacer } from '../lambda/shared/pacer';

const T0 = 1_700_000_000_000;
const QUOTAS = { Get: { rate: 5, burst: 5 } };

jest.setTimeout(30_000);

const TIME_SCALE = process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;

beforeEach(() => {
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = '1';
  jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'queueMicrotask'] });
});

afterEach(() => {
  jest.useRealTimers();
  if (TIME_SCALE === undefined) delete process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
  else process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = TIME_SCALE;
});

/** `count` calls, one every `everyMs`, each answered at once. */
async function callSpaced(pacer: Pacer, count: number, everyMs: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const call = pacer.call('Get', async () => 'ok');
    await jest.advanceTimersByTimeAsync(everyMs);
    await call;
  }
}

test('sparse calls that never wait for a token do not grow the rate', async () => {
  const pacer = new Pacer(T0 + 24 * 3600_000, {}, QUOTAS);
  await callSpaced(pacer, 180, 20_000); // an hour of polls every 20 s

  expect(pacer.state().Get).toBe(QUOTAS.Get.rate);
});

/** `count` calls one after another, each taking its token as soon as there is one (the rate holds every one back). */
async function callBackToBack(pacer: Pacer, count: number, withinMs: number): Promise<void> {
  const calls = (async () => {
    for (let i = 0; i < count; i++) await pacer.call('Get', async () => 'ok');
  })();
  await jest.advanceTimersByTimeAsync(withinMs);
  await calls;
}

test('calls held back by the rate grow it', async () => {
  const pacer = new Pacer(T0 + 24 * 3600_000, {}, QUOTAS);
  // At the documented 5 per second these take 200 s; growing 2 % a second, the rate passes 3 times that.
  await callBackToBack(pacer, 1_000, 300_000);

  expect(pacer.state().Get).toBeGreaterThan(QUOTAS.Get.rate * 3);
});

test('a rate that holds calls back never grows beyond the ceiling', async () => {
  const pacer = new Pacer(T0 + 24 * 3600_000, { Get: QUOTAS.Get.rate * CEILING * 0.99 }, QUOTAS);
  await callBackToBack(pacer, 1_000, 60_000);

  expect(pacer.state().Get).toBe(QUOTAS.Get.rate * CEILING);
});

test('a rate carried from an earlier step is brought within the ceiling', () => {
  const pacer = new Pacer(T0 + 600_000, { Get: 1_000 }, QUOTAS);

  expect(pacer.state().Get).toBe(QUOTAS.Get.rate * CEILING);
});

test('a throttle brings a guessed rate down at once to the pace calls went through at, a documented one by 15 %', async () => {
  const quotas = { Get: { rate: 100, burst: 10, guessed: true }, Put: { rate: 100, burst: 10 } };
  const pacer = new Pacer(T0 + 24 * 3600_000, {}, quotas);
  // The service lets 5 calls of each through, then throttles the sixth once.
  for (const operation of ['Get', 'Put']) {
    let answered = 0;
    const call = () => pacer.call(operation, async () => {
      if (++answered === 6) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
      return 'ok';
    });
    for (let i = 0; i < 5; i++) await call();
    const sixth = call();
    await jest.advanceTimersByTimeAsync(1_000);
    await sixth;
  }

  expect(pacer.state().Get).toBe(5);
  expect(pacer.state().Put).toBe(85);
  expect(pacer.stats).toEqual({ calls: 14, throttled: 2 });
});

test('a guessed rate falls no lower than a hundredth of it; a documented one than a tenth', () => {
  const pacer = new Pacer(T0, { Get: 0, Put: 0 }, { Get: { rate: 100, burst: 1, guessed: true }, Put: { rate: 100, burst: 1 } });
  expect(pacer.state()).toEqual({ Get: 1, Put: 10 });
});

/** One call throttled by the service, the calls before it answered. */
async function throttleOnce(pacer: Pacer): Promise<void> {
  let first = true;
  const call = pacer.call('Get', async () => {
    if (first) {
      first = false;
      throw Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });
    }
    return 'ok';
  });
  await jest.advanceTimersByTimeAsync(1_000);
  await call;
}

/** A quota that a throttle just above its rate caps (the Region phase's). */
const CAPPED = { Get: { ...QUOTAS.Get, capsWhenMet: true } };

test('without capsWhenMet, a throttle just above the documented rate slows it by 15 %, and it probes again', async () => {
  const pacer = new Pacer(T0 + 24 * 3600_000, { Get: QUOTAS.Get.rate * 1.1 }, QUOTAS);
  await throttleOnce(pacer);
  expect(pacer.state().Get).toBeCloseTo(QUOTAS.Get.rate * 1.1 * 0.85, 3);

  await callBackToBack(pacer, 1_000, 300_000);
  expect(pacer.state().Get).toBeGreaterThan(QUOTAS.Get.rate);
});

test('a throttle just above the documented rate caps the rate a little under it: calls held back no longer grow it', async () => {
  const pacer = new Pacer(T0 + 24 * 3600_000, { Get: QUOTAS.Get.rate * 1.1 }, CAPPED);
  await throttleOnce(pacer);
  expect(pacer.state().Get).toBe(QUOTAS.Get.rate * CAPPED_SHARE);

  await callBackToBack(pacer, 1_000, 300_000);
  expect(pacer.state().Get).toBe(QUOTAS.Get.rate * CAPPED_SHARE);
});

test('a throttle far above the documented rate (a quota per target) slows it by 15 %, and it grows again', async () => {
  const pacer = new Pacer(T0 + 24 * 3600_000, { Get: QUOTAS.Get.rate * 10 }, CAPPED);
  await throttleOnce(pacer);
  expect(pacer.state().Get).toBe(QUOTAS.Get.rate * 10 * 0.85);

  await callBackToBack(pacer, 2_000, 300_000);
  expect(pacer.state().Get).toBeGreaterThan(QUOTAS.Get.rate * 10 * 0.85);
});

test('once capped, an isolated throttle (a call that arrived early) keeps the rate, and throttles close together slow it', async () => {
  const pacer = new Pacer(T0 + 24 * 3600_000, { Get: QUOTAS.Get.rate * 1.1 }, CAPPED);
  await throttleOnce(pacer);
  await jest.advanceTimersByTimeAsync(20_000);
  await throttleOnce(pacer);
  expect(pacer.state().Get).toBe(QUOTAS.Get.rate * CAPPED_SHARE);

  await throttleOnce(pacer);
  expect(pacer.state().Get).toBeCloseTo(QUOTAS.Get.rate * CAPPED_SHARE * 0.85, 2);
});
