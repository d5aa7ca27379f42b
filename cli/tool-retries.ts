/*
 * The tool's retries: its SDK clients' (ToolRetryStrategy) and its awsJson calls' (ToolJsonClient), each wait told on stderr, none after a stop.
 */
import type { AwsCredentialIdentityProvider, RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';
import type { Aws } from './aws';
import { JsonApi, JsonClient } from '../lambda/shared/aws-json';
import { isTransient, ServiceError } from '../lambda/shared/errors';
import { backoffDelay, sleep } from '../lambda/shared/pacing';
import type { SignedCaller } from '../lambda/shared/signed-request';

/** An awsJson client whose calls are retried as ToolRetryStrategy retries the SDK clients': each wait told on stderr, none after a stop. */
export class ToolJsonClient extends JsonClient {
  constructor(
    private readonly aws: Aws, private readonly service: string, caller: SignedCaller, api: JsonApi, credentials: AwsCredentialIdentityProvider,
  ) {
    // One attempt per send (a deadline passed): the retries are this loop's.
    super(caller, api, { credentials, deadline: 0 });
  }

  public async send<T>(operation: string, input: object): Promise<T> {
    for (let retries = 1; ; retries++) {
      if (this.aws.stopped) throw Object.assign(new Error('The run was stopped'), { name: 'AbortError' });
      try {
        const answer = await super.send<T>(operation, input);
        this.aws.answered();
        return answer;
      } catch (thrown) {
        const error = thrown as ServiceError & { code?: string };
        const status = error.$metadata?.httpStatusCode;
        if (status) this.aws.answered();
        if (!isTransient(error) || this.aws.stopped || (!status && !this.aws.connected)) throw error;
        const delay = backoffDelay(retries);
        if (Date.now() + delay >= this.aws.deadline) throw error;
        this.aws.notice(`${this.service} answered ${status ?? 'nothing'} (${error.name ?? error.code ?? 'error'})`);
        await sleep(delay);
      }
    }
  }
}

class Token implements RetryToken {
  constructor(private readonly retries: number) {}
  public getRetryCount(): number {
    return this.retries;
  }
  public getRetryDelay(): number {
    return 0; // the strategy has waited already
  }
}

/**
 * The tool's retries: throttling, 5xx and lost answers are tried again with backoff until the --timeout
 * (throttled Account Management calls go to the pacer instead), each wait told on stderr; a network error
 * before AWS has answered once is not retried, so that a tool that cannot reach AWS says so at once.
 */
export class ToolRetryStrategy implements RetryStrategyV2 {
  public readonly mode = 'standard';

  constructor(private readonly aws: Aws, private readonly service: string, private readonly retryThrottling: boolean) {}

  public async acquireInitialRetryToken(): Promise<RetryToken> {
    if (this.aws.stopped) throw Object.assign(new Error('The run was stopped'), { name: 'AbortError' });
    return new Token(0);
  }

  public async refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const status = (info.error as ServiceError).$metadata?.httpStatusCode;
    if (status) this.aws.answered();
    if (info.errorType === 'CLIENT_ERROR' || (info.errorType === 'THROTTLING' && !this.retryThrottling) || this.aws.stopped) throw info.error;
    if (!status && !this.aws.connected) throw info.error;
    const retries = token.getRetryCount() + 1;
    const delay = backoffDelay(retries);
    if (Date.now() + delay >= this.aws.deadline) throw info.error;
    const error = info.error as ServiceError & { code?: string };
    this.aws.notice(`${this.service} answered ${status ?? 'nothing'} (${error.name ?? error.code ?? 'error'})`);
    await sleep(delay);
    if (this.aws.stopped) throw info.error;
    return new Token(retries);
  }

  public recordSuccess(): void {
    this.aws.answered();
  }
}
