import {
  AccountClient,
  AlternateContactType,
  GetAccountInformationCommand,
  GetAlternateContactCommand,
  GetContactInformationCommand,
} from '@aws-sdk/client-account';
import type { Generation } from './store';
import type {
  AlternateContactFields, AlternateContactsByType, BaselineDocument, ContactTypeName, PrimaryContactFields,
} from '../../src/contract';
import {
  CONTACT_FIELDS, deleteAlternateContact, departure, departureReason, getAlternateContact, holdsContact, holdsPrimaryContact, notFoundAsUndefined,
  putAccountName, putAlternateContact, putContactInformation,
} from '../shared/account-api';
import type { Invocation } from '../shared/clients';
import { StackDeclarations } from '../shared/declarations';
import { errorName, failure, isThrottling } from '../shared/errors';
import { log } from '../shared/log';
import { forgetMemberSession, memberSession, refusedMember } from '../shared/member-sessions';
import { NoLongerWanted, Pacer } from '../shared/pacer';
import type { Answer } from '../shared/stack';
import { resolveTarget, Target } from '../shared/target';

/*
 * What the reconciler does to one account: delete the contact types it no longer declares there
 * (pruneUndeclared, or the whole baseline removed), read each declared setting, and write only what
 * differs. Every call is paced: from the management account by the step's pacer, as a member (through
 * the member footprint's role) by a pacer of the member's own.
 */

/** What one account of a generation should hold. */
export interface Desired {
  readonly contacts: AlternateContactsByType;
  readonly primaryContact?: PrimaryContactFields;
  readonly accountName?: string;
  /** Contact types to delete: declared before, not now. */
  readonly remove: ContactTypeName[];
  /** The values a removed baseline declared: a contact is deleted only while it still holds them. */
  readonly removeIfHolds?: AlternateContactsByType;
  /** What the stack's other resources declare, asked before each delete; absent when nothing is to be deleted. */
  readonly declarations?: Declarations;
  /** Keeps what the account holds before the first write (a deploy's generation: its rollback restores it). */
  readonly keepPrior?: (prior: Prior) => Promise<void>;
}

/**
 * What the other resources of the baseline's stack declare: a contact that moved to another construct
 * stays. Not known (an older generation, or the stack could not be read): nothing is deleted.
 */
export type Declarations = Answer<StackDeclarations>;

/** The declarations of the generation's stack but its own baseline's, each baseline's targets listed once. */
export async function declarationsOf(invocation: Invocation, generation: Generation): Promise<Declarations> {
  if (!generation.stack) return { known: false, why: `generation ${generation.generation} does not name its stack (an earlier version made it); deploy again` };
  return StackDeclarations.read(invocation, generation.stack.stackId, { LogicalResourceId: generation.stack.logicalId }, { resolveTargets: true });
}

export type AccountOutcome =
  /** `phoneVerification`: the primary contact's phone, as GetContactInformation said before any write, when it is not VERIFIED. */
  | { readonly outcome: 'applied' | 'unchanged'; readonly phoneVerification?: string }
  /** A newer generation superseded this one before the account was done. */
  | { readonly outcome: 'superseded' }
  /** Still throttled when the step's time was up: the next step does it again. */
  | { readonly outcome: 'unfinished' }
  /** The account left the organization, or is closed: nothing to do, reported. */
  | { readonly outcome: 'skipped'; readonly reason: string }
  | { readonly outcome: 'failed'; readonly reason: string };

/** The baseline merged with the account's override; `remove` are contact types to delete if no longer declared. */
export function desiredFor(accountId: string, baseline: BaselineDocument, remove: ContactTypeName[] = []): Desired {
  const override = baseline.overrides[accountId] ?? {};
  const contacts = { ...baseline.alternateContacts, ...override.alternateContacts };
  return {
    contacts,
    primaryContact: override.primaryContact ?? baseline.primaryContact,
    accountName: override.accountName,
    remove: remove.filter(type => !(type in contacts)),
  };
}

/** The contact types a baseline declares for an account. */
export function declaredTypes(accountId: string, baseline: BaselineDocument): ContactTypeName[] {
  return Object.keys(desiredFor(accountId, baseline).contacts).sort() as ContactTypeName[];
}

/** What an account held before a deploy's generation wrote to it (null: nothing), so that a rollback can restore it. */
export interface Prior {
  readonly contacts: Partial<Record<ContactTypeName, AlternateContactFields | null>>;
  readonly primaryContact?: PrimaryContactFields | null;
  readonly accountName?: string;
}

interface Write {
  readonly operation: string;
  readonly setting: string;
  run(): Promise<unknown>;
}

/** How an account's calls are made: from the management account (naming the account), or as the member itself. */
interface Route {
  readonly client: AccountClient;
  readonly target: Target;
  readonly pacer: Pacer;
  /** The member's role, when the calls are the member's own. */
  readonly memberRole?: string;
}

/**
 * What the Account API answers a member's session that may not make the call (the role lacks the action, a
 * service control policy denies it), or whose session has ended (expired or revoked before its time).
 */
const MEMBER_REFUSALS = ['AccessDeniedException'];
const SESSION_ENDED = ['ExpiredTokenException', 'UnrecognizedClientException', 'InvalidClientTokenId'];

/**
 * Brings one account to `desired`; never throws. Everything is read first; what is about to change is
 * kept (`keepPrior`) before the first write; each write is made only if `stillWanted()` says so first.
 * With `memberRole`, a member account reached through its role is called as itself (its own quotas, paced
 * on its own); the management account, and a member whose role is not there or refuses, are called from
 * the management account.
 */
export async function reconcileAccount(
  invocation: Invocation, pacer: Pacer, accountId: string, desired: Desired, stillWanted: () => Promise<boolean>, memberRole?: string,
): Promise<AccountOutcome> {
  const management: Route = { client: invocation.pacedAccount(), target: resolveTarget(accountId, invocation.ownAccount), pacer };
  // Only a member's route answers `refused`.
  const fromManagement = () => reconcileThrough(invocation, management, accountId, desired, stillWanted) as Promise<AccountOutcome>;
  if (!memberRole || accountId === invocation.ownAccount) return fromManagement();
  // A session that ended early (its expiry is the service's to tell) is asked for once more.
  for (let attempt = 1; ; attempt++) {
    // STS still throttling at the step's deadline: the next step does the account, as a member if it can.
    const session = await memberSession(invocation, accountId, memberRole, pacer).catch(() => null);
    if (session === null) return { outcome: 'unfinished' };
    if (!session) return fromManagement();
    // The member's throttling is handed back to a pacer of its own, which asks `stillWanted` before each attempt as the step's does.
    const memberPacer = new Pacer(pacer.deadline);
    const route: Route = {
      client: invocation.memberAccount(session, { retryThrottling: false }),
      target: resolveTarget(accountId, accountId),
      pacer: memberPacer,
      memberRole,
    };
    const outcome = await reconcileThrough(invocation, route, accountId, desired, stillWanted);
    pacer.stats.calls += memberPacer.stats.calls;
    pacer.stats.throttled += memberPacer.stats.throttled;
    if (!('refused' in outcome)) return outcome;
    if (SESSION_ENDED.includes(outcome.code) && attempt === 1) {
      forgetMemberSession(invocation, accountId, memberRole);
      continue;
    }
    // Reads and writes again what differs: what the member's session wrote is read back as done, and the prior kept first stays.
    refusedMember(invocation, accountId, memberRole, `the Account API refused the role's session (${outcome.operation}: ${outcome.code})`);
    return fromManagement();
  }
}

async function reconcileThrough(
  invocation: Invocation, route: Route, accountId: string, desired: Desired, stillWanted: () => Promise<boolean>,
): Promise<AccountOutcome | { readonly refused: true; readonly operation: string; readonly code: string }> {
  const { client, target, pacer } = route;
  const input = { AccountId: target.accountIdParameter };
  const writes: Write[] = [];
  const prior: { -readonly [K in keyof Prior]: Prior[K] } = { contacts: {} };
  let step = { operation: '', setting: 'account' };
  let phone: string | undefined;
  const read = <T>(operation: string, setting: string, call: () => Promise<T>) => {
    step = { operation, setting };
    return pacer.call(operation, call);
  };
  try {
    for (const type of desired.remove) {
      const setting = `${type} alternate contact`;
      const kept = await keptBy(desired.declarations, accountId, type);
      if (kept) {
        log({ setting, accountId, outcome: `left in place: ${kept}` });
        continue;
      }
      const current = await read('GetAlternateContact', setting, () => getAlternateContact(client, target, type as AlternateContactType));
      if (!current) continue;
      const values = desired.removeIfHolds?.[type];
      if (values && !holdsContact(current, values)) {
        log({ setting, accountId, outcome: 'left in place: it no longer holds the values this baseline declared (changed by hand or by another stack)' });
        continue;
      }
      prior.contacts[type] = fieldsOf(current);
      writes.push({ operation: 'DeleteAlternateContact', setting, run: () => deleteAlternateContact(client, target, type as AlternateContactType) });
    }
    for (const [type, contact] of Object.entries(desired.contacts) as Array<[ContactTypeName, AlternateContactFields]>) {
      const setting = `${type} alternate contact`;
      const current = await read('GetAlternateContact', setting, () => client.send(new GetAlternateContactCommand({ ...input, AlternateContactType: type }))
        .then(answer => answer.AlternateContact, notFoundAsUndefined));
      if (holdsContact(current, contact)) continue;
      prior.contacts[type] = current ? fieldsOf(current) : null;
      writes.push({ operation: 'PutAlternateContact', setting, run: () => putAlternateContact(client, target, type as AlternateContactType, contact) });
    }
    if (desired.primaryContact) {
      const primary = desired.primaryContact;
      const current = await read('GetContactInformation', 'primary contact', () => client.send(new GetContactInformationCommand(input))
        .then(answer => {
          phone = answer.VerificationStatus;
          return answer.ContactInformation;
        }, notFoundAsUndefined));
      if (!holdsPrimaryContact(current as Partial<PrimaryContactFields> | undefined, primary)) {
        prior.primaryContact = (current as PrimaryContactFields | undefined) ?? null;
        writes.push({ operation: 'PutContactInformation', setting: 'primary contact', run: () => putContactInformation(client, target, primary) });
      }
    }
    if (desired.accountName !== undefined) {
      const name = desired.accountName;
      const current = await read('GetAccountInformation', 'account name', () => client.send(new GetAccountInformationCommand(input)));
      if (current.AccountName !== name) {
        prior.accountName = current.AccountName;
        writes.push({ operation: 'PutAccountName', setting: 'account name', run: () => putAccountName(client, target, name) });
      }
    }
    if (writes.length > 0 && desired.keepPrior) {
      step = { operation: 's3:PutObject', setting: 'record of what the account held' };
      await desired.keepPrior(prior);
    }
    let written = 0;
    for (const write of writes) {
      step = write;
      if (await pacer.call(write.operation, () => write.run(), { stillWanted }) !== 'already gone') written++;
    }
    // Said where it helps: a phone that is not verified (the account's root user verifies it in the console).
    return { outcome: written > 0 ? 'applied' : 'unchanged', ...(phone && phone !== 'VERIFIED' ? { phoneVerification: phone } : {}) };
  } catch (error) {
    if (error instanceof NoLongerWanted) return { outcome: 'superseded' };
    if (isThrottling(error)) return { outcome: 'unfinished' };
    const member = route.memberRole !== undefined && step.operation !== 's3:PutObject';
    const code = errorName(error) ?? '';
    if (member && [...MEMBER_REFUSALS, ...SESSION_ENDED].includes(code)) return { refused: true, operation: step.operation, code };
    // Whether the account left the organization is asked from the management account, whichever way it was called.
    const gone = await departure(invocation, resolveTarget(accountId, invocation.ownAccount), error).catch(() => undefined);
    if (gone) return { outcome: 'skipped', reason: departureReason(gone) };
    const reason = failure(step.operation, step.setting, target, error).message;
    return { outcome: 'failed', reason: member ? `${reason} (called as the account itself, through its role ${route.memberRole})` : reason };
  }
}

function fieldsOf(contact: Partial<AlternateContactFields>): AlternateContactFields {
  return Object.fromEntries(CONTACT_FIELDS.map(field => [field, contact[field] ?? ''])) as unknown as AlternateContactFields;
}

/** Why a contact type is not deleted although the generation would: another resource of the stack declares it, or that cannot be told. */
async function keptBy(declarations: Declarations | undefined, accountId: string, type: ContactTypeName): Promise<string | undefined> {
  if (!declarations) return 'cannot tell whether another resource of the stack declares it (the generation does not name its stack; deploy again)';
  const claimant = declarations.known ? await declarations.value.declarer({ accountId, contactType: type }) : declarations;
  if (!claimant.known) return `cannot tell whether another resource of the stack declares it (${claimant.why})`;
  return claimant.value ? `now declared by ${claimant.value}` : undefined;
}

