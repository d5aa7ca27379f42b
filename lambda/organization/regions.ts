import { EnableRegionCommand, GetRegionOptStatusCommand, RegionOptStatus } from '@aws-sdk/client-account';
import { MAX_AHEAD, Read, ReadAhead } from './read-ahead';
import { isDue, learn, MAX_STEP_WAIT_SECONDS, nextDueSeconds, pollSeconds, TransitionBounds } from './region-timing';
import { departure, Departure, departureReason } from '../shared/account-api';
import type { Invocation } from '../shared/clients';
import { failure, isThrottling, isTransient } from '../shared/errors';
import { log } from '../shared/log';
import { NoLongerWanted, Pacer } from '../shared/pacer';
import { sleep, timeScale } from '../shared/pacing';
import { resolveTarget } from '../shared/target';

/*
 * The opt-in Regions of an organization baseline, waited on by the reconciler. The service lets an
 * account have a few transitions in progress and an organization a few dozen (6 and 20 in the
 * reference, 50 on the current quota page): the reconciler asks for transitions while the service
 * accepts them, remembers the ones in progress (never more than the service allowed, so the state stays
 * small), and when the service refuses, waits for some to end before it asks again. It never counts on
 * the limits' values: a refusal is what tells it the limit is reached. A Region whose reads keep failing
 * (a service control policy that denies them) stops being read and counts as failed, and one of an
 * account that was closed or left the organization as skipped, so that the execution ends. Reads are
 * started ahead of the visits that act on them (read-ahead.ts), and a step waits within itself for a
 * transition due soon rather than pay a step's start to see it end.
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
 * service refuses a transition or `deadline` passes; while a transition in progress is due within
 * MAX_STEP_WAIT_SECONDS, wait for it within the step and go on (a slot it frees is asked for at once,
 * without a step's start). `wanted` says whether the generation is still the baseline's, as last checked.
 */
export async function regionsStep(
  invocation: Invocation, pacer: Pacer, accounts: string[], regions: string[], progress: RegionsProgress, deadline: number,
  stillWanted: () => Promise<boolean>, wanted: () => boolean = () => true,
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
  /**
   * How many of this baseline's transitions were in progress when the service last refused one in this
   * step: no other is asked for until fewer are (each refusal costs calls and slows the pacer down).
   * Not carried to the next step, which asks again: the limits may have changed.
   */
  let refusedAt: number | undefined;
  const inProgress = () => [...inFlight.values()].filter(key => key[3] !== undefined).length;
  const full = () => refusedAt !== undefined && inProgress() >= refusedAt;
  /** Transitions this step requested or read in progress: those it can tell the service still counts (limitSeen). */
  const confirmed = new Set<string>();
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

  /** One Region's status, or the error that its read ended with; made while `readWanted` says so. */
  const read = async ([accountId, region]: RegionKey, readWanted: () => Promise<boolean>): Promise<Read<RegionOptStatus>> => {
    const input = { AccountId: resolveTarget(accountId, invocation.ownAccount).accountIdParameter, RegionName: region };
    try {
      const output = await pacer.call('GetRegionOptStatus', () => client.send(new GetRegionOptStatusCommand(input)), { stillWanted: readWanted });
      return { status: output.RegionOptStatus, at: Date.now() };
    } catch (error) {
      return { error, at: Date.now() };
    }
  };

  /** Acts on one Region's read: asks for its transition when due; false when the service refused it (its limits). */
  const visit = async ([accountId, region, failedReads, requestedAt]: RegionKey, { status, error, at }: Read<RegionOptStatus>): Promise<boolean> => {
    const target = resolveTarget(accountId, invocation.ownAccount);
    const input = { AccountId: target.accountIdParameter, RegionName: region };
    const key = `${accountId}/${region}`;
    if (error !== undefined) {
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
      if (requestedAt !== undefined) bounds = learn(bounds, requestedAt, at, true);
      inFlight.delete(key);
      confirmed.delete(key);
      return true;
    }
    if (status === 'ENABLING' && requestedAt !== undefined) {
      bounds = learn(bounds, requestedAt, at, false);
      confirmed.add(key);
    }
    if (status !== 'DISABLED' || refused || full()) {
      keep(accountId, region, undefined, status === 'ENABLING' ? requestedAt : undefined); // ENABLING, or DISABLING (enabled once DISABLED)
      return status !== 'DISABLED' || !(refused || full());
    }
    const rate = pacer.rateOf('EnableRegion');
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
      confirmed.add(key);
      return true;
    } catch (refusal) {
      // Refused for the service's limits (or a transition that started since the read), or superseded: later.
      if (isThrottling(refusal) || refusal instanceof NoLongerWanted || (refusal as { name?: string }).name === 'ConflictException') {
        if (isThrottling(refusal)) {
          refusedAt = inProgress();
          // The limits, not the rate: the next request (once a transition has ended) goes at the rate it had.
          pacer.restore('EnableRegion', rate);
        }
        inFlight.set(key, [accountId, region]);
        return false;
      }
      inFlight.delete(key);
      const gone = await departed(target, refusal);
      if (gone) skip(accountId, region, gone);
      else fail(accountId, failure('EnableRegion', `Region ${region}`, target, refusal).message);
      return true;
    }
  };

  /**
   * The transitions in progress that are due, read several at once (each read is used) and acted on in order;
   * then the others (refused for the limits, or not ours), each read when its turn comes, while the limits allow one more.
   */
  const visitInFlight = async () => {
    const keys = [...inFlight.values()];
    // One that cannot have ended yet by what the reads have told is left for later.
    const due = (key: RegionKey) => Date.now() < deadline && isDue(bounds, key[3], Date.now());
    const waiting = () => Date.now() < deadline && !full();
    const passes = [[keys.filter(key => key[3] !== undefined), due, MAX_AHEAD], [keys.filter(key => key[3] === undefined), waiting, 1]] as const;
    for (const [some, worthReading, window] of passes) {
      const ahead = new ReadAhead<RegionKey, RegionOptStatus>(some, read, worthReading, window);
      try {
        for (let i = 0; i < some.length && Date.now() < deadline; i++) {
          const pending = ahead.take(i);
          if (pending && !await visit(some[i], await pending)) refused = true;
        }
      } finally {
        await ahead.stop();
      }
    }
  };

  let cursor = progress.cursor;
  let limitSeen = progress.limitSeen;
  /** The accounts after the cursor, their Regions read ahead while the reads find nothing to do. */
  const scan = async () => {
    const todo = accounts.filter(id => cursor === undefined || id > cursor);
    const pairs = todo.flatMap(id => regions.filter(region => !inFlight.has(`${id}/${region}`)).map((region): RegionKey => [id, region]));
    const ahead = new ReadAhead<RegionKey, RegionOptStatus>(pairs, read);
    let i = 0;
    try {
      for (const accountId of todo) {
        if (full()) refused = true;
        if (refused || Date.now() >= deadline) break;
        let accepted = true;
        for (; i < pairs.length && pairs[i][0] === accountId; i++) {
          const result = await ahead.take(i)!;
          if (result.status === 'ENABLED' || result.status === 'ENABLED_BY_DEFAULT') ahead.widen();
          else ahead.narrow();
          if (!await visit(pairs[i], result)) {
            accepted = false;
            break;
          }
        }
        if (!accepted) {
          refused = true;
          // Those known to be in progress: one requested in an earlier step and not read since may have ended.
          limitSeen = Math.max(limitSeen ?? 0, [...confirmed].filter(key => !key.startsWith(`${accountId}/`)).length);
          break;
        }
        cursor = accountId;
      }
    } finally {
      await ahead.stop();
    }
  };

  for (const key of progress.inFlight) inFlight.set(`${key[0]}/${key[1]}`, key);
  const requestTimes = () => [...inFlight.values()].map(([, , , at]) => at);
  const isScanned = () => accounts.length === 0 || cursor === accounts[accounts.length - 1];
  for (;;) {
    refused = false;
    await visitInFlight();
    await scan();
    const waits = refused || (isScanned() && inFlight.size > 0);
    const due = nextDueSeconds(bounds, requestTimes(), Date.now());
    if (!waits || due === undefined || due > MAX_STEP_WAIT_SECONDS || !wanted()) break;
    const wakeAt = Date.now() + (due * 1000) / timeScale();
    if (wakeAt >= deadline) break;
    await sleep(wakeAt - Date.now());
  }
  const scanned = isScanned();
  return {
    progress: { cursor, inFlight: [...inFlight.values()], enabled, failed, failures, skipped, skips, limitSeen, transitionSeconds: bounds },
    done: scanned && inFlight.size === 0,
    waiting: refused || (scanned && inFlight.size > 0),
    pollSeconds: pollSeconds(bounds, requestTimes(), Date.now()),
  };
}
