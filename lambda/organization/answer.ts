import { forgetResponseUrl, responseTarget } from './responses';
import type { ReconcileState } from './state';
import type { Generation } from './store';
import type { OrganizationBaselineAttributes } from '../../src/contract';
import { log } from '../shared/log';
import { Outcome, respond } from '../shared/response';

/*
 * How the reconciler answers the deploy that waits for it: once, with what it knows when it answers.
 */

/**
 * Whether a failed account fails the deploy: by the generation's failDeployOn (LISTED_ACCOUNTS: those it
 * names in accountIds or overrides). A removal's every account does: its Delete must not let CloudFormation
 * delete the store while accounts keep the contacts. Generations of earlier versions: any.
 */
export function failsDeployOf(generation: Generation): (accountId: string) => boolean {
  if (generation.action === 'remove') return () => true;
  switch (generation.failDeployOn ?? 'ANY_ACCOUNT') {
    case 'ANY_ACCOUNT': return () => true;
    case 'NO_ACCOUNT': return () => false;
    case 'LISTED_ACCOUNTS': {
      const listed = new Set([...generation.targets.accountIds ?? [], ...Object.keys(generation.baseline.overrides)]);
      return accountId => listed.has(accountId);
    }
  }
}

const NAMED = 10;
const QUOTED = 2;

/**
 * Answers the deploy, if it still waits: FAILED when an account's contacts failed, or (with `regions`,
 * a deploy that waits for everything) a Region failed, naming them; SUCCESS otherwise, with whether every
 * contact had converged by then.
 */
export async function answerDeploy(state: ReconcileState, converged: boolean, regions = false): Promise<ReconcileState> {
  if (!state.Respond) return state;
  const data: OrganizationBaselineAttributes = { ExecutionArn: state.ExecutionArn, Generation: state.Generation, ContactsConverged: converged ? 'true' : 'false' };
  if ((state.Blocking ?? state.Counts.failed) > 0 || (regions && state.Regions.failed > 0)) {
    await answer(state, { Status: 'FAILED', Reason: failureSummary(state, regions) });
  } else {
    if (state.Counts.failed > 0) {
      log({ setting: 'organization baseline', outcome: `${state.Counts.failed} account(s) failed, none that fails the deploy (failDeployOn): they are reported in the generation's event` });
    }
    if (!converged) {
      log({ setting: 'organization baseline', outcome: `the deploy is answered before every account converged; execution ${state.ExecutionArn} goes on` });
    }
    await answer(state, { Status: 'SUCCESS', Data: { ...data } });
  }
  return { ...state, Respond: undefined };
}

/**
 * A removal (removeAlternateContactsOnDelete) not done when its Delete must be answered: FAILED, saying how
 * far it got. The execution goes on; deleting again resumes it (CloudFormation keeps the store, the
 * function and the state machine, which the baseline depends on, until its Delete succeeds).
 */
export async function answerUnfinishedRemoval(state: ReconcileState, total: number): Promise<ReconcileState> {
  if (!state.Respond) return state;
  const c = state.Counts;
  const done = c.applied + c.unchanged + c.skipped + c.failed;
  await answer(state, {
    Status: 'FAILED',
    Reason: `The removal of the organization baseline's alternate contacts is not done: ${done} of ${total} accounts done `
      + `(${c.applied} removed, ${c.unchanged} had none, ${c.skipped} skipped, ${c.failed} failed) when CloudFormation had to be answered. `
      + `It goes on in execution ${state.ExecutionArn}; delete the stack (or deploy without the baseline) again to resume it and wait for the rest.`,
  });
  return { ...state, Respond: undefined };
}

export async function answer(state: ReconcileState, outcome: Omit<Outcome, 'PhysicalResourceId'>): Promise<void> {
  if (!state.Respond) return;
  const target = await responseTarget(state, state.Respond);
  if (!target) {
    log({ setting: 'organization baseline', outcome: 'not answered: the deploy\'s response URL is gone from the store (answered already)' });
    return;
  }
  await respond(target, { ...outcome, PhysicalResourceId: state.Respond.PhysicalResourceId });
  await forgetResponseUrl(state, state.Respond);
}

export function summary(state: ReconcileState): string {
  const c = state.Counts;
  return `${c.applied} applied, ${c.unchanged} unchanged, ${c.skipped} skipped, ${c.failed} failed; `
    + `Regions: ${state.Regions.enabled} enabled, ${state.Regions.inFlight.length} in progress, ${state.Regions.failed} failed, ${state.Regions.skipped ?? 0} skipped`;
}

/** Ten accounts named, two reasons quoted, the rest counted: it fits CloudFormation's 4 KB whatever the numbers. */
export function failureSummary(state: ReconcileState, regions = false): string {
  const parts: string[] = [];
  const failed = state.Blocking ?? state.Counts.failed;
  const failures = state.BlockingFailures ?? state.Failures;
  if (failed > 0) {
    const ids = failures.slice(0, NAMED).map(f => f.accountId).join(', ');
    const more = failed > NAMED ? ` and ${failed - NAMED} more (the log has a line per account)` : '';
    parts.push(`The organization baseline failed for ${failed} account(s): ${ids}${more}. ${quoted(failures)}.`);
  }
  if (regions && state.Regions.failed > 0) {
    const ids = [...new Set(state.Regions.failures.map(f => f.accountId))].slice(0, NAMED).join(', ');
    const more = state.Regions.failed > state.Regions.failures.length ? ` and more (${state.Regions.failed} Regions in all; the log has a line for each)` : '';
    parts.push(`The organization baseline's Regions failed (${state.Regions.failed}) in account(s) ${ids}${more}. ${quoted(state.Regions.failures)}.`);
  }
  return `${parts.join(' ')} Every other account was done (${summary(state)}); execution ${state.ExecutionArn}.`;
}

function quoted(failures: ReconcileState['Failures']): string {
  return failures.slice(0, QUOTED).map(f => `${f.accountId}: ${f.reason.length > 400 ? `${f.reason.slice(0, 400)}…` : f.reason}`).join(' | ');
}
