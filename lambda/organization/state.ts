import type { HandChangeState } from './hand-changes';
import { NO_REGIONS, RegionsProgress } from './regions';
import type { RemovalProgress } from './store';
import type { PacerState } from '../shared/pacer';
import { STATE_VERSION, WaiterState } from '../shared/waiter';

/*
 * What an execution of the reconciler carries from one step to the next: the phase, the cursor, the
 * counts, the rates the pacer learned, the Region transitions in progress, and whom to answer. Never a
 * value: a step reads those from the store.
 */

/** What answering CloudFormation needs, without the request's properties (they hold the values). */
export interface Responder {
  /** Absent in this release's states: it waits in the store (responses.ts), out of the execution's history. */
  readonly ResponseURL?: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId: string;
  /** Whether CloudFormation still waits is read from the resource's status for this type (absent before versions: not checked). */
  readonly RequestType?: 'Create' | 'Update' | 'Delete';
}

/** A baseline's custom resource. */
export interface BaselineResource {
  readonly StackId: string;
  readonly LogicalResourceId: string;
}

export interface Counts {
  readonly applied: number;
  readonly unchanged: number;
  readonly skipped: number;
  readonly failed: number;
}

export interface Reported {
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
  /** How many failed accounts fail the deploy (failDeployOn), and the first of them; absent in earlier versions' state: all. */
  readonly Blocking?: number;
  readonly BlockingFailures?: Reported[];
  readonly Regions: RegionsProgress;
  readonly Rates: PacerState;
  /** Set until CloudFormation has its answer. */
  readonly Respond?: Responder;
  /**
   * The generation this one superseded: the first step waits until no step of an older generation may
   * still be writing, so that a baseline has one writer at a time.
   */
  readonly Previous?: { readonly Generation: string };
  /** A deploy's run: what each account held is kept before the first write, for the deploy's rollback. */
  readonly KeepPriors?: boolean;
  /** A rollback's run: the failed deploy's generation, whose kept priors it puts back. */
  readonly RestoreFrom?: string;
  /** The digest of what the deploy declared (`digestOf`): a generation whose stored document differs is not used. */
  readonly Digest?: string;
  /** The baseline's resource: a step that finds the store emptied asks CloudFormation whether it is still declared. */
  readonly Stack?: BaselineResource;
  /** A hand change's run (its one account): the change it undoes, named, for the event at its end. */
  readonly HandChange?: HandChangeState;
  readonly StartedAt: number;
  readonly Steps: number;
  /**
   * What the last step did, account by account (with the primary contact's phone verification when it is not
   * VERIFIED): the execution's history keeps each step's.
   */
  readonly LastStep?: Array<{ readonly account: string; readonly outcome: string; readonly phoneVerification?: string }>;
  /** Accounts whose primary contact's phone the reconciler read as not VERIFIED (absent: none, or an earlier release). */
  readonly PhonesNotVerified?: number;
  /** The run's size, for whoever reads the execution (the CLI's `status`): numbers only. Absent before the first step. */
  readonly Size?: RunSize;
  /** The execution this one continued as (a long run goes on in a new one): where `status` reads on. */
  readonly ContinuedAs?: string;
}

/** How much work a run has, and how much of its Regions is settled. */
export interface RunSize {
  /** Accounts the contacts phase works on, and those the prune phase deletes from. */
  readonly Accounts: number;
  /** Account and Region pairs the Regions phase enables (0 without `enabledRegions`). */
  readonly Regions: number;
  /** Of those, the ones seen enabled (or failed, or skipped): scanned and no longer in progress. */
  readonly RegionsSettled: number;
}

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
  /** A removal that a Delete resumes: where the removal it supersedes got to (its run, cursor and counts). */
  resume?: RemovalProgress;
  keepPriors?: boolean;
  restoreFrom?: string;
  digest?: string;
  stack?: BaselineResource;
}): ReconcileState {
  const resume = args.resume;
  return {
    Version: STATE_VERSION,
    Function: args.functionArn,
    PollSeconds: 0,
    Done: false,
    Task: 'reconcile',
    BaselineId: args.baselineId,
    Store: args.store,
    Generation: args.generation,
    ExecutionArn: args.executionArn,
    Run: resume?.Run ?? args.executionArn.split(':').pop()!,
    Account: args.account,
    Phase: 'contacts',
    Cursor: resume?.Cursor,
    Unfinished: resume?.Unfinished,
    Counts: resume?.Counts ?? { applied: 0, unchanged: 0, skipped: 0, failed: 0 },
    Failures: resume?.Failures ?? [],
    Skipped: resume?.Skipped ?? [],
    Blocking: resume?.Counts.failed ?? 0,
    BlockingFailures: resume?.Failures ?? [],
    Regions: NO_REGIONS,
    Rates: resume?.Rates ?? {},
    Respond: args.respond,
    Previous: args.previous ? { Generation: args.previous } : undefined,
    KeepPriors: args.keepPriors,
    RestoreFrom: args.restoreFrom,
    Digest: args.digest,
    Stack: args.stack,
    StartedAt: Date.now(),
    Steps: 0,
  };
}
