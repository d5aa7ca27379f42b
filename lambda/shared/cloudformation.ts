import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { retryStrategy } from './clients';

/*
 * The CloudFormation client, in a module of its own so that handlers load it only when they need it
 * (a Delete, a rollback check): evaluating it costs every cold start otherwise.
 */
let client: CloudFormationClient | undefined;

export function cloudFormationClient(): CloudFormationClient {
  client ??= new CloudFormationClient({ retryStrategy: retryStrategy() });
  return client;
}
