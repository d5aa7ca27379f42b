import { DefaultRateLimiter } from '@smithy/core/retry';
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';

/*
 * How the handlers retry and pace their AWS calls.
 *
 * The Account Management quotas apply to the calling account: a stack that declares 300 settings has 300
 * custom resources started at once by CloudFormation, each in its own Lambda execution environment, all
 * sharing PutAlternateContact's 5 calls per second. None of them knows of the others, so a call that is
 * throttled is tried again, after a jittered delay, for as long as the invocation has time left.
 *
 * The SDK's retry strategies are not used as they are, for two reasons: they stop after a fixed number of
 * attempts and once their retry quota is spent (about 100 throttled retries per client), whatever time is
 * left, which is what made 150 contacts fail ("still throttled after 8 attempts"); and their delays grow
 * to 20 seconds, so the last few invocations of a large stack idle long after the quota has room again.
 * What the SDK has is used: its classification of each error (RetryErrorInfo.errorType: THROTTLING,
 * TRANSIENT — which covers network errors and timeouts —, SERVER_ERROR) and its adaptive mode's
 * client-side rate limiter (DefaultRateLimiter, CUBIC: it slows the environment's calls down when the
 * service throttles them and speeds them up again while they succeed).
 */

/** Multiplies every quota and divides every delay: 1 against AWS; more against the local fake (tests, benchmarks). */
export function timeScale(): number {
  const scale = Number(process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE ?? '1');
  return Number.isFinite(scale) && scale > 0 ? scale : 1;
}

/** Full jitter: a delay drawn from [0, min(cap, base × 2^retry)). */
const BASE_DELAY_MS = 250;
/**
 * The longest delay. With hundreds of invocations contending for a few calls per second, a short cap keeps
 * the quota busy until the last invocation is done (measured in benchmarks/deploy-at-once.ts); the rate
 * limiter keeps each environment from calling more often than the service lets it.
 */
const MAX_DELAY_MS = 5_000;

export function backoffDelay(retry: number): number {
  return Math.floor(Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(retry, 20)) / timeScale());
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, Math.max(0, ms)));
}

/** One rate limiter per service and execution environment: it learns across the invocations the environment serves. */
const limiters = new Map<string, DefaultRateLimiter>();

function limiterFor(service: string): DefaultRateLimiter {
  let limiter = limiters.get(service);
  if (!limiter) {
    const scale = timeScale();
    // CUBIC's constants are per second: scaled so that the limiter keeps its shape when time runs faster.
    limiter = new DefaultRateLimiter({ minFillRate: 0.5 * scale, scaleConstant: 0.4 * scale ** 4 });
    limiters.set(service, limiter);
  }
  return limiter;
}

class Token implements RetryToken {
  constructor(private readonly retries: number) {}
  public getRetryCount(): number {
    return this.retries;
  }
  public getRetryDelay(): number {
    return 0; // the strategy has waited already
  }
}

export interface DeadlineRetryOptions {
  /**
   * Whether throttling is retried here, paced by the SDK's adaptive rate limiter; false for a caller
   * that paces its calls itself (lambda/shared/pacer.ts), to which throttling errors go at once.
   * @default true
   */
  readonly retryThrottling?: boolean;
  /**
   * Whether the environment's rate limiter of the service paces the attempts; false for calls that count
   * against another account's quota (a member's own, through its role): throttling is then retried with
   * backoff alone, so that one member's throttling does not slow the others.
   * @default true
   */
  readonly rateLimited?: boolean;
}

/**
 * Retries throttling, transient (network errors, timeouts) and server errors with full-jitter backoff
 * until `deadline` (epoch ms): an attempt that could not start before it is not made, and the last
 * error is thrown. Any other error is thrown at once.
 */
export class DeadlineRetryStrategy implements RetryStrategyV2 {
  public readonly mode = 'adaptive';
  private readonly limiter: DefaultRateLimiter | undefined;
  private readonly retryThrottling: boolean;

  constructor(private readonly deadline: number, service: string, options: DeadlineRetryOptions = {}) {
    this.retryThrottling = options.retryThrottling !== false;
    this.limiter = !this.retryThrottling || options.rateLimited === false ? undefined : limiterFor(service);
  }

  public async acquireInitialRetryToken(): Promise<RetryToken> {
    await this.sendToken(undefined);
    return new Token(0);
  }

  public async refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    this.limiter?.updateClientSendingRate(errorInfo);
    if (errorInfo.errorType === 'CLIENT_ERROR' || (errorInfo.errorType === 'THROTTLING' && !this.retryThrottling)) throw errorInfo.error;
    const retries = token.getRetryCount() + 1;
    const delay = backoffDelay(retries);
    if (Date.now() + delay >= this.deadline) throw errorInfo.error;
    await sleep(delay);
    await this.sendToken(errorInfo.error);
    return new Token(retries);
  }

  public recordSuccess(): void {
    this.limiter?.updateClientSendingRate({});
  }

  /** Waits for the rate limiter's token, but not past the deadline: then `error` (or a timeout) is thrown. */
  private async sendToken(error: unknown): Promise<void> {
    if (!this.limiter) {
      if (Date.now() >= this.deadline) throw error ?? Object.assign(new Error('No time was left for this call'), { name: 'TimeoutError' });
      return;
    }
    const limiter = this.limiter;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timed out'>(resolve => {
      timer = setTimeout(() => resolve('timed out'), Math.max(0, this.deadline - Date.now()));
    });
    try {
      if (await Promise.race([limiter.getSendToken(), timedOut]) === 'timed out') {
        throw error ?? Object.assign(new Error('No time was left for this call'), { name: 'TimeoutError' });
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
