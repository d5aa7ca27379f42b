import { AccountOutcome, declaredTypes, Desired, desiredFor, reconcileAccount } from './accounts';
import { sendGenerationEvent } from './events';
import { NO_REGIONS, RegionsProgress, regionsStep } from './regions';
import { Applied, Generation, isNewer, Run, Store } from './store';
import type { ContactTypeName, OrganizationBaselineAttributes } from '../../src/contract';
import type { Invocation } from '../shared/clients';
import { log } from '../shared/log';
import { isTargeted, resolveTargets } from '../shared/organizations';
import { Pacer, PacerState } from '../shared/pacer';
import { sleep, timeScale } from '../shared/pacing';
import { Outcome, respond } from '../shared/response';
import { executionArn, executionName, startWaiter, WaiterState } from '../shared/waiter';

/*
 * The reconciler: one execution of the stack's waiter per generation of a baseline (and one per new
 * account, and per scheduled run), each step a pass of at most a few minutes. The execution's state
 * carries the progress (phase, cursor, counts, the rates the pacer learned, the Region transitions in
 * progress); the values come from the store. A step of a generation that a newer one has superseded
 * (or whose baseline was removed) stops, and so does a write in a step that learns it meanwhile.
 */

/** What answering CloudFormation needs, without the request's properties (they hold the values). */
export interface Responder {
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId: string;
}

export interface Counts {
  readonly applied: number;
  readonly unchanged: number;
  readonly skipped: number;
  readonly failed: number;
}

interface Reported {
  readonly accountId: string;
  readonly reason: string;
}

export type Phase = 'contacts' | 'prune' | 'regions' | 'done';

export interface ReconcileState extends WaiterState {
  readonly Task: 'reconcile';
  readonly BaselineId: string;
  readonly Store: string;
  readonly Generation: string;
  readonly ExecutionArn: string;
  /** The name of the run's first execution (a run that continues as new keeps it, and the targets it resolved). */
  readonly Run: string;
  /** One account only (an account that just joined the targets), or every target. */
  readonly Account?: string;
  readonly Phase: Phase;
  /** The last account the phase has started on: those up to it are done, but for `Unfinished`. */
  readonly Cursor?: string;
  /** Accounts up to the cursor that a step left unfinished (still throttled at its deadline): the next step does them first. */
  readonly Unfinished?: string[];
  readonly Counts: Counts;
  /** The first failed and skipped accounts, with why (all are counted, and logged). */
  readonly Failures: Reported[];
  readonly Skipped: Reported[];
  readonly Regions: RegionsProgress;
  readonly Rates: PacerState;
  /** Set until CloudFormation has its answer. */
  readonly Respond?: Responder;
  /**
   * The generation this one superseded: the first step waits until no step of an older generation may
   * still be writing, so that a baseline has one writer at a time.
   */
  readonly Previous?: { readonly Generation: string };
  readonly StartedAt: number;
  readonly Steps: number;
  /** What the last step did, account by account: the execution's history keeps each step's. */
  readonly LastStep?: Array<{ readonly account: string; readonly outcome: string }>;
}

/** A step works at most this long (the function may run 15 minutes). */
const STEP_MS = 5 * 60_000;
/** Accounts in flight at once: enough to keep the paced calls busy. */
const CONCURRENCY = 16;
/** How often a step checks that its generation is still the baseline's. */
const SUPERSESSION_CHECK_MS = 2_000;
/**
 * How long to wait for Region transitions between steps: short beside transitions of minutes, and at the
 * organization's 50 transitions in progress their reads take half of GetRegionOptStatus's 5 per second.
 */
const REGION_POLL_SECONDS = 20;
/** How long to wait between two looks at whether a superseded generation has stopped writing. */
const PREVIOUS_POLL_SECONDS = 5;
/** CloudFormation waits an hour for a custom resource: the deploy is answered before. */
const ANSWER_WITHIN_MS = 55 * 60_000;
/** Step Functions keeps 25,000 events of an execution's history: a long one continues as a new execution. */
const MAX_STEPS = 2_000;
/** Accounts named in a failure, and reasons quoted: the rest is counted, so that the Reason stays short. */
const KEPT = 20;
/** Accounts a step reports one by one (in its output, which the execution's history keeps). */
const REPORTED = 1_000;
const NAMED = 10;
const QUOTED = 2;

/** The state of a new execution for `generation`. */
export function initialState(args: {
  functionArn: string;
  executionArn: string;
  store: string;
  baselineId: string;
  generation: string;
  account?: string;
  respond?: Responder;
  previous?: string;
}): ReconcileState {
  return {
    Function: args.functionArn,
    PollSeconds: 0,
    Done: false,
    Task: 'reconcile',
    BaselineId: args.baselineId,
    Store: args.store,
    Generation: args.generation,
    ExecutionArn: args.executionArn,
    Run: args.executionArn.split(':').pop()!,
    Account: args.account,
    Phase: 'contacts',
    Counts: { applied: 0, unchanged: 0, skipped: 0, failed: 0 },
    Failures: [],
    Skipped: [],
    Regions: NO_REGIONS,
    Rates: {},
    Respond: args.respond,
    Previous: args.previous ? { Generation: args.previous } : undefined,
    StartedAt: Date.now(),
    Steps: 0,
  };
}

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

  const watch = watchSupersession(store, state);
  const pacer = new Pacer(deadline, state.Rates);
  let next: ReconcileState = { ...state, Previous: undefined, Steps: state.Steps + 1, PollSeconds: 0, LastStep: [] };
  try {
    const { accounts, before } = await runOf(invocation, store, state, generation);
    const applied = generation.prune ? before : undefined;
    if (next.Phase === 'contacts') {
      next = await accountsPhase(next, invocation, pacer, accounts, account => desiredOf(account, generation, applied), deadline, watch);
      if (next.Phase === 'contacts' && phaseDone(next, accounts)) next = { ...next, Phase: applied ? 'prune' : regionsOrDone(generation), Cursor: undefined };
    }
    if (next.Phase === 'prune' && applied && Date.now() < deadline && watch.stillWanted()) {
      const departed = applied.accounts.filter(id => !accounts.includes(id));
      // An account that came back into the targets since the run resolved them keeps its contacts.
      const pruned = async (account: string): Promise<Desired> => (await isTargeted(invocation.organizations(), generation.targets, account)
        ? { contacts: {}, remove: [] }
        : { contacts: {}, remove: typesOf(applied, account) });
      next = await accountsPhase(next, invocation, pacer, departed, pruned, deadline, watch);
      if (phaseDone(next, departed)) next = { ...next, Phase: regionsOrDone(generation), Cursor: undefined };
    }
    const contactsDone = next.Phase !== 'contacts' && next.Phase !== 'prune';
    if (contactsDone && generation.waitsFor === 'CONTACTS') next = await answerDeploy(next, true);
    if (next.Phase === 'regions' && Date.now() < deadline && watch.stillWanted()) {
      const result = await regionsStep(invocation, pacer, accounts, generation.baseline.enabledRegions, next.Regions, deadline, watch.beforeWrite);
      next = { ...next, Regions: result.progress, Phase: result.done ? 'done' : 'regions', PollSeconds: result.waiting ? REGION_POLL_SECONDS : 0 };
    }
    if (!watch.stillWanted()) {
      // Superseded during the step: every write of it has ended (each checked first); the next step stops.
      return { ...next, Rates: pacer.state() };
    }
    if (next.Phase === 'done') return await finish(next, invocation, store, generation, { accounts, before });
    if (next.Respond && Date.now() >= answerBy) next = await answerDeploy(next, contactsDone);
    return { ...next, Rates: pacer.state() };
  } finally {
    watch.stop();
    log({ ...fields, outcome: `step ${next.Steps}: phase ${next.Phase}, ${summary(next)}; ${pacer.stats.calls} calls, ${pacer.stats.throttled} throttled` });
  }
}

function regionsOrDone(generation: Generation): Phase {
  return generation.action === 'apply' && generation.baseline.enabledRegions.length > 0 ? 'regions' : 'done';
}

/** No account after the cursor, and none of the accounts left unfinished (an account may leave the targets meanwhile). */
function phaseDone(state: ReconcileState, accounts: string[]): boolean {
  const cursor = state.Cursor;
  return accounts.every(id => cursor !== undefined && id <= cursor) && !(state.Unfinished ?? []).some(id => accounts.includes(id));
}

/** What one account of the generation should hold (or lose). */
function desiredOf(accountId: string, generation: Generation, applied: Applied | undefined): Desired {
  if (generation.action === 'remove') return { contacts: {}, remove: declaredTypes(accountId, generation.baseline) };
  return desiredFor(accountId, generation.baseline, applied?.accounts.includes(accountId) ? typesOf(applied, accountId) : []);
}

function typesOf(applied: Applied, accountId: string): ContactTypeName[] {
  return (applied.overrideTypes[accountId] ?? applied.types) as ContactTypeName[];
}

/**
 * What the execution works on: its one account, or the generation's targets, resolved when the run
 * starts (a scheduled run sees the accounts that joined or left since) and kept for its steps. Before
 * the run writes, what it may write joins the store's record of what may have been written, and the
 * record as it was is kept as what the run prunes: a generation superseded or failed part-way is
 * pruned by the next as surely as one that converged, and an account that joins while the run goes
 * on is not taken for one that left.
 */
async function runOf(invocation: Invocation, store: Store, state: ReconcileState, generation: Generation): Promise<Run> {
  if (state.Account) {
    const targeted = await isTargeted(invocation.organizations(), generation.targets, state.Account);
    if (targeted && state.Steps === 0) await store.putApplied(merged(await store.applied(), appliedBy(generation, [state.Account])));
    return { accounts: targeted ? [state.Account] : [] };
  }
  const stored = await store.run(state.Run);
  if (stored) return stored;
  // The record is read before the targets are: an account that joins while they are listed (and that a
  // new-account run records) is not in it, so it is never taken for one that left.
  const before = await store.applied();
  const accounts = await resolveTargets(invocation.organizations(Infinity), generation.targets);
  const run = { accounts, before };
  // Recorded before the run is: a run found stored has recorded what it may write.
  if (generation.action === 'apply') await store.putApplied(merged(before, appliedBy(generation, accounts)));
  await store.putRun(state.Run, run);
  return run;
}

/** What a generation applies to `accounts`. */
function appliedBy(generation: Generation, accounts: string[]): Applied {
  return {
    generation: generation.generation,
    accounts,
    types: Object.keys(generation.baseline.alternateContacts).sort(),
    overrideTypes: Object.fromEntries(Object.keys(generation.baseline.overrides).map(id => [id, declaredTypes(id, generation.baseline)])),
  };
}

/**
 * Both records in one: every account of either, each with the types either has for it (an account
 * only one of them lists has only that one's); `b`'s types are the default, the others overrides.
 */
function merged(a: Applied | undefined, b: Applied): Applied {
  if (!a) return b;
  const union = (x: string[], y: string[]) => [...new Set([...x, ...y])].sort();
  const accounts = union(a.accounts, b.accounts);
  const typesIn = (record: Applied, id: string) => (record.accounts.includes(id) ? typesOf(record, id) : []);
  const overrideTypes = Object.fromEntries(accounts
    .map(id => [id, union(typesIn(a, id), typesIn(b, id))] as const)
    .filter(([, types]) => types.join() !== b.types.join()));
  return { generation: b.generation, accounts, types: b.types, overrideTypes };
}

/**
 * What a converged generation leaves as the record: what it applied, and the accounts that writers
 * started during its run added (an account that joined the targets, with the types written there).
 */
function convergedRecord(generation: Generation, run: Run, now: Applied | undefined): Applied {
  const mine = appliedBy(generation, run.accounts);
  const added = (now?.accounts ?? []).filter(id => !run.accounts.includes(id) && !run.before?.accounts.includes(id));
  if (!now || added.length === 0) return mine;
  const overrideTypes = Object.fromEntries(added.map(id => [id, typesOf(now, id)]));
  return merged({ generation: mine.generation, accounts: added, types: [], overrideTypes }, mine);
}

interface Watch {
  readonly stillWanted: () => boolean;
  readonly beforeWrite: () => Promise<boolean>;
  stop(): void;
}

/**
 * Whether the generation is still the baseline's: read every few seconds, so that accounts stop being
 * started soon after a newer one, and again before every write (`beforeWrite`), so that no write of
 * this generation starts once it is superseded.
 */
function watchSupersession(store: Store, state: ReconcileState): Watch {
  let wanted = true;
  let stopped = false;
  const check = async () => {
    if (wanted) wanted = !await superseded(store, state).catch(() => false);
    return wanted;
  };
  void (async () => {
    while (!stopped && wanted) {
      await sleep(SUPERSESSION_CHECK_MS / timeScale());
      if (!stopped) await check();
    }
  })();
  return { stillWanted: () => wanted, beforeWrite: check, stop: () => { stopped = true; } };
}

async function superseded(store: Store, state: ReconcileState): Promise<boolean> {
  const current = await store.current();
  return !current || current.removed === true || (current.generation !== state.Generation && isNewer(current.generation, state.Generation));
}

/**
 * The unfinished accounts, then those after the cursor, `CONCURRENCY` at a time, until all are done or
 * the deadline passes; the cursor moves over every account started (the few still throttled at the
 * deadline are kept as unfinished, so that no account is written twice and counted once).
 */
async function accountsPhase(
  state: ReconcileState, invocation: Invocation, pacer: Pacer, accounts: string[], desired: (accountId: string) => Desired | Promise<Desired>,
  deadline: number, watch: Watch,
): Promise<ReconcileState> {
  const unfinished = (state.Unfinished ?? []).filter(id => accounts.includes(id));
  const todo = [...unfinished, ...accounts.filter(id => state.Cursor === undefined || id > state.Cursor)];
  const results: Array<AccountOutcome | undefined> = new Array(todo.length);
  let next = 0;
  const worker = async () => {
    while (next < todo.length && Date.now() < deadline && watch.stillWanted()) {
      const index = next++;
      results[index] = await reconcileAccount(invocation, pacer, todo[index], await desired(todo[index]), watch.beforeWrite);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, todo.length) }, worker));

  let { Cursor: cursor, Counts: counts, Failures: failures, Skipped: skipped } = state;
  const left: string[] = [];
  const report: Array<{ account: string; outcome: string }> = [...state.LastStep ?? []];
  // Workers take the accounts in order, so those started are the first `next`, each with its outcome.
  for (let i = 0; i < next; i++) {
    const result = results[i]!;
    const accountId = todo[i];
    if (i >= unfinished.length) cursor = accountId;
    if (result.outcome === 'superseded' || result.outcome === 'unfinished') {
      left.push(accountId);
      continue;
    }
    if (report.length < REPORTED) report.push({ account: accountId, outcome: result.outcome });
    log({ setting: 'organization baseline', accountId, outcome: result.outcome, error: 'reason' in result ? result.reason : undefined });
    if (result.outcome === 'failed') {
      counts = { ...counts, failed: counts.failed + 1 };
      if (failures.length < KEPT) failures = [...failures, { accountId, reason: result.reason }];
    } else if (result.outcome === 'skipped') {
      counts = { ...counts, skipped: counts.skipped + 1 };
      if (skipped.length < KEPT) skipped = [...skipped, { accountId, reason: result.reason }];
    } else {
      counts = { ...counts, [result.outcome]: counts[result.outcome] + 1 };
    }
  }
  // Not started: kept as unfinished if they were (the cursor has not moved over them).
  left.push(...todo.slice(next, unfinished.length));
  const unfinishedNow = left.length ? left : undefined;
  return { ...state, Cursor: cursor, Unfinished: unfinishedNow, Counts: counts, Failures: failures, Skipped: skipped, LastStep: report };
}

/** The generation is done: what it applied is kept (for the next to prune), the event sent, the deploy answered. */
async function finish(state: ReconcileState, invocation: Invocation, store: Store, generation: Generation, run: Run): Promise<ReconcileState> {
  if (generation.action === 'remove') {
    await store.removeAll();
  } else if (!state.Account && state.Counts.failed === 0) {
    await store.putApplied(convergedRecord(generation, run, await store.applied()));
  }
  await sendGenerationEvent(invocation, {
    baselineId: state.BaselineId,
    generation: state.Generation,
    executionArn: state.ExecutionArn,
    accounts: state.Counts,
    regions: { enabled: state.Regions.enabled, failed: state.Regions.failed },
    failures: [...state.Failures, ...state.Regions.failures].slice(0, KEPT),
    skipped: state.Skipped,
  });
  const answered = await answerDeploy(state, true);
  return { ...answered, Done: true };
}

/**
 * Answers the deploy, if it still waits: FAILED when an account's contacts failed (naming the
 * accounts), SUCCESS otherwise, with whether every contact had converged by then.
 */
async function answerDeploy(state: ReconcileState, converged: boolean): Promise<ReconcileState> {
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

async function answer(state: ReconcileState, outcome: Omit<Outcome, 'PhysicalResourceId'>): Promise<void> {
  if (!state.Respond) return;
  await respond(state.Respond, { ...outcome, PhysicalResourceId: state.Respond.PhysicalResourceId });
}

function summary(state: ReconcileState): string {
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

/** An execution that has made many steps goes on in a new one (Step Functions keeps 25,000 events of a history). */
async function continueAsNew(state: ReconcileState, invocation: Invocation, store: Store): Promise<ReconcileState> {
  const name = executionName('continued', state.ExecutionArn);
  const arn = executionArn(invocation, name);
  await startWaiter(invocation, name, { ...state, ExecutionArn: arn, Steps: 0, LastStep: [] });
  if (!state.Account) await store.putLatestRun(state.Generation, arn);
  log({ setting: 'organization baseline', outcome: `continued as ${arn}` });
  return { ...state, Respond: undefined, Done: true };
}
