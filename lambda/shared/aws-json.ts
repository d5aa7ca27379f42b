import type { AwsCredentialIdentityProvider, RetryStrategyV2 } from '@smithy/types';
import { dnsSuffix, endpointOverride, jsonErrorCode, ownRegion, partitionOf, signedCall, SignedCaller } from './signed-request';

/*
 * Calls to an awsJson service (Step Functions, Organizations) without its SDK client, which would add
 * 24 KiB (Step Functions) and 33 KiB (Organizations) to each handler for the handful of operations they
 * send: POST / with the operation in X-Amz-Target, signed and retried as lambda/shared/signed-request.ts does.
 */

/** Where an awsJson service is and how its requests are written. */
export interface JsonApi {
  /** The signing name: `states`, `organizations`. */
  readonly service: string;
  /** X-Amz-Target's prefix, before the operation's name: `AWSStepFunctions`. */
  readonly targetPrefix: string;
  readonly version: '1.0' | '1.1';
  readonly url: URL;
  /** The Region to sign for. */
  readonly region: string;
}

/** Step Functions in `region` (the function's by default), or AWS_ENDPOINT_URL_SFN. */
export function stepFunctionsApi(region = ownRegion()): JsonApi {
  const url = new URL(endpointOverride('sfn') ?? `https://states.${region}.${dnsSuffix(region)}/`);
  return { service: 'states', targetPrefix: 'AWSStepFunctions', version: '1.0', url, region };
}

/** Organizations' one Region in each partition, as the SDK's endpoint rules of Organizations name it. */
const ORGANIZATIONS_HOMES: Record<string, string> = {
  'aws': 'us-east-1',
  'aws-cn': 'cn-northwest-1',
  'aws-us-gov': 'us-gov-west-1',
  'aws-iso': 'us-iso-east-1',
  'aws-iso-b': 'us-isob-east-1',
  'aws-iso-f': 'us-isof-south-1',
};

/**
 * Organizations, a global service: its one endpoint in the partition of `region` (the function's by
 * default), signed for that endpoint's Region; or AWS_ENDPOINT_URL_ORGANIZATIONS, signed for `region` as the SDK does.
 */
export function organizationsApi(region = ownRegion()): JsonApi {
  const override = endpointOverride('organizations');
  const partition = partitionOf(region);
  const home = ORGANIZATIONS_HOMES[partition];
  // The SDK's rules name no endpoint of its own for the other partitions (aws-iso-e, aws-eusc): better a clear error than a guessed host.
  if (!home && !override) throw new Error(`Organizations' endpoint in the ${partition} partition (Region ${region}) is not known: set AWS_ENDPOINT_URL_ORGANIZATIONS`);
  const url = new URL(override ?? `https://organizations.${home}.${dnsSuffix(home)}/`);
  return { service: 'organizations', targetPrefix: 'AWSOrganizationsV20161128', version: '1.1', url, region: override ? region : home! };
}

export interface JsonCallOptions {
  /** Epoch ms after which no attempt is started. @default the caller's deadline */
  readonly deadline?: number;
  /** False hands throttling back at once, to a caller that paces its calls itself. @default true */
  readonly retryThrottling?: boolean;
  /** @default the environment's (a function's role) */
  readonly credentials?: AwsCredentialIdentityProvider;
  /** Retries as the invocation's clients do (its deadline, the environment's rate limiter of the service). @default backoff until the deadline */
  readonly retryStrategy?: RetryStrategyV2;
}

/**
 * Sends `operation` with `input` and returns the parsed answer; throws the service's error, named as the
 * SDK names it (`__type` without its namespace) and carrying the service's message, once retries are spent.
 */
export async function jsonCall<T>(caller: SignedCaller, api: JsonApi, operation: string, input: object, options: JsonCallOptions = {}): Promise<T> {
  let refusal: string | undefined;
  try {
    const { body } = await signedCall(caller, {
      service: api.service,
      method: 'POST',
      url: api.url,
      region: api.region,
      credentials: options.credentials,
      retryThrottling: options.retryThrottling,
      retryStrategy: options.retryStrategy,
      headers: { 'content-type': `application/x-amz-json-${api.version}`, 'x-amz-target': `${api.targetPrefix}.${operation}` },
      body: JSON.stringify(input),
    }, (answer, headers) => jsonErrorCode(refusal = answer, headers), options.deadline ?? caller.deadline);
    return (body ? JSON.parse(body) : {}) as T;
  } catch (error) {
    // signedCall names the error; the service's own words (`message`, or `Message` in Organizations) say what was wrong.
    const message = refusal === undefined ? undefined : serviceMessage(refusal);
    if (message && (error as { $metadata?: unknown }).$metadata) (error as Error).message = message;
    throw error;
  }
}

function serviceMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; Message?: unknown };
    const message = parsed.message ?? parsed.Message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every page of a listing: `send` is called with the input and each page's token (`NextToken` in
 * Organizations, `nextToken` in Step Functions) until a page has none.
 */
export async function* pages<P>(
  send: (input: object) => Promise<P>, input: object, token: 'NextToken' | 'nextToken' = 'NextToken',
): AsyncGenerator<P> {
  let next: string | undefined;
  do {
    const page = await send(next === undefined ? input : { ...input, [token]: next });
    yield page;
    next = (page as Record<string, unknown>)[token] as string | undefined;
  } while (next);
}

/** A service's timestamp (epoch seconds on the wire) as a Date. */
export function epochDate(seconds: number | undefined): Date | undefined {
  return seconds === undefined || seconds === null ? undefined : new Date(seconds * 1000);
}

/**
 * An awsJson service bound to a caller and a deadline, as the handlers pass an SDK client around. `api` may
 * be given as a function, read at the first call: like an SDK client, making one needs no Region yet.
 */
export class JsonClient {
  constructor(private readonly caller: SignedCaller, private api: JsonApi | (() => JsonApi), private readonly options: JsonCallOptions = {}) {}

  public async send<T>(operation: string, input: object): Promise<T> {
    if (typeof this.api === 'function') this.api = this.api();
    return jsonCall<T>(this.caller, this.api, operation, input, this.options);
  }

  /** Every page of a listing whose token is `token`. */
  public pages<P>(operation: string, input: object, token: 'NextToken' | 'nextToken' = 'NextToken'): AsyncGenerator<P> {
    return pages(page => this.send<P>(operation, page), input, token);
  }
}
