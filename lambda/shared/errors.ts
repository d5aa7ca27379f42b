import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { Target } from './target';

/** What the SDK's errors carry that the handlers read. */
export interface ServiceError {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly fieldList?: Array<{ name?: string }>;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number };
}

/** The error's name, for "treat X as done" checks. */
export function errorName(error: unknown): string | undefined {
  return (error as ServiceError | undefined)?.name;
}

/** Throttling (429, TooManyRequestsException), as the SDK classifies it. */
export function isThrottling(error: unknown): boolean {
  return error !== null && typeof error === 'object' && isThrottlingError(error as Parameters<typeof isThrottlingError>[0]);
}

/**
 * Errors that pass with time, as the SDK classifies them: throttling, 5xx, and network errors and
 * timeouts (ECONNRESET, ETIMEDOUT, TimeoutError…), which are treated like 5xx everywhere.
 */
export function isTransient(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const e = error as Parameters<typeof isTransientError>[0];
  return isThrottlingError(e) || isTransientError(e) || isServerError(e) || ((error as ServiceError).$metadata?.httpStatusCode ?? 0) >= 500;
}

const TRUSTED_ACCESS_HINT = 'check that trusted access for account.amazonaws.com is enabled in AWS Organizations, '
  + 'that the stack deploys from the management account or the Account Management delegated administrator, '
  + 'and that account %ACCOUNT% is a member of that organization';

/** The likely fix for a failed call, or undefined when there is nothing better to say than the error. */
function hint(error: ServiceError, target: Target): string | undefined {
  if (isTransient(error)) return retriesExhausted(error, 'the service');
  switch (error.name) {
    case 'AccessDeniedException':
      return target.organizationsMode
        ? TRUSTED_ACCESS_HINT.replace('%ACCOUNT%', target.accountId)
        : 'check that no service control policy or permissions boundary denies the handler role this action on its own account';
    case 'ResourceNotFoundException':
      return target.organizationsMode ? `check that account ${target.accountId} exists and is a member of the organization` : undefined;
    case 'ValidationException':
      return 'check the construct\'s properties against the API\'s constraints';
    default:
      return undefined;
  }
}

/** What the service said is cut here: the message of an AccessDenied names ARNs, and the rest must fit CloudFormation's 4 KB. */
const MAX_SERVICE_MESSAGE = 400;

/**
 * What the service said, without any value it may echo: a ValidationException's message can quote the
 * rejected input (an e-mail address, a phone number), so only the names of the offending fields are kept.
 */
export function describe(error: ServiceError): string {
  const name = error.name ?? 'Error';
  if (name === 'ValidationException') {
    const fields = (error.fieldList ?? []).map(field => field.name).filter(Boolean);
    return fields.length > 0 ? `${name} (fields: ${fields.join(', ')})` : name;
  }
  const message = error.message ?? error.code;
  if (!message || message === name) return name;
  return `${name}: ${message.length > MAX_SERVICE_MESSAGE ? `${message.slice(0, MAX_SERVICE_MESSAGE)}…` : message}`;
}

/**
 * An error a person can act on, most useful part first: the operation, the setting and the account, the
 * likely fix, then what the service said. It never carries contact values, so it may be logged and shown
 * in CloudFormation events.
 */
export function failure(operation: string, setting: string, target: Target, error: unknown): Error {
  const serviceError = (error ?? {}) as ServiceError;
  const mode = target.organizationsMode ? 'organizations mode' : 'standalone mode';
  const fix = hint(serviceError, target);
  return new Error(`${operation} for the ${setting} of account ${target.accountId} (${mode}) failed: ${fix ? `${fix}. ` : ''}The service answered ${describe(serviceError)}`);
}

/** The hint for an error the client retried in vain (throttling, 5xx, network), or undefined for any other. */
export function retriesExhausted(error: ServiceError, service: string): string | undefined {
  const attempts = error.$metadata?.attempts;
  const tried = attempts ? `${attempts} attempt${attempts === 1 ? '' : 's'}` : 'every attempt';
  if (isThrottling(error)) {
    return `${service} was still throttling after ${tried}, when the function had no time left; deploy again, or spread the settings over fewer stacks deployed at once`;
  }
  return isTransient(error) ? `${service} kept failing (${tried}) until the function had no time left; deploy again later` : undefined;
}
