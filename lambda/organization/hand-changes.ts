import { desiredFor } from './accounts';
import type { ReconcileState } from './state';
import { baselinesIn } from './store';
import { currentOf, reportFault } from './triggers';
import type { BaselineDocument, BaselineTrigger } from '../../src/contract';
import type { Invocation } from '../shared/clients';
import { ChangedSetting, describeSetting, HandChange, handChangeOf, reportHandChangeUndone } from '../shared/hand-change';
import { log } from '../shared/log';
import { memberSessionArn } from '../shared/member-sessions';
import { isTargeted } from '../shared/organizations';
import { executionName } from '../shared/waiter';

/*
 * Hand changes of what a baseline declares (restoreHandChanges): the stack's rule hands over the Account
 * API's writes that its functions did not make; each baseline of the store that restores hand changes and
 * declares that setting for that account runs its current generation for the account alone (as for an
 * account that joins), which reads the account and writes back only what differs. The run's end says
 * whether something was undone.
 */

/** The hand change a run undoes: how it is named, never a value. */
export interface HandChangeState {
  readonly Setting: string;
  readonly Actor: string;
  readonly EventName: string;
}

export async function onHandChange(trigger: BaselineTrigger, invocation: Invocation, functionArn: string): Promise<void> {
  const parsed = handChangeOf(trigger.Event, trigger.Ignore ?? []);
  if ('ignored' in parsed) {
    log({ setting: 'organization baseline', operation: 'hand change', outcome: `nothing to undo: ${parsed.ignored}` });
    return;
  }
  for (const baselineId of await baselinesIn(invocation, trigger.Store)) {
    await restoreIn(baselineId, trigger.Store, parsed.change, invocation, functionArn);
  }
}

async function restoreIn(baselineId: string, bucket: string, change: HandChange, invocation: Invocation, functionArn: string): Promise<void> {
  const fields = { setting: describeSetting(change.setting), accountId: change.accountId, operation: `hand change (organization baseline ${baselineId})` };
  const baseline = await currentOf(baselineId, bucket, invocation, functionArn);
  if (!baseline) return;
  if ('fault' in baseline) return reportFault(invocation, 'hand change', baselineId, baseline.generation, baseline.fault!);
  const generation = await baseline.store.generation(baseline.current.generation);
  if (!generation?.restoreHandChanges || generation.action !== 'apply') return;
  if (generation.memberRole && change.actor === memberSessionArn(invocation.partition, change.accountId, generation.memberRole)) {
    log({ ...fields, outcome: 'nothing to undo: the baseline\'s own write, made as the member' });
    return;
  }
  if (!declares(generation.baseline, change.accountId, change.setting)) {
    log({ ...fields, outcome: 'nothing to undo: the baseline does not declare it for this account' });
    return;
  }
  if (!await isTargeted(invocation.organizations(), generation.targets, change.accountId)) {
    log({ ...fields, outcome: 'nothing to undo: the baseline does not target this account' });
    return;
  }
  const handChange: HandChangeState = { Setting: describeSetting(change.setting), Actor: change.actor, EventName: change.eventName };
  const name = executionName(`${baselineId}-h${change.accountId}`, `${baseline.current.generation}/${change.eventId}`).slice(0, 80);
  const arn = await baseline.start(name, change.accountId, { HandChange: handChange });
  log({ ...fields, actor: change.actor, outcome: `changed by hand: applying generation ${baseline.current.generation} to the account: ${arn}` });
}

/** Whether the baseline declares the setting for the account (an override's included). */
function declares(baseline: BaselineDocument, accountId: string, setting: ChangedSetting): boolean {
  const desired = desiredFor(accountId, baseline);
  switch (setting.kind) {
    case 'alternate contact': return setting.contactType in desired.contacts;
    case 'primary contact': return desired.primaryContact !== undefined;
    case 'account name': return desired.accountName !== undefined;
  }
}

/** At the end of a hand change's run: what it undid (a log line and the event naming who made the change), or why nothing. */
export async function reportHandChangeRun(invocation: Invocation, state: ReconcileState): Promise<void> {
  const change = state.HandChange;
  if (!change || !state.Account) return;
  if (state.Counts.applied > 0) {
    await reportHandChangeUndone(invocation, {
      stack: state.Stack?.StackId ?? '',
      resource: state.Stack?.LogicalResourceId ?? '',
      baselineId: state.BaselineId,
      accountId: state.Account,
      setting: change.Setting,
      who: change.Actor,
      changedBy: change.EventName,
      executionArn: state.ExecutionArn,
    });
    return;
  }
  const outcome = state.Counts.failed > 0 ? 'hand change not undone: the account failed (see the run\'s event)'
    : state.Counts.skipped > 0 ? 'hand change not undone: the account was skipped (see the run\'s event)'
      : 'nothing to undo: the account holds what the baseline declares';
  log({ setting: change.Setting, accountId: state.Account, operation: 'hand change', outcome, actor: change.Actor });
}
