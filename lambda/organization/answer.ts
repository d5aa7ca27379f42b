import type { ReconcileState } from './state';
import type { OrganizationBaselineAttributes } from '../../src/contract';
import { log } from '../shared/log';
import { Outcome, respond } from '../shared/response';

/*
 * How the reconciler answers the deploy that waits for it: once, with what it knows when it answers.
 */

const NAMED = 10;
const QUOTED = 2;

/**
 * Answers the deploy, if it still waits: FAILED when an account's contacts failed (naming the
 * accounts), SUCCESS otherwise, with whether every contact had converged by then.
 */
export async function answerDeploy(state: ReconcileState, converged: boolean): Promise<ReconcileState> {
  if (!state.Respond) return state;
  const data: OrganizationBaselineAttributes = { ExecutionArn: state.ExecutionArn, Generation: state.Generation, ContactsConverged: converged ? 'true' : 'false' };
  if (state.Counts.failed > 0) {
    await answer(state, { Status: 'FAILED', Reason: failureSummary(state) });
  } else {
    if (!converged) {
      log({ setting: 'organization baseline', outcome: `the deploy is answered before every account converged; execution ${state.ExecutionArn} goes on` });
    }
    await answer(state, { Status: 'SUCCESS', Data: { ...data } });
  }
  return { ...state, Respond: undefined };
}

export async function answer(state: ReconcileState, outcome: Omit<Outcome, 'PhysicalResourceId'>): Promise<void> {
  if (!state.Respond) return;
  await respond(state.Respond, { ...outcome, PhysicalResourceId: state.Respond.PhysicalResourceId });
}

export function summary(state: ReconcileState): string {
  const c = state.Counts;
  return `${c.applied} applied, ${c.unchanged} unchanged, ${c.skipped} skipped, ${c.failed} failed; `
    + `Regions: ${state.Regions.enabled} enabled, ${state.Regions.inFlight.length} in progress, ${state.Regions.failed} failed`;
}

/** Ten accounts named, two reasons quoted, the rest counted: it fits CloudFormation's 4 KB whatever the numbers. */
export function failureSummary(state: ReconcileState): string {
  const ids = state.Failures.slice(0, NAMED).map(f => f.accountId).join(', ');
  const more = state.Counts.failed > NAMED ? ` and ${state.Counts.failed - NAMED} more (the log has a line per account)` : '';
  const reasons = state.Failures.slice(0, QUOTED).map(f => `${f.accountId}: ${f.reason.length > 400 ? `${f.reason.slice(0, 400)}…` : f.reason}`).join(' | ');
  return `The organization baseline failed for ${state.Counts.failed} account(s): ${ids}${more}. ${reasons}. `
    + `Every other account was done (${summary(state)}); execution ${state.ExecutionArn}.`;
}
