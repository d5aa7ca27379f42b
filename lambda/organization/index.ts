import { createHash } from 'crypto';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { Action, Baseline, runAccount, runPass } from './engine';
import { Invocation } from '../shared/clients';
import { log } from '../shared/log';
import { isTargeted, resolveTargets, TargetSpec } from '../shared/organizations';
import { RateLimiter } from '../shared/rate-limiter';
import { isRollingBack, stillDeclared } from '../shared/stack';
import { ownAccountId } from '../shared/target';

/*
 * Handlers of OrganizationBaseline: onEvent and isComplete for the custom resource (the work is done in
 * isComplete passes, each within its invocation's time, resuming where the last one stopped), onAccountEvent
 * for accounts that join the organization, and onSchedule for the periodic reconciliation.
 */

type LambdaContext = Pick<Context, 'invokedFunctionArn' | 'getRemainingTimeInMillis'>;

/** A pass leaves this much of its invocation for saving progress and answering. */
const RESERVE_MS = 30_000;
/** …and runs at most this long, so that the waiter's next poll comes soon after. */
const MAX_PASS_MS = 10 * 60_000;
const MIN_PASS_MS = 100;
/** Failed accounts kept in the progress record (all are logged). */
const MAX_FAILURES_KEPT = 100;

/** The ResourceProperties, parsed in one place. */
interface BaselineRequest {
  readonly targets: TargetSpec;
  readonly baseline: Baseline;
  readonly removeOnDelete: boolean;
  readonly progressParameter: string;
}

interface Progress {
  /** The request (or scheduled run) this progress belongs to. */
  readonly run: string;
  /** The last account done; the next pass starts after it. */
  readonly cursor?: string;
  readonly applied: number;
  readonly unchanged: number;
  readonly pending: number;
  readonly failed: Array<{ readonly accountId: string; readonly reason: string }>;
  readonly failedCount: number;
}

export interface IsCompleteResponse {
  readonly IsComplete: boolean;
  readonly Data?: Record<string, string>;
}

function parseRequest(properties: Record<string, unknown>): BaselineRequest {
  const json = (name: string) => {
    try {
      return JSON.parse(String(properties[name]));
    } catch {
      throw new Error(`Resource property ${name} must be JSON`);
    }
  };
  if (properties.RemoveOnDelete !== 'true' && properties.RemoveOnDelete !== 'false') {
    throw new Error(`RemoveOnDelete must be "true" or "false", got "${String(properties.RemoveOnDelete)}"`);
  }
  return {
    targets: json('Targets'),
    baseline: json('Baseline'),
    removeOnDelete: properties.RemoveOnDelete === 'true',
    progressParameter: String(properties.ProgressParameter),
  };
}

/**
 * The physical id names the targets and what is declared for them (contact types, Regions), not the
 * values: a renamed construct keeps it, a Delete can tell, and two baselines of the same targets that
 * declare different settings do not take each other for a rename.
 */
function physicalId(ownAccount: string, request: BaselineRequest): string {
  const { alternateContacts, overrides, enabledRegions } = request.baseline;
  const types = new Set([...Object.keys(alternateContacts), ...Object.values(overrides).flatMap(o => Object.keys(o))]);
  const declared = { targets: request.targets, types: [...types].sort(), regions: [...enabledRegions].sort() };
  const digest = createHash('sha256').update(JSON.stringify(declared)).digest('hex').slice(0, 16);
  return `${ownAccount}/organization-baseline/${digest}`;
}

/** Carried from onEvent to every isComplete call. */
interface RunState {
  readonly Action: Action | 'none';
  /** A rollback's failures are logged, not thrown: failing again would leave the stack in *_ROLLBACK_FAILED. */
  readonly Rollback: 'true' | 'false';
}

export async function onEvent(
  event: CloudFormationCustomResourceEvent, context: LambdaContext,
): Promise<{ PhysicalResourceId: string; Data: RunState }> {
  const request = parseRequest(event.ResourceProperties);
  const invocation = new Invocation(context);
  const own = invocation.ownAccount;
  const rollback = await isRollingBack(invocation, event.StackId);
  const Rollback = rollback.known && rollback.value ? 'true' : 'false';
  if (event.RequestType !== 'Delete') {
    return { PhysicalResourceId: physicalId(own, request), Data: { Action: 'apply', Rollback } };
  }
  let action: Action | 'none' = request.removeOnDelete ? 'remove' : 'none';
  // Not when undoing a failed deploy (the contacts may have been there before), nor when the baseline
  // lives on (renamed, or replaced by a change of targets), nor when either cannot be told.
  if (action === 'remove') {
    const declared = !rollback.known || rollback.value ? undefined : await stillDeclared(invocation, event);
    if (!declared?.known || declared.value) action = 'none';
  }
  log({ requestType: 'Delete', setting: 'organization baseline', accountId: own, outcome: action === 'none' ? 'settings left in place' : 'removing the alternate contacts' });
  return { PhysicalResourceId: event.PhysicalResourceId, Data: { Action: action, Rollback } };
}

export async function isComplete(event: CloudFormationCustomResourceEvent & { Data: RunState }, context: LambdaContext): Promise<IsCompleteResponse> {
  if (event.Data.Action === 'none') return { IsComplete: true };
  const request = parseRequest(event.ResourceProperties);
  const progress = await runResumable(request, event.Data.Action, `${event.RequestId}/${event.Data.Action}`, new Invocation(context));
  if (!progress) return { IsComplete: false };
  if (progress.failedCount > 0 && event.Data.Rollback !== 'true') throw new Error(failureSummary(progress));
  return {
    IsComplete: true,
    Data: {
      Applied: String(progress.applied),
      Unchanged: String(progress.unchanged),
      Failed: String(progress.failedCount),
      RegionsPending: String(progress.pending),
    },
  };
}

/** An account joined the organization: apply the baseline to it if the targets cover it. */
export async function onAccountEvent(event: { accountId: string; targets: TargetSpec; baseline: Baseline }, context: LambdaContext): Promise<void> {
  const invocation = new Invocation(context);
  if (!/^\d{12}$/.test(String(event.accountId)) || !(await isTargeted(invocation.organizations(), event.targets, event.accountId))) {
    log({ setting: 'organization baseline', accountId: String(event.accountId), outcome: 'not targeted by the baseline' });
    return;
  }
  const result = await runAccount(invocation, event.accountId, event.baseline, 'apply', new RateLimiter());
  // Thrown, EventBridge's asynchronous invocation retries: a new account's settings may not be ready yet.
  if (result.outcome === 'failed') throw new Error(result.reason);
}

/** The scheduled reconciliation: the same pass as a deploy, resumed by the next run if it does not finish. */
export interface ScheduleEvent {
  readonly targets: TargetSpec;
  readonly baseline: Baseline;
  readonly progressParameter: string;
}

export async function onSchedule(event: ScheduleEvent, context: LambdaContext): Promise<void> {
  const request = { targets: event.targets, baseline: event.baseline, removeOnDelete: false, progressParameter: event.progressParameter };
  const progress = await runResumable(request, 'apply', 'schedule', new Invocation(context));
  if (progress) log({ setting: 'organization baseline', accountId: ownAccountId(context.invokedFunctionArn), operation: 'reconcile', outcome: summary(progress) });
}

/**
 * One pass of `run`, from where the last pass of the same run stopped. Returns the progress when the
 * run has finished (and starts the next run afresh), undefined when more passes are needed.
 */
async function runResumable(request: BaselineRequest, action: Action, run: string, invocation: Invocation): Promise<Progress | undefined> {
  const own = invocation.ownAccount;
  const saved = await loadProgress(request.progressParameter);
  let progress: Progress = saved?.run === run ? saved : { run, applied: 0, unchanged: 0, pending: 0, failed: [], failedCount: 0 };
  const accounts = (await resolveTargets(invocation.organizations(Infinity), request.targets))
    .filter(id => progress.cursor === undefined || id > progress.cursor);
  // Never less than a moment, so that every pass starts some accounts and the run moves on.
  const deadline = Date.now() + Math.max(MIN_PASS_MS, Math.min(MAX_PASS_MS, invocation.remainingMs() - RESERVE_MS));
  const pass = await runPass(invocation, accounts, request.baseline, action, deadline);
  for (const { accountId, result } of pass.done) {
    progress = {
      ...progress,
      cursor: accountId,
      applied: progress.applied + (result.outcome === 'applied' ? 1 : 0),
      unchanged: progress.unchanged + (result.outcome === 'unchanged' ? 1 : 0),
      pending: progress.pending + (result.outcome === 'pending' ? 1 : 0),
      failed: result.outcome === 'failed' && progress.failed.length < MAX_FAILURES_KEPT
        ? [...progress.failed, { accountId, reason: result.reason }]
        : progress.failed,
      failedCount: progress.failedCount + (result.outcome === 'failed' ? 1 : 0),
    };
  }
  log({ setting: 'organization baseline', accountId: own, operation: action, outcome: `${pass.finished ? 'finished' : 'paused'}: ${summary(progress)}` });
  // A finished run leaves a record that no run continues, so the next one starts from the beginning.
  await saveProgress(request.progressParameter, pass.finished ? { ...progress, run: `${run}/finished` } : progress);
  return pass.finished ? progress : undefined;
}

function summary(progress: Progress): string {
  return `${progress.applied} applied, ${progress.unchanged} unchanged, ${progress.pending} with Regions pending, ${progress.failedCount} failed`;
}

/** Accounts named, and reasons quoted, in a failure: the rest is counted, so that the Reason stays within CloudFormation's 4 KB. */
const NAMED_FAILURES = 10;
const QUOTED_REASONS = 2;
const MAX_REASON = 400;

function failureSummary(progress: Progress): string {
  const ids = progress.failed.slice(0, NAMED_FAILURES).map(f => f.accountId).join(', ');
  const more = progress.failedCount > NAMED_FAILURES ? ` and ${progress.failedCount - NAMED_FAILURES} more (the log has a line per account)` : '';
  const reasons = progress.failed.slice(0, QUOTED_REASONS)
    .map(f => `${f.accountId}: ${f.reason.length > MAX_REASON ? `${f.reason.slice(0, MAX_REASON)}…` : f.reason}`).join(' | ');
  return `The organization baseline failed for ${progress.failedCount} account(s): ${ids}${more}. ${reasons}. `
    + `Every other account was done (${summary(progress)}).`;
}

let ssm: SSMClient | undefined;

async function loadProgress(name: string): Promise<Progress | undefined> {
  ssm ??= new SSMClient({});
  const value = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  try {
    const parsed = JSON.parse(value ?? '{}');
    return typeof parsed.run === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

async function saveProgress(name: string, progress: Progress): Promise<void> {
  ssm ??= new SSMClient({});
  // A parameter holds 4 KB: keep the record within it by trimming the kept failures' reasons.
  let record = { ...progress };
  while (JSON.stringify(record).length > 4000 && record.failed.length > 0) record = { ...record, failed: record.failed.slice(0, -1) };
  await ssm.send(new PutParameterCommand({ Name: name, Value: JSON.stringify(record), Overwrite: true, Type: 'String' }));
}
