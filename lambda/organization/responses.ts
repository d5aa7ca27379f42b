import type { Responder } from './state';
import type { Invocation } from '../shared/clients';
import type { ResponseTarget } from '../shared/response';
import { forgetUrl, keepUrl, readUrl, UrlLocation } from '../shared/stored-urls';

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

function location(store: ResponseStore, requestId: string): UrlLocation {
  return { bucket: store.Store, key: `baselines/${store.BaselineId}/responses/${encodeURIComponent(requestId)}.json` };
}

/** Keeps the responder's URL in the store; returns the responder without it, for the execution's state. */
export async function keepResponseUrl(invocation: Invocation, store: ResponseStore, responder: Responder): Promise<Responder> {
  const { ResponseURL: url, ...rest } = responder;
  if (url === undefined) return responder;
  await keepUrl(invocation, location(store, responder.RequestId), url);
  return rest;
}

/** What answering the responder needs, its URL read from the store (undefined when it is gone: answered already). */
export async function responseTarget(
  store: ResponseStore, responder: Responder, invocation: Invocation | undefined = answering,
): Promise<ResponseTarget | undefined> {
  const known = responder.ResponseURL ?? held.get(responder.RequestId);
  if (known !== undefined) return { ...responder, ResponseURL: known };
  if (!invocation) throw new Error('No invocation to read the response URL in');
  const url = await readUrl(invocation, location(store, responder.RequestId));
  return url === undefined ? undefined : { ...responder, ResponseURL: url };
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
  await forgetUrl(invocation, location(store, responder.RequestId));
}
