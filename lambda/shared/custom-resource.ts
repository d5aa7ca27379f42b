import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { log } from './log';
import { Outcome, respond } from './response';

/** A custom-resource request as CloudFormation sends it. */
export type Request = CloudFormationCustomResourceEvent;

/**
 * A request as a waiter's state carries it: its ResponseURL kept where only the function may read it
 * (lambda/shared/stored-urls.ts), never in an execution's input; states of earlier releases carry it.
 */
export type StoredRequest = Request extends infer R ? (R extends unknown ? Omit<R, 'ResponseURL'> & { readonly ResponseURL?: string } : never) : never;

/** What a handled request ends with. */
export interface Result {
  readonly PhysicalResourceId: string;
  /** Resource attributes; never contact values. */
  readonly Data?: Record<string, string>;
}

/**
 * The physical id of a resource whose Create failed: nothing was written, and the Delete CloudFormation
 * sends to roll it back must be told apart from a Delete of the setting (whose physical id is the target).
 */
export function failedCreateId(request: Request | StoredRequest): string {
  return `${FAILED_CREATE_PREFIX}${request.RequestId}`;
}

const FAILED_CREATE_PREFIX = 'create-failed/';

/** Whether a physical id is that of a resource whose Create failed (whichever request it was). */
export function isFailedCreateId(physicalResourceId: string): boolean {
  return physicalResourceId.startsWith(FAILED_CREATE_PREFIX);
}

/** Whether the event is a custom-resource request (as opposed to a workflow task). */
export function isRequest(event: unknown): event is Request {
  const e = event as Partial<Request> | undefined;
  return typeof e?.RequestType === 'string' && typeof e.ResponseURL === 'string' && typeof e.StackId === 'string';
}

/** The outcome of a failure: the request's own physical id, or the failed-create marker. */
export function failedOutcome(request: Request | StoredRequest, error: unknown): Outcome {
  const reason = error instanceof Error ? error.message : String(error);
  return {
    Status: 'FAILED',
    PhysicalResourceId: request.RequestType === 'Create' ? failedCreateId(request) : request.PhysicalResourceId,
    Reason: reason,
  };
}

/**
 * Runs `handle` and answers CloudFormation with its result, or with its failure: an invocation that
 * does not answer would leave CloudFormation waiting until the resource's ServiceTimeout. `handle`
 * returns undefined when the answer is left to a workflow it started. `until` is the invocation's end.
 */
export async function answer(request: Request, handle: () => Promise<Result | undefined>, until?: number): Promise<void> {
  let outcome: Outcome;
  try {
    const result = await handle();
    if (!result) return;
    outcome = { Status: 'SUCCESS', PhysicalResourceId: result.PhysicalResourceId, Data: result.Data };
  } catch (error) {
    outcome = failedOutcome(request, error);
    log({ requestType: request.RequestType, setting: request.ResourceType, physicalResourceId: outcome.PhysicalResourceId, outcome: 'failed', error: outcome.Reason });
  }
  await respond(request, outcome, until);
}
