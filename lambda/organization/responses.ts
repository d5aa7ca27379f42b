import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Responder } from './state';
import type { Invocation } from '../shared/clients';
import { errorName } from '../shared/errors';
import type { ResponseTarget } from '../shared/response';

/*
 * Where a deploy's pre-signed ResponseURL waits for its answer: in the baseline's store, which only the
 * stack's functions may read, never in the execution's state, whose input and history whoever may
 * read Step Functions (ReadOnlyAccess) sees, and could answer CloudFormation with. It is deleted once
 * the answer is sent. A state written before this (its responder holds the URL) is answered with its own.
 */

/** The invocation that steps answer in (set as each invocation starts: one at a time per environment). */
let answering: Invocation | undefined;

/** URLs read ahead in this invocation, by request id. */
const held = new Map<string, string>();

export function answerIn(invocation: Invocation): void {
  answering = invocation;
  held.clear();
}

/**
 * Reads a removal's URL ahead of the step: a removal that finishes deletes everything the store holds
 * for the baseline, its URL included, before it answers.
 */
export async function holdResponseUrl(store: ResponseStore, responder: Responder, invocation: Invocation): Promise<void> {
  const target = await responseTarget(store, responder, invocation);
  if (target) held.set(responder.RequestId, target.ResponseURL);
}

/** Where the store keeps the run's responder's URL. */
export interface ResponseStore {
  readonly Store: string;
  readonly BaselineId: string;
}

function client(invocation: Invocation): S3Client {
  // Path-style addressing only where an endpoint override says so (the local services), as the store's own client.
  const forcePathStyle = Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  return new S3Client({ ...invocation.config('s3'), forcePathStyle });
}

function key(store: ResponseStore, requestId: string): string {
  return `baselines/${store.BaselineId}/responses/${encodeURIComponent(requestId)}.json`;
}

/** Keeps the responder's URL in the store; returns the responder without it, for the execution's state. */
export async function keepResponseUrl(invocation: Invocation, store: ResponseStore, responder: Responder): Promise<Responder> {
  const { ResponseURL: url, ...rest } = responder;
  if (url === undefined) return responder;
  await client(invocation).send(new PutObjectCommand({
    Bucket: store.Store, Key: key(store, responder.RequestId), Body: JSON.stringify({ ResponseURL: url }), ContentType: 'application/json',
  }));
  return rest;
}

/** What answering the responder needs, its URL read from the store (undefined when it is gone: answered already). */
export async function responseTarget(
  store: ResponseStore, responder: Responder, invocation: Invocation | undefined = answering,
): Promise<ResponseTarget | undefined> {
  const known = responder.ResponseURL ?? held.get(responder.RequestId);
  if (known !== undefined) return { ...responder, ResponseURL: known };
  if (!invocation) throw new Error('No invocation to read the response URL in');
  try {
    const object = await client(invocation).send(new GetObjectCommand({ Bucket: store.Store, Key: key(store, responder.RequestId) }));
    const { ResponseURL: url } = JSON.parse(await object.Body!.transformToString('utf8')) as { ResponseURL: string };
    return { ...responder, ResponseURL: url };
  } catch (error) {
    if (errorName(error) === 'NoSuchKey') return undefined;
    throw error;
  }
}

/**
 * Deletes the responder's URL once its answer is sent; a Delete's is left to the store's emptying, which
 * its answer lets CloudFormation start at once: no call may come between the answer and the step's own
 * last writes, which must land before it.
 */
export async function forgetResponseUrl(
  store: ResponseStore, responder: Responder, invocation: Invocation | undefined = answering,
): Promise<void> {
  if (responder.ResponseURL !== undefined || responder.RequestType === 'Delete' || !invocation) return;
  await client(invocation).send(new DeleteObjectCommand({ Bucket: store.Store, Key: key(store, responder.RequestId) }));
}
