import { AccountClient } from '@aws-sdk/client-account';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity } from '@smithy/types';
import { JsonClient, organizationsApi } from './aws-json';
import { CloudFormation } from './cloudformation';
import { DeadlineRetryOptions, DeadlineRetryStrategy, timeScale } from './pacing';
import { RESPONSE_WITHIN_MS } from './response';
import { ownAccountId } from './target';
import { WAITER_ARN_ENV } from '../../src/contract';

/** What a handler is told about its invocation (a subset of the Lambda context). */
export interface InvocationContext {
  readonly invokedFunctionArn: string;
  getRemainingTimeInMillis(): number;
}

/** One attempt that hangs gives way to the next after this long (a TimeoutError is retried). */
export const REQUEST_TIMEOUT_MS = 20_000;
/** The least a faster time scale shortens it to: a loaded test machine's answers take real time, which the scale does not shorten. */
const LEAST_REQUEST_TIMEOUT_MS = 2_000;
/** How long opening a connection may take, before the attempt fails. */
const CONNECTION_TIMEOUT_MS = 5_000;
/**
 * Kept free at the end of an invocation to report its outcome (to CloudFormation or Step Functions): an
 * attempt started just before the deadline (its connection, then its request) and the answer to
 * CloudFormation after it (RESPONSE_WITHIN_MS) both fit, with a few seconds to spare.
 */
export const RESERVE_MS = CONNECTION_TIMEOUT_MS + REQUEST_TIMEOUT_MS + RESPONSE_WITHIN_MS + 5_000;
/**
 * How long a call to CloudFormation or Organizations is retried: they answer questions about the
 * request (is the stack rolling back, is the account still a member), and the request itself needs
 * the rest of the invocation.
 */
const QUESTION_WITHIN_MS = 60_000;

/*
 * One HTTP handler per service and execution environment, so that the connections outlive the
 * invocation's clients. Each invocation makes its own clients, because their retries are bounded by that
 * invocation's remaining time.
 */
const httpHandlers = new Map<string, NodeHttpHandler>();

/**
 * Connections the Account API's and S3's handlers may hold at once (the SDK's default is 50): the reconciler
 * has up to 64 member accounts in flight (accounts-phase.ts), each calling for itself and keeping its prior
 * in the store.
 */
const WIDE_SOCKETS = 128;
const WIDE_SERVICES = ['account', 's3'];

function httpHandler(service: string): NodeHttpHandler {
  let handler = httpHandlers.get(service);
  if (!handler) {
    const sockets = WIDE_SERVICES.includes(service) ? { httpAgent: { maxSockets: WIDE_SOCKETS }, httpsAgent: { maxSockets: WIDE_SOCKETS } } : {};
    // Without throwOnRequestTimeout the handler only prints a warning (plain text, in the function's JSON log) and waits on.
    handler = new NodeHttpHandler({
      requestTimeout: Math.max(REQUEST_TIMEOUT_MS / timeScale(), LEAST_REQUEST_TIMEOUT_MS),
      throwOnRequestTimeout: true,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      ...sockets,
    });
    httpHandlers.set(service, handler);
  }
  return handler;
}

/**
 * One invocation of a handler: the account it runs in, until when it may keep trying, and its AWS clients,
 * which retry throttling, network errors and 5xx until then. The Organizations client is imported, not
 * required on first use: a `require` would make esbuild keep every command of the client, where the import
 * keeps the few the handlers send, whose evaluation costs little (CloudFormation's reads are signed calls).
 */
export class Invocation {
  /** The account the function runs in, from its own ARN. */
  public readonly ownAccount: string;
  /** The partition the function runs in (aws, aws-cn, aws-us-gov), from its own ARN. */
  public readonly partition: string;
  /** Epoch ms after which no call is started, so that the outcome can still be reported. */
  public readonly deadline: number;
  /** Epoch ms at which the function is stopped, whatever it is doing. */
  public readonly end: number;
  /** The stack's waiter state machine, if the function serves through one (read as the invocation starts). */
  public readonly waiterArn: string | undefined;
  private readonly clients = new Map<string, unknown>();

  constructor(context: InvocationContext) {
    this.ownAccount = ownAccountId(context.invokedFunctionArn);
    this.partition = context.invokedFunctionArn.split(':')[1] || 'aws';
    this.end = Date.now() + context.getRemainingTimeInMillis();
    this.deadline = this.end - RESERVE_MS / timeScale();
    this.waiterArn = process.env[WAITER_ARN_ENV];
  }

  /** Milliseconds left before the deadline. */
  public remainingMs(): number {
    return this.deadline - Date.now();
  }

  /**
   * The Account Management client. `withinMs` bounds its retries more tightly than the invocation's
   * deadline (a Region request refused for its in-progress limits is asked again at the next poll);
   * `options` (with `withinMs` only) may hand throttling back at once, for a caller that paces its retries.
   */
  public account(withinMs?: number, options?: DeadlineRetryOptions): AccountClient {
    const deadline = withinMs === undefined ? this.deadline : Math.min(this.deadline, Date.now() + withinMs / timeScale());
    if (withinMs !== undefined) return new AccountClient(this.config('account', deadline, options));
    return this.client('account', () => new AccountClient(this.config('account', deadline)));
  }

  /**
   * The Account Management client of a caller that paces its calls itself (lambda/shared/pacer.ts):
   * throttling errors reach it at once; 5xx and network errors are retried until the deadline.
   */
  public pacedAccount(): AccountClient {
    return this.client('account/paced', () => new AccountClient(this.config('account', this.deadline, { retryThrottling: false })));
  }

  /**
   * The Account Management client of a member account, calling as the account itself with a session of
   * its role (lambda/shared/member-sessions.ts): made for each account (its credentials are its own), it
   * shares the environment's connections. Its calls count against the member's quotas, not this account's:
   * throttling is retried with backoff alone (no shared rate limiter), or, with `retryThrottling: false`,
   * handed back at once to a caller that paces each member itself; 5xx until the deadline.
   */
  public memberAccount(credentials: AwsCredentialIdentity, options: DeadlineRetryOptions = {}): AccountClient {
    return new AccountClient({ ...this.config('account', this.deadline, { ...options, rateLimited: false }), credentials });
  }

  /** CloudFormation's reads (signed awsQuery calls, lambda/shared/cloudformation.ts), whose retries end within a minute of now (or at the deadline). */
  public cloudFormation(): CloudFormation {
    return new CloudFormation(this, { retryStrategy: this.config('cloudformation', this.questionDeadline()).retryStrategy });
  }

  /**
   * Organizations, called without its SDK client (lambda/shared/aws-json.ts), whose retries end within a
   * minute of now (or at the deadline); `withinMs` gives a long listing more time.
   */
  public organizations(withinMs = QUESTION_WITHIN_MS): JsonClient {
    const deadline = this.questionDeadline(withinMs);
    // The environment's rate limiter of Organizations paces these calls, as it paced its SDK client's.
    return new JsonClient(this, () => organizationsApi(), { deadline, retryStrategy: this.config('organizations', deadline).retryStrategy });
  }

  private questionDeadline(withinMs = QUESTION_WITHIN_MS): number {
    return Math.min(this.deadline, Date.now() + withinMs / timeScale());
  }

  private client<T>(service: string, make: () => T): T {
    let client = this.clients.get(service) as T | undefined;
    if (!client) {
      client = make();
      this.clients.set(service, client);
    }
    return client;
  }

  /** The configuration of a client of `service` whose retries end at `deadline`. */
  public config(service: string, deadline = this.deadline, options?: DeadlineRetryOptions) {
    return { retryStrategy: new DeadlineRetryStrategy(deadline, service, options), requestHandler: httpHandler(service) };
  }
}
