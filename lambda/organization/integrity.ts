import { answer } from './answer';
import { sendGenerationEvent } from './events';
import type { BaselineResource, ReconcileState } from './state';
import { digestOf, Generation, Store } from './store';
import type { Invocation } from '../shared/clients';
import { describe, ServiceError } from '../shared/errors';
import { log } from '../shared/log';
import type { Answer } from '../shared/stack';

/*
 * The store is trusted only as far as it can be checked: a generation is used only if its digest is the
 * one its deploy declared (kept in the execution's state, which no writer of the store can change), and a
 * store found without the baseline's current generation while the stack still declares the baseline was
 * emptied (not a baseline removed): both stop the run, with a log line, the Failed event and, if a deploy
 * waits, its FAILED answer.
 */

/** Why `generation` must not be used by the execution, if it must not. */
export function digestFault(state: ReconcileState, generation: Generation): string | undefined {
  if (state.Digest !== undefined && digestOf(generation) === state.Digest) return undefined;
  const what = `The organization baseline's generation ${state.Generation} in the store ${state.Store}`;
  return state.Digest === undefined
    ? `${what} cannot be checked: execution ${state.ExecutionArn} carries no digest of what its deploy declared; nothing was written for it. Deploy again`
    : `${what} is not what its deploy declared (its digest differs: another principal changed it); nothing was written for it. `
      + 'Find who wrote to the store (its CloudTrail data events), then deploy again with a change to the baseline to store it anew';
}

/**
 * Why the store cannot be used for the baseline, if it was emptied under it: it holds no current
 * generation, and its stack still declares it (or that cannot be told). A baseline removed from its
 * stack (its stored data deleted by its Delete) is not a fault.
 */
export async function emptiedStore(
  invocation: Invocation, store: Store, baselineId: string, resource?: BaselineResource,
): Promise<string | undefined> {
  if (await store.current()) return undefined;
  const declared = resource ? await isDeclared(invocation, resource) : { known: false as const, why: 'the run does not name its stack' };
  if (declared.known && !declared.value) return undefined;
  const stack = declared.known ? 'though its stack still declares it' : `and whether its stack still declares it cannot be told (${declared.why})`;
  return `The organization baseline ${baselineId} has no current generation in the store ${store.bucketName}, ${stack}: the store was emptied `
    + 'or its objects deleted. Nothing is applied until the stack is deployed again with a change to the baseline (CloudFormation sends '
    + 'no request for a resource whose properties did not change), which stores it anew';
}

/** Whether the stack still declares the baseline's resource (it is there, and not being deleted). */
async function isDeclared(invocation: Invocation, resource: BaselineResource): Promise<Answer<boolean>> {
  try {
    const { StackResourceDetail: detail } = await invocation.cloudFormation().describeStackResource({
      StackName: resource.StackId, LogicalResourceId: resource.LogicalResourceId,
    });
    return { known: true, value: !(detail?.ResourceStatus ?? '').startsWith('DELETE_') };
  } catch (error) {
    if (/does not exist/.test((error as Error | undefined)?.message ?? '')) return { known: true, value: false };
    return { known: false, why: `cloudformation:DescribeStackResource failed: ${describe((error ?? {}) as ServiceError)}` };
  }
}

/** Ends the run on a fault of its store: logged, the Failed event sent, the deploy (if it waits) answered FAILED. */
export async function reportStoreFault(invocation: Invocation, state: ReconcileState, reason: string): Promise<ReconcileState> {
  log({ setting: 'organization baseline', operation: `generation ${state.Generation}`, outcome: 'failed: the store cannot be used', error: reason });
  await sendGenerationEvent(invocation, {
    baselineId: state.BaselineId,
    generation: state.Generation,
    executionArn: state.ExecutionArn,
    accounts: state.Counts,
    regions: { enabled: state.Regions.enabled, failed: state.Regions.failed, skipped: state.Regions.skipped ?? 0 },
    failures: state.Failures,
    skipped: state.Skipped,
    error: reason,
  });
  await answer(state, { Status: 'FAILED', Reason: reason });
  return { ...state, Respond: undefined, Done: true, LastStep: [] };
}
