import {
  AccountClient,
  AlternateContactType,
  DeleteAlternateContactCommand,
  DisableRegionCommand,
  EnableRegionCommand,
  GetAccountInformationCommand,
  GetAlternateContactCommand,
  GetRegionOptStatusCommand,
  PutAccountNameCommand,
  PutAlternateContactCommand,
  PutContactInformationCommand,
  RegionOptStatus,
} from '@aws-sdk/client-account';
import type { Invocation } from './clients';
import { describe, errorName, failure, isTransient, ServiceError } from './errors';
import { log } from './log';
import { Membership, membershipOf } from './organizations';
import { Target } from './target';
import type { AccountNameProperties, AlternateContactFields, PrimaryContactFields } from '../../src/contract';

/*
 * The Account Management operations the handlers make, each with what its answers mean: "already gone"
 * is done, an account that left the organization is named as such, a Region request refused for the
 * service's in-progress limits is asked again later.
 */

export async function putAlternateContact(
  client: AccountClient, target: Target, type: AlternateContactType, fields: AlternateContactFields,
): Promise<void> {
  await client.send(new PutAlternateContactCommand({ AccountId: target.accountIdParameter, AlternateContactType: type, ...fields }));
}

/** Deletes the contact; 'already gone' when the account has none of that type. */
export async function deleteAlternateContact(client: AccountClient, target: Target, type: AlternateContactType): Promise<'deleted' | 'already gone'> {
  try {
    await client.send(new DeleteAlternateContactCommand({ AccountId: target.accountIdParameter, AlternateContactType: type }));
    return 'deleted';
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') return 'already gone';
    throw error;
  }
}

/** An alternate contact's fields, as the API names them. */
export const CONTACT_FIELDS: Array<keyof AlternateContactFields> = ['Name', 'Title', 'EmailAddress', 'PhoneNumber'];

/** The primary contact's fields, as PutContactInformation names them. */
export const PRIMARY_FIELDS: Array<keyof PrimaryContactFields> = [
  'FullName', 'AddressLine1', 'AddressLine2', 'AddressLine3', 'City', 'CompanyName', 'CountryCode', 'DistrictOrCounty',
  'PhoneNumber', 'PostalCode', 'StateOrRegion', 'WebsiteUrl',
];

/** Whether what the API holds has exactly these values in `fields` (an empty field is an absent one). */
function holds<T extends object>(fields: Array<keyof T>, current: Partial<T> | undefined, desired: Partial<T>): boolean {
  return current !== undefined && fields.every(field => (current[field] || undefined) === (desired[field] || undefined));
}

/** Whether a contact read from the API holds exactly these values. */
export function holdsContact(current: Partial<AlternateContactFields> | undefined, fields: AlternateContactFields): boolean {
  return holds(CONTACT_FIELDS, current, fields);
}

/** Whether a primary contact read from the API holds exactly these values. */
export function holdsPrimaryContact(current: Partial<PrimaryContactFields> | undefined, fields: Partial<PrimaryContactFields>): boolean {
  return holds(PRIMARY_FIELDS, current, fields);
}

/** A read's answer when the setting was never set (ResourceNotFoundException): undefined; other errors are thrown. */
export function notFoundAsUndefined(error: unknown): undefined {
  if (errorName(error) === 'ResourceNotFoundException') return undefined;
  throw error;
}

/**
 * Deletes the contact only while it holds `fields`, the values the caller declared: one changed since (by
 * hand, or by another stack that now declares it) is 'changed', and left.
 */
export async function deleteAlternateContactIfHolds(
  client: AccountClient, target: Target, type: AlternateContactType, fields: AlternateContactFields,
): Promise<'deleted' | 'already gone' | 'changed'> {
  const current = await getAlternateContact(client, target, type);
  if (current === undefined) return 'already gone';
  if (!holdsContact(current, fields)) return 'changed';
  return deleteAlternateContact(client, target, type);
}

/** The contact of that type, undefined when the account has none. */
export async function getAlternateContact(
  client: AccountClient, target: Target, type: AlternateContactType,
): Promise<Partial<AlternateContactFields> | undefined> {
  try {
    return (await client.send(new GetAlternateContactCommand({ AccountId: target.accountIdParameter, AlternateContactType: type }))).AlternateContact;
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

export async function putContactInformation(client: AccountClient, target: Target, fields: PrimaryContactFields): Promise<void> {
  await client.send(new PutContactInformationCommand({ AccountId: target.accountIdParameter, ContactInformation: { ...fields } }));
}

export async function putAccountName(client: AccountClient, target: Target, name: AccountNameProperties['AccountName']): Promise<void> {
  await client.send(new PutAccountNameCommand({ AccountId: target.accountIdParameter, AccountName: name }));
}

/**
 * For a call refused in organizations mode: whether the account is still a member of the organization
 * (an account that left it, or was closed, is refused with AccessDeniedException, which says nothing
 * of why), and, for a member that refuses, whether its AccountState is suspended or not yet active.
 * Undefined in standalone mode, for other errors, and when neither Organizations nor the account can tell.
 */
export async function departure(invocation: Invocation, target: Target, error: unknown): Promise<Departure | undefined> {
  if (!target.organizationsMode || isTransient(error) || !['AccessDeniedException', 'ResourceNotFoundException'].includes(errorName(error) ?? '')) return undefined;
  const membership = await membershipOf(invocation.organizations(), target.accountId);
  if (membership !== 'member') return membership;
  // An active member that refuses: its own AccountState may say why (suspended, not yet activated).
  return errorName(error) === 'AccessDeniedException' ? accountStateOf(invocation, target) : undefined;
}

/** Why an account cannot be written: it left the organization, or its state (Organizations', or its AccountState) says so. */
export type Departure = Exclude<Membership, 'member'> | 'suspended' | 'pending activation';

/** How long the AccountState read may take (GetAccountInformation allows 1 call a second). */
const STATE_WITHIN_MS = 10_000;

/** GetAccountInformation's AccountState, when it says that the account cannot be written; undefined when it is ACTIVE or cannot be read. */
export async function accountStateOf(invocation: Invocation, target: Target): Promise<Departure | undefined> {
  try {
    const answer = await invocation.account(STATE_WITHIN_MS).send(new GetAccountInformationCommand({ AccountId: target.accountIdParameter }));
    return departureOfState(answer.AccountState);
  } catch {
    return undefined;
  }
}

/** The departure an AccountState means, if any. */
export function departureOfState(state: string | undefined): Departure | undefined {
  return ({ SUSPENDED: 'suspended', PENDING_ACTIVATION: 'pending activation', CLOSED: 'closed' } as Record<string, Departure>)[state ?? ''];
}

/** Why an account is skipped, as the reconciler's outcome, its events and the CLI say it: not a failure. */
export function departureReason(gone: Departure): string {
  switch (gone) {
    case 'closed':
      return 'the account is closed';
    case 'suspended':
      return 'the account is suspended (AccountState SUSPENDED): nothing can be written until AWS reinstates it';
    case 'pending activation':
      return 'the account is not activated yet (AccountState PENDING_ACTIVATION): a later run writes it once it is';
    default:
      return 'the account is not a member of the organization';
  }
}

/** A failure that says plainly when the account is no longer a member of the organization, or is closed. */
export async function explainedFailure(invocation: Invocation, operation: string, setting: string, target: Target, error: unknown): Promise<Error> {
  const gone = await departure(invocation, target, error);
  if (!gone) return failure(operation, setting, target, error);
  const why = gone === 'closed' ? 'is closed (SUSPENDED in AWS Organizations)'
    : gone === 'not a member' ? 'is not a member of the organization (it left, was removed, or never joined)'
      : departureReason(gone).replace(/^the account is /, 'is ');
  return new Error(`${operation} for the ${setting} of account ${target.accountId} (organizations mode) failed: account ${target.accountId} ${why}; `
    + `remove the setting, or the account from accountId. The service answered ${errorName(error) ?? 'Error'}`);
}

/** What a Region step asks for: enabled or disabled. */
export type RegionGoal = 'ENABLED' | 'DISABLED';

/** The outcome of one Region step. */
export interface RegionStep {
  /** The status after the step; undefined when it could not be read for a transient reason. */
  readonly status: RegionOptStatus | undefined;
  /** The transition this step requested, if any. */
  readonly requested?: 'EnableRegion' | 'DisableRegion';
  /** Why a request that was due was not made (the service's in-progress limits, a conflict, or `mayRequest`). */
  readonly deferred?: string;
}

/** Region requests give up quickly: the in-progress limits refuse them for minutes, so the next step asks again. */
const REGION_REQUEST_WITHIN_MS = 5_000;
/** A status read retries for longer, but not for the whole invocation: the next step reads again. */
const REGION_READ_WITHIN_MS = 30_000;

/**
 * One step towards `goal`: read the status and, when it allows and `mayRequest()` agrees, request the
 * transition. ENABLING / DISABLING are waited on, never asked again; a Region DISABLING is enabled once
 * it is DISABLED (the service refuses earlier with ConflictException). Transient errors (throttling, the
 * in-progress limits, 5xx, network) leave the step for the next one; real errors are thrown at once.
 */
export async function regionStep(
  invocation: Invocation, target: Target, regionName: string, goal: RegionGoal, mayRequest: () => Promise<string | undefined>,
): Promise<RegionStep> {
  const setting = `Region ${regionName}`;
  const input = { AccountId: target.accountIdParameter, RegionName: regionName };
  let status: RegionOptStatus | undefined;
  try {
    status = (await invocation.account(REGION_READ_WITHIN_MS).send(new GetRegionOptStatusCommand(input))).RegionOptStatus;
  } catch (error) {
    if (isTransient(error)) return { status: undefined, deferred: `GetRegionOptStatus failed for now (${describe(error as ServiceError)})` };
    throw await explainedFailure(invocation, 'GetRegionOptStatus', setting, target, error);
  }

  const from = goal === 'ENABLED' ? 'DISABLED' : 'ENABLED';
  if (status !== from) return { status }; // done, in progress, or the opposite transition to wait for

  const refusal = await mayRequest();
  if (refusal) return { status, deferred: refusal };
  const operation = goal === 'ENABLED' ? 'EnableRegion' : 'DisableRegion';
  try {
    const client = invocation.account(REGION_REQUEST_WITHIN_MS);
    if (goal === 'ENABLED') await client.send(new EnableRegionCommand(input));
    else await client.send(new DisableRegionCommand(input));
  } catch (error) {
    // TooManyRequestsException is both the rate quota and the in-progress limits (whose size the
    // service's answer tells, not this code); ConflictException, a transition that started since the read.
    if (!isTransient(error) && errorName(error) !== 'ConflictException') throw await explainedFailure(invocation, operation, setting, target, error);
    log({ setting, accountId: target.accountId, operation, outcome: 'deferred to the next poll', error: errorName(error) });
    return { status, deferred: `${operation} refused for now (${describe(error as ServiceError)})` };
  }
  log({ setting, accountId: target.accountId, operation, outcome: 'requested' });
  return { status: goal === 'ENABLED' ? 'ENABLING' : 'DISABLING', requested: operation };
}
