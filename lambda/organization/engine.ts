import {
  AlternateContactType,
  DeleteAlternateContactCommand,
  EnableRegionCommand,
  GetAlternateContactCommand,
  GetRegionOptStatusCommand,
  PutAlternateContactCommand,
} from '@aws-sdk/client-account';
import type { Invocation } from '../shared/clients';
import { errorName, failure, isTransient } from '../shared/errors';
import { log } from '../shared/log';
import { RateLimiter } from '../shared/rate-limiter';
import { resolveTarget, Target } from '../shared/target';

/*
 * The organization baseline's engine: one pass over many accounts, reading first and writing only what
 * differs, paced under the service's quotas, with a few accounts in flight at once. A pass stops taking
 * new accounts at its deadline, so the caller can continue in a later invocation.
 */

export interface Contact {
  readonly Name: string;
  readonly Title: string;
  readonly EmailAddress: string;
  readonly PhoneNumber: string;
}

export type Contacts = Partial<Record<AlternateContactType, Contact>>;

/** The declared baseline, as the construct serializes it. */
export interface Baseline {
  readonly alternateContacts: Contacts;
  readonly enabledRegions: string[];
  /** Per account, contacts that replace the baseline's of the same type. */
  readonly overrides: Record<string, Contacts>;
}

/** What a pass does to each account. */
export type Action = 'apply' | 'remove';

export type AccountResult =
  | { readonly outcome: 'applied' | 'unchanged' | 'pending' }
  | { readonly outcome: 'failed'; readonly reason: string };

export interface PassResult {
  /** The accounts done in this pass, in order; the pass went as far as the last one. */
  readonly done: Array<{ readonly accountId: string; readonly result: AccountResult }>;
  /** True when every account was done. */
  readonly finished: boolean;
}

/** Accounts in flight at once: enough to keep the paced calls busy, few enough to stop quickly. */
const CONCURRENCY = 8;

/**
 * Runs `action` on `accounts` (in order) until all are done or `deadline` (epoch ms) passes; accounts
 * started before the deadline are finished. Never throws for one account: its failure is its result.
 */
export async function runPass(invocation: Invocation, accounts: string[], baseline: Baseline, action: Action, deadline: number): Promise<PassResult> {
  const limiter = new RateLimiter();
  const results: Array<AccountResult | undefined> = new Array(accounts.length);
  let next = 0;
  const worker = async () => {
    while (next < accounts.length && Date.now() < deadline) {
      const index = next++;
      results[index] = await runAccount(invocation, accounts[index], baseline, action, limiter);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, accounts.length) }, worker));
  // Only the unbroken run of finished accounts counts as done: the next pass resumes after it.
  const done: PassResult['done'] = [];
  for (let i = 0; i < accounts.length && results[i]; i++) done.push({ accountId: accounts[i], result: results[i]! });
  return { done, finished: done.length === accounts.length };
}

export async function runAccount(
  invocation: Invocation, accountId: string, baseline: Baseline, action: Action, limiter: RateLimiter,
): Promise<AccountResult> {
  const target = resolveTarget(accountId, invocation.ownAccount);
  const contacts: Contacts = { ...baseline.alternateContacts, ...baseline.overrides[accountId] };
  let result: AccountResult;
  try {
    let writes = 0;
    let pending = false;
    for (const [type, contact] of Object.entries(contacts) as Array<[AlternateContactType, Contact]>) {
      const written = action === 'apply'
        ? await reconcileContact(invocation, target, type, contact, limiter)
        : await removeContact(invocation, target, type, limiter);
      if (written) writes++;
    }
    if (action === 'apply') {
      for (const regionName of baseline.enabledRegions) {
        const outcome = await enableRegion(invocation, target, regionName, limiter);
        if (outcome === 'requested') writes++;
        if (outcome === 'pending') pending = true;
      }
    }
    result = { outcome: pending ? 'pending' : writes > 0 ? 'applied' : 'unchanged' };
  } catch (error) {
    result = { outcome: 'failed', reason: (error as Error).message };
  }
  log({ setting: 'organization baseline', accountId, operation: action, outcome: result.outcome, error: result.outcome === 'failed' ? result.reason : undefined });
  return result;
}

/** Reads the contact and writes it only when it differs; true when written. */
async function reconcileContact(
  invocation: Invocation, target: Target, type: AlternateContactType, desired: Contact, limiter: RateLimiter,
): Promise<boolean> {
  const setting = `${type} alternate contact`;
  let current: Contact | undefined;
  try {
    await limiter.take('GetAlternateContact');
    current = (await invocation.account().send(new GetAlternateContactCommand({ AccountId: target.accountIdParameter, AlternateContactType: type })))
      .AlternateContact as Contact | undefined;
  } catch (error) {
    if (errorName(error) !== 'ResourceNotFoundException') throw failure('GetAlternateContact', setting, target, error);
  }
  if (current && (['Name', 'Title', 'EmailAddress', 'PhoneNumber'] as const).every(field => current![field] === desired[field])) return false;
  try {
    await limiter.take('PutAlternateContact');
    await invocation.account().send(new PutAlternateContactCommand({ AccountId: target.accountIdParameter, AlternateContactType: type, ...desired }));
  } catch (error) {
    throw failure('PutAlternateContact', setting, target, error);
  }
  return true;
}

async function removeContact(invocation: Invocation, target: Target, type: AlternateContactType, limiter: RateLimiter): Promise<boolean> {
  try {
    await limiter.take('DeleteAlternateContact');
    await invocation.account().send(new DeleteAlternateContactCommand({ AccountId: target.accountIdParameter, AlternateContactType: type }));
    return true;
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') return false;
    throw failure('DeleteAlternateContact', `${type} alternate contact`, target, error);
  }
}

/**
 * Requests the Region when it is DISABLED. 'pending' when it cannot be requested now (DISABLING, or the
 * 6-per-account / 20-per-organization limits): a later pass or the scheduled reconciliation requests it.
 */
async function enableRegion(invocation: Invocation, target: Target, regionName: string, limiter: RateLimiter): Promise<'requested' | 'unchanged' | 'pending'> {
  const setting = `Region ${regionName}`;
  let status: string | undefined;
  try {
    await limiter.take('GetRegionOptStatus');
    const input = { AccountId: target.accountIdParameter, RegionName: regionName };
    status = (await invocation.account().send(new GetRegionOptStatusCommand(input))).RegionOptStatus;
  } catch (error) {
    throw failure('GetRegionOptStatus', setting, target, error);
  }
  if (status === 'DISABLING') return 'pending';
  if (status !== 'DISABLED') return 'unchanged';
  try {
    await limiter.take('EnableRegion');
    await invocation.account(5_000).send(new EnableRegionCommand({ AccountId: target.accountIdParameter, RegionName: regionName }));
    return 'requested';
  } catch (error) {
    if (isTransient(error)) return 'pending';
    throw failure('EnableRegion', setting, target, error);
  }
}
