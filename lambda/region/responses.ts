import { RESPONSE_STORE_ENV, StoreCleanupProperties } from '../../src/contract';
import type { Invocation } from '../shared/clients';
import type { Request, Result, StoredRequest } from '../shared/custom-resource';
import { errorName } from '../shared/errors';
import { log, LogFields } from '../shared/log';
import { Outcome, respond } from '../shared/response';
import { emptyBucket, forgetUrl, keepUrl, readUrl, UrlLocation } from '../shared/stored-urls';

/*
 * Where a RegionOptIn request's pre-signed ResponseURL waits while the waiter works on it: in the
 * provider's response store (src/private/response-store.ts), which only the function's role may read,
 * never in the execution's input or history, which whoever may read Step Functions sees.
 */

/** Where the request's ResponseURL waits, in the bucket that only the function's role may read. */
function urlLocation(requestId: string): UrlLocation {
  const bucket = process.env[RESPONSE_STORE_ENV];
  if (!bucket) throw new Error(`The function has no ${RESPONSE_STORE_ENV}: it must be deployed by this library's constructs`);
  return { bucket, key: `responses/${encodeURIComponent(requestId)}.json` };
}

/** Keeps the request's ResponseURL in the store; returns the request without it, for the execution's state. */
export async function keepResponseUrl(invocation: Invocation, event: Request): Promise<StoredRequest> {
  const { ResponseURL: url, ...rest } = event;
  await keepUrl(invocation, urlLocation(event.RequestId), url);
  return rest as StoredRequest;
}

/**
 * Sends the answer to the URL kept for the request (a state of an earlier release carries its own), then
 * deletes the URL. A URL gone was answered already: nothing is sent. A deletion that fails is logged: the
 * store's lifecycle rule, or its emptying when the stack is deleted, removes the object.
 */
export async function answerStored(invocation: Invocation, request: StoredRequest, answerOf: Outcome, fields: Omit<LogFields, 'outcome'>): Promise<void> {
  const at = urlLocation(request.RequestId);
  const url = request.ResponseURL ?? await readUrl(invocation, at);
  if (url === undefined) {
    log({ ...fields, outcome: 'not answered: its ResponseURL is gone from the store (answered already)' });
    return;
  }
  await respond({ ...request, ResponseURL: url }, answerOf, invocation.end);
  if (request.ResponseURL !== undefined) return;
  try {
    await forgetUrl(invocation, at);
  } catch (error) {
    log({ ...fields, outcome: `answered; its ResponseURL was not deleted from the store (${errorName(error)}): it expires within a day` });
  }
}

/**
 * The provider's response store: nothing to do on Create and Update; a Delete (the stack's deletion,
 * after every RegionOptIn's) empties it, so that CloudFormation can delete the bucket.
 */
export async function onStoreRequest(event: Request, invocation: Invocation): Promise<Result> {
  const { Store: bucket } = event.ResourceProperties as unknown as StoreCleanupProperties;
  if (event.RequestType === 'Delete') {
    await emptyBucket(invocation, bucket);
    log({ requestType: 'Delete', setting: 'Region response store', outcome: 'emptied' });
  }
  return { PhysicalResourceId: `${invocation.ownAccount}/region-response-store/${bucket}` };
}
