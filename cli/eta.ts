import { duration } from './aws';
import type { Change } from './plan';
import { DOCUMENTED_QUOTAS } from '../lambda/shared/pacer';

/*
 * How long applying a plan takes at the Account Management quotas of the calling account: each
 * operation's calls at its documented rate (the operations have quotas of their own, and the reconciler
 * keeps them all busy at once, so the slowest sets the time), and Region transitions at the limits of
 * transitions in progress. An estimate, from the plan's changes alone: no call is made for it.
 */

/** The reference: "a few minutes for most accounts, but can sometimes take several hours"; 5 minutes is assumed. */
export const TRANSITION_SECONDS = 300;
/** Transitions in progress at once: per organization (the reference; the current quota page says 50) and per account. */
const ORGANIZATION_TRANSITIONS = 20;
const ACCOUNT_TRANSITIONS = 6;

export interface Eta {
  /** Seconds at the quotas. */
  readonly seconds: number;
  /** What sets the time: an operation's rate, or the Region transitions. */
  readonly boundBy: string;
  /** The calls the changes need, by operation (a read before each write, as the handlers make). */
  readonly calls: Readonly<Record<string, number>>;
  /** The transition time assumed. */
  readonly transitionSeconds: number;
}

/** What one change calls: its read (the handlers read before they write) and its write. */
function callsOf(change: Change): string[] {
  const contact = change.setting.endsWith(' alternate contact');
  const read = contact ? 'GetAlternateContact' : change.setting === 'primary contact' ? 'GetContactInformation'
    : change.setting === 'account name' ? 'GetAccountInformation' : 'GetRegionOptStatus';
  switch (change.action) {
    case 'write':
      return [read, contact ? 'PutAlternateContact' : change.setting === 'primary contact' ? 'PutContactInformation' : 'PutAccountName'];
    case 'delete':
      return [read, 'DeleteAlternateContact'];
    case 'enable':
      return [read, 'EnableRegion'];
    case 'disable':
      return [read, 'DisableRegion'];
    default:
      return [];
  }
}

/** The time the plan's changes take at the calling account's quotas, or undefined when nothing changes. */
export function etaOf(changes: Change[], transitionSeconds = TRANSITION_SECONDS): Eta | undefined {
  const calls: Record<string, number> = {};
  for (const change of changes) for (const operation of callsOf(change)) calls[operation] = (calls[operation] ?? 0) + 1;
  if (Object.keys(calls).length === 0) return undefined;
  let seconds = 0;
  let boundBy = '';
  for (const [operation, n] of Object.entries(calls)) {
    const rate = DOCUMENTED_QUOTAS[operation]?.rate ?? 1;
    if (n / rate > seconds) {
      seconds = n / rate;
      boundBy = `${operation} at ${rate} per second`;
    }
  }
  // Transitions: the organization's limit, and each account's, in rounds of one transition time.
  const transitions = changes.filter(c => c.action === 'enable' || c.action === 'disable');
  const perAccount = new Map<string, number>();
  for (const t of transitions) perAccount.set(t.account, (perAccount.get(t.account) ?? 0) + 1);
  const accountRounds = [...perAccount.values()].map(n => Math.ceil(n / ACCOUNT_TRANSITIONS));
  const rounds = Math.max(Math.ceil(transitions.length / ORGANIZATION_TRANSITIONS), ...accountRounds);
  if (transitions.length && rounds * transitionSeconds > seconds) {
    seconds = rounds * transitionSeconds;
    boundBy = `Region transitions: ${ORGANIZATION_TRANSITIONS} in progress per organization, ${ACCOUNT_TRANSITIONS} per account, `
      + `${duration(transitionSeconds * 1000)} each`;
  }
  return { seconds: Math.round(seconds), boundBy, calls, transitionSeconds };
}

/** "Applying these changes takes about 10m at the quotas (bound by …)". */
export function etaText(eta: Eta): string {
  return `applying these changes takes about ${duration(eta.seconds * 1000)} at the calling account's Account Management quotas `
    + `(bound by ${eta.boundBy})`;
}
