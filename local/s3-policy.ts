import { ApiError } from './common';

/*
 * Amazon S3 bucket policies, locally, as far as this library's store needs them: the explicit Deny
 * statements of a bucket's policy (IAM is never evaluated locally, so an Allow grants nothing more than
 * there already is), matched by action, resource, principal and the conditions its statements use
 * (aws:PrincipalArn and aws:SecureTransport, with the String, Arn and Bool operators). A statement that
 * uses anything else fails the request loudly instead of being skipped: a policy that local cannot
 * evaluate must not pass for one that allows.
 *
 * Callers are told apart by their access key (SigV4's credential scope): the local Lambda signs each
 * function's calls with keys of its role (`LambdaService.principalOf`); every other key is the account's
 * user `local` (the deployer, a test, an operator).
 */

type Values = string | string[];

interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: '*' | { readonly AWS?: Values };
  readonly Action?: Values;
  readonly Resource?: Values;
  readonly Condition?: Record<string, Record<string, Values>>;
  readonly [other: string]: unknown;
}

/** What one request asks: the action, on the bucket or one of its objects, by whom. */
export interface S3Access {
  readonly action: string;
  readonly bucket: string;
  /** The object's key (absent: the bucket). */
  readonly key?: string;
  readonly principalArn: string;
}

const SUPPORTED_KEYS = new Set(['aws:principalarn', 'aws:securetransport']);

export class BucketPolicies {
  private readonly policies = new Map<string, Statement[]>();

  public set(bucket: string, document: { Statement?: Statement | Statement[] }): void {
    this.policies.set(bucket, [document.Statement ?? []].flat());
  }

  public delete(bucket: string): void {
    this.policies.delete(bucket);
  }

  /** Throws S3's AccessDenied when an explicit Deny of the bucket's policy matches. */
  public authorize(access: S3Access): void {
    const resource = `arn:aws:s3:::${access.bucket}${access.key === undefined ? '' : `/${access.key}`}`;
    for (const statement of this.policies.get(access.bucket) ?? []) {
      if (statement.Effect !== 'Deny') continue;
      const unsupported = Object.keys(statement).filter(k => !['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition'].includes(k));
      if (unsupported.length > 0) throw new Error(`Local S3 cannot evaluate bucket policy statements with ${unsupported.join(', ')}`);
      if (!principalMatches(statement.Principal, access.principalArn)) continue;
      if (!anyLike(statement.Action, access.action) || !anyLike(statement.Resource, resource)) continue;
      if (conditionsHold(statement.Condition ?? {}, access.principalArn)) {
        throw new ApiError(403, 'AccessDenied', `User: ${access.principalArn} is not authorized to perform: ${access.action} on resource: "${resource}" with an explicit deny in a resource-based policy`);
      }
    }
  }
}

function principalMatches(principal: Statement['Principal'], arn: string): boolean {
  if (principal === '*') return true;
  if (principal && typeof principal === 'object' && Object.keys(principal).every(k => k === 'AWS')) return [principal.AWS ?? []].flat().some(p => p === '*' || p === arn);
  throw new Error(`Local S3 cannot evaluate the bucket policy principal ${JSON.stringify(principal)}`);
}

/** IAM's wildcards: `*` any run of characters, `?` one; actions are matched without regard to case. */
function like(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.split('').map(c => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

function anyLike(patterns: Values | undefined, value: string): boolean {
  return [patterns ?? []].flat().some(p => like(p, value, value.startsWith('s3:')));
}

function conditionsHold(condition: Record<string, Record<string, Values>>, principalArn: string): boolean {
  // The local endpoint is plain HTTP, but it stands for S3's HTTPS one, which the SDK uses.
  const context: Record<string, string> = { 'aws:principalarn': principalArn, 'aws:securetransport': 'true' };
  return Object.entries(condition).every(([operator, keys]) => Object.entries(keys).every(([key, expected]) => {
    if (!SUPPORTED_KEYS.has(key.toLowerCase())) throw new Error(`Local S3 cannot evaluate the condition key ${key}`);
    const value = context[key.toLowerCase()];
    const values = [expected].flat().map(String);
    switch (operator) {
      case 'Bool': return values.some(v => v.toLowerCase() === value);
      case 'StringEquals': case 'ArnEquals': return values.includes(value);
      case 'StringNotEquals': case 'ArnNotEquals': return !values.includes(value);
      case 'StringLike': case 'ArnLike': return values.some(v => like(v, value));
      case 'StringNotLike': case 'ArnNotLike': return !values.some(v => like(v, value));
      default: throw new Error(`Local S3 cannot evaluate the condition operator ${operator}`);
    }
  }));
}

/** The action an S3 request of the store's kinds asks for (ListObjectsV2 on the bucket; the object operations on a key). */
export function s3Action(method: string, url: URL, key: string): string {
  if (!key) return method === 'POST' && url.searchParams.has('delete') ? 's3:DeleteObject' : 's3:ListBucket';
  if (method === 'PUT') return 's3:PutObject';
  if (method === 'DELETE') return 's3:DeleteObject';
  return 's3:GetObject';
}
