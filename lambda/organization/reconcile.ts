import { declarationsOf, Desired } from './accounts';
import { accountsPhase, KEPT, phaseDone } from './accounts-phase';
import { answer, answerDeploy, answerUnfinishedRemoval, failsDeployOf, summary } from './answer';
import { sendGenerationEvent } from './events';
import { reportHandChangeRun } from './hand-changes';
import { digestFault, emptiedStore, reportStoreFault } from './integrity';
import { DriftTally, stepMetrics } from './metrics';
import { regionsStep } from './regions';
import { restoringOf, withPriors } from './rollback';
import { convergedRecord, desiredOf, restoredRecord, runOf, typesOf } from './run';
import type { Phase, ReconcileState, RunSize } from './state';
import { Generation, Run, Store } from './store';
import { superseded, watchSupersession } from './supersession';
import type { Invocation } from '../shared/clients';
import { log, logWithMetrics } from '../shared/log';
import { ASSUME_ROLE, assumeRoleQuota } from '../shared/member-sessions';
import { isTargeted } from '../shared/organizations';
import { DOCUMENTED_QUOTAS, Pacer } from '../shared/pacer';
import { timeScale } from '../shared/pacing';
import { executionArn, executionName, startWaiter } from '../shared/waiter';

export { initialState } from './state';
export type { Counts, Phase, ReconcileState, Responder } from './state';
export { failureSummary } from './answer';

/*
 * The reconciler: one execution of the stack's waiter per generation of a baseline (and one per new
 * account, and per scheduled run), each step a pass of at most a few minutes. The execution's state
 * carries the progress (phase, cursor, counts, the rates the pacer learned, the Region transitions in
 * progress); the values come from the store. A step of a generation that a newer one has superseded
 * (or whose baseline was removed) stops, and so does a write in a step that learns it meanwhile.
 * The accounts phase, the run's record, supersession and the answers live in modules of their own.
 */

/** A step works at most this long (the function may run 15 minutes). */
const STEP_MS = 5 * 60_000;
/** How long to wait between two looks at whether a superseded generation has stopped writing. */
const PREVIOUS_POLL_SECONDS = 5;
/** CloudFormation waits an hour for a custom resource: the deploy is answered before. */
const ANSWER_WITHIN_MS = 55 * 60_000;
/** Step Functions keeps 25,000 events of an execution's history: a long one continues as a new execution. */
const MAX_STEPS = 2_000;

/** One step of an execution. */
export async function reconcileStep(state: ReconcileState, invocation: Invocation): Promise<ReconcileState> {
  const store = new Store(invocation, state.Store, state.BaselineId);
  const started = Date.now();
  // A step that owes CloudFormation its answer ends in time to give it before the hour.
  const answerBy = state.Respond ? state.StartedAt + ANSWER_WITHIN_MS / timeScale() : Infinity;
  const deadline = Math.min(invocation.deadline, started + STEP_MS / timeScale(), Math.max(started, answerBy));
  // The lease (until the function's own end) is taken before the generation is checked: a newer one
  // that finds no lease knows that this step will not write.
  const release = await store.writing(state.Generation, state.ExecutionArn.split(':').pop()!, invocation.end);
  try {
    return await step(state, invocation, store, answerBy, deadline);
  } finally {
    await release();
  }
}

async function step(state: ReconcileState, invocation: Invocation, store: Store, answerBy: number, deadline: number): Promise<ReconcileState> {
  const fields = { setting: 'organization baseline', operation: `generation ${state.Generation}${state.Account ? ` (account ${state.Account})` : ''}` };
  if (await superseded(store, state)) {
    // No current generation at all, while the stack still declares the baseline: the store was emptied, not superseded.
    const emptied = await emptiedStore(invocation, store, state.BaselineId, state.Stack);
    if (emptied) return reportStoreFault(invocation, state, emptied);
    log({ ...fields, outcome: 'stopped: a newer generation superseded this one, or the baseline was removed' });
    await answer(state, { Status: 'FAILED', Reason: `The organization baseline's generation ${state.Generation} was superseded by a newer deploy before it was done` });
    return { ...state, Respond: undefined, Done: true, LastStep: [] };
  }
  if (state.Previous && await store.othersWriting(state.Generation)) {
    log({ ...fields, outcome: `waiting for generation ${state.Previous.Generation}, which this one superseded, to stop writing` });
    return { ...state, PollSeconds: PREVIOUS_POLL_SECONDS, LastStep: [] };
  }
  if (state.Steps >= MAX_STEPS) return continueAsNew(state, invocation, store);
  const generation = await store.generation(state.Generation);
  if (!generation) throw new Error(`The organization baseline's generation ${state.Generation} is not in the store ${state.Store}`);
  const tampered = digestFault(state, generation);
  if (tampered) return reportStoreFault(invocation, state, tampered);

  const watch = watchSupersession(store, state);
  // AssumeRole (the member footprint's sessions) is paced under STS's quota of this account, with the Account API's own.
  const pacer = new Pacer(deadline, state.Rates, { ...DOCUMENTED_QUOTAS, [ASSUME_ROLE]: assumeRoleQuota() });
  let next: ReconcileState = { ...state, Previous: undefined, Steps: state.Steps + 1, PollSeconds: 0, LastStep: [] };
  let total: number | undefined;
  let drift: DriftTally | undefined;
  try {
    const run = await runOf(invocation, store, state, generation);
    const { accounts, before } = run;
    total = accounts.length;
    drift = new DriftTally(state, run);
    // A rollback's run only puts back what the failed deploy wrote, account by account: it touches no other account and prunes nothing.
    const restoring = await restoringOf(store, state);
    const applied = generation.prune && !restoring ? before : undefined;
    // Read once a step, and only by a generation that may delete: a contact that moved to another resource of the stack stays.
    const declarations = generation.action === 'remove' || applied || restoring ? await declarationsOf(invocation, generation) : undefined;
    const departedCount = applied?.accounts.filter(id => !accounts.includes(id)).length ?? 0;
    next = { ...next, Size: sizeOf(next, generation, restoring ? restoring.accounts.size : accounts.length, departedCount, accounts) };
    if (next.Phase === 'contacts') {
      const worked = restoring ? [...restoring.accounts].sort() : accounts;
      const desired = (account: string) => withPriors(store, state, restoring, account, restoring
        ? { contacts: {}, remove: [], declarations }
        : desiredOf(account, generation, applied, declarations));
      next = await accountsPhase(next, invocation, pacer, generation.memberRole, worked, desired, deadline, watch, failsDeployOf(generation),
        drift.heard);
      const after: Phase = applied ? 'prune' : restoring ? 'done' : regionsOrDone(generation);
      if (next.Phase === 'contacts' && phaseDone(next, worked)) next = { ...next, Phase: after, Cursor: undefined };
    }
    if (next.Phase === 'prune' && applied && Date.now() < deadline && watch.stillWanted()) {
      const departed = applied.accounts.filter(id => !accounts.includes(id));
      // An excluded account is left untouched; one that came back into the targets since the run resolved them keeps its contacts.
      const excluded = new Set(generation.targets.excludeAccountIds ?? []);
      const kept = async (account: string) => excluded.has(account) || isTargeted(invocation.organizations(), generation.targets, account);
      const pruned = async (account: string): Promise<Desired> => (await kept(account)
        ? { contacts: {}, remove: [] }
        : { contacts: {}, remove: typesOf(applied, account), declarations });
      next = await accountsPhase(next, invocation, pacer, generation.memberRole, departed, pruned, deadline, watch, failsDeployOf(generation));
      if (phaseDone(next, departed)) next = { ...next, Phase: regionsOrDone(generation), Cursor: undefined };
    }
    const contactsDone = next.Phase !== 'contacts' && next.Phase !== 'prune';
    if (contactsDone && generation.waitsFor === 'CONTACTS') next = await answerDeploy(next, true);
    if (next.Phase === 'regions' && Date.now() < deadline && watch.stillWanted()) {
      const result = await regionsStep(invocation, pacer, accounts, generation.baseline.enabledRegions, next.Regions, deadline, watch.beforeWrite,
        watch.stillWanted);
      next = { ...next, Regions: result.progress, Phase: result.done ? 'done' : 'regions', PollSeconds: result.waiting ? result.pollSeconds : 0 };
      next = { ...next, Size: sizeOf(next, generation, next.Size?.Accounts ?? 0, 0, accounts) };
    }
    if (!watch.stillWanted()) {
      // Superseded during the step: every write of it has ended (each checked first); the next step stops.
      return { ...next, Rates: pacer.state() };
    }
    if (next.Phase === 'done') return await finish(next, invocation, store, generation, { accounts, before });
    if (generation.action === 'remove' && !state.Account) await saveRemoval(store, next, pacer, accounts.length);
    if (next.Respond && Date.now() >= answerBy) {
      next = generation.action === 'remove'
        ? await answerUnfinishedRemoval(next, accounts.length)
        : await answerDeploy(next, contactsDone, generation.waitsFor === 'EVERYTHING');
    }
    return { ...next, Rates: pacer.state() };
  } finally {
    watch.stop();
    const outcome = `step ${next.Steps}: phase ${next.Phase}, ${summary(next)}; ${pacer.stats.calls} calls, ${pacer.stats.throttled} throttled`;
    logWithMetrics({ ...fields, outcome }, stepMetrics(next, total, pacer.stats, drift?.count ?? 0));
  }
}

/**
 * The run's size (accounts, and account-Region pairs) and the pairs settled: those of the accounts the
 * Regions scan has passed, less the transitions still in progress.
 */
function sizeOf(state: ReconcileState, generation: Generation, worked: number, departed: number, accounts: string[]): RunSize {
  const regions = generation.action === 'apply' && !state.RestoreFrom ? generation.baseline.enabledRegions.length : 0;
  const cursor = state.Regions.cursor;
  const scanned = cursor === undefined ? 0 : accounts.filter(id => id <= cursor).length;
  return {
    Accounts: worked + departed,
    Regions: regions * accounts.length,
    RegionsSettled: state.Phase === 'done' ? regions * accounts.length : Math.max(0, scanned * regions - state.Regions.inFlight.length),
  };
}

function regionsOrDone(generation: Generation): Phase {
  return generation.action === 'apply' && generation.baseline.enabledRegions.length > 0 ? 'regions' : 'done';
}

/** The generation is done: what it applied is kept (for the next to prune), the event sent, the deploy answered. */
async function finish(state: ReconcileState, invocation: Invocation, store: Store, generation: Generation, run: Run): Promise<ReconcileState> {
  if (generation.action === 'remove') {
    // A Delete that came again has resumed the removal in a newer generation: the store is that one's now.
    if (await superseded(store, state)) return { ...state, Respond: undefined, Done: true };
    await store.removeAll();
    // Nobody waits any more (the Delete was answered FAILED): a Delete that comes again learns that it is done.
    if (!state.Respond && !state.Account && state.Counts.failed === 0) {
      await store.setCurrent({ generation: state.Generation, removed: true, removalDone: true });
    }
  } else if (state.RestoreFrom && !state.Account) {
    // The record goes back to what it was before the failed deploy's run widened it.
    const failedRun = await store.run(`${state.BaselineId}-${state.RestoreFrom}`);
    const before = failedRun?.before;
    if (failedRun && before) await store.updateApplied(now => restoredRecord(generation, { ...failedRun, before }, now));
    await store.forgetPriors();
  } else if (!state.Account && state.Counts.failed === 0) {
    await store.updateApplied(now => convergedRecord(generation, run, now));
  }
  await sendGenerationEvent(invocation, {
    baselineId: state.BaselineId,
    generation: state.Generation,
    executionArn: state.ExecutionArn,
    accounts: state.Counts,
    regions: { enabled: state.Regions.enabled, failed: state.Regions.failed, skipped: state.Regions.skipped ?? 0 },
    failures: [...state.Failures, ...state.Regions.failures].slice(0, KEPT),
    skipped: [...state.Skipped, ...state.Regions.skips ?? []].slice(0, KEPT),
  });
  await reportHandChangeRun(invocation, state);
  const answered = await answerDeploy(state, true, generation.waitsFor === 'EVERYTHING');
  return { ...answered, Done: true };
}

/** Where a removal generation got to, for a Delete that comes again to resume from. */
async function saveRemoval(store: Store, state: ReconcileState, pacer: Pacer, total: number): Promise<void> {
  const { Cursor, Unfinished, Counts, Failures, Skipped } = state;
  await store.putRemoval(state.Generation, { Run: state.Run, Cursor, Unfinished, Counts, Failures, Skipped, Rates: pacer.state(), total });
}

/** An execution that has made many steps goes on in a new one (Step Functions keeps 25,000 events of a history). */
async function continueAsNew(state: ReconcileState, invocation: Invocation, store: Store): Promise<ReconcileState> {
  const name = executionName('continued', state.ExecutionArn);
  const arn = executionArn(invocation, name);
  await startWaiter(invocation, name, { ...state, ExecutionArn: arn, Steps: 0, LastStep: [] });
  if (!state.Account) await store.putLatestRun(state.Generation, arn);
  log({ setting: 'organization baseline', outcome: `continued as ${arn}` });
  return { ...state, Respond: undefined, Done: true, ContinuedAs: arn };
}
