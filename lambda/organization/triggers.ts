import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { initialState } from './reconcile';
import { baselinesIn, Store } from './store';
import type { BaselineTrigger } from '../../src/contract';
import type { Invocation } from '../shared/clients';
import { log } from '../shared/log';
import { executionArn, executionName, startWaiter } from '../shared/waiter';

/*
 * What starts a baseline's executions besides its deploys: an account that joins the organization (or
 * moves into a targeted OU; the stack's rules, for every baseline that covers new accounts), and a
 * baseline's schedule. Their rules carry the store (and the baseline's id), never values: the current
 * generation is read from the store.
 */

export function isTrigger(event: unknown): event is BaselineTrigger {
  const e = event as Partial<BaselineTrigger> | undefined;
  return (e?.Trigger === 'new-account' || e?.Trigger === 'schedule') && typeof e.Store === 'string';
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
    if (trigger.BaselineId) await reconcile(trigger.BaselineId, trigger.Store, invocation, functionArn);
    return;
  }
  const accounts = accountsOf(trigger.Event);
  if (accounts.length === 0) return;
  // Each event its own execution (an account created, then moved into a targeted OU, is two events).
  const eventId = String((trigger.Event as { id?: unknown } | undefined)?.id ?? Date.now());
  // The stack's new-account rules serve every baseline of its store that covers new accounts.
  const baselines = trigger.BaselineId ? [trigger.BaselineId] : await baselinesIn(invocation, trigger.Store);
  for (const baselineId of baselines) await applyToAccounts(baselineId, trigger.Store, accounts, eventId, invocation, functionArn);
}

/** The current generation of a baseline, and a way to start executions of it. */
async function currentOf(baselineId: string, bucket: string, invocation: Invocation, functionArn: string) {
  const store = new Store(invocation, bucket, baselineId);
  const current = await store.current();
  if (!current || current.removed) return undefined;
  const start = (name: string, account?: string) => startWaiter(invocation, name, initialState({
    functionArn, executionArn: executionArn(invocation, name), store: bucket, baselineId, generation: current.generation, account,
  }));
  return { store, current, start };
}

/** The scheduled run: the current generation again, unless its execution is still converging. */
async function reconcile(baselineId: string, bucket: string, invocation: Invocation, functionArn: string): Promise<void> {
  const fields = { setting: 'organization baseline', operation: 'schedule' };
  const baseline = await currentOf(baselineId, bucket, invocation, functionArn);
  if (!baseline) {
    log({ ...fields, outcome: 'nothing to do: the baseline has no generation' });
    return;
  }
  const { store, current, start } = baseline;
  const latest = (await store.latestRun(current.generation)) ?? current.executionArn;
  if (latest && await isRunning(invocation, latest)) {
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
  const generation = await baseline.store.generation(baseline.current.generation);
  if (!generation?.coverNewAccounts) return;
  for (const accountId of accounts) {
    const arn = await baseline.start(executionName(`${baselineId}-a${accountId}`, `${baseline.current.generation}/${eventId}`).slice(0, 80), accountId);
    log({ setting: 'organization baseline', operation: 'new account', accountId, outcome: `applying generation ${baseline.current.generation}: ${arn}` });
  }
}

async function isRunning(invocation: Invocation, arn: string): Promise<boolean> {
  try {
    const execution = await new SFNClient(invocation.config('sfn')).send(new DescribeExecutionCommand({ executionArn: arn }));
    return execution.status === 'RUNNING';
  } catch {
    return false;
  }
}
