import { AccountOutcome, Desired, reconcileAccount } from './accounts';
import type { ReconcileState } from './state';
import type { Watch } from './supersession';
import type { Invocation } from '../shared/clients';
import { isThrottling } from '../shared/errors';
import { log } from '../shared/log';
import type { Pacer } from '../shared/pacer';

/** Accounts in flight at once: enough to keep the paced calls busy. */
const CONCURRENCY = 16;
/**
 * With the member footprint: most accounts call as themselves, bound by their own quotas and the calls'
 * latency, not by the management account's pacer, so more are kept in flight (each holds a few KB).
 */
export const MEMBER_CONCURRENCY = 64;
/** Accounts named in a failure, and reasons quoted: the rest is counted, so that the Reason stays short. */
export const KEPT = 20;
/** Accounts a step reports one by one (in its output, which the execution's history keeps). */
const REPORTED = 1_000;

/**
 * One account, whose desired state may itself need calls (whether it is still targeted): their failure is
 * the account's, reported with it (a throttled one is left for the next step), never the step's.
 */
async function reconcileWith(
  invocation: Invocation, pacer: Pacer, accountId: string, desired: (accountId: string) => Desired | Promise<Desired>, watch: Watch,
  memberRole: string | undefined,
): Promise<AccountOutcome> {
  let wanted: Desired;
  try {
    wanted = await desired(accountId);
  } catch (error) {
    if (isThrottling(error) || isThrottling((error as Error | undefined)?.cause)) return { outcome: 'unfinished' };
    return { outcome: 'failed', reason: `what account ${accountId} should hold could not be told: ${error instanceof Error ? error.message : String(error)}` };
  }
  return reconcileAccount(invocation, pacer, accountId, wanted, watch.beforeWrite, memberRole);
}

/** No account after the cursor, and none of the accounts left unfinished (an account may leave the targets meanwhile). */
export function phaseDone(state: ReconcileState, accounts: string[]): boolean {
  const cursor = state.Cursor;
  return accounts.every(id => cursor !== undefined && id <= cursor) && !(state.Unfinished ?? []).some(id => accounts.includes(id));
}

/**
 * The unfinished accounts, then those after the cursor, `CONCURRENCY` at a time (`MEMBER_CONCURRENCY` with
 * the member footprint's `memberRole`), until all are done or the deadline passes; the cursor moves over
 * every account started (the few still throttled at the deadline are kept as unfinished, so that no
 * account is written twice and counted once). `onOutcome` hears each account done, for what the step's
 * metrics count.
 */
export async function accountsPhase(
  state: ReconcileState, invocation: Invocation, pacer: Pacer, memberRole: string | undefined,
  accounts: string[], desired: (accountId: string) => Desired | Promise<Desired>,
  deadline: number, watch: Watch, failsDeploy: (accountId: string) => boolean = () => true,
  onOutcome: (accountId: string, outcome: AccountOutcome['outcome']) => void = () => undefined,
): Promise<ReconcileState> {
  const unfinished = (state.Unfinished ?? []).filter(id => accounts.includes(id));
  const todo = [...unfinished, ...accounts.filter(id => state.Cursor === undefined || id > state.Cursor)];
  const results: Array<AccountOutcome | undefined> = new Array(todo.length);
  let next = 0;
  const worker = async () => {
    while (next < todo.length && Date.now() < deadline && watch.stillWanted()) {
      const index = next++;
      results[index] = await reconcileWith(invocation, pacer, todo[index], desired, watch, memberRole);
    }
  };
  await Promise.all(Array.from({ length: Math.min(memberRole ? MEMBER_CONCURRENCY : CONCURRENCY, todo.length) }, worker));

  let { Cursor: cursor, Counts: counts, Failures: failures, Skipped: skipped, Blocking: blocking, BlockingFailures: blockingFailures } = state;
  let phones = state.PhonesNotVerified;
  const left: string[] = [];
  const report: Array<{ account: string; outcome: string }> = [...state.LastStep ?? []];
  // Workers take the accounts in order, so those started are the first `next`, each with its outcome.
  for (let i = 0; i < next; i++) {
    const result = results[i]!;
    const accountId = todo[i];
    if (i >= unfinished.length) cursor = accountId;
    if (result.outcome === 'superseded' || result.outcome === 'unfinished') {
      left.push(accountId);
      continue;
    }
    onOutcome(accountId, result.outcome);
    const phone = 'phoneVerification' in result ? result.phoneVerification : undefined;
    if (phone) phones = (phones ?? 0) + 1;
    if (report.length < REPORTED) report.push({ account: accountId, outcome: result.outcome, ...(phone ? { phoneVerification: phone } : {}) });
    const reason = 'reason' in result ? result.reason : undefined;
    log({ setting: 'organization baseline', accountId, outcome: result.outcome, error: reason, phoneVerification: phone });
    if (result.outcome === 'failed') {
      counts = { ...counts, failed: counts.failed + 1 };
      if (failures.length < KEPT) failures = [...failures, { accountId, reason: result.reason }];
      if (blocking !== undefined && failsDeploy(accountId)) {
        blocking++;
        if ((blockingFailures ?? []).length < KEPT) blockingFailures = [...blockingFailures ?? [], { accountId, reason: result.reason }];
      }
    } else if (result.outcome === 'skipped') {
      counts = { ...counts, skipped: counts.skipped + 1 };
      if (skipped.length < KEPT) skipped = [...skipped, { accountId, reason: result.reason }];
    } else {
      counts = { ...counts, [result.outcome]: counts[result.outcome] + 1 };
    }
  }
  // Not started: kept as unfinished if they were (the cursor has not moved over them).
  left.push(...todo.slice(next, unfinished.length));
  const unfinishedNow = left.length ? left : undefined;
  return {
    ...state,
    Cursor: cursor,
    Unfinished: unfinishedNow,
    Counts: counts,
    Failures: failures,
    Skipped: skipped,
    LastStep: report,
    Blocking: blocking,
    BlockingFailures: blockingFailures,
    PhonesNotVerified: phones,
  };
}
