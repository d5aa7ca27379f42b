import { endMetrics } from './metrics';
import type { ReconcileState } from './state';
import { BASELINE_EVENTS } from '../../src/contract';
import type { Invocation } from '../shared/clients';
import { log, logWithMetrics } from '../shared/log';
import { putEvent } from '../shared/put-event';

/** What the event of a generation's end says: names, counts and account ids, never a value. */
export interface GenerationEvent {
  readonly baselineId: string;
  readonly generation: string;
  readonly executionArn: string;
  readonly accounts: { readonly applied: number; readonly unchanged: number; readonly skipped: number; readonly failed: number };
  /** Regions enabled, failed (the reads kept failing, or the request was refused) and skipped (their account closed or left). */
  readonly regions: { readonly enabled: number; readonly failed: number; readonly skipped: number };
  /** The first failed accounts, with why. */
  readonly failures: Array<{ readonly accountId: string; readonly reason: string }>;
  readonly skipped: Array<{ readonly accountId: string; readonly reason: string }>;
  /** Why the run failed as a whole (its store could not be trusted or read), if it did. */
  readonly error?: string;
}

/**
 * Sends "Organization Baseline Generation Converged" (or "… Failed", when an account or the run failed) to the
 * account's default event bus. A failure to send is logged, not thrown: the generation is done either way.
 */
export async function sendGenerationEvent(invocation: Invocation, event: GenerationEvent): Promise<void> {
  const failed = event.accounts.failed > 0 || event.regions.failed > 0 || event.error !== undefined;
  if (event.baselineId) {
    const outcome = `generation ${failed ? 'failed' : 'converged'}: ${event.accounts.failed} account(s) and ${event.regions.failed} Region(s) failed`;
    logWithMetrics({ setting: 'organization baseline', operation: `generation ${event.generation}`, outcome, error: event.error }, endMetrics(event, failed));
  }
  try {
    await putEvent(invocation, {
      source: BASELINE_EVENTS.source,
      detailType: failed ? BASELINE_EVENTS.failed : BASELINE_EVENTS.converged,
      // A trigger that starts no run has no execution to name (EventBridge takes only ARNs here).
      resources: event.executionArn ? [event.executionArn] : [],
      detail: event,
    });
  } catch (error) {
    log({ setting: 'organization baseline', outcome: 'the generation\'s event could not be sent', error: (error as Error).message });
  }
}

/** The event of a run that failed as a whole (a step that threw, an execution that ended failed), with what it had done. */
export async function sendFailedEvent(invocation: Invocation, state: ReconcileState, error: string): Promise<void> {
  await sendGenerationEvent(invocation, {
    baselineId: state.BaselineId,
    generation: state.Generation,
    executionArn: state.ExecutionArn,
    accounts: state.Counts,
    regions: { enabled: state.Regions.enabled, failed: state.Regions.failed, skipped: state.Regions.skipped ?? 0 },
    failures: [...state.Failures, ...state.Regions.failures].slice(0, 20),
    skipped: [...state.Skipped, ...state.Regions.skips ?? []].slice(0, 20),
    error,
  });
}
