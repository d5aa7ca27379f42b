import { createHash } from 'crypto';
import type { RetryStrategyV2 } from '@smithy/types';
import { xmlDecode, xmlText } from './aws-query';
import { dnsSuffix, endpointOverride, ownRegion, SignedAnswer, SignedCall, SignedCaller, signedCall } from './signed-request';

/*
 * The few Amazon S3 object calls the handlers make (the reconciler's store, the kept ResponseURLs), over
 * S3's REST API signed by lambda/shared/signed-request.ts: the S3 client and its companions (checksums,
 * the S3 middleware, the XML builder) would add about 128 KiB to each bundle that uses it. Errors are
 * named as the SDK names them (the `<Code>` of S3's error body); throttling (503 SlowDown), 5xx and
 * network errors are retried until the caller's deadline.
 */

/** What S3 answers at most per ListObjectsV2 page, and takes at most per DeleteObjects. */
export const S3_PAGE = 1000;

/** One path segment escaped as S3 signs it (RFC 3986: encodeURIComponent leaves !'()* as they are). */
function escapeSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The object's (or with `key` undefined, the bucket's) URL: path-style where an endpoint override says so (the local services). */
export function objectUrl(bucket: string, key?: string): URL {
  const segments = key === undefined ? [] : key.split('/');
  // A URL resolves `.` and `..` segments (escaped or not), so such a key would name another object.
  if (segments.some(s => s === '.' || s === '..')) throw new Error(`The S3 key ${key} has a . or .. segment, which cannot be sent as it is`);
  const path = segments.map(escapeSegment).join('/');
  const override = endpointOverride('s3');
  if (override) return new URL(`${override.replace(/\/$/, '')}/${bucket}/${path}`);
  const region = ownRegion();
  return new URL(`https://${bucket}.s3.${region}.${dnsSuffix(region)}/${path}`);
}

/** S3's error code, from its XML error body. */
export function s3ErrorCode(body: string): string | undefined {
  return xmlText(body, 'Code') || undefined;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface S3CallOptions {
  /** Retries as the invocation's S3 client did (its deadline, the environment's rate limiter of S3). @default backoff until the caller's deadline */
  readonly retryStrategy?: RetryStrategyV2;
}

/** One S3 call; a redirect (a bucket in another Region) is an error, as the SDK makes it. */
async function s3Call(caller: SignedCaller, call: Omit<SignedCall, 'service'>, options: S3CallOptions): Promise<SignedAnswer> {
  const answer = await signedCall(caller, { ...call, service: 's3', retryStrategy: options.retryStrategy }, s3ErrorCode);
  if (answer.status < 300) return answer;
  const code = s3ErrorCode(answer.body) ?? `Http${answer.status}`;
  throw Object.assign(new Error(`${code}: ${call.method} ${call.url.pathname} answered ${answer.status}`), {
    name: code, $metadata: { httpStatusCode: answer.status },
  });
}

export interface S3Object {
  readonly body: string;
  /** Its ETag (quoted, as S3 gives it), for a write conditional on it. */
  readonly etag?: string;
}

/** The object at `key`, or undefined when there is none (NoSuchKey). */
export async function getObject(caller: SignedCaller, bucket: string, key: string, options: S3CallOptions = {}): Promise<S3Object | undefined> {
  try {
    const { body, headers } = await s3Call(caller, { method: 'GET', url: objectUrl(bucket, key) }, options);
    return { body, etag: headers.etag };
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

export interface PutOptions extends S3CallOptions {
  readonly contentType?: string;
  /** The object's tags, URL-encoded (`key=value&…`). */
  readonly tagging?: string;
  /** Written only over this ETag: else PreconditionFailed (412), NoSuchKey (404) or ConditionalRequestConflict (409). */
  readonly ifMatch?: string;
  /** `*`: written only where there is no object yet (else PreconditionFailed). */
  readonly ifNoneMatch?: '*';
}

/** Puts `body` at `key`; returns the new object's ETag. */
export async function putObject(
  caller: SignedCaller, bucket: string, key: string, body: string, options: PutOptions = {},
): Promise<string | undefined> {
  const headers: Record<string, string> = {};
  if (options.contentType) headers['content-type'] = options.contentType;
  if (options.tagging) headers['x-amz-tagging'] = options.tagging;
  if (options.ifMatch) headers['if-match'] = options.ifMatch;
  if (options.ifNoneMatch) headers['if-none-match'] = options.ifNoneMatch;
  return (await s3Call(caller, { method: 'PUT', url: objectUrl(bucket, key), headers, body }, options)).headers.etag;
}

/** Deletes the object at `key` (S3 answers success where there is none). */
export async function deleteObject(caller: SignedCaller, bucket: string, key: string, options: S3CallOptions = {}): Promise<void> {
  await s3Call(caller, { method: 'DELETE', url: objectUrl(bucket, key) }, options);
}

/**
 * Deletes `keys`, `S3_PAGE` per DeleteObjects call (with the Content-MD5 that S3 requires of it). As with the
 * SDK, keys that S3 reports it could not delete (within a successful answer) are not an error.
 */
export async function deleteObjects(caller: SignedCaller, bucket: string, keys: readonly string[], options: S3CallOptions = {}): Promise<void> {
  for (let i = 0; i < keys.length; i += S3_PAGE) {
    const objects = keys.slice(i, i + S3_PAGE).map(key => `<Object><Key>${xml(key)}</Key></Object>`).join('');
    const body = `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>${objects}</Delete>`;
    const url = objectUrl(bucket);
    url.searchParams.set('delete', '');
    const headers = { 'content-type': 'application/xml', 'content-md5': createHash('md5').update(body).digest('base64') };
    await s3Call(caller, { method: 'POST', url, headers, body }, options);
  }
}

/** One page of a listing: the keys, and with a delimiter the common prefixes (each ending with it). */
export interface S3Page {
  readonly keys: string[];
  readonly prefixes: string[];
}

/** ListObjectsV2 under `prefix`, page by page (`maxKeys` per page, S3_PAGE at most). */
export async function* listObjects(
  caller: SignedCaller, bucket: string, prefix: string, options: S3CallOptions & { delimiter?: string; maxKeys?: number } = {},
): AsyncGenerator<S3Page> {
  let token: string | undefined;
  do {
    const url = objectUrl(bucket);
    url.searchParams.set('list-type', '2');
    if (prefix) url.searchParams.set('prefix', prefix);
    if (options.delimiter) url.searchParams.set('delimiter', options.delimiter);
    if (options.maxKeys) url.searchParams.set('max-keys', String(options.maxKeys));
    if (token) url.searchParams.set('continuation-token', token);
    const { body } = await s3Call(caller, { method: 'GET', url }, options);
    yield {
      keys: [...body.matchAll(/<Contents>(?:(?!<\/Contents>)[\s\S])*?<Key>([^<]*)<\/Key>/g)].map(m => xmlDecode(m[1])),
      prefixes: [...body.matchAll(/<CommonPrefixes>\s*<Prefix>([^<]*)<\/Prefix>/g)].map(m => xmlDecode(m[1])),
    };
    const next = /<IsTruncated>true<\/IsTruncated>/.test(body) ? /<NextContinuationToken>([^<]+)<\/NextContinuationToken>/.exec(body)?.[1] : undefined;
    token = next === undefined ? undefined : xmlDecode(next);
  } while (token);
}
