import { paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { cloudFormationClient } from './clients';

/** What a Delete event tells about the resource being deleted. */
export interface DeletedResource {
  readonly StackId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId: string;
}

/**
 * The logical id of another live resource of the same stack that has the same physical id, i.e. that
 * declares the same setting of the same account; undefined when there is none.
 *
 * When a construct is renamed, CloudFormation creates the new resource and only then deletes the old
 * one. Both name the same setting, so deleting it with the old resource would leave the account without
 * what the stack declares. The same holds when two constructs swap their targets in one update.
 */
export async function otherClaimant(event: DeletedResource): Promise<string | undefined> {
  const pages = paginateListStackResources({ client: cloudFormationClient() }, { StackName: event.StackId });
  for await (const page of pages) {
    for (const resource of page.StackResourceSummaries ?? []) {
      if (resource.LogicalResourceId === event.LogicalResourceId) continue;
      if (resource.PhysicalResourceId !== event.PhysicalResourceId) continue;
      const status = resource.ResourceStatus ?? '';
      if (status.startsWith('DELETE_') || status === 'CREATE_FAILED') continue;
      return resource.LogicalResourceId;
    }
  }
  return undefined;
}
