import { queryError, xmlInner as inner, xmlText as text } from './aws-query';
import type { Invocation } from './clients';
import { errorName, isThrottling } from './errors';
import { log } from './log';
import type { Pacer, Quota } from './pacer';
import { timeScale } from './pacing';
import { dnsSuffix, endpointOverride, ownRegion, signedCall } from './signed-request';
import { MEMBER_ROLE_SESSION } from '../../src/contract';

/*
 * Sessions of the member footprint's role: the reconciler calls the Account API as each member account
 * (no AccountId), so that the calls count against the member's own quotas. AssumeRole is one signed
 * awsQuery POST (the STS client would weigh more than the organization bundle allows); its credentials
 * are kept per account in the execution environment and reused until shortly before they expire. An
 * account whose role is not there (the StackSet has not reached it yet, or it was removed) or refuses
 * this function is handled from the management account, as before the footprint; AssumeRole is asked
 * again once about 10 seconds later (a role just created is refused until IAM has propagated it), then
 * not for a few minutes. Under a pacer, STS's throttling slows AssumeRole down rather than giving up.
 */

/** A session of a member's role, as an SDK client takes it. */
export interface MemberCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** The pacer's operation for AssumeRole (the step's pacer paces it under STS's quota of the calling account). */
export const ASSUME_ROLE = 'sts:AssumeRole';

/**
 * AssumeRole's pace: AWS documents no rate for it on the quota pages; the IAM team's blog gives STS's
 * default as 600 requests per second per account and Region, shared with every other caller of the
 * account, so the reconciler keeps to a sixth of it unless CDK_ACCOUNT_MANAGEMENT_ASSUME_ROLE_RATE says
 * otherwise, never grows beyond (ceiling 1), and may fall to a hundredth of it while STS throttles (others share the quota).
 */
export function assumeRoleQuota(): Quota {
  const configured = Number(process.env.CDK_ACCOUNT_MANAGEMENT_ASSUME_ROLE_RATE);
  const rate = Number.isFinite(configured) && configured > 0 ? configured : 100;
  return { rate, burst: Math.max(1, Math.ceil(rate / 10)), ceiling: 1, guessed: true };
}

/** How long a session lasts (the role's maximum session duration is at least this, one hour). */
const DURATION_SECONDS = 3600;
/** A session is renewed this long before it expires: a step (at most 5 minutes) never starts calls with one about to lapse. */
const RENEW_BEFORE_MS = 5 * 60_000;
/** How long an account whose role refused twice is handled from the management account before AssumeRole is asked again. */
const REFUSED_FOR_MS = 5 * 60_000;
/** After a first refusal, AssumeRole is asked again this much later: IAM takes a few seconds to make a new role assumable. */
const REFUSED_ONCE_FOR_MS = 10_000;
/** How long one AssumeRole is retried (5xx, network; throttling too without a pacer): then the account is handled from the management account, this time. */
const ASSUME_WITHIN_MS = 10_000;
/** STS's answers that mean the role is not there or does not trust this function (or STS is off in the Region). */
const REFUSALS = ['AccessDenied', 'AccessDeniedException', 'RegionDisabledException'];

type Kept = { readonly credentials: MemberCredentials } | { readonly refusedUntil: number };

/** Per execution environment: sessions and refusals by role ARN, the AssumeRole calls under way, and the accounts refused before (logged). */
const kept = new Map<string, Kept>();
const underWay = new Map<string, Promise<MemberCredentials | undefined>>();
const told = new Set<string>();

export function memberRoleArn(partition: string, accountId: string, roleName: string): string {
  return `arn:${partition}:iam::${accountId}:role/${roleName}`;
}

/** The reconciler's session of the member role, as CloudTrail names the caller (a forwarded write of its own is not a hand change). */
export function memberSessionArn(partition: string, accountId: string, roleName: string): string {
  return `arn:${partition}:sts::${accountId}:assumed-role/${roleName}/${MEMBER_ROLE_SESSION}`;
}

/**
 * A session of `roleName` in `accountId`, or undefined when the account is to be handled from the
 * management account (its role refused, now or a few seconds or minutes ago, or STS kept failing). Throws
 * only STS's throttling, when it lasts until the pacer's deadline: the account is left for the next step.
 */
export async function memberSession(
  invocation: Invocation, accountId: string, roleName: string, pacer?: Pacer,
): Promise<MemberCredentials | undefined> {
  const arn = memberRoleArn(invocation.partition, accountId, roleName);
  const now = Date.now();
  const known = kept.get(arn);
  if (known && 'credentials' in known && known.credentials.expiration.getTime() - RENEW_BEFORE_MS > now) return known.credentials;
  if (known && 'refusedUntil' in known && known.refusedUntil > now) return undefined;
  let call = underWay.get(arn);
  if (!call) {
    call = assume(invocation, accountId, arn, pacer).finally(() => underWay.delete(arn));
    underWay.set(arn, call);
  }
  return call;
}

/**
 * The account's session was refused by the Account API (its role lacks the action, or the session was
 * revoked): forgotten, and the account handled from the management account for a few minutes.
 */
export function refusedMember(invocation: Invocation, accountId: string, roleName: string, why: string): void {
  refuse(memberRoleArn(invocation.partition, accountId, roleName), accountId, why);
}

/** The account's session ended before its time (the Account API says so): the next `memberSession` asks for a new one. */
export function forgetMemberSession(invocation: Invocation, accountId: string, roleName: string): void {
  kept.delete(memberRoleArn(invocation.partition, accountId, roleName));
}

/** Forgets every session and refusal of this environment (tests). */
export function forgetMemberSessions(): void {
  kept.clear();
  told.clear();
}

async function assume(invocation: Invocation, accountId: string, arn: string, pacer?: Pacer): Promise<MemberCredentials | undefined> {
  try {
    // Throttling goes to the pacer, which slows AssumeRole down and asks again until the step's deadline.
    const credentials = pacer ? await pacer.call(ASSUME_ROLE, () => assumeRole(invocation, arn, false)) : await assumeRole(invocation, arn);
    kept.set(arn, { credentials });
    return credentials;
  } catch (error) {
    if (pacer && isThrottling(error)) throw error;
    const code = errorName(error) ?? 'Error';
    if (REFUSALS.includes(code)) {
      refuse(arn, accountId, `AssumeRole was refused (${code}): the StackSet has not reached the account yet, or its role is gone or does not trust this function`);
    } else {
      log({ setting: 'member role', accountId, operation: ASSUME_ROLE, outcome: 'failed for now: the account is handled from the management account this time', error: code });
    }
    return undefined;
  }
}

/**
 * A refusal: the account's first in this environment is asked again in a few seconds, any later one (a
 * role still not propagated, or one that lacks an action whatever its session) is remembered for minutes.
 */
function refuse(arn: string, accountId: string, why: string): void {
  const before = told.has(arn);
  kept.set(arn, { refusedUntil: Date.now() + (before ? REFUSED_FOR_MS : REFUSED_ONCE_FOR_MS) / timeScale() });
  if (before) return;
  told.add(arn);
  log({ setting: 'member role', accountId, operation: ASSUME_ROLE, outcome: `handled from the management account: ${why}` });
}

/** One AssumeRole: the session's credentials, or STS's error (its code as the error's name); `retryThrottling` false hands throttling back at once. */
export async function assumeRole(invocation: Invocation, roleArn: string, retryThrottling = true): Promise<MemberCredentials> {
  const region = ownRegion();
  const body = new URLSearchParams({
    Action: 'AssumeRole', Version: '2011-06-15', RoleArn: roleArn, RoleSessionName: MEMBER_ROLE_SESSION, DurationSeconds: String(DURATION_SECONDS),
  }).toString();
  const answer = await signedCall(invocation, {
    service: 'sts',
    method: 'POST',
    url: new URL(endpointOverride('sts') ?? `https://sts.${region}.${dnsSuffix(region)}/`),
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
    retryThrottling,
  }, stsErrorCode, Math.min(invocation.deadline, Date.now() + ASSUME_WITHIN_MS / timeScale()));
  return credentialsOf(answer.body);
}

/** The code of an STS error answer (`<ErrorResponse><Error><Code>…`). */
export function stsErrorCode(body: string): string | undefined {
  return queryError(body)?.code;
}

/** The credentials of an AssumeRole answer (`AssumeRoleResponse/AssumeRoleResult/Credentials`); throws when they are not all there. */
export function credentialsOf(body: string): MemberCredentials {
  const credentials = inner(inner(body, 'AssumeRoleResult'), 'Credentials');
  const [accessKeyId, secretAccessKey, sessionToken, expiry] = ['AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration'].map(name => text(credentials, name));
  const expiration = new Date(expiry ?? '');
  if (!accessKeyId || !secretAccessKey || !sessionToken || Number.isNaN(expiration.getTime())) {
    throw Object.assign(new Error('STS answered AssumeRole without a complete set of credentials'), { name: 'IncompleteCredentials' });
  }
  return { accessKeyId, secretAccessKey, sessionToken, expiration };
}
