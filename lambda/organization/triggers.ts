import { sendGenerationEvent } from './events';
import { onHandChange } from './hand-changes';
import { emptiedStore } from './integrity';
import { initialState } from './reconcile';
import type { BaselineResource, ReconcileState } from './state';
import { baselinesIn, Store } from './store';
import type { BaselineTrigger } from '../../src/contract';
import type { Invocation } from '../shared/clients';
import { describe, errorName, ServiceError } from '../shared/errors';
import { log } from '../shared/log';
import { describeExecution, executionArn, executionName, startWaiter } from '../shared/waiter';

/*
 * What starts a baseline's executions besides its deploys: an account that joins the organization (or
 * moves into a targeted OU; the stack's rules, for every baseline that covers new accounts), and a
 * baseline's schedule. Their rules carry the store (and the baseline's id), never values: the current
 * generation is read from the store.
 */

export function isTrigger(event: unknown): event is BaselineTrigger {
  const e = event as Partial<BaselineTrigger> | undefined;
  return (e?.Trigger === 'new-account' || e?.Trigger === 'schedule' || e?.Trigger === 'hand-change') && typeof e.Store === 'string';
}

/** Where the account id is in the events of accounts that join (CloudTrail records as EventBridge events). */
export function accountsOf(event: unknown): string[] {
  const detail = (event as { detail?: Record<string, any> } | undefined)?.detail ?? {};
  const service = detail.serviceEventDetails ?? {};
  const ids = detail.eventName === 'CreateAccountResult' && service.createAccountStatus?.state === 'SUCCEEDED' ? [service.createAccountStatus.accountId]
    : detail.eventName === 'CreateManagedAccount' && service.createManagedAccountStatus?.state === 'SUCCEEDED' ? [service.createManagedAccountStatus.account?.accountId]
      : detail.eventName === 'MoveAccount' ? [detail.requestParameters?.accountId]
        : [];
  return ids.filter((id): id is string => typeof id === 'string' && /^\d{12}$/.test(id));
}

export async function onTrigger(trigger: BaselineTrigger, invocation: Invocation, functionArn: string): Promise<void> {
  if (trigger.Trigger === 'schedule') {
    if (trigger.BaselineId) await reconcile({ ...trigger, BaselineId: trigger.BaselineId }, invocation, functionArn);
    return;
  }
  if (trigger.Trigger === 'hand-change') return onHandChange(trigger, invocation, functionArn);
  const accounts = accountsOf(trigger.Event);
  if (accounts.length === 0) return;
  // Each event its own execution (an account created, then moved into a targeted OU, is two events).
  const eventId = String((trigger.Event as { id?: unknown } | undefined)?.id ?? Date.now());
  // The stack's new-account rules serve every baseline of its store that covers new accounts.
  const baselines = trigger.BaselineId ? [trigger.BaselineId] : await baselinesIn(invocation, trigger.Store);
  if (baselines.length === 0) {
    // The rules exist only while a baseline of the stack covers new accounts: its store cannot be empty.
    return reportFault(invocation, 'new account', '', undefined, `The stack's new-account rules fired for account(s) ${accounts.join(', ')}, `
      + `but the store ${trigger.Store} holds no organization baseline: it was emptied (unless the stack is being created or deleted). `
      + 'No run was started; deploy the stack again with a change to its baselines to store them anew');
  }
  for (const baselineId of baselines) await applyToAccounts(baselineId, trigger.Store, accounts, eventId, invocation, functionArn);
}

/**
 * The current generation of a baseline, what its deploy declared (the digest its new runs check the
 * generation against, and its stack), whether a run of it is going on, and a way to start executions of
 * it; or why no run may start (reported by the caller), or nothing (the baseline was removed).
 */
export async function currentOf(baselineId: string, bucket: string, invocation: Invocation, functionArn: string, resource?: BaselineResource) {
  const store = new Store(invocation, bucket, baselineId);
  const current = await store.current();
  if (!current) {
    const emptied = await emptiedStore(invocation, store, baselineId, resource);
    return emptied ? { fault: emptied } : undefined;
  }
  if (current.removed) return undefined;
  const declared = await declaredBy(invocation, store, baselineId, current.generation);
  if ('fault' in declared) return { fault: declared.fault, generation: current.generation };
  // `extra`: what a kind of run adds to the state (a hand change's, the change it undoes).
  const start = (name: string, account?: string, extra: Partial<ReconcileState> = {}) => startWaiter(invocation, name, {
    ...initialState({
      functionArn,
      executionArn: executionArn(invocation, name),
      store: bucket,
      baselineId,
      generation: current.generation,
      account,
      digest: declared.digest,
      stack: declared.stack,
    }),
    ...extra,
  });
  return { store, current, start, running: declared.running };
}

/**
 * What the deploy of `generation` declared, from the state of an execution of it (the generation's latest
 * run, else the one its deploy started, named after it), which only the stack's function writes: the store
 * only says which execution is the latest, and that one must be a run of the same generation.
 */
async function declaredBy(
  invocation: Invocation, store: Store, baselineId: string, generation: string,
): Promise<{ digest: string; stack?: BaselineResource; running: boolean } | { fault: string }> {
  const deployed = executionArn(invocation, `${baselineId}-${generation}`);
  const latest = await store.latestRun(generation);
  for (const arn of latest && latest !== deployed ? [latest, deployed] : [deployed]) {
    let execution;
    try {
      execution = await describeExecution(invocation, arn);
    } catch (error) {
      if (errorName(error) === 'ExecutionDoesNotExist' && arn !== deployed) continue;
      const why = errorName(error) === 'ExecutionDoesNotExist' ? 'it no longer exists (Step Functions keeps a closed execution 90 days)' : describe((error ?? {}) as ServiceError);
      return { fault: `What generation ${generation} of the organization baseline ${baselineId} declared cannot be read from its execution ${arn}: ${why}; no run was started. Deploy again with a change to the baseline if this lasts` };
    }
    const state = JSON.parse(execution.input ?? '{}') as Partial<ReconcileState>;
    const ours = execution.stateMachineArn === invocation.waiterArn;
    if (!ours || state.Task !== 'reconcile' || state.BaselineId !== baselineId || state.Generation !== generation || state.Store !== store.bucketName) {
      return { fault: `Execution ${arn}, which the store names as generation ${generation}'s latest run, is not a run of it: the store was changed by another principal; no run was started` };
    }
    if (!state.Digest) {
      return { fault: `Execution ${arn} of generation ${generation} was started by an earlier release, which kept no digest of what its deploy declared; no run was started. Deploy again with a change to the baseline` };
    }
    return { digest: state.Digest, stack: state.Stack, running: execution.status === 'RUNNING' };
  }
  return { fault: `No execution of generation ${generation} of the organization baseline ${baselineId} was found; no run was started` };
}

/** A trigger that may not start a run says why: a log line and the Failed event (there is no run to fail). */
export async function reportFault(
  invocation: Invocation, operation: string, baselineId: string, generation: string | undefined, fault: string,
): Promise<void> {
  log({ setting: 'organization baseline', operation, outcome: 'failed: no run started', error: fault });
  const none = { applied: 0, unchanged: 0, skipped: 0, failed: 0 };
  await sendGenerationEvent(invocation, {
    baselineId, generation: generation ?? '', executionArn: '', accounts: none, regions: { enabled: 0, failed: 0, skipped: 0 }, failures: [], skipped: [], error: fault,
  });
}

/** The scheduled run: the current generation again, unless its execution is still converging. */
async function reconcile(trigger: BaselineTrigger & { BaselineId: string }, invocation: Invocation, functionArn: string): Promise<void> {
  const { BaselineId: baselineId, Store: bucket } = trigger;
  const fields = { setting: 'organization baseline', operation: 'schedule' };
  const baseline = await currentOf(baselineId, bucket, invocation, functionArn, trigger.Resource);
  if (!baseline) {
    log({ ...fields, outcome: 'nothing to do: the baseline has no generation' });
    return;
  }
  // A check that fails does not start a run: a second one could be converging already.
  if ('fault' in baseline) return reportFault(invocation, 'schedule', baselineId, baseline.generation, baseline.fault!);
  const { store, current, start } = baseline;
  if (baseline.running) {
    log({ ...fields, outcome: `nothing to do: generation ${current.generation} is still converging` });
    return;
  }
  const arn = await start(`${baselineId}-${current.generation}-s${Math.floor(Date.now() / 60_000).toString(36)}`);
  await store.putLatestRun(current.generation, arn);
  log({ ...fields, outcome: `reconciling generation ${current.generation}: ${arn}` });
}

/** Accounts that joined: an execution each, for the baseline's current generation (it checks the targets cover them). */
async function applyToAccounts(
  baselineId: string, bucket: string, accounts: string[], eventId: string, invocation: Invocation, functionArn: string,
): Promise<void> {
  const baseline = await currentOf(baselineId, bucket, invocation, functionArn);
  if (!baseline) return;
  if ('fault' in baseline) return reportFault(invocation, 'new account', baselineId, baseline.generation, baseline.fault!);
  const generation = await baseline.store.generation(baseline.current.generation);
  if (!generation?.coverNewAccounts) return;
  for (const accountId of accounts) {
    const arn = await baseline.start(executionName(`${baselineId}-a${accountId}`, `${baseline.current.generation}/${eventId}`).slice(0, 80), accountId);
    log({ setting: 'organization baseline', operation: 'new account', accountId, outcome: `applying generation ${baseline.current.generation}: ${arn}` });
  }
}
