import { EnableRegionCommand, GetRegionOptStatusCommand, RegionOptStatus } from '@aws-sdk/client-account';
import { isDue, learn, pollSeconds, TransitionBounds } from './region-timing';
import { departure, Departure, departureReason } from '../shared/account-api';
import type { Invocation } from '../shared/clients';
import { failure, isThrottling, isTransient } from '../shared/errors';
import { log } from '../shared/log';
import { NoLongerWanted, Pacer } from '../shared/pacer';
import { resolveTarget } from '../shared/target';

/*
 * The opt-in Regions of an organization baseline, waited on by the reconciler. The service lets an
 * account have a few transitions in progress and an organization a few dozen (6 and 20 in the
 * reference, 50 on the current quota page): the reconciler asks for transitions while the service
 * accepts them, remembers the ones in progress (never more than the service allowed, so the state stays
 * small), and when the service refuses, waits for some to end before it asks again. It never counts on
 * the limits' values: a refusal is what tells it the limit is reached. A Region whose reads keep failing
 * (a service control policy that denies them) stops being read and counts as failed, and one of an
 * account that was closed or left the organization as skipped, so that the execution ends.
 */

/** [account, Region, reads in a row that failed with a non-transient error, when the reconciler requested its transition (ms)] */
export type RegionKey = [string, string, number?, number?];

export interface RegionsProgress {
  /** The last account whose Regions were all seen; the scan resumes after it. */
  readonly cursor?: string;
  /** Transitions in progress (or refused for the limits), read again at each step until they end. */
  readonly inFlight: RegionKey[];
  readonly enabled: number;
  readonly failed: number;
  readonly failures: Array<{ readonly accountId: string; readonly reason: string }>;
  /** Regions of accounts that were closed or left the organization (absent in the state of older versions). */
  readonly skipped?: number;
  readonly skips?: Array<{ readonly accountId: string; readonly reason: string }>;
  /** The most transitions this baseline had in progress at once when the service refused another. */
  readonly limitSeen?: number;
  /** What the reads told of the transitions' time (region-timing.ts); absent before one was read. */
  readonly transitionSeconds?: TransitionBounds;
}

export const NO_REGIONS: RegionsProgress = { inFlight: [], enabled: 0, failed: 0, failures: [], skipped: 0, skips: [] };

/** Failures kept in the state (all are counted and logged). */
const KEPT_FAILURES = 10;
/** Reads in a row (one per step, seconds apart) that fail with a non-transient error before the Region is given up. */
const MAX_FAILED_READS = 3;

export interface RegionsStep {
  readonly progress: RegionsProgress;
  /** Every Region of every account is ENABLED. */
  readonly done: boolean;
  /** The scan stopped for the service's limits (so the next step should wait), not for lack of time. */
  readonly waiting: boolean;
  /** How long the next step should wait, if it waits: until the earliest transition in progress is due. */
  readonly pollSeconds: number;
}

/**
 * One step: read the transitions in progress, then go on with the accounts after the cursor until the
 * service refuses a transition or `deadline` passes.
 */
export async function regionsStep(
  invocation: Invocation, pacer: Pacer, accounts: string[], regions: string[], progress: RegionsProgress, deadline: number,
  stillWanted: () => Promise<boolean>,
): Promise<RegionsStep> {
  // From the management account even with the member footprint: the in-progress limits that bound this phase are the organization's, whoever calls.
  const client = invocation.pacedAccount();
  const inFlight = new Map<string, RegionKey>();
  let { enabled, failed } = progress;
  let skipped = progress.skipped ?? 0;
  const failures = [...progress.failures];
  const skips = [...progress.skips ?? []];
  let refused = false;
  let bounds = progress.transitionSeconds;
  /** Kept in flight, with its failed reads and the time of its request. */
  const keep = (accountId: string, region: string, failedReads?: number, requestedAt?: number) => {
    const key: RegionKey = requestedAt !== undefined ? [accountId, region, failedReads ?? 0, requestedAt]
      : failedReads ? [accountId, region, failedReads] : [accountId, region];
    inFlight.set(`${accountId}/${region}`, key);
  };
  const fail = (accountId: string, reason: string) => {
    failed++;
    if (failures.length < KEPT_FAILURES) failures.push({ accountId, reason });
    log({ setting: 'organization baseline', accountId, outcome: 'Region failed', error: reason });
  };
  /** Membership asked once per account and step: a closed account's Regions all fail the same way. */
  const departures = new Map<string, Promise<Departure | undefined>>();
  const departed = (target: ReturnType<typeof resolveTarget>, error: unknown) => {
    if (!departures.has(target.accountId)) departures.set(target.accountId, departure(invocation, target, error).catch(() => undefined));
    return departures.get(target.accountId)!;
  };
  const skip = (accountId: string, region: string, gone: Departure) => {
    skipped++;
    const reason = `Region ${region}: ${departureReason(gone)}`;
    if (skips.length < KEPT_FAILURES) skips.push({ accountId, reason });
    log({ setting: 'organization baseline', accountId, outcome: 'Region skipped', error: reason });
  };

  /** Reads one Region and asks for its transition when due; false when the service refused (its limits). */
  const visit = async ([accountId, region, failedReads, requestedAt]: RegionKey): Promise<boolean> => {
    const target = resolveTarget(accountId, invocation.ownAccount);
    const input = { AccountId: target.accountIdParameter, RegionName: region };
    const key = `${accountId}/${region}`;
    let status: RegionOptStatus | undefined;
    try {
      status = (await pacer.call('GetRegionOptStatus', () => client.send(new GetRegionOptStatusCommand(input)))).RegionOptStatus;
    } catch (error) {
      // Transient (throttled until the deadline, 5xx): read again at the next step, as often as it takes.
      if (isTransient(error)) {
        keep(accountId, region, failedReads, requestedAt);
        return true;
      }
      // Not transient: an account that is gone is skipped now; anything else is read again a few times, then failed.
      const gone = await departed(target, error);
      const reads = (failedReads ?? 0) + 1;
      if (!gone && reads < MAX_FAILED_READS) {
        keep(accountId, region, reads, requestedAt);
        return true;
      }
      inFlight.delete(key);
      if (gone) skip(accountId, region, gone);
      else fail(accountId, failure('GetRegionOptStatus', `Region ${region}`, target, error).message);
      return true;
    }
    if (status === 'ENABLED' || status === 'ENABLED_BY_DEFAULT') {
      if (requestedAt !== undefined) bounds = learn(bounds, requestedAt, Date.now(), true);
      inFlight.delete(key);
      return true;
    }
    if (status === 'ENABLING' && requestedAt !== undefined) bounds = learn(bounds, requestedAt, Date.now(), false);
    if (status !== 'DISABLED' || refused) {
      keep(accountId, region, undefined, status === 'ENABLING' ? requestedAt : undefined); // ENABLING, or DISABLING (enabled once DISABLED)
      return !refused;
    }
    try {
      // Refused twice, once after slowing down, it is the limits on transitions rather than the rate.
      // Timed from the attempt's sending (after the pacer's wait): the transition cannot have begun before.
      let sentAt = Date.now();
      await pacer.call('EnableRegion', () => {
        sentAt = Date.now();
        return client.send(new EnableRegionCommand(input));
      }, { throttledAttempts: 2, stillWanted });
      enabled++;
      keep(accountId, region, undefined, sentAt);
      return true;
    } catch (error) {
      // Refused for the service's limits (or a transition that started since the read), or superseded: later.
      if (isThrottling(error) || error instanceof NoLongerWanted || (error as { name?: string }).name === 'ConflictException') {
        inFlight.set(key, [accountId, region]);
        return false;
      }
      inFlight.delete(key);
      const gone = await departed(target, error);
      if (gone) skip(accountId, region, gone);
      else fail(accountId, failure('EnableRegion', `Region ${region}`, target, error).message);
      return true;
    }
  };

  for (const key of progress.inFlight) inFlight.set(`${key[0]}/${key[1]}`, key);
  for (const key of progress.inFlight) {
    if (Date.now() >= deadline) break;
    // One that cannot have ended yet by what the reads have told is left for a later step.
    if (!isDue(bounds, key[3], Date.now())) continue;
    if (!await visit(key)) refused = true;
  }

  let cursor = progress.cursor;
  let limitSeen = progress.limitSeen;
  for (const accountId of accounts.filter(id => cursor === undefined || id > cursor)) {
    if (refused || Date.now() >= deadline) break;
    let accepted = true;
    for (const region of regions) {
      if (inFlight.has(`${accountId}/${region}`)) continue;
      if (!await visit([accountId, region])) {
        accepted = false;
        break;
      }
    }
    if (!accepted) {
      refused = true;
      limitSeen = Math.max(limitSeen ?? 0, [...inFlight.values()].filter(([a]) => a !== accountId).length);
      break;
    }
    cursor = accountId;
  }
  const scanned = accounts.length === 0 || cursor === accounts[accounts.length - 1];
  return {
    progress: { cursor, inFlight: [...inFlight.values()], enabled, failed, failures, skipped, skips, limitSeen, transitionSeconds: bounds },
    done: scanned && inFlight.size === 0,
    waiting: refused || (scanned && inFlight.size > 0),
    pollSeconds: pollSeconds(bounds, [...inFlight.values()].map(([, , , at]) => at), Date.now()),
  };
}
