import { DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, paginateListObjectsV2, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Invocation } from './clients';
import { errorName } from './errors';

/*
 * Where a request's pre-signed ResponseURL waits while a waiter's execution works on it: in one of the
 * stack's buckets, whose policy lets only the function's role touch objects, never in the execution's
 * state, whose input and history whoever may read Step Functions (ReadOnlyAccess) sees, and could answer
 * CloudFormation with.
 */

/** A client of the stack's buckets: path-style addressing only where an endpoint override says so (the local services). */
export function s3Client(invocation: Invocation): S3Client {
  const forcePathStyle = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  return new S3Client({ ...invocation.config('s3'), forcePathStyle });
}

/** Where a URL is kept: the bucket and the key. */
export interface UrlLocation {
  readonly bucket: string;
  readonly key: string;
}

export async function keepUrl(invocation: Invocation, at: UrlLocation, url: string): Promise<void> {
  await s3Client(invocation).send(new PutObjectCommand({
    Bucket: at.bucket, Key: at.key, Body: JSON.stringify({ ResponseURL: url }), ContentType: 'application/json',
  }));
}

/** The URL kept at `at`; undefined when it is gone (its answer was sent). */
export async function readUrl(invocation: Invocation, at: UrlLocation): Promise<string | undefined> {
  try {
    const object = await s3Client(invocation).send(new GetObjectCommand({ Bucket: at.bucket, Key: at.key }));
    return (JSON.parse(await object.Body!.transformToString('utf8')) as { ResponseURL: string }).ResponseURL;
  } catch (error) {
    if (errorName(error) === 'NoSuchKey') return undefined;
    throw error;
  }
}

export async function forgetUrl(invocation: Invocation, at: UrlLocation): Promise<void> {
  await s3Client(invocation).send(new DeleteObjectCommand({ Bucket: at.bucket, Key: at.key }));
}

/** Deletes everything under `prefix` in the bucket. */
export async function deleteUnder(invocation: Invocation, bucket: string, prefix: string): Promise<void> {
  const s3 = s3Client(invocation);
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
  }
  for (let i = 0; i < keys.length; i += 1000) {
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map(Key => ({ Key })) } }));
  }
}
