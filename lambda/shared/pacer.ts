import { isThrottling } from './errors';
import { sleep, timeScale } from './pacing';

/*
 * Pacing for the organization baseline's reconciler, which makes thousands of calls from one
 * invocation: a token bucket per operation whose rate starts at the documented quota of the calling
 * account, grows while calls succeed and the rate holds them back (up to a ceiling), and shrinks when
 * the service throttles. The rates it has learned travel in the workflow's state from one step to the next.
 *
 * Why not the SDK's adaptive mode alone: its rate limiter is one per client, whatever the operation
 * (PutAlternateContact's 5 per second would slow GetAlternateContact's 10), and it starts with no
 * limit, so a fan-out over hundreds of accounts first meets a wall of throttling.
 */

export interface Quota {
  /** Calls per second. */
  readonly rate: number;
  readonly burst: number;
  /** The most the rate may grow to, as a multiple of `rate` (a quota known to count against the caller). @default CEILING */
  readonly ceiling?: number;
  /**
   * A rate that is a guess, not a documented quota, and may be far too high: it may fall to a hundredth, and
   * a throttle brings it down at once to the pace calls went through at since the last decrease.
   */
  readonly guessed?: boolean;
  /**
   * A throttle just above the documented rate caps the rate a little under it (CAPPED_SHARE): for calls that
   * gain little from probing (the Region phase's, a few thousand reads) and lose to each throttle's slowdown.
   */
  readonly capsWhenMet?: boolean;
}

/**
 * The reference's quotas per calling account; PutAccountName and GetAccountInformation are not in its
 * table and start at 1 per second (they grow if the service allows more).
 */
export const DOCUMENTED_QUOTAS: Record<string, Quota> = {
  DeleteAlternateContact: { rate: 1, burst: 6 },
  DisableRegion: { rate: 1, burst: 1 },
  EnableRegion: { rate: 1, burst: 1, capsWhenMet: true },
  GetAccountInformation: { rate: 1, burst: 1 },
  GetAlternateContact: { rate: 10, burst: 15 },
  GetContactInformation: { rate: 10, burst: 15 },
  GetRegionOptStatus: { rate: 5, burst: 5, capsWhenMet: true },
  PutAccountName: { rate: 1, burst: 1 },
  PutAlternateContact: { rate: 5, burst: 8 },
  PutContactInformation: { rate: 5, burst: 8 },
};

/** The rates a pacer has learned (calls per second, at real time), as they travel between steps. */
export type PacerState = Record<string, number>;

/** After a throttle, the rate is multiplied by this (at most once per second, a burst of throttles counting once). */
const DECREASE = 0.85;
/** After each second of calls without a throttle, while the rate held calls back, the rate is multiplied by this. */
const INCREASE = 1.02;
/** The rate never falls below this share of the documented rate. */
const FLOOR = 0.1;
/**
 * Nor grows beyond this multiple of it: where the quota counts per target account, a caller may go far
 * beyond the documented rate, but a rate learned there must not meet a caller-wide quota as a wall.
 */
export const CEILING = 20;
/**
 * A throttle while the rate is above the documented one, by at most this multiple, caps the rate there; one far
 * above it (a rate that went through at many times the documented one, as a quota per target lets it) does not.
 */
const CAPPED_MARGIN = 1.25;
/**
 * A capped rate stays at this share of the documented one: a little under the service's refill, so that its
 * bucket fills again and takes the calls that arrive early (latency varies) instead of throttling each one.
 */
export const CAPPED_SHARE = 0.97;
/** A capped rate is slowed down only by throttles closer together than this (seconds): they mean others share the quota. */
const ISOLATED_SECONDS = 10;

interface Bucket {
  rate: number;
  readonly burst: number;
  tokens: number;
  at: number;
  /** Since when calls have gone through without a throttle. */
  calmSince: number;
  lastDecrease: number;
  /** Whether a call waited for a token since the rate last grew: only a rate that holds calls back grows. */
  limited: boolean;
  /** A throttle came while the rate was above the documented one: the quota counts against the caller, and the rate grows no more past it. */
  capped: boolean;
  /** When the service last throttled the operation. */
  lastThrottle: number;
  /** Calls that went through since `countedSince` (the last decrease, or the bucket's making). */
  through: number;
  countedSince: number;
}

export interface CallOptions {
  /**
   * How many times a call is made while throttled before the refusal is thrown, for the caller to tell
   * what it means (EnableRegion is refused the same way for its rate and for the transitions in progress).
   * @default made again until the deadline
   */
  readonly throttledAttempts?: number;
  /** Asked before each attempt (a write of a generation that a newer one has superseded is not made). */
  readonly stillWanted?: () => Promise<boolean>;
}

/** The call was not made: `stillWanted` said no. */
export class NoLongerWanted extends Error {
  constructor(operation: string) {
    super(`${operation} was not made: a newer generation of the baseline has superseded this one`);
    this.name = 'NoLongerWanted';
  }
}

/** Figures of what a pacer did, for logs and benchmarks. */
export interface PacerStats {
  calls: number;
  throttled: number;
}

export class Pacer {
  public readonly stats: PacerStats = { calls: 0, throttled: 0 };
  private readonly buckets = new Map<string, Bucket>();
  private readonly scale = timeScale();

  /**
   * @param deadline epoch ms after which a throttled call is not tried again
   * @param learned rates carried from an earlier step
   */
  constructor(public readonly deadline: number, learned: PacerState = {}, private readonly quotas: Record<string, Quota> = DOCUMENTED_QUOTAS) {
    for (const [operation, rate] of Object.entries(learned)) this.bucket(operation).rate = this.bounded(operation, rate);
  }

  /** The rates learned so far, to carry to the next step. */
  public state(): PacerState {
    return Object.fromEntries([...this.buckets].map(([operation, bucket]) => [operation, Math.round(bucket.rate * 1000) / 1000]));
  }

  /** The operation's rate now (calls per second, at real time). */
  public rateOf(operation: string): number {
    return this.bucket(operation).rate;
  }

  /**
   * Puts the operation's rate back to `rate`: for throttling that the caller found to mean something else
   * than the rate (EnableRegion refused for the transitions in progress), which must not slow the next calls.
   */
  public restore(operation: string, rate: number): void {
    this.bucket(operation).rate = this.bounded(operation, rate);
  }

  /**
   * Makes the call when the operation's bucket has a token; a throttled call slows the operation down
   * and is made again, until the deadline or `throttledAttempts`. Other errors are thrown.
   */
  public async call<T>(operation: string, fn: () => Promise<T>, options: CallOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      await this.take(operation);
      if (options.stillWanted && !await options.stillWanted()) throw new NoLongerWanted(operation);
      this.stats.calls++;
      try {
        const result = await fn();
        this.succeeded(operation);
        return result;
      } catch (error) {
        if (!isThrottling(error)) throw error;
        this.stats.throttled++;
        this.throttled(operation);
        if (Date.now() >= this.deadline || attempt >= (options.throttledAttempts ?? Infinity)) throw error;
      }
    }
  }

  private bucket(operation: string): Bucket {
    let bucket = this.buckets.get(operation);
    if (!bucket) {
      const quota = this.quotas[operation] ?? { rate: 1, burst: 1 };
      const now = Date.now();
      const fresh = { at: now, calmSince: now, lastDecrease: 0, limited: false, capped: false, lastThrottle: 0, through: 0, countedSince: now };
      bucket = { rate: quota.rate, burst: quota.burst, tokens: quota.burst, ...fresh };
      this.buckets.set(operation, bucket);
    }
    return bucket;
  }

  /** Waits until the operation's bucket has a token, and takes it. */
  private async take(operation: string): Promise<void> {
    const bucket = this.bucket(operation);
    for (;;) {
      const now = Date.now();
      const rate = bucket.rate * this.scale; // calls per real second
      bucket.tokens = Math.min(bucket.burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
      bucket.at = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      bucket.limited = true;
      await sleep(((1 - bucket.tokens) / rate) * 1000);
    }
  }

  private succeeded(operation: string): void {
    const bucket = this.bucket(operation);
    const now = Date.now();
    bucket.through++;
    if (bucket.limited && ((now - bucket.calmSince) / 1000) * this.scale >= 1) {
      const cap = (this.quotas[operation]?.rate ?? 1) * CAPPED_SHARE;
      bucket.rate = this.bounded(operation, bucket.capped ? Math.min(cap, bucket.rate * INCREASE) : bucket.rate * INCREASE);
      bucket.calmSince = now;
      bucket.limited = false;
    }
  }

  /** A rate within the floor and the ceiling of the operation's documented quota. */
  private bounded(operation: string, rate: number): number {
    const quota = this.quotas[operation] ?? { rate: 1, burst: 1 };
    return Math.min(quota.rate * (quota.ceiling ?? CEILING), Math.max(quota.rate * (quota.guessed ? FLOOR / 10 : FLOOR), rate));
  }

  private throttled(operation: string): void {
    const bucket = this.bucket(operation);
    const now = Date.now();
    const quota = this.quotas[operation];
    if (quota?.capsWhenMet && bucket.rate > quota.rate && bucket.rate <= quota.rate * CAPPED_MARGIN) {
      // Probing just above the documented rate met the quota: it is the caller's, and probing further would only cost throttles.
      bucket.rate = quota.rate * CAPPED_SHARE;
      bucket.capped = true;
      bucket.lastDecrease = bucket.countedSince = now;
      bucket.through = 0;
    } else if (bucket.capped && ((now - bucket.lastThrottle) / 1000) * this.scale >= ISOLATED_SECONDS) {
      // Under the quota by design, a throttle long after the last is a call that arrived early (its latency varied): the rate holds.
    } else if (((now - bucket.lastDecrease) / 1000) * this.scale >= 1) {
      const seconds = Math.max(1, ((now - bucket.countedSince) / 1000) * this.scale);
      const through = this.quotas[operation]?.guessed ? bucket.through / seconds : Infinity;
      bucket.rate = this.bounded(operation, Math.min(bucket.rate * DECREASE, through));
      bucket.lastDecrease = bucket.countedSince = now;
      bucket.through = 0;
    }
    bucket.lastThrottle = now;
    // The service's bucket is empty: so is this one, and calm starts again.
    bucket.tokens = 0;
    bucket.calmSince = now;
  }
}
