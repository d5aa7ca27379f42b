import { MAX_ATTEMPTS } from './clients';
import { Target } from './target';

/** What the SDK's errors carry that the handlers read. */
export interface ServiceError {
  readonly name?: string;
  readonly message?: string;
  readonly fieldList?: Array<{ name?: string }>;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const TRUSTED_ACCESS_HINT = 'check that trusted access for account.amazonaws.com is enabled in AWS Organizations, '
  + 'that the stack deploys from the management account or the Account Management delegated administrator, '
  + 'and that account %ACCOUNT% is a member of that organization';

/** The likely fix for a failed call, or undefined when there is nothing better to say than the error. */
function hint(error: ServiceError, target: Target): string | undefined {
  switch (error.name) {
    case 'AccessDeniedException':
      return target.organizationsMode
        ? TRUSTED_ACCESS_HINT.replace('%ACCOUNT%', target.accountId)
        : 'check that no service control policy or permissions boundary denies the handler role this action on its own account';
    case 'ResourceNotFoundException':
      return target.organizationsMode ? `check that account ${target.accountId} exists and is a member of the organization` : undefined;
    case 'ValidationException':
      return 'check the construct\'s properties against the API\'s constraints';
    case 'TooManyRequestsException':
    case 'ThrottlingException':
      return `${retriesExhausted(error, 'the service')}, or declare fewer settings per stack`;
    default:
      return retriesExhausted(error, 'the service');
  }
}

/**
 * What the service said, without any value it may echo: a ValidationException's message can quote the
 * rejected input (an e-mail address, a phone number), so only the names of the offending fields are kept.
 */
function describe(error: ServiceError): string {
  const name = error.name ?? 'Error';
  if (name === 'ValidationException') {
    const fields = (error.fieldList ?? []).map(field => field.name).filter(Boolean);
    return fields.length > 0 ? `${name} (fields: ${fields.join(', ')})` : name;
  }
  return error.message ? `${name}: ${error.message}` : name;
}

/**
 * An error a person can act on: the operation, the setting, the account, what the service said and the
 * likely fix. It never carries contact values, so it may be logged and shown in CloudFormation events.
 */
export function failure(operation: string, setting: string, target: Target, error: unknown): Error {
  const serviceError = (error ?? {}) as ServiceError;
  const mode = target.organizationsMode ? 'organizations mode' : 'standalone mode';
  const fix = hint(serviceError, target);
  return new Error(`${operation} for the ${setting} of account ${target.accountId} (${mode}) failed: ${describe(serviceError)}${fix ? `; ${fix}` : ''}`);
}

/** The error's name, for "treat X as done" checks. */
export function errorName(error: unknown): string | undefined {
  return (error as ServiceError | undefined)?.name;
}

/**
 * Errors that pass with time: throttling and the Region in-progress limits (both TooManyRequestsException),
 * 5xx, and a ConflictException (a status that changed between a read and a request).
 */
export function isTransient(error: unknown): boolean {
  const name = errorName(error);
  const status = (error as ServiceError | undefined)?.$metadata?.httpStatusCode ?? 0;
  return name === 'TooManyRequestsException' || name === 'ThrottlingException' || name === 'ConflictException' || status >= 500;
}

/** The hint for an error the client retried in vain (throttling, 5xx), or undefined for any other. */
export function retriesExhausted(error: ServiceError, service: string): string | undefined {
  if (error.name === 'TooManyRequestsException' || error.name === 'ThrottlingException') {
    return `still throttled after ${MAX_ATTEMPTS} attempts; deploy again`;
  }
  return (error.$metadata?.httpStatusCode ?? 0) >= 500 ? `${service} kept failing after ${MAX_ATTEMPTS} attempts; deploy again later` : undefined;
}
