import { paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { cloudFormationClient } from './cloudformation';

export { isRollingBack } from './cloudformation';

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
  for await (const resource of liveResources(event.StackId)) {
    if (resource.LogicalResourceId !== event.LogicalResourceId && resource.PhysicalResourceId === event.PhysicalResourceId) {
      return resource.LogicalResourceId;
    }
  }
  return undefined;
}

/**
 * Whether the deleted resource's declaration lives on: another resource has its physical id (renamed),
 * or its own logical id lives on with a new physical id (replaced by an update). For settings whose
 * physical id is not their target (an organization baseline), either means "still declared".
 */
export async function stillDeclared(event: DeletedResource): Promise<boolean> {
  for await (const resource of liveResources(event.StackId)) {
    const sameLogical = resource.LogicalResourceId === event.LogicalResourceId;
    if (sameLogical !== (resource.PhysicalResourceId === event.PhysicalResourceId)) return true;
  }
  return false;
}

async function* liveResources(stackId: string) {
  for await (const page of paginateListStackResources({ client: cloudFormationClient() }, { StackName: stackId })) {
    for (const resource of page.StackResourceSummaries ?? []) {
      const status = resource.ResourceStatus ?? '';
      if (!status.startsWith('DELETE_') && status !== 'CREATE_FAILED') yield resource;
    }
  }
}
