import * as http from 'http';
import * as https from 'https';
import { sleep, timeScale } from './pacing';
import { LOCAL_RESPONSE_URL_ENV } from '../../src/contract';

/*
 * The answer to a CloudFormation custom-resource request, PUT to the request's pre-signed ResponseURL.
 * The handlers answer themselves instead of through the Provider framework: one function per kind of
 * work instead of two, no synchronous Lambda-to-Lambda call that Lambda's concurrency limits can refuse,
 * and a Reason whose size is known (CloudFormation refuses a response object over 4,096 bytes, and the
 * Reason is then lost).
 */

/** What a request carries that the answer needs. */
export interface ResponseTarget {
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
}

export interface Outcome {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly PhysicalResourceId: string;
  readonly Reason?: string;
  /** Resource attributes; never contact values. */
  readonly Data?: Record<string, string>;
}

/** CloudFormation's limit for the whole response object. */
export const MAX_RESPONSE_BYTES = 4096;

/** The response body, its Reason cut (at the end, which holds the least useful part) to fit the limit. */
export function responseBody(request: ResponseTarget, outcome: Outcome): string {
  const body = (reason: string | undefined) => JSON.stringify({
    Status: outcome.Status,
    Reason: reason,
    PhysicalResourceId: outcome.PhysicalResourceId,
    StackId: request.StackId,
    RequestId: request.RequestId,
    LogicalResourceId: request.LogicalResourceId,
    Data: outcome.Data,
  });
  const fits = (json: string) => Buffer.byteLength(json, 'utf8') <= MAX_RESPONSE_BYTES;
  const full = body(outcome.Reason);
  if (outcome.Reason === undefined || fits(full)) return full;
  // The longest beginning of the Reason (in characters, not bytes: they may take several) that fits.
  const characters = [...outcome.Reason];
  let low = 0;
  let high = characters.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(body(`${characters.slice(0, middle).join('')}…`))) low = middle;
    else high = middle - 1;
  }
  return body(`${characters.slice(0, low).join('')}…`);
}

const ATTEMPTS = 5;
/** One PUT that hangs gives way to the next after this long. */
const PUT_TIMEOUT_MS = 5_000;
/** How long answering may take, all attempts together: the invocation keeps this much (and more) for it. */
export const RESPONSE_WITHIN_MS = 15_000;
/** Kept between the last attempt's end and the invocation's. */
const MARGIN_MS = 1_000;
/** An attempt gets at least this long, in real time (below MARGIN_MS): a clock sped up for tests must not cut a local PUT short. */
const MIN_PUT_MS = 250;

/**
 * Whether `url` is one of CloudFormation's response endpoints for the stack: https to the custom-resource
 * response bucket of the stack's Region (virtual-hosted or path-style, global or Regional S3 endpoint, in
 * the stack's partition), or, only where the local services' deployment engine set LOCAL_RESPONSE_URL_ENV,
 * under that prefix. An answer is never sent elsewhere: a forged request's URL would receive it.
 */
export function isCloudFormationResponseUrl(url: string, stackId: string): boolean {
  const local = process.env[LOCAL_RESPONSE_URL_ENV];
  if (local && url.startsWith(local)) return true;
  const [, partition, service, region] = stackId.split(':');
  if (service !== 'cloudformation' || !region || !/^[a-z0-9-]+$/.test(region)) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.port !== '' || parsed.username !== '' || parsed.password !== '') return false;
  const suffix = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  const bucket = `cloudformation-custom-resource-response-${region.replace(/-/g, '')}`;
  const endpoints = [`s3.${suffix}`, `s3.${region}.${suffix}`, `s3-${region}.${suffix}`];
  const host = parsed.hostname.toLowerCase();
  return endpoints.some(endpoint => host === `${bucket}.${endpoint}` || (host === endpoint && parsed.pathname.startsWith(`/${bucket}/`)));
}

/**
 * Sends the answer, trying a few times (S3 may fail a request now and then), within RESPONSE_WITHIN_MS
 * and before `until` (epoch ms: the invocation's end), so that the function does not end mid-answer.
 * Throws when every attempt failed.
 */
export async function respond(request: ResponseTarget, outcome: Outcome, until = Infinity): Promise<void> {
  if (!isCloudFormationResponseUrl(request.ResponseURL, request.StackId)) {
    throw new Error('The answer was not sent: its ResponseURL is not a CloudFormation response endpoint of the stack\'s Region');
  }
  const body = responseBody(request, outcome);
  const by = Math.min(until - MARGIN_MS / timeScale(), Date.now() + RESPONSE_WITHIN_MS / timeScale());
  for (let attempt = 1; ; attempt++) {
    try {
      await put(request.ResponseURL, body, Math.max(MIN_PUT_MS, Math.min(PUT_TIMEOUT_MS / timeScale(), by - Date.now())));
      return;
    } catch (error) {
      const pause = (250 * 2 ** attempt) / timeScale();
      if (attempt >= ATTEMPTS || Date.now() + pause >= by) throw error;
      await sleep(pause);
    }
  }
}

function put(url: string, body: string, timeoutMs: number): Promise<void> {
  const parsed = new URL(url);
  const send = parsed.protocol === 'http:' ? http.request : https.request;
  return new Promise((resolve, reject) => {
    const request = send(parsed, {
      method: 'PUT',
      headers: { 'content-type': '', 'content-length': Buffer.byteLength(body, 'utf8') },
    }, response => {
      response.resume();
      if ((response.statusCode ?? 500) >= 400) reject(new Error(`The response to CloudFormation was refused: HTTP ${response.statusCode}`));
      else response.on('end', () => resolve());
    });
    // The whole attempt is bounded (not only the socket's idle time).
    const timer = setTimeout(() => request.destroy(new Error('The response to CloudFormation timed out')), timeoutMs);
    request.on('close', () => clearTimeout(timer));
    request.on('error', reject);
    request.end(body);
  });
}
