import {
  AlternateContactType,
  GetAccountInformationCommand,
  GetAlternateContactCommand,
  GetContactInformationCommand,
} from '@aws-sdk/client-account';
import type {
  AlternateContactFields, AlternateContactsByType, BaselineDocument, ContactTypeName, PrimaryContactFields,
} from '../../src/contract';
import {
  deleteAlternateContact, departure, getAlternateContact, holdsContact, putAccountName, putAlternateContact, putContactInformation,
} from '../shared/account-api';
import type { Invocation } from '../shared/clients';
import type { Generation } from './store';
import { StackDeclarations } from '../shared/declarations';
import type { Answer } from '../shared/stack';
import { errorName, failure, isThrottling } from '../shared/errors';
import { log } from '../shared/log';
import { NoLongerWanted, Pacer } from '../shared/pacer';
import { resolveTarget } from '../shared/target';

/*
 * What the reconciler does to one account: delete the contact types it no longer declares there
 * (pruneUndeclared, or the whole baseline removed), read each declared setting, and write only what
 * differs. Every call is paced.
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
  | { readonly outcome: 'applied' | 'unchanged' }
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

const CONTACT_FIELDS: Array<keyof AlternateContactFields> = ['Name', 'Title', 'EmailAddress', 'PhoneNumber'];
const PRIMARY_FIELDS: Array<keyof PrimaryContactFields> = [
  'FullName', 'AddressLine1', 'AddressLine2', 'AddressLine3', 'City', 'CompanyName', 'CountryCode', 'DistrictOrCounty',
  'PhoneNumber', 'PostalCode', 'StateOrRegion', 'WebsiteUrl',
];

function same<T extends object>(fields: Array<keyof T>, current: Partial<T> | undefined, desired: T): boolean {
  return current !== undefined && fields.every(field => (current[field] || undefined) === (desired[field] || undefined));
}

/** Brings one account to `desired`; never throws. A write is made only if `stillWanted()` says so first. */
export async function reconcileAccount(
  invocation: Invocation, pacer: Pacer, accountId: string, desired: Desired, stillWanted: () => Promise<boolean>,
): Promise<AccountOutcome> {
  const target = resolveTarget(accountId, invocation.ownAccount);
  const client = invocation.pacedAccount();
  const input = { AccountId: target.accountIdParameter };
  const write = { stillWanted };
  let writes = 0;
  let step = { operation: '', setting: 'account' };
  try {
    for (const type of desired.remove) {
      step = { operation: 'DeleteAlternateContact', setting: `${type} alternate contact` };
      const kept = await keptBy(desired.declarations, accountId, type);
      if (kept) {
        log({ setting: step.setting, accountId, outcome: `left in place: ${kept}` });
        continue;
      }
      const values = desired.removeIfHolds?.[type];
      if (values) {
        step = { operation: 'GetAlternateContact', setting: `${type} alternate contact` };
        const current = await pacer.call(step.operation, () => getAlternateContact(client, target, type as AlternateContactType));
        if (!holdsContact(current, values)) {
          if (current) log({ setting: step.setting, accountId, outcome: 'left in place: it no longer holds the values this baseline declared (changed by hand or by another stack)' });
          continue;
        }
        step = { operation: 'DeleteAlternateContact', setting: `${type} alternate contact` };
      }
      if (await pacer.call(step.operation, () => deleteAlternateContact(client, target, type as AlternateContactType), write) === 'deleted') writes++;
    }
    for (const [type, contact] of Object.entries(desired.contacts) as Array<[ContactTypeName, AlternateContactFields]>) {
      step = { operation: 'GetAlternateContact', setting: `${type} alternate contact` };
      const current = await pacer.call(step.operation, () => client.send(new GetAlternateContactCommand({ ...input, AlternateContactType: type }))
        .then(answer => answer.AlternateContact, notFoundAsUndefined));
      if (same(CONTACT_FIELDS, current, contact)) continue;
      step = { operation: 'PutAlternateContact', setting: `${type} alternate contact` };
      await pacer.call(step.operation, () => putAlternateContact(client, target, type as AlternateContactType, contact), write);
      writes++;
    }
    if (desired.primaryContact) {
      const primary = desired.primaryContact;
      step = { operation: 'GetContactInformation', setting: 'primary contact' };
      const current = await pacer.call(step.operation, () => client.send(new GetContactInformationCommand(input))
        .then(answer => answer.ContactInformation, notFoundAsUndefined));
      if (!same(PRIMARY_FIELDS, current as Partial<PrimaryContactFields> | undefined, primary)) {
        step = { operation: 'PutContactInformation', setting: 'primary contact' };
        await pacer.call(step.operation, () => putContactInformation(client, target, primary), write);
        writes++;
      }
    }
    if (desired.accountName !== undefined) {
      const name = desired.accountName;
      step = { operation: 'GetAccountInformation', setting: 'account name' };
      const current = await pacer.call(step.operation, () => client.send(new GetAccountInformationCommand(input)));
      if (current.AccountName !== name) {
        step = { operation: 'PutAccountName', setting: 'account name' };
        await pacer.call(step.operation, () => putAccountName(client, target, name), write);
        writes++;
      }
    }
    return { outcome: writes > 0 ? 'applied' : 'unchanged' };
  } catch (error) {
    if (error instanceof NoLongerWanted) return { outcome: 'superseded' };
    if (isThrottling(error)) return { outcome: 'unfinished' };
    const gone = await departure(invocation, target, error).catch(() => undefined);
    if (gone) return { outcome: 'skipped', reason: gone === 'closed' ? 'the account is closed' : 'the account is not a member of the organization' };
    return { outcome: 'failed', reason: failure(step.operation, step.setting, target, error).message };
  }
}

/** Why a contact type is not deleted although the generation would: another resource of the stack declares it, or that cannot be told. */
async function keptBy(declarations: Declarations | undefined, accountId: string, type: ContactTypeName): Promise<string | undefined> {
  if (!declarations) return 'cannot tell whether another resource of the stack declares it (the generation does not name its stack; deploy again)';
  const claimant = declarations.known ? await declarations.value.declarer({ accountId, contactType: type }) : declarations;
  if (!claimant.known) return `cannot tell whether another resource of the stack declares it (${claimant.why})`;
  return claimant.value ? `now declared by ${claimant.value}` : undefined;
}

function notFoundAsUndefined(error: unknown): undefined {
  if (errorName(error) === 'ResourceNotFoundException') return undefined;
  throw error;
}
