/*
 * Unit tests of what the handlers share (lambda/shared): the deadline-bounded retry strategy, the
 * classification of errors, the organization reconciler's pacer, the failure messages, the size of the response to CloudFormation, and what
 * the handlers ask CloudFormation about their own stack.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import {
  AccessDeniedException,
  AccountClient,
  ConflictException,
  InternalServerException,
  PutAccountNameCommand,
  ResourceNotFoundException,
  TooManyRequestsException,
  ValidationException,
} from '@aws-sdk/client-account';
import {
  CloudFormationServiceException,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  ResourceStatus,
  StackStatus,
} from '@aws-sdk/client-cloudformation';
import type { RetryErrorInfo, RetryErrorType, RetryToken } from '@smithy/types';
import 'aws-sdk-client-mock-jest';
import { mockCloudFormation } from './cloudformation-mock';
import { Invocation } from '../lambda/shared/clients';
import { describe as describeError, failure, isThrottling, isTransient } from '../lambda/shared/errors';
import { NoLongerWanted, Pacer } from '../lambda/shared/pacer';
import { DeadlineRetryStrategy } from '../lambda/shared/pacing';
import { MAX_RESPONSE_BYTES, Outcome, responseBody } from '../lambda/shared/response';
import { currentRequest, isRollingBack, otherClaimant, StackRequest, stillDeclared } from '../lambda/shared/stack';
import { Target } from '../lambda/shared/target';

const OWN = '111111111111';
const MEMBER = '222222222222';
const STACK_ID = `arn:aws:cloudformation:us-east-1:${OWN}:stack/baseline/1`;
const ORGANIZATIONS_TARGET: Target = { accountId: MEMBER, accountIdParameter: MEMBER, organizationsMode: true };
const STANDALONE_TARGET: Target = { accountId: OWN, accountIdParameter: undefined, organizationsMode: false };

const TIME_SCALE = process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
function setTimeScale(scale: number): void {
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(scale);
}
afterAll(() => {
  if (TIME_SCALE === undefined) delete process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
  else process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = TIME_SCALE;
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

/** A fresh name per strategy: each service has its own rate limiter, which learns from every call. */
let services = 0;
const newService = () => `test-service-${++services}`;

// --- a local Account Management endpoint that answers as it is told ---

/** What the endpoint answers a request with: a status (with its error type), or a closed connection. */
type Scripted = 200 | 'reset' | { status: number; type: string; message?: string };

const THROTTLED: Scripted = { status: 429, type: 'TooManyRequestsException', message: 'Rate exceeded' };
const INTERNAL: Scripted = { status: 500, type: 'InternalServerException', message: 'Internal failure' };
const UNAVAILABLE: Scripted = { status: 503, type: 'ServiceUnavailable', message: 'Service unavailable' };

class ScriptedEndpoint {
  public static async start(): Promise<ScriptedEndpoint> {
    const endpoint = new ScriptedEndpoint();
    await new Promise<void>(resolve => endpoint.server.listen(0, '127.0.0.1', resolve));
    return endpoint;
  }

  /** The answers to the next requests, in order; `otherwise` once they are used up. */
  public script: Scripted[] = [];
  public otherwise: Scripted = 200;
  /** What was answered, request by request. */
  public readonly answered: Scripted[] = [];
  private readonly server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = this.script.shift() ?? this.otherwise;
      this.answered.push(answer);
      this.onRequest(this.answered.length);
      if (answer === 'reset') {
        req.socket.destroy();
      } else if (answer === 200) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        res.writeHead(answer.status, { 'content-type': 'application/json', 'x-amzn-errortype': answer.type })
          .end(JSON.stringify({ message: answer.message ?? answer.type }));
      }
    });
  });

  /** Called as each request arrives, before it is answered. */
  public onRequest: (count: number) => void = () => undefined;

  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public reset(): void {
    this.script = [];
    this.otherwise = 200;
    this.answered.length = 0;
    this.onRequest = () => undefined;
  }

  public async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}

let endpoint: ScriptedEndpoint;
const clients: AccountClient[] = [];

beforeAll(async () => {
  endpoint = await ScriptedEndpoint.start();
});

afterAll(async () => {
  clients.forEach(client => client.destroy());
  await endpoint.close();
});

/** A real Account Management client against the scripted endpoint, retrying until `deadline`. */
function accountClient(deadline: number): AccountClient {
  const client = new AccountClient({
    region: 'us-east-1',
    endpoint: endpoint.url,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
    retryStrategy: new DeadlineRetryStrategy(deadline, newService()),
  });
  clients.push(client);
  return client;
}

const putAccountName = (client: AccountClient) => client.send(new PutAccountNameCommand({ AccountName: 'workload-prod' }));

/** The error `promise` rejects with (failing the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata?: { attempts?: number; httpStatusCode?: number }; code?: string }> {
  const outcome = await promise.then(value => ({ value }), (error: Error) => ({ error }));
  if (!('error' in outcome)) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  return outcome.error;
}

describe('DeadlineRetryStrategy, through a real client call', () => {
  beforeEach(() => {
    // Backoffs of a few milliseconds.
    setTimeScale(1000);
    endpoint.reset();
  });

  test('throttling (429), server errors (500, 503) and a reset connection are retried until the call succeeds', async () => {
    endpoint.script = [THROTTLED, INTERNAL, 'reset', UNAVAILABLE, 200];
    const output = await putAccountName(accountClient(Date.now() + 60_000));

    expect(output.$metadata.attempts).toBe(5);
    expect(endpoint.answered).toHaveLength(5);
  });

  test.each([
    [{ status: 400, type: 'ValidationException' }],
    [{ status: 403, type: 'AccessDeniedException' }],
    [{ status: 404, type: 'ResourceNotFoundException' }],
    [{ status: 409, type: 'ConflictException' }],
  ])('a client error (%p) is thrown at once', async (answer) => {
    endpoint.otherwise = answer;
    const error = await rejection(putAccountName(accountClient(Date.now() + 60_000)));

    expect(error.name).toBe(answer.type);
    expect(error.$metadata?.attempts).toBe(1);
    expect(endpoint.answered).toHaveLength(1);
  });

  test('a call that is still throttled when the deadline comes ends with the last error it got', async () => {
    // The clock moves past the deadline as the third request is answered.
    const realNow = Date.now.bind(Date);
    let offset = 0;
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offset);
    const deadline = Date.now() + 60_000;
    endpoint.script = [INTERNAL];
    endpoint.otherwise = THROTTLED;
    endpoint.onRequest = count => {
      if (count === 3) offset += 60_000;
    };
    const error = await rejection(putAccountName(accountClient(deadline)));

    expect(error.name).toBe('TooManyRequestsException');
    expect(error.$metadata?.httpStatusCode).toBe(429);
    expect(error.$metadata?.attempts).toBe(3);
    expect(endpoint.answered).toEqual([INTERNAL, THROTTLED, THROTTLED]);
  });

  test('a call whose deadline has passed makes its one attempt and does not retry', async () => {
    endpoint.otherwise = THROTTLED;
    const error = await rejection(putAccountName(accountClient(Date.now() - 1)));

    expect(error.name).toBe('TooManyRequestsException');
    expect(endpoint.answered).toHaveLength(1);
  });
});

describe('DeadlineRetryStrategy, its methods with a fake clock', () => {
  const T0 = 1_700_000_000_000;
  const errorInfo = (errorType: RetryErrorType): RetryErrorInfo => ({ errorType, error: Object.assign(new Error(errorType), { name: errorType }) as RetryErrorInfo['error'] });

  beforeEach(() => {
    setTimeScale(1);
    jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'queueMicrotask'] });
    // Full jitter draws from [0, 500 ms) for the first retry: half of it.
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
  });

  /** Whether `promise` has settled, without waiting for it. */
  async function settled(promise: Promise<unknown>): Promise<boolean> {
    let done = false;
    promise.then(() => { done = true; }, () => { done = true; });
    await jest.advanceTimersByTimeAsync(0);
    return done;
  }

  test('a client error is thrown at once, whatever the time left', async () => {
    const strategy = new DeadlineRetryStrategy(T0 + 600_000, newService());
    const token = await strategy.acquireInitialRetryToken();
    const info = errorInfo('CLIENT_ERROR');

    await expect(strategy.refreshRetryTokenForRetry(token, info)).rejects.toBe(info.error);
    expect(jest.getTimerCount()).toBe(0);
    expect(Date.now()).toBe(T0);
  });

  test.each([
    ['THROTTLING', 10_000],
    ['TRANSIENT', 250],
    ['SERVER_ERROR', 250],
  ] as const)('%s is retried after a jittered backoff that ends before the deadline', async (errorType, latest) => {
    const strategy = new DeadlineRetryStrategy(T0 + 10_000, newService());
    const first = await strategy.acquireInitialRetryToken();
    let retriedAt: number | undefined;
    const retry = strategy.refreshRetryTokenForRetry(first, errorInfo(errorType)).then(token => {
      retriedAt = Date.now();
      return token;
    });
    await jest.advanceTimersByTimeAsync(10_000);

    const token = await retry;
    expect(token.getRetryCount()).toBe(1);
    // The strategy has waited already: the SDK is not to wait again.
    expect(token.getRetryDelay()).toBe(0);
    // After the backoff drawn (250 ms); throttling also waits for the rate limiter, which it has just slowed
    // down (to its least rate, 0.5 per second: 2 s), but not past the deadline.
    expect(retriedAt).toBeGreaterThanOrEqual(T0 + 250);
    expect(retriedAt).toBeLessThanOrEqual(T0 + latest);
  });

  test('a backoff that would end after the deadline is not slept: the last error is thrown at once', async () => {
    const strategy = new DeadlineRetryStrategy(T0 + 100, newService());
    const token = await strategy.acquireInitialRetryToken();
    const info = errorInfo('THROTTLING');

    await expect(strategy.refreshRetryTokenForRetry(token, info)).rejects.toBe(info.error);
    expect(jest.getTimerCount()).toBe(0);
    expect(Date.now()).toBe(T0);
  });

  test('the rate limiter\'s wait does not outlast the deadline either', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0);
    const strategy = new DeadlineRetryStrategy(T0 + 1_000, newService());
    const token = await strategy.acquireInitialRetryToken();
    const info = errorInfo('THROTTLING');
    const retry = strategy.refreshRetryTokenForRetry(token, info);
    retry.catch(() => undefined);
    try {
      await jest.advanceTimersByTimeAsync(1_000);
      expect(await settled(retry)).toBe(true);
    } finally {
      await jest.advanceTimersByTimeAsync(10_000);
    }
  });
});

describe('Pacer (the organization reconciler\'s), with a fake clock', () => {
  const T0 = 1_700_000_000_000;
  const QUOTAS = { Put: { rate: 2, burst: 2 } };
  const throttle = () => new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} });

  beforeEach(() => {
    setTimeScale(1);
    jest.useFakeTimers({ now: T0, doNotFake: ['nextTick', 'queueMicrotask'] });
  });

  /** Calls `fn` through the pacer, running the fake clock until the call settles. */
  async function paced<T>(pacer: Pacer, fn: () => Promise<T>, options = {}): Promise<{ value?: T; error?: unknown }> {
    const outcome = pacer.call('Put', fn, options).then(value => ({ value }), error => ({ error }));
    await jest.advanceTimersByTimeAsync(60_000);
    return outcome;
  }

  test('calls beyond the burst wait for tokens at the quota\'s rate', async () => {
    const pacer = new Pacer(T0 + 600_000, {}, QUOTAS);
    const at: number[] = [];
    const calls = Array.from({ length: 4 }, () => pacer.call('Put', async () => at.push(Date.now() - T0)));
    await jest.advanceTimersByTimeAsync(5_000);
    await Promise.all(calls);

    expect(at).toEqual([0, 0, 500, 1000]);
  });

  test('a throttled call slows the operation down and is made again until it goes through', async () => {
    const pacer = new Pacer(T0 + 600_000, {}, QUOTAS);
    const fn = jest.fn().mockRejectedValueOnce(throttle()).mockRejectedValueOnce(throttle()).mockResolvedValue('done');

    expect(await paced(pacer, fn)).toEqual({ value: 'done' });
    expect(fn).toHaveBeenCalledTimes(3);
    expect(pacer.stats).toEqual({ calls: 3, throttled: 2 });
    expect(pacer.state().Put).toBeLessThan(QUOTAS.Put.rate);
  });

  test('with throttledAttempts, the refusal is thrown once the call was made that many times (and the rate is slowed)', async () => {
    const pacer = new Pacer(T0 + 600_000, {}, QUOTAS);
    const fn = jest.fn().mockRejectedValue(throttle());

    const { error } = await paced(pacer, fn, { throttledAttempts: 2 });

    expect(isThrottling(error)).toBe(true);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(pacer.state().Put).toBeLessThan(QUOTAS.Put.rate);
  });

  test('past the deadline, a throttled call is not made again', async () => {
    const pacer = new Pacer(T0 + 100, {}, QUOTAS);
    const fn = jest.fn().mockImplementation(async () => {
      jest.setSystemTime(Date.now() + 200);
      throw throttle();
    });

    expect(isThrottling((await paced(pacer, fn)).error)).toBe(true);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  test('a call that is no longer wanted is not made; other errors are thrown at once', async () => {
    const pacer = new Pacer(T0 + 600_000, {}, QUOTAS);
    const fn = jest.fn().mockResolvedValue('written');
    expect((await paced(pacer, fn, { stillWanted: async () => false })).error).toBeInstanceOf(NoLongerWanted);
    expect(fn).not.toHaveBeenCalled();

    const denied = new AccessDeniedException({ message: 'no', $metadata: {} });
    const failing = jest.fn().mockRejectedValue(denied);
    expect((await paced(pacer, failing)).error).toBe(denied);
    expect(failing).toHaveBeenCalledTimes(1);
  });

  test('rates learned in one step are where the next step starts', async () => {
    const pacer = new Pacer(T0 + 600_000, { Put: 0.5 }, QUOTAS);
    const at: number[] = [];
    const calls = Array.from({ length: 3 }, () => pacer.call('Put', async () => at.push(Date.now() - T0)));
    await jest.advanceTimersByTimeAsync(10_000);
    await Promise.all(calls);

    expect(at).toEqual([0, 0, 2000]);
  });
});

describe('error classification', () => {
  const withCode = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

  test.each([
    ['TooManyRequestsException (429)', true, true, new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } })],
    ['any error answered with 429', true, true, Object.assign(new Error('slow down'), { name: 'Whatever', $metadata: { httpStatusCode: 429 } })],
    ['CloudFormation\'s Throttling (400)', true, true, new CloudFormationServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } })],
    ['InternalServerException (500)', false, true, new InternalServerException({ message: 'Internal', $metadata: { httpStatusCode: 500 } })],
    ['ServiceUnavailable (503)', false, true, Object.assign(new Error('unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } })],
    ['an unnamed 5xx (599)', false, true, Object.assign(new Error('odd'), { name: 'Odd', $metadata: { httpStatusCode: 599 } })],
    ['ECONNRESET', false, true, withCode('ECONNRESET')],
    ['ETIMEDOUT', false, true, withCode('ETIMEDOUT')],
    ['TimeoutError', false, true, Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['AccessDeniedException (403)', false, false, new AccessDeniedException({ message: 'denied', $metadata: { httpStatusCode: 403 } })],
    ['ValidationException (400)', false, false, new ValidationException({ message: 'bad', $metadata: { httpStatusCode: 400 } })],
    ['ConflictException (409)', false, false, new ConflictException({ message: 'busy', $metadata: { httpStatusCode: 409 } })],
    ['ResourceNotFoundException (404)', false, false, new ResourceNotFoundException({ message: 'none', $metadata: { httpStatusCode: 404 } })],
    ['a plain Error', false, false, new Error('boom')],
    ['undefined', false, false, undefined],
    ['null', false, false, null],
    ['a string', false, false, 'ECONNRESET'],
  ])('%s: throttling %p, transient %p', (_, throttling, transient, error) => {
    expect(isThrottling(error)).toBe(throttling);
    expect(isTransient(error)).toBe(transient);
  });

  describe('errors as the SDK client gives them', () => {
    /** Keeps the errors the client hands its retry strategy. */
    class RecordingStrategy extends DeadlineRetryStrategy {
      public readonly seen: RetryErrorInfo[] = [];
      public async refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
        this.seen.push(info);
        return super.refreshRetryTokenForRetry(token, info);
      }
    }

    beforeEach(() => {
      setTimeScale(1000);
      endpoint.reset();
    });

    test.each([
      ['429', true, true, THROTTLED],
      ['500', false, true, INTERNAL],
      ['503', false, true, UNAVAILABLE],
      ['a reset connection', false, true, 'reset' as const],
      ['403 AccessDeniedException', false, false, { status: 403, type: 'AccessDeniedException' }],
      ['400 ValidationException', false, false, { status: 400, type: 'ValidationException' }],
      ['409 ConflictException', false, false, { status: 409, type: 'ConflictException' }],
    ])('%s: throttling %p, transient %p', async (_, throttling, transient, answer) => {
      endpoint.otherwise = answer;
      // No time to retry: the first error is thrown.
      const strategy = new RecordingStrategy(Date.now() - 1, newService());
      const client = new AccountClient({
        region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' }, retryStrategy: strategy,
      });
      clients.push(client);
      const thrown = await rejection(putAccountName(client));

      expect(strategy.seen).toHaveLength(1);
      const error = strategy.seen[0].error;
      expect(strategy.seen[0].errorType).toEqual(throttling ? 'THROTTLING' : transient ? expect.stringMatching(/^(TRANSIENT|SERVER_ERROR)$/) : 'CLIENT_ERROR');
      expect(isThrottling(error)).toBe(throttling);
      expect(isTransient(error)).toBe(transient);
      if (answer === 'reset') {
        expect(error).toMatchObject({ name: 'TimeoutError', code: 'ECONNRESET' });
        // What the client throws for it is another object under jest only: node's errors come from another
        // realm than the test's `Error`, so the SDK's asSdkError wraps them in a new Error that keeps neither
        // name nor code. In Lambda (one realm) the thrown error is the one above.
        expect(thrown.message).toBe('AWS SDK error wrapper for TimeoutError: socket hang up');
      } else {
        expect(thrown).toBe(error);
      }
    });
  });
});

describe('failure messages', () => {
  test('what failed and where comes first, then the fix, then what the service answered', () => {
    const message = failure('PutAlternateContact', 'SECURITY alternate contact', ORGANIZATIONS_TARGET,
      new AccessDeniedException({ message: 'User is not authorized', $metadata: { httpStatusCode: 403 } })).message;

    expect(message).toBe(`PutAlternateContact for the SECURITY alternate contact of account ${MEMBER} (organizations mode) failed: `
      + 'check that trusted access for account.amazonaws.com is enabled in AWS Organizations, that the stack deploys from the management account '
      + `or the Account Management delegated administrator, and that account ${MEMBER} is a member of that organization. `
      + 'The service answered AccessDeniedException: User is not authorized');
    const where = message.indexOf('failed:');
    const fix = message.indexOf('check that trusted access');
    const answered = message.indexOf('The service answered');
    expect(where).toBeGreaterThan(0);
    expect(fix).toBeGreaterThan(where);
    expect(answered).toBeGreaterThan(fix);
  });

  test('a ValidationException is reduced to the names of its fields: no value it echoes is repeated', () => {
    const error = new ValidationException({
      message: "2 validation errors detected: Value 'ops@example' at 'emailAddress' failed to satisfy constraint; Value '555' at 'phoneNumber'",
      fieldList: [{ name: 'EmailAddress', message: "Value 'ops@example' is not valid" }, { name: 'PhoneNumber', message: "Value '555' is not valid" }],
      reason: 'fieldValidationFailed',
      $metadata: { httpStatusCode: 400 },
    });
    const message = failure('PutAlternateContact', 'OPERATIONS alternate contact', STANDALONE_TARGET, error).message;

    expect(message).toBe(`PutAlternateContact for the OPERATIONS alternate contact of account ${OWN} (standalone mode) failed: `
      + "check the construct's properties against the API's constraints. The service answered ValidationException (fields: EmailAddress, PhoneNumber)");
    expect(message).not.toContain('ops@example');
    expect(message).not.toContain('555');
    expect(describeError(new ValidationException({ message: "Value 'secret' is not valid", $metadata: {} }))).toBe('ValidationException');
  });

  test('an error with no fix says only what the service answered; a long answer is cut', () => {
    expect(failure('PutAccountName', 'account name', STANDALONE_TARGET, new ConflictException({ message: 'busy', $metadata: {} })).message)
      .toBe(`PutAccountName for the account name of account ${OWN} (standalone mode) failed: The service answered ConflictException: busy`);
    expect(failure('PutAccountName', 'account name', STANDALONE_TARGET, undefined).message)
      .toBe(`PutAccountName for the account name of account ${OWN} (standalone mode) failed: The service answered Error`);
    const long = failure('PutAccountName', 'account name', STANDALONE_TARGET, new ConflictException({ message: 'x'.repeat(1000), $metadata: {} })).message;
    expect(long.endsWith(`ConflictException: ${'x'.repeat(400)}…`)).toBe(true);
  });

  test.each([
    [new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429, attempts: 1 } }),
      'the service was still throttling after 1 attempt, when the function had no time left; deploy again, or spread the settings over fewer stacks deployed at once'],
    [new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }),
      'the service was still throttling after every attempt, when the function had no time left'],
    [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: { attempts: 7 } }),
      'the service kept failing (7 attempts) until the function had no time left; deploy again later'],
  ])('retries that ran out of time say so (%#)', (error, hint) => {
    expect(failure('PutAlternateContact', 'BILLING alternate contact', ORGANIZATIONS_TARGET, error).message).toContain(`failed: ${hint}`);
  });
});

describe('responseBody', () => {
  const request = { ResponseURL: 'https://example.com/response', StackId: STACK_ID, RequestId: 'request-1', LogicalResourceId: 'Security' };
  const failed = (reason: string): Outcome => ({ Status: 'FAILED', PhysicalResourceId: `${MEMBER}/alternate-contact/SECURITY`, Reason: reason, Data: { AccountId: MEMBER } });
  const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

  test('a short Reason is left untouched, in the order CloudFormation documents', () => {
    const body = responseBody(request, failed('PutAccountName failed: The service answered ConflictException: busy'));

    expect(body).toBe(JSON.stringify({
      Status: 'FAILED',
      Reason: 'PutAccountName failed: The service answered ConflictException: busy',
      PhysicalResourceId: `${MEMBER}/alternate-contact/SECURITY`,
      StackId: STACK_ID,
      RequestId: 'request-1',
      LogicalResourceId: 'Security',
      Data: { AccountId: MEMBER },
    }));
  });

  test('a success has no Reason', () => {
    expect(JSON.parse(responseBody(request, { Status: 'SUCCESS', PhysicalResourceId: 'p', Data: { AccountId: MEMBER } }))).toStrictEqual({
      Status: 'SUCCESS', PhysicalResourceId: 'p', StackId: STACK_ID, RequestId: 'request-1', LogicalResourceId: 'Security', Data: { AccountId: MEMBER },
    });
  });

  test('a 10,000-character Reason is cut at its end to fit 4,096 bytes, keeping its beginning and the rest of the answer', () => {
    const reason = `PutAlternateContact failed: ${'0123456789'.repeat(1000)}`;
    const body = responseBody(request, failed(reason));
    const parsed = JSON.parse(body);

    expect(MAX_RESPONSE_BYTES).toBe(4096);
    expect(bytes(body)).toBeLessThanOrEqual(4096);
    // Cut no more than needed.
    expect(bytes(body)).toBeGreaterThan(4096 - 8);
    expect(parsed.Reason.endsWith('…')).toBe(true);
    expect(reason.startsWith(parsed.Reason.slice(0, -1))).toBe(true);
    expect(parsed).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `${MEMBER}/alternate-contact/SECURITY`, StackId: STACK_ID, Data: { AccountId: MEMBER } });
  });

  test.each([
    ['3-byte characters (€)', '€'.repeat(10_000)],
    ['2-byte characters (é)', 'é'.repeat(10_000)],
    ['4-byte characters (😀, surrogate pairs)', '😀'.repeat(10_000)],
    ['characters JSON escapes (")', '"'.repeat(10_000)],
    ['ASCII then multibyte', `${'a'.repeat(3_000)}${'€'.repeat(7_000)}`],
  ])('a 10,000-character Reason of %s also fits 4,096 bytes and stays valid JSON', (_, reason) => {
    const body = responseBody(request, failed(reason));

    expect(bytes(body)).toBeLessThanOrEqual(4096);
    const parsed = JSON.parse(body);
    expect(parsed.Reason.endsWith('…')).toBe(true);
    // No lone surrogate: the text survives a round trip through UTF-8.
    expect(Buffer.from(parsed.Reason, 'utf8').toString('utf8')).toBe(parsed.Reason);
  });

  test.each([
    ['3-byte characters (€)', '€'.repeat(10_000)],
    ['2-byte characters (é)', 'é'.repeat(10_000)],
    ['characters JSON escapes (")', '"'.repeat(10_000)],
    ['ASCII then multibyte', `${'a'.repeat(3_000)}${'€'.repeat(7_000)}`],
  ])('a 10,000-character Reason of %s keeps as much of its beginning as fits', (_, reason) => {
    const body = responseBody(request, failed(reason));
    const kept = JSON.parse(body).Reason.slice(0, -1) as string;

    expect(reason.startsWith(kept)).toBe(true);
    expect(bytes(body)).toBeGreaterThan(4096 - 16);
  });
});

describe('what the handlers ask CloudFormation about their stack', () => {
  const cloudFormation = mockCloudFormation();
  const SINCE = new Date('2024-01-01T00:00:00.000Z');
  const request = (requestType: StackRequest['RequestType']): StackRequest => ({ StackId: STACK_ID, LogicalResourceId: 'Security', RequestType: requestType });
  const resource = (status: string, since = SINCE) => ({
    StackResourceDetail: { LogicalResourceId: 'Security', ResourceType: 'Custom::AccountAlternateContact', ResourceStatus: status as ResourceStatus, LastUpdatedTimestamp: since },
  });
  const invocation = () => new Invocation({ invokedFunctionArn: `arn:aws:lambda:us-east-1:${OWN}:function:handler`, getRemainingTimeInMillis: () => 60_000 });
  const denied = () => new CloudFormationServiceException({ name: 'AccessDenied', $fault: 'client', message: 'not allowed', $metadata: { httpStatusCode: 403 } });

  beforeEach(() => {
    setTimeScale(1000);
    cloudFormation.reset();
  });

  afterAll(() => {
    cloudFormation.restore();
  });

  describe('currentRequest', () => {
    test.each([
      ['Create', 'CREATE_IN_PROGRESS'],
      ['Update', 'UPDATE_IN_PROGRESS'],
      ['Delete', 'DELETE_IN_PROGRESS'],
    ] as const)('the %s request of a resource in %s is current: its marker is the status and since when', async (requestType, status) => {
      cloudFormation.on(DescribeStackResourceCommand).resolves(resource(status));

      await expect(currentRequest(invocation(), request(requestType))).resolves.toStrictEqual({
        known: true, value: { status, since: '2024-01-01T00:00:00.000Z' },
      });
      expect(cloudFormation).toHaveReceivedCommandWith(DescribeStackResourceCommand, { StackName: STACK_ID, LogicalResourceId: 'Security' });
    });

    test.each([
      ['Create', 'CREATE_COMPLETE'],
      ['Create', 'CREATE_FAILED'],
      ['Create', 'DELETE_IN_PROGRESS'],
      ['Update', 'UPDATE_COMPLETE'],
      ['Update', 'UPDATE_ROLLBACK_IN_PROGRESS'],
      ['Update', 'CREATE_IN_PROGRESS'],
    ] as const)('the %s request of a resource in %s is no longer waited for', async (requestType, status) => {
      cloudFormation.on(DescribeStackResourceCommand).resolves(resource(status));

      await expect(currentRequest(invocation(), request(requestType))).resolves.toStrictEqual({ known: true, value: undefined });
    });

    test('a marker read earlier must still match: a different LastUpdatedTimestamp is a later request', async () => {
      const earlier = { status: 'UPDATE_IN_PROGRESS', since: '2024-01-01T00:00:00.000Z' };
      cloudFormation.on(DescribeStackResourceCommand).resolvesOnce(resource('UPDATE_IN_PROGRESS')).resolves(resource('UPDATE_IN_PROGRESS', new Date('2024-01-01T00:10:00.000Z')));

      await expect(currentRequest(invocation(), request('Update'), earlier)).resolves.toStrictEqual({ known: true, value: earlier });
      await expect(currentRequest(invocation(), request('Update'), earlier)).resolves.toStrictEqual({ known: true, value: undefined });
    });

    test('an error is "cannot tell", with why', async () => {
      cloudFormation.on(DescribeStackResourceCommand).rejects(denied());

      await expect(currentRequest(invocation(), request('Create'))).resolves.toStrictEqual({
        known: false, why: 'cloudformation:DescribeStackResource failed: AccessDenied: not allowed',
      });
    });
  });

  test.each([
    ['UPDATE_ROLLBACK_IN_PROGRESS', true],
    ['ROLLBACK_IN_PROGRESS', true],
    ['UPDATE_IN_PROGRESS', false],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', false],
  ])('isRollingBack: %s is %p', async (status, rolling) => {
    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'baseline', CreationTime: SINCE, StackStatus: status as StackStatus }] });

    await expect(isRollingBack(invocation(), STACK_ID)).resolves.toStrictEqual({ known: true, value: rolling });
  });

  test('isRollingBack, otherClaimant and stillDeclared cannot tell when CloudFormation fails', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(denied());
    cloudFormation.on(ListStackResourcesCommand).rejects(denied());
    const deleted = { StackId: STACK_ID, LogicalResourceId: 'Security', PhysicalResourceId: `${MEMBER}/alternate-contact/SECURITY` };

    await expect(isRollingBack(invocation(), STACK_ID)).resolves.toStrictEqual({ known: false, why: 'cloudformation:DescribeStacks failed: AccessDenied: not allowed' });
    await expect(otherClaimant(invocation(), deleted)).resolves.toStrictEqual({ known: false, why: 'cloudformation:ListStackResources failed: AccessDenied: not allowed' });
    await expect(stillDeclared(invocation(), deleted)).resolves.toStrictEqual({ known: false, why: 'cloudformation:ListStackResources failed: AccessDenied: not allowed' });
  });
});
