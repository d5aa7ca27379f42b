import type { AwsCredentialIdentityProvider } from '@smithy/types';
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
