import { createHash, createHmac, Hash, Hmac } from 'crypto';
import { HttpRequest } from '@smithy/core/protocols';
import { NodeHttpHandler, streamCollector } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, RetryErrorInfo, RetryErrorType, RetryStrategyV2, RetryToken } from '@smithy/types';
import { isThrottling, isTransient, ServiceError } from './errors';
import { defaultProvider } from './lambda-credentials';
import { backoffDelay, sleep } from './pacing';

/*
 * One signed call to an AWS service's HTTP API, for the few calls a handler makes of a service whose SDK
 * client would weigh more than the handler's own code (S3's client about 150 KiB, EventBridge's about 28
 * KiB): signed by the SDK's own SigV4 signer, sent through the invocation's HTTP handler, and retried
 * on throttling, 5xx and network errors until the invocation's deadline, as the SDK clients are.
 */

/** SHA-256 (HMAC with a secret) over Node's crypto, as the signer wants it. */
class Sha256 {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.create();
  }

  public update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : toBuffer(data));
  }

  public async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  public reset(): void {
    this.hash = this.create();
  }

  private create(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    return createHmac('sha256', typeof this.secret === 'string' ? this.secret : toBuffer(this.secret));
  }
}

function toBuffer(data: ArrayBuffer | ArrayBufferView): Buffer {
  return ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
}

export interface SignedCall {
  /** The signing name: `s3`, `events`. */
  readonly service: string;
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  readonly url: URL;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** The Region to sign for. @default the function's (AWS_REGION) */
  readonly region?: string;
  /** The credentials to sign with. @default the environment's (a function's role) */
  readonly credentials?: AwsCredentialIdentityProvider;
  /** False hands throttling back at once, to a caller that paces the calls itself (lambda/shared/pacer.ts). @default true */
  readonly retryThrottling?: boolean;
  /** Retries as an SDK client's strategy would (lambda/shared/pacing.ts: the environment's rate limiter too). @default backoff until the deadline */
  readonly retryStrategy?: RetryStrategyV2;
  /** Ends the attempt in flight (the command-line tool's run stopped). */
  readonly abortSignal?: AbortSignal;
}

/** What an error answer says: its code, and the service's message when the caller can read it. */
export type ErrorReader = (body: string, headers: Record<string, string>) => string | ErrorSaid | undefined;

/** An error answer's code and the service's message. */
export interface ErrorSaid {
  readonly code?: string;
  readonly message?: string;
}

/** Where a call is sent from and until when it is retried: a handler's invocation, or the command-line tool's run. */
export interface SignedCaller {
  /** Epoch ms after which no attempt is started. */
  readonly deadline: number;
  config(service: string): { readonly requestHandler: NodeHttpHandler };
}

export interface SignedAnswer {
  readonly status: number;
  /** The answer's headers, their names in lower case (as Node gives them). */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The region the function runs in (Lambda sets AWS_REGION). */
export function ownRegion(): string {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('AWS_REGION is not set: Lambda sets it for every function');
  return region;
}

/** The service's endpoint: an override (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL), else undefined. */
export function endpointOverride(service: string): string | undefined {
  return process.env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] ?? process.env.AWS_ENDPOINT_URL;
}

/** The partitions by their Regions' prefix (the SDK's partitions, @aws-sdk/core's partitionsInfo): the name and DNS suffix of each. */
const PARTITIONS: ReadonlyArray<readonly [prefix: string, name: string, suffix: string]> = [
  ['cn-', 'aws-cn', 'amazonaws.com.cn'],
  ['us-gov-', 'aws-us-gov', 'amazonaws.com'],
  ['us-isob-', 'aws-iso-b', 'sc2s.sgov.gov'],
  ['us-isof-', 'aws-iso-f', 'csp.hci.ic.gov'],
  ['us-iso-', 'aws-iso', 'c2s.ic.gov'],
  ['eu-isoe-', 'aws-iso-e', 'cloud.adc-e.uk'],
  ['eusc-', 'aws-eusc', 'amazonaws.eu'],
];

/** The partition the Region is in (`aws`, `aws-cn`, `aws-us-gov`, `aws-iso`…), as the SDK tells it by the Region's name. */
export function partitionOf(region: string): string {
  return PARTITIONS.find(([prefix]) => region.startsWith(prefix))?.[1] ?? 'aws';
}

/** The DNS suffix of the region's partition. */
export function dnsSuffix(region: string): string {
  return PARTITIONS.find(([prefix]) => region.startsWith(prefix))?.[2] ?? 'amazonaws.com';
}

/** An error code as the SDK cleans it (sanitizeErrorCode): without what follows `:` or `,`, nor the namespace before `#`. */
export function sanitizeErrorCode(raw: string | number): string {
  let code = String(raw);
  if (code.includes(',')) code = code.split(',')[0];
  if (code.includes(':')) code = code.split(':')[0];
  if (code.includes('#')) code = code.split('#')[1];
  return code;
}

/**
 * The error code of an awsJson answer, read as the SDK reads it: the body's `__type`, else its `code`, else
 * the `x-amzn-errortype` header; cleaned of a namespace ("com.amazonaws.events#ThrottlingException") and suffixes.
 */
export function jsonErrorCode(body: string, headers: Record<string, string | undefined> = {}): string | undefined {
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value === 'object' && value !== null) parsed = value as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's page): the header alone may say.
  }
  // `code` in any case, as the SDK finds it.
  const codeKey = Object.keys(parsed).find(key => key.toLowerCase() === 'code');
  const found = [parsed.__type, codeKey === undefined ? undefined : parsed[codeKey], headers['x-amzn-errortype']]
    .find(value => typeof value === 'string' || typeof value === 'number') as string | number | undefined;
  return found === undefined ? undefined : sanitizeErrorCode(found);
}

/** The codes of errors that the SDK takes for its clock's skew (@smithy/core's CLOCK_SKEW_ERROR_CODES). */
const CLOCK_SKEW_CODES = ['AccessDeniedException', 'AuthFailure', 'InvalidSignatureException', 'RequestExpired', 'RequestInTheFuture',
  'RequestTimeTooSkewed', 'SignatureDoesNotMatch'];
/** A clock this far from the service's is corrected, as the SDK's is (getUpdatedSystemClockOffset). */
const SKEW_MS = 5 * 60_000;
/** What the services' clock is ahead of this environment's (ms), learned from an answer's `Date`: every request is signed at their time. */
let clockOffset = 0;

/** The time to sign at: this environment's clock, corrected by what the services said of it. */
function signingDate(): Date {
  return new Date(Date.now() + clockOffset);
}

/** Whether the error answer says the request was signed at the wrong time, and the clock was corrected by its `Date`. */
function correctedClock(code: string, headers: Record<string, string | undefined>): boolean {
  if (!CLOCK_SKEW_CODES.includes(code)) return false;
  const serverTime = Date.parse(headers.date ?? '');
  if (!Number.isFinite(serverTime) || Math.abs(serverTime - signingDate().getTime()) < SKEW_MS) return false;
  clockOffset = serverTime - Date.now();
  return true;
}

/**
 * Sends `call`, signed with the function's credentials; throws the service's error (its `name` the error
 * code, its `$metadata.httpStatusCode` the status) for a status of 400 or more, once retries are spent.
 * `errorCode` reads the code (and the message) from an error's body; `deadline` (epoch ms) may end the retries before the invocation's
 * (a `retryStrategy` keeps its own).
 */
export async function signedCall(
  invocation: SignedCaller, call: SignedCall, errorCode: ErrorReader, deadline = invocation.deadline,
): Promise<SignedAnswer> {
  const region = call.region ?? ownRegion();
  const signer = new SignatureV4({
    service: call.service,
    region,
    credentials: call.credentials ?? defaultProvider(),
    sha256: Sha256,
    // S3 signs the path as it is sent; the other services escape it once more.
    uriEscapePath: call.service !== 's3',
  });
  const { requestHandler } = invocation.config(call.service);
  const strategy = call.retryStrategy;
  let token: RetryToken | undefined = await strategy?.acquireInitialRetryToken(call.service);
  let skewCorrected = false;
  for (let attempt = 0; ; attempt++) {
    const query = Object.fromEntries(call.url.searchParams.entries());
    const request = new HttpRequest({
      method: call.method,
      protocol: call.url.protocol,
      hostname: call.url.hostname,
      port: call.url.port ? Number(call.url.port) : undefined,
      path: call.url.pathname,
      query,
      headers: { host: call.url.host, ...call.headers, ...(call.body !== undefined ? { 'content-length': String(Buffer.byteLength(call.body)) } : {}) },
      body: call.body,
    });
    let error: ServiceError & Error;
    try {
      const signed = await signer.sign(request, { signingDate: signingDate() }) as HttpRequest;
      const { response } = await requestHandler.handle(signed, { abortSignal: call.abortSignal });
      const body = Buffer.from(await streamCollector(response.body)).toString('utf8');
      if (response.statusCode < 400) {
        strategy?.recordSuccess(token!);
        return { status: response.statusCode, headers: response.headers, body };
      }
      const read = errorCode(body, response.headers);
      const { code: readCode, message } = typeof read === 'string' ? { code: read, message: undefined } : read ?? {};
      const code = readCode ?? (response.headers['x-amzn-errortype'] ? sanitizeErrorCode(response.headers['x-amzn-errortype']) : `Http${response.statusCode}`);
      // Signed again at the services' time, once: the SDK's clients correct their clock so too.
      if (!skewCorrected && correctedClock(code, response.headers)) {
        skewCorrected = true;
        continue;
      }
      error = Object.assign(new Error(message || `${code}: ${call.method} ${call.url.pathname} answered ${response.statusCode}`), {
        name: code, $metadata: { httpStatusCode: response.statusCode, attempts: attempt + 1 },
      });
    } catch (thrown) {
      // Not `instanceof Error`: Node's network errors come from another realm under jest's module sandbox.
      if (!isTransient(thrown)) throw thrown;
      error = thrown as ServiceError & Error;
    }
    if (strategy) {
      // The strategy waits (or throws the error when it may not retry).
      token = await strategy.refreshRetryTokenForRetry(token!, { error: error as RetryErrorInfo['error'], errorType: retryErrorType(error) });
      continue;
    }
    const pause = backoffDelay(attempt);
    if (!isTransient(error) || (call.retryThrottling === false && isThrottling(error)) || Date.now() + pause >= deadline) throw error;
    await sleep(pause);
  }
}

/** The SDK's classification of an error, as a retry strategy takes it. */
function retryErrorType(error: unknown): RetryErrorType {
  if (isThrottling(error)) return 'THROTTLING';
  return isTransient(error) ? 'TRANSIENT' : 'CLIENT_ERROR';
}
