import type { Invocation } from './clients';
import { log } from './log';
import { putEvent } from './put-event';
import { BASELINE_EVENTS, ContactTypeName, HAND_CHANGE_EVENT_NAMES } from '../../src/contract';

/*
 * A hand change: an Account Management write that CloudTrail recorded and EventBridge delivered. Only ids
 * are read from the record (it may hold the values the caller wrote, which are never logged); what it says
 * is a cue, not a fact: the handlers act only where their stack opted in, read the account before they
 * write, and write only what their stack declares, so a forged record can at most put back a declared value.
 */

/** The setting a write changed. */
export type ChangedSetting =
  | { readonly kind: 'alternate contact'; readonly contactType: ContactTypeName }
  | { readonly kind: 'primary contact' }
  | { readonly kind: 'account name' };

export interface HandChange {
  readonly accountId: string;
  readonly setting: ChangedSetting;
  /** Who made it, as the record names them (an ARN), or "unknown". */
  readonly actor: string;
  readonly eventName: string;
  /** The record's id (EventBridge's event id): one run per record. */
  readonly eventId: string;
}

/** How logs and events name a setting: its kind and type, never a value. */
export function describeSetting(setting: ChangedSetting): string {
  return setting.kind === 'alternate contact' ? `${setting.contactType} alternate contact` : setting.kind;
}

const CONTACT_TYPES: ContactTypeName[] = ['BILLING', 'OPERATIONS', 'SECURITY'];
/** An IAM or STS ARN of an account, kept to a sane length: the actor goes into logs and events. */
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:[\w+=,.@/-]{1,200}$/;

/** A field of the record, or undefined where it has none: the rule's input transformer puts `""` for a path the record lacks, and a forged record may say null. */
function present(value: unknown): unknown {
  return value === undefined || value === null || value === '' ? undefined : value;
}

/**
 * The hand change an EventBridge event records, or why it is not one to undo: not an Account Management
 * write of a declared kind, a refused call, or a write by one of `ignoredRoles` (the stack's own functions).
 */
export function handChangeOf(event: unknown, ignoredRoles: string[]): { change: HandChange } | { ignored: string } {
  const e = (event ?? {}) as Record<string, any>;
  const detail = (typeof e.detail === 'object' && e.detail !== null ? e.detail : {}) as Record<string, any>;
  const eventName = String(detail.eventName ?? '');
  if (e.source !== 'aws.account' || detail.eventSource !== 'account.amazonaws.com' || !(HAND_CHANGE_EVENT_NAMES as readonly string[]).includes(eventName)) {
    return { ignored: 'not an Account Management write of a setting a stack declares' };
  }
  if (present(detail.errorCode) !== undefined) return { ignored: 'the call failed: it changed nothing' };
  const identity = (typeof detail.userIdentity === 'object' && detail.userIdentity !== null ? detail.userIdentity : {}) as Record<string, any>;
  const issuer = present(identity.sessionContext?.sessionIssuer?.arn);
  const role = typeof identity.arn === 'string' ? /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(identity.arn) : null;
  const roleArn = role ? `arn:${role[1]}:iam::${role[2]}:role/${role[3]}` : undefined;
  if (ignoredRoles.some(ignored => ignored === issuer || ignored === roleArn)) return { ignored: 'the stack\'s own write' };
  const request = (typeof detail.requestParameters === 'object' && detail.requestParameters !== null ? detail.requestParameters : {}) as Record<string, unknown>;
  // Without AccountId the call changed the caller's own account, the one whose trail recorded it.
  const accountId = present(request.accountId) ?? present(detail.recipientAccountId) ?? e.account;
  if (typeof accountId !== 'string' || !/^\d{12}$/.test(accountId)) return { ignored: 'the record names no account' };
  let setting: ChangedSetting;
  if (eventName === 'PutContactInformation') {
    setting = { kind: 'primary contact' };
  } else if (eventName === 'PutAccountName') {
    setting = { kind: 'account name' };
  } else {
    const type = request.alternateContactType;
    if (!CONTACT_TYPES.includes(type as ContactTypeName)) return { ignored: 'the record names no alternate contact type' };
    setting = { kind: 'alternate contact', contactType: type as ContactTypeName };
  }
  const actor = typeof identity.arn === 'string' && PRINCIPAL_ARN.test(identity.arn) ? identity.arn : 'unknown';
  const eventId = typeof e.id === 'string' && /^[\w-]{1,64}$/.test(e.id) ? e.id : String(Date.now());
  return { change: { accountId, setting, actor, eventName, eventId } };
}

/** What the "Hand Change Undone" event says: names and ids, never a value. */
export interface HandChangeUndone {
  readonly stack: string;
  /** The logical id of the resource that declares the setting. */
  readonly resource: string;
  /** The organization baseline's id, for a baseline's. */
  readonly baselineId?: string;
  readonly accountId: string;
  readonly setting: string;
  /** Who made the change, as CloudTrail named them. */
  readonly who: string;
  /** The write that changed it (PutAlternateContact…). */
  readonly changedBy: string;
  /** The baseline's run that undid it. */
  readonly executionArn?: string;
}

/** Logs the undoing and sends its event to the default bus; a failure to send is logged, not thrown (the setting is back either way). */
export async function reportHandChangeUndone(invocation: Invocation, undone: HandChangeUndone): Promise<void> {
  log({ setting: undone.setting, accountId: undone.accountId, operation: 'hand change', outcome: 'hand change undone', actor: undone.who });
  try {
    await putEvent(invocation, {
      source: BASELINE_EVENTS.source,
      detailType: BASELINE_EVENTS.handChangeUndone,
      resources: undone.executionArn ? [undone.executionArn] : [],
      detail: undone,
    });
  } catch (error) {
    log({ setting: undone.setting, accountId: undone.accountId, outcome: 'the hand change\'s event could not be sent', error: (error as Error).message });
  }
}
