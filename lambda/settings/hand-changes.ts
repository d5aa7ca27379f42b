import { parseSetting, Setting } from './settings';
import { RESOURCE_TYPES, RESTORE_HAND_CHANGES_ENV, SettingsHandChangeTrigger, STACK_ID_ENV } from '../../src/contract';
import type { Invocation } from '../shared/clients';
import { paginateListStackResources } from '../shared/cloudformation';
import { describe, errorName, ServiceError } from '../shared/errors';
import { describeSetting, HandChange, handChangeOf, reportHandChangeUndone } from '../shared/hand-change';
import { log } from '../shared/log';
import { resolveTarget, Target } from '../shared/target';

/*
 * Hand changes of the single settings of a stack that restores them: the stack's rule hands over the
 * Account API's writes that its functions did not make. The resource of the stack's template that declares
 * that setting of that account is found, and while the stack and the resource are settled, the account is
 * read and the declared values put back if it differs: one write. What the event says is only a cue: what
 * is written is what the template declares, and only when the account does not hold it.
 */

/** The settings a hand change of which can be undone (AccountInformation only reads). */
const RESTORABLE_TYPES: string[] = [RESOURCE_TYPES.alternateContact, RESOURCE_TYPES.primaryContact, RESOURCE_TYPES.accountName];
/** The stack's statuses in which its template is what its resources hold (no deploy under way). */
const SETTLED = ['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE'];

export function isHandChangeTrigger(event: unknown): event is SettingsHandChangeTrigger {
  const e = event as Partial<SettingsHandChangeTrigger> | undefined;
  return e?.Trigger === 'hand-change' && Array.isArray(e.Ignore);
}

export async function onHandChange(trigger: SettingsHandChangeTrigger, invocation: Invocation): Promise<void> {
  if (process.env[RESTORE_HAND_CHANGES_ENV] !== 'true') {
    // Anyone who may invoke the function can send it a hand change: only a stack that opted in acts on one.
    log({ setting: 'setting', operation: 'hand change', outcome: 'not undone: the stack does not restore hand changes (restoreHandChanges)' });
    return;
  }
  const parsed = handChangeOf(trigger.Event, trigger.Ignore.filter(role => typeof role === 'string'));
  if ('ignored' in parsed) {
    log({ setting: 'setting', operation: 'hand change', outcome: `nothing to undo: ${parsed.ignored}` });
    return;
  }
  const change = parsed.change;
  const fields = { setting: describeSetting(change.setting), accountId: change.accountId, operation: 'hand change', actor: change.actor };
  const stackId = process.env[STACK_ID_ENV];
  if (!stackId) {
    log({ ...fields, outcome: `not undone: the function has no ${STACK_ID_ENV}` });
    return;
  }
  const found = await declarer(invocation, stackId, change);
  if ('skip' in found) {
    log({ ...fields, outcome: found.skip });
    return;
  }
  const { setting, target, logicalId } = found;
  const client = invocation.account();
  if (await setting.holds(client, target)) {
    log({ ...fields, outcome: `nothing to undo: the account holds what ${logicalId} declares` });
    return;
  }
  try {
    await setting.put(client, target);
  } catch (error) {
    log({ ...fields, operation: setting.putOperation, outcome: 'failed', error: errorName(error) });
    throw error;
  }
  await reportHandChangeUndone(invocation, {
    stack: stackId, resource: logicalId, accountId: change.accountId, setting: setting.description, who: change.actor, changedBy: change.eventName,
  });
}

/** The resource of the stack that declares the changed setting, with its values; or why none may be restored. */
async function declarer(
  invocation: Invocation, stackId: string, change: HandChange,
): Promise<{ setting: Setting; target: Target; logicalId: string } | { skip: string }> {
  const cloudFormation = invocation.cloudFormation();
  let operation = 'DescribeStacks';
  try {
    const status = (await cloudFormation.describeStacks({ StackName: stackId })).Stacks?.[0]?.StackStatus ?? '';
    if (!SETTLED.includes(status)) return { skip: `not undone: the stack is ${status || 'not readable'} (a deploy decides the settings now)` };
    operation = 'ListStackResources';
    const statuses = new Map<string, string>();
    for await (const page of paginateListStackResources(cloudFormation, { StackName: stackId })) {
      for (const resource of page.StackResourceSummaries ?? []) statuses.set(resource.LogicalResourceId ?? '', resource.ResourceStatus ?? '');
    }
    operation = 'GetTemplate';
    const template = JSON.parse((await cloudFormation.getTemplate({ StackName: stackId })).TemplateBody ?? '{}') as Template;
    const wanted = describeSetting(change.setting);
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      if (!RESTORABLE_TYPES.includes(resource.Type ?? '')) continue;
      const { ServiceToken: _token, ...properties } = resource.Properties ?? {};
      // A value that CloudFormation resolves (a parameter, an import) cannot be read here: nothing is guessed.
      if (Object.values(properties).some(value => typeof value !== 'string')) continue;
      let setting: Setting;
      try {
        setting = parseSetting(properties);
      } catch {
        continue;
      }
      const target = resolveTarget(setting.accountId, invocation.ownAccount);
      if (target.accountId !== change.accountId || setting.description !== wanted) continue;
      const resourceStatus = statuses.get(logicalId) ?? '';
      if (!/^(CREATE|UPDATE|IMPORT)_COMPLETE$/.test(resourceStatus)) {
        return { skip: `not undone: ${logicalId}, which declares it, is ${resourceStatus || 'not created yet'}` };
      }
      return { setting, target, logicalId };
    }
    return { skip: 'nothing to undo: the stack declares no such setting of this account (with values it can read)' };
  } catch (error) {
    return { skip: `not undone: cloudformation:${operation} failed: ${describe((error ?? {}) as ServiceError)}` };
  }
}

interface Template {
  readonly Resources?: Record<string, { readonly Type?: string; readonly Properties?: Record<string, unknown> }>;
}
