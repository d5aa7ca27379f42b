import { declaredTypes, Declarations, Desired, desiredFor } from './accounts';
import type { ReconcileState } from './state';
import { Applied, Generation, isNewer, Run, Store } from './store';
import type { ContactTypeName } from '../../src/contract';
import type { Invocation } from '../shared/clients';
import { isTargeted, resolveTargets } from '../shared/organizations';

/*
 * What a run works on (its accounts, fixed when it starts) and the store's record of what may have been
 * written, which pruneUndeclared deletes from.
 */

/** What one account of the generation should hold (or lose). */
export function desiredOf(accountId: string, generation: Generation, applied: Applied | undefined, declarations?: Declarations): Desired {
  if (generation.action === 'remove') {
    const declared = desiredFor(accountId, generation.baseline).contacts;
    return { contacts: {}, remove: declaredTypes(accountId, generation.baseline), removeIfHolds: declared, declarations };
  }
  return { ...desiredFor(accountId, generation.baseline, applied?.accounts.includes(accountId) ? typesOf(applied, accountId) : []), declarations };
}

export function typesOf(applied: Applied, accountId: string): ContactTypeName[] {
  return (applied.overrideTypes[accountId] ?? applied.types) as ContactTypeName[];
}

/**
 * What the execution works on: its one account, or the generation's targets, resolved when the run
 * starts (a scheduled run sees the accounts that joined or left since) and kept for its steps. Before
 * the run writes, what it may write joins the store's record of what may have been written, and the
 * record as it was is kept as what the run prunes: a generation superseded or failed part-way is
 * pruned by the next as surely as one that converged, and an account that joins while the run goes
 * on is not taken for one that left.
 */
export async function runOf(invocation: Invocation, store: Store, state: ReconcileState, generation: Generation): Promise<Run> {
  const account = state.Account;
  if (account) {
    const targeted = await isTargeted(invocation.organizations(), generation.targets, account);
    if (targeted && state.Steps === 0) await store.updateApplied(now => merged(now, appliedBy(generation, [account])));
    return { accounts: targeted ? [account] : [] };
  }
  const stored = await store.run(state.Run);
  if (stored) return stored;
  // The record is read before the targets are: an account that joins while they are listed (and that a
  // new-account run records) is not in it, so it is never taken for one that left.
  const before = await store.applied();
  const accounts = await resolveTargets(invocation.organizations(Infinity), generation.targets);
  const run = { accounts, before };
  // Recorded before the run is: a run found stored has recorded what it may write. Merged into the record
  // as it is when written, not as it was read: a new-account run may have recorded its account meanwhile.
  if (generation.action === 'apply') await store.updateApplied(now => merged(now, appliedBy(generation, accounts)));
  await store.putRun(state.Run, run);
  return run;
}

/** What a generation applies to `accounts`. */
function appliedBy(generation: Generation, accounts: string[]): Applied {
  return {
    generation: generation.generation,
    accounts,
    types: Object.keys(generation.baseline.alternateContacts).sort(),
    overrideTypes: Object.fromEntries(Object.keys(generation.baseline.overrides).map(id => [id, declaredTypes(id, generation.baseline)])),
  };
}

/**
 * Both records in one: every account of either, each with the types either has for it (an account
 * only one of them lists has only that one's); `b`'s types are the default, the others overrides. It
 * is named after the newer generation of the two: a superseded generation's finish can tell that a
 * newer one has recorded.
 */
function merged(a: Applied | undefined, b: Applied): Applied {
  if (!a) return b;
  const union = (x: string[], y: string[]) => [...new Set([...x, ...y])].sort();
  const accounts = union(a.accounts, b.accounts);
  const typesIn = (record: Applied, id: string) => (record.accounts.includes(id) ? typesOf(record, id) : []);
  const overrideTypes = Object.fromEntries(accounts
    .map(id => [id, union(typesIn(a, id), typesIn(b, id))] as const)
    .filter(([, types]) => types.join() !== b.types.join()));
  return { generation: isNewer(a.generation, b.generation) ? a.generation : b.generation, accounts, types: b.types, overrideTypes };
}

/**
 * What a converged generation leaves as the record, given the record as it is now: what it applied, and
 * the accounts that writers started during its run added (an account that joined the targets, with the
 * types written there). Nothing (undefined) once a newer generation has recorded: this one's accounts
 * are in that record already, and replacing it would drop the newer one's.
 */
export function convergedRecord(generation: Generation, run: Run, now: Applied | undefined): Applied | undefined {
  if (now && isNewer(now.generation, generation.generation)) return undefined;
  return withAddedSince(appliedBy(generation, run.accounts), run, now, generation.generation);
}

/**
 * What a rollback generation leaves as the record: what it was before the failed deploy's run widened
 * it, with the accounts that other runs added meanwhile; nothing once a newer generation has recorded.
 */
export function restoredRecord(generation: Generation, failedRun: Run & { before: Applied }, now: Applied | undefined): Applied | undefined {
  if (now && isNewer(now.generation, generation.generation)) return undefined;
  return withAddedSince(failedRun.before, failedRun, now, generation.generation);
}

/** `base` with the accounts of `now` that neither `run` nor the record it started from lists, named `generation`. */
function withAddedSince(base: Applied, run: Run, now: Applied | undefined, generation: string): Applied {
  const added = (now?.accounts ?? []).filter(id => !run.accounts.includes(id) && !run.before?.accounts.includes(id));
  if (!now || added.length === 0) return { ...base, generation };
  const overrideTypes = Object.fromEntries(added.map(id => [id, typesOf(now, id)]));
  return { ...merged({ generation, accounts: added, types: [], overrideTypes }, base), generation };
}
