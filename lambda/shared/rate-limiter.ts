import { timeScale } from './pacing';

/**
 * Client-side pacing under the Account Management quotas (requests per second, per calling account):
 * each operation gets evenly spaced slots at a share of its quota, so that a fan-out over hundreds of
 * accounts meets few TooManyRequestsException (the SDK still retries those with backoff).
 */
const QUOTAS: Record<string, number> = {
  GetAlternateContact: 10,
  PutAlternateContact: 5,
  DeleteAlternateContact: 1,
  GetRegionOptStatus: 5,
  EnableRegion: 1,
};

/** The share of each quota used: what is left absorbs other callers and clock drift. */
const SHARE = 0.8;

export class RateLimiter {
  private readonly next = new Map<string, number>();

  /**
   * @param scale multiplies every quota: 1 against the service; larger against the local services, whose
   * time runs as much faster (CDK_ACCOUNT_MANAGEMENT_TIME_SCALE).
   */
  constructor(private readonly scale = timeScale()) {}

  /** Waits for the operation's next slot. */
  public async take(operation: string): Promise<void> {
    const rate = (QUOTAS[operation] ?? 1) * SHARE * this.scale;
    const now = Date.now();
    const slot = Math.max(now, this.next.get(operation) ?? now);
    this.next.set(operation, slot + 1000 / rate);
    if (slot > now) await new Promise(resolve => setTimeout(resolve, slot - now));
  }
}
