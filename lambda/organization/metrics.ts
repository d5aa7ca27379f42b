import type { AccountOutcome } from './accounts';
import type { GenerationEvent } from './events';
import type { ReconcileState } from './state';
import type { Run } from './store';
import { METRICS } from '../../src/contract';
import type { LineMetrics } from '../shared/log';
import type { PacerStats } from '../shared/pacer';

/*
 * What the reconciler's log lines carry as CloudWatch metrics: each step's line where the run is, and
 * the run's end whether it converged. All from what the step knows already: no call is made for them.
 */

/** A baseline's metrics are published per baseline, and per baseline and generation when the line is about one. */
function ofBaseline(baselineId: string, generation: string | undefined): Pick<LineMetrics, 'dimensions' | 'dimensionSets'> {
  const { baseline, generation: generationName } = METRICS.dimensions;
  return {
    dimensions: { [baseline]: baselineId, [generationName]: generation },
    dimensionSets: generation ? [[baseline], [baseline, generationName]] : [[baseline]],
  };
}

/**
 * Where a run is after a step of it: `total` is the number of accounts it works on (undefined if the step
 * stopped before it knew). A run for one new account publishes only what the step did (its throttled
 * calls, drift undone): its counts would read as the progress of the baseline's run over its targets.
 */
export function stepMetrics(state: ReconcileState, total: number | undefined, stats: PacerStats, driftUndone: number): LineMetrics {
  const { applied, unchanged, skipped, failed } = state.Counts;
  const names = METRICS.step;
  const ofStep = { [names.throttledCalls]: stats.throttled, [names.driftUndone]: driftUndone };
  if (state.Account) return { ...ofBaseline(state.BaselineId, state.Generation), counts: ofStep };
  // The counts go on through the prune phase (accounts that left): done is never more than the total.
  const done = total === undefined ? undefined : state.Phase === 'contacts' ? Math.min(applied + unchanged + skipped + failed, total) : total;
  return {
    ...ofBaseline(state.BaselineId, state.Generation),
    counts: {
      [names.accountsDone]: done,
      [names.accountsTotal]: total,
      [names.applied]: applied,
      [names.unchanged]: unchanged,
      [names.skipped]: skipped,
      [names.failed]: failed,
      [names.regionsInTransition]: state.Regions.inFlight.length,
      ...ofStep,
    },
    seconds: { [names.generationAgeSeconds]: Math.max(0, Math.round((Date.now() - state.StartedAt) / 1000)) },
  };
}

/** The end of a run: converged, or failed (an account, a Region, or the run as a whole). */
export function endMetrics(event: GenerationEvent, failed: boolean): LineMetrics {
  return {
    ...ofBaseline(event.baselineId, event.generation || undefined),
    counts: { [METRICS.end.generationConverged]: failed ? 0 : 1, [METRICS.end.generationFailed]: failed ? 1 : 0 },
  };
}

/**
 * Counts the accounts where a run wrote what an earlier run of the same generation had already been
 * through (a scheduled run): a value changed since, by hand or by another tool, was put back. The
 * store's record names the generation that last went through its accounts; an account that the
 * earlier run failed on counts too when this one writes it.
 */
export class DriftTally {
  public count = 0;
  private readonly converged: ReadonlySet<string>;

  constructor(state: ReconcileState, run: Run) {
    const before = run.before;
    this.converged = new Set(before && before.generation === state.Generation && !state.RestoreFrom ? before.accounts : []);
  }

  public readonly heard = (accountId: string, outcome: AccountOutcome['outcome']): void => {
    if (outcome === 'applied' && this.converged.has(accountId)) this.count++;
  };
}
