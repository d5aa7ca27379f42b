/*
 * What the local services share: their errors, the record of the calls they answered, injected faults,
 * rate quotas per calling account, and the time scale.
 */

/** An error the service answers with: an HTTP status, an error type and a message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly fieldList?: Array<{ name: string; message: string }>,
  ) {
    super(message);
  }
}

/** One request a local service answered. */
export interface CallRecord {
  /** The operation, prefixed with the service for all but Account Management ('cloudformation:DescribeStacks'). */
  readonly operation: string;
  /** The calling account: the one whose credentials (a user's, a function's role, an assumed role's session) signed the call. */
  readonly caller: string;
  /** The assumed-role session that signed the call, if AssumeRole issued its credentials. */
  readonly principal?: string;
  /** The account the call targeted (the caller's own account in standalone context). */
  readonly target?: string;
  readonly accountIdParameter?: string;
  readonly status: number;
  readonly errorType?: string;
  readonly at: number;
}

export interface Fault {
  /** Only this operation (e.g. 'PutAlternateContact', 'cloudformation:DescribeStacks'); every operation when omitted. */
  readonly operation?: string;
  /**
   * 429 (TooManyRequestsException), 500 (InternalServerException), 503 (ServiceUnavailable), 400/403/409 with
   * `errorType`, 'reset': the connection is closed without an answer (ECONNRESET, a network error), or 'hang': no
   * answer ever comes on an open connection (until the caller gives up or the services stop).
   */
  readonly status: 400 | 403 | 409 | 429 | 500 | 503 | 'reset' | 'hang';
  /** The error type of a 400 or 403 (e.g. 'AccessDeniedException'). */
  readonly errorType?: string;
  /** The error's message. @default one that names the error */
  readonly message?: string;
  /** How many requests in a row get the fault. */
  readonly count: number;
  /** Only requests whose body matches (e.g. `body => body.Name === 'After'`). */
  readonly when?: (body: Record<string, unknown>) => boolean;
}

/** A request whose connection the service closes without an answer. */
export class ConnectionReset extends Error {}

/** A request left unanswered on its open connection. */
export class NoAnswer extends Error {}

export interface RateQuota {
  /** Requests per second, per caller account. */
  readonly rate: number;
  readonly burst: number;
}

/** The reference's Quotas table (Account Management, per calling account). */
export const REFERENCE_RATE_QUOTAS: Record<string, RateQuota> = {
  DeleteAlternateContact: { rate: 1, burst: 6 },
  DisableRegion: { rate: 1, burst: 1 },
  EnableRegion: { rate: 1, burst: 1 },
  GetAlternateContact: { rate: 10, burst: 15 },
  GetContactInformation: { rate: 10, burst: 15 },
  GetRegionOptStatus: { rate: 5, burst: 5 },
  ListRegions: { rate: 5, burst: 5 },
  PutAlternateContact: { rate: 5, burst: 8 },
  PutContactInformation: { rate: 5, burst: 8 },
};

/**
 * The quotas as they look when time runs `scale` times faster (CDK_ACCOUNT_MANAGEMENT_TIME_SCALE): rates
 * multiplied, bursts (a number of calls) unchanged.
 */
export function scaledQuotas(scale: number, quotas: Record<string, RateQuota> = REFERENCE_RATE_QUOTAS): Record<string, RateQuota> {
  return Object.fromEntries(Object.entries(quotas).map(([operation, q]) => [operation, { rate: q.rate * scale, burst: q.burst }]));
}

/** The time scale the handlers read (CDK_ACCOUNT_MANAGEMENT_TIME_SCALE): the local services divide their durations by it too. */
export function timeScale(): number {
  const scale = Number(process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE ?? '1');
  return Number.isFinite(scale) && scale > 0 ? scale : 1;
}

/** Faults injected by tests, taken by the requests they match, in order. */
export class Faults {
  private faults: Array<Fault & { remaining: number }> = [];

  public inject(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.count });
  }

  public clear(): void {
    this.faults = [];
  }

  /** Throws the next fault that matches the operation (and the request's body), if any. */
  public take(operation: string, body: Record<string, unknown> = {}): void {
    const fault = this.faults.find(f => f.remaining > 0 && (f.operation === undefined || f.operation === operation) && (f.when?.(body) ?? true));
    if (!fault) return;
    fault.remaining--;
    this.faults = this.faults.filter(f => f.remaining > 0);
    switch (fault.status) {
      case 'reset': throw new ConnectionReset(operation);
      case 'hang': throw new NoAnswer(operation);
      case 429: throw new ApiError(429, 'TooManyRequestsException', fault.message ?? 'Rate exceeded');
      case 503: throw new ApiError(503, 'ServiceUnavailable', fault.message ?? 'Service unavailable');
      case 500: throw new ApiError(500, 'InternalServerException', fault.message ?? 'Internal failure');
      default: throw new ApiError(fault.status, fault.errorType ?? 'AccessDeniedException', fault.message ?? `Injected ${fault.errorType ?? 'AccessDeniedException'}`);
    }
  }
}

/** Token buckets per caller account and operation. */
export class RateLimits {
  public quotas: Record<string, RateQuota> = {};
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly clock: () => number) {}

  /** Throws TooManyRequestsException when the caller has no token left for the operation. */
  public take(operation: string, caller: string): void {
    const quota = this.quotas[operation];
    if (!quota) return;
    const key = `${caller}/${operation}`;
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: quota.burst, at: now };
    bucket.tokens = Math.min(quota.burst, bucket.tokens + ((now - bucket.at) / 1000) * quota.rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) throw new ApiError(429, 'TooManyRequestsException', 'Rate exceeded');
    bucket.tokens -= 1;
  }

  /** Fills every bucket again, as if the service had been left alone for a while. */
  public refill(): void {
    this.buckets.clear();
  }
}

export function validationError(field: string, constraint: string): ApiError {
  return new ApiError(400, 'ValidationException', `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${constraint}`,
    [{ name: field, message: constraint }]);
}

export interface StringConstraint {
  readonly required?: boolean;
  readonly min?: number;
  readonly max: number;
  readonly pattern?: RegExp;
}

export function checkString(body: Record<string, unknown>, field: string, opts: StringConstraint): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (opts.required) throw validationError(field, 'Member must not be null');
    return undefined;
  }
  if (typeof value !== 'string') throw validationError(field, 'Member must be a string');
  if (value.length < (opts.min ?? 1) || value.length > opts.max) {
    throw validationError(field, `Member must have length between ${opts.min ?? 1} and ${opts.max}`);
  }
  if (opts.pattern && !opts.pattern.test(value)) throw validationError(field, `Member must satisfy regular expression pattern: ${opts.pattern.source}`);
  return value;
}

export const ACCOUNT_ID = /^\d{12}$/;

/** Work put off by simulated milliseconds (divided by the time scale), dropped when the services close so that nothing keeps the process alive. */
export class Deferred {
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Runs `work` after `ms` simulated milliseconds; at once when `ms` is 0 or less. */
  public after(ms: number, work: () => void): void {
    if (ms <= 0) return work();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work();
    }, ms / timeScale());
    this.timers.add(timer);
  }

  /** Drops the work still put off. */
  public clear(): void {
    this.timers.forEach(timer => clearTimeout(timer));
    this.timers.clear();
  }
}

/** Text as an XML element holds it (the awsQuery services' answers). */
export function xmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** An error as the awsQuery services (CloudFormation, STS) answer it: throttling is "Throttling" (HTTP 400), server errors "InternalFailure". */
export function awsQueryError(error: ApiError): ApiError {
  if (error.status === 429) return new ApiError(400, 'Throttling', 'Rate exceeded');
  return error.status >= 500 ? new ApiError(error.status, 'InternalFailure', error.message) : error;
}
