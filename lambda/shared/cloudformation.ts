import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
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

/**
 * Whether CloudFormation is rolling the stack back (an Update then restores old properties; a Delete
 * undoes a Create or a replacement of the failed deploy). Not knowing counts as no.
 */
export async function isRollingBack(stackId: string): Promise<boolean> {
  try {
    const stacks = await cloudFormationClient().send(new DescribeStacksCommand({ StackName: stackId }));
    const status = stacks.Stacks?.[0]?.StackStatus ?? '';
    return status.endsWith('ROLLBACK_IN_PROGRESS') || status === 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS';
  } catch {
    return false;
  }
}
