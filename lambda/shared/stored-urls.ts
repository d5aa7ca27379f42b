import type { Invocation } from './clients';
import { dnsSuffix, endpointOverride, ownRegion, signedCall } from './signed-request';

/*
 * Where a request's pre-signed ResponseURL waits while a waiter's execution works on it: in one of the
 * stack's buckets, whose policy lets only the function's role touch objects, never in the execution's
 * state, whose input and history whoever may read Step Functions (ReadOnlyAccess) sees, and could answer
 * CloudFormation with. S3's REST API is called directly (lambda/shared/signed-request.ts): these few
 * object calls do not need the S3 client, which would add half again to the Region function's bundle.
 */

/** Where a URL is kept: the bucket and the key. */
export interface UrlLocation {
  readonly bucket: string;
  readonly key: string;
}

/** The object's (or with `key` undefined, the bucket's) URL: path-style where an endpoint override says so (the local services). */
function objectUrl(bucket: string, key?: string): URL {
  const path = key === undefined ? '' : key.split('/').map(encodeURIComponent).join('/');
  const override = endpointOverride('s3');
  if (override) return new URL(`${override.replace(/\/$/, '')}/${bucket}/${path}`);
  const region = ownRegion();
  return new URL(`https://${bucket}.s3.${region}.${dnsSuffix(region)}/${path}`);
}

/** S3's error code, from its XML error body. */
function s3ErrorCode(body: string): string | undefined {
  return /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
}

export async function keepUrl(invocation: Invocation, at: UrlLocation, url: string): Promise<void> {
  await signedCall(invocation, {
    service: 's3', method: 'PUT', url: objectUrl(at.bucket, at.key), headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ResponseURL: url }),
  }, s3ErrorCode);
}

/** The URL kept at `at`; undefined when it is gone (its answer was sent). */
export async function readUrl(invocation: Invocation, at: UrlLocation): Promise<string | undefined> {
  try {
    const { body } = await signedCall(invocation, { service: 's3', method: 'GET', url: objectUrl(at.bucket, at.key) }, s3ErrorCode);
    return (JSON.parse(body) as { ResponseURL: string }).ResponseURL;
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

export async function forgetUrl(invocation: Invocation, at: UrlLocation): Promise<void> {
  await signedCall(invocation, { service: 's3', method: 'DELETE', url: objectUrl(at.bucket, at.key) }, s3ErrorCode);
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: '\'' };

/** Deletes every object of a bucket that holds a few (the URLs of requests in progress), one call each. */
export async function emptyBucket(invocation: Invocation, bucket: string): Promise<void> {
  let token: string | undefined;
  do {
    const url = objectUrl(bucket);
    url.searchParams.set('list-type', '2');
    if (token) url.searchParams.set('continuation-token', token);
    const { body } = await signedCall(invocation, { service: 's3', method: 'GET', url }, s3ErrorCode);
    const keys = [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map(m => m[1].replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => XML_ENTITIES[name]));
    for (const key of keys) await forgetUrl(invocation, { bucket, key });
    token = /<IsTruncated>true<\/IsTruncated>/.test(body) ? /<NextContinuationToken>([^<]+)<\/NextContinuationToken>/.exec(body)?.[1] : undefined;
  } while (token);
}
