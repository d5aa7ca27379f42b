import { Desired, desiredFor, Prior } from './accounts';
import type { ReconcileState } from './state';
import type { Generation, Store } from './store';
import type { ContactTypeName } from '../../src/contract';

/*
 * A rollback's run puts back what each account held before the failed deploy's generation wrote to it
 * (kept in the store before the first write): a value it overwrote gets its earlier value back, a contact
 * it created is deleted (while it still holds what that generation declared). Accounts that generation
 * did not write to get what the rollback's declaration says, as any run does.
 */

/** What one account should hold after the rollback of `failed`, given what it held before `failed` wrote to it. */
export function restored(desired: Desired, prior: Prior, failed: Generation, accountId: string): Desired {
  const contacts = { ...desired.contacts };
  const remove = new Set(desired.remove);
  const removeIfHolds = { ...desired.removeIfHolds };
  const written = desiredFor(accountId, failed.baseline).contacts;
  for (const [type, value] of Object.entries(prior.contacts) as Array<[ContactTypeName, typeof prior.contacts[ContactTypeName]]>) {
    if (value) {
      contacts[type] = value;
      remove.delete(type);
    } else if (written[type]) {
      delete contacts[type];
      remove.add(type);
      removeIfHolds[type] = written[type];
    }
  }
  return {
    ...desired,
    contacts,
    remove: [...remove],
    removeIfHolds,
    primaryContact: prior.primaryContact ?? desired.primaryContact,
    accountName: prior.accountName ?? desired.accountName,
  };
}

/** The failed deploy's generation that a rollback's run restores from, and the accounts it wrote to. */
export interface Restoring {
  readonly failed: Generation;
  readonly accounts: Set<string>;
}

/** What the run restores from: only a rollback's run (`RestoreFrom`), once a step. */
export async function restoringOf(store: Store, state: ReconcileState): Promise<Restoring | undefined> {
  if (!state.RestoreFrom) return undefined;
  const failed = await store.generation(state.RestoreFrom);
  return failed ? { failed, accounts: await store.priorAccounts(state.RestoreFrom) } : undefined;
}

/**
 * `desired` with the priors of the run: a rollback's run puts back what the account held; a deploy's run
 * keeps what it holds before writing.
 */
export async function withPriors(
  store: Store, state: ReconcileState, restoring: Restoring | undefined, accountId: string, desired: Desired,
): Promise<Desired> {
  let result = desired;
  if (restoring?.accounts.has(accountId)) {
    const prior = await store.prior(restoring.failed.generation, accountId);
    if (prior) result = restored(desired, prior, restoring.failed, accountId);
  }
  if (state.KeepPriors) result = { ...result, keepPrior: prior => store.keepPrior(state.Generation, accountId, prior) };
  return result;
}
