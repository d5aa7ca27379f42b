import type { Invocation } from './clients';
import { deleteObject, getObject, listObjects, putObject, S3CallOptions } from './s3';

/*
 * Where a request's pre-signed ResponseURL waits while a waiter's execution works on it: in one of the
 * stack's buckets, whose policy lets only the function's role touch objects, never in the execution's
 * state, whose input and history whoever may read Step Functions (ReadOnlyAccess) sees, and could answer
 * CloudFormation with. S3's REST API is called directly (lambda/shared/s3.ts): these few object calls do
 * not need the S3 client, which would add half again to the Region function's bundle.
 */

/** Where a URL is kept: the bucket and the key. */
export interface UrlLocation {
  readonly bucket: string;
  readonly key: string;
}

/** Retried as the invocation's S3 client was: paced by the environment's rate limiter of S3. */
function retried(invocation: Invocation): S3CallOptions {
  return { retryStrategy: invocation.config('s3').retryStrategy };
}

export async function keepUrl(invocation: Invocation, at: UrlLocation, url: string): Promise<void> {
  await putObject(invocation, at.bucket, at.key, JSON.stringify({ ResponseURL: url }), { contentType: 'application/json', ...retried(invocation) });
}

/** The URL kept at `at`; undefined when it is gone (its answer was sent). */
export async function readUrl(invocation: Invocation, at: UrlLocation): Promise<string | undefined> {
  const object = await getObject(invocation, at.bucket, at.key, retried(invocation));
  return object && (JSON.parse(object.body) as { ResponseURL: string }).ResponseURL;
}

export async function forgetUrl(invocation: Invocation, at: UrlLocation): Promise<void> {
  await deleteObject(invocation, at.bucket, at.key, retried(invocation));
}

/** Deletes every object of a bucket that holds a few (the URLs of requests in progress), one call each. */
export async function emptyBucket(invocation: Invocation, bucket: string): Promise<void> {
  for await (const { keys } of listObjects(invocation, bucket, '', retried(invocation))) {
    for (const key of keys) await forgetUrl(invocation, { bucket, key });
  }
}
