import type { AssemblyStack } from './assembly';
import { Aws, Current } from './aws';
import { baselineSettings, Declarations, declarationsOf, DeclaredSetting, SettingKey, SettingValue, Template } from './declared';

/*
 * What a deploy would change (plan), or what has changed by hand since the last one (drift): every
 * setting declared, read in its account and compared; for a plan, also the settings the deployed
 * template declares and the new one no longer does, with what their removal does.
 */

export type Action =
  /** The account holds what is declared. */
  | 'unchanged'
  /** A Region transition toward what is declared is in progress. */
  | 'in progress'
  | 'write' | 'enable' | 'disable' | 'delete'
  /** No longer declared, and removing the construct leaves it as it is. */
  | 'keep';

/** Actions that change an account. */
export const CHANGES: ReadonlySet<Action> = new Set<Action>(['write', 'enable', 'disable', 'delete']);

export interface Change {
  readonly account: string;
  readonly setting: SettingKey;
  readonly action: Action;
  /** The construct's resource (`<stack>/<logical id>`). */
  readonly resource: string;
  /** For a write: the fields that differ, with what the account holds and what is declared. */
  readonly fields?: Array<{ readonly field: string; readonly current?: string; readonly declared?: string }>;
}

/** A declared setting of a known account. */
interface Wanted extends DeclaredSetting {
  readonly accountId: string;
}

/** Calls the tool reads with before it reads: for the progress it shows. */
export interface Progress {
  start(total: number): void;
  tick(): void;
  stop(): void;
}

/**
 * The plan of `stacks` against the accounts (`against: 'assembly'`), or their drift from the deployed
 * templates (`against: 'deployed'`: the settings those declare, read again).
 */
export async function plan(stacks: AssemblyStack[], aws: Aws, against: 'assembly' | 'deployed', progress?: Progress): Promise<Change[]> {
  const wanted: Wanted[] = [];
  const removed: Array<Wanted & { readonly action: Action }> = [];
  for (const stack of stacks) {
    const own = stack.account ?? await aws.caller();
    const deployed = await aws.deployedTemplate(stack.stackName);
    if (against === 'deployed' && !deployed) throw new Error(`Stack ${stack.stackName} is not deployed: there is nothing to compare with`);
    const declared = await settingsOf(stack.stackName, against === 'deployed' ? deployed! : stack.template, own, aws);
    wanted.push(...declared.settings);
    if (against === 'assembly' && deployed) {
      const before = await settingsOf(stack.stackName, deployed, own, aws);
      const still = new Set(declared.settings.map(keyOf));
      const baselines = new Map(declared.baselines.map(b => [b.resource, b]));
      for (const setting of before.settings.filter(s => !still.has(keyOf(s)))) {
        // A baseline that stays prunes what it no longer declares only with pruneUndeclared; one removed deletes with removeAlternateContactsOnDelete.
        const staying = baselines.get(setting.resource);
        const onRemove = staying ? (staying.prune && setting.key.endsWith('alternate contact') ? 'delete' : 'keep') : setting.onRemove;
        removed.push({ ...setting, action: onRemove });
      }
    }
  }

  const reads = unique([...wanted, ...removed]);
  progress?.start(reads.length);
  const current = new Map<string, Current | undefined>();
  try {
    await aws.each(reads, async setting => current.set(keyOf(setting), await aws.read(setting.accountId, setting.key)), () => progress?.tick());
  } finally {
    progress?.stop();
  }

  const changes = [
    ...unique(wanted).map(setting => compare(setting, current.get(keyOf(setting)))),
    ...removed.map(setting => removal(setting, setting.action, current.get(keyOf(setting)))),
  ];
  return changes.sort((a, b) => a.account.localeCompare(b.account) || a.setting.localeCompare(b.setting));
}

/** A template's settings, each of a known account (an organization baseline's, one per targeted account). */
async function settingsOf(stack: string, template: Template, own: string, aws: Aws): Promise<{ settings: Wanted[]; baselines: Declarations['baselines'] }> {
  const declared = declarationsOf(stack, template);
  const settings: Wanted[] = declared.settings.map(s => ({ ...s, accountId: s.accountId ?? own }));
  for (const baseline of declared.baselines) {
    for (const accountId of await aws.resolve(baseline.targets)) {
      settings.push(...baselineSettings(baseline, accountId).map(s => ({ ...s, accountId })));
    }
  }
  return { settings, baselines: declared.baselines };
}

function keyOf(setting: { accountId: string; key: SettingKey }): string {
  return `${setting.accountId}/${setting.key}`;
}

/** One setting per account and key: the first declared (CloudFormation would fail a stack that declares one twice). */
function unique<T extends Wanted>(settings: T[]): T[] {
  const seen = new Set<string>();
  return settings.filter(s => !seen.has(keyOf(s)) && seen.add(keyOf(s)));
}

function compare(setting: Wanted, current: Current | undefined): Change {
  const base = { account: setting.accountId, setting: setting.key, resource: setting.resource };
  const value = setting.value;
  if (value.kind === 'region') {
    const status = current?.kind === 'region' ? current.status : 'DISABLED';
    const on = status === 'ENABLED' || status === 'ENABLED_BY_DEFAULT';
    if (value.enabled) return { ...base, action: on ? 'unchanged' : status === 'ENABLING' ? 'in progress' : 'enable' };
    return { ...base, action: status === 'DISABLED' ? 'unchanged' : status === 'DISABLING' ? 'in progress' : 'disable' };
  }
  const fields = differences(value, current);
  return { ...base, action: fields.length > 0 ? 'write' : 'unchanged', fields: fields.length > 0 ? fields : undefined };
}

function removal(setting: Wanted, action: Action, current: Current | undefined): Change {
  const base = { account: setting.accountId, setting: setting.key, resource: setting.resource };
  if (action === 'delete') return { ...base, action: current ? 'delete' : 'unchanged' };
  if (action === 'disable') {
    const status = current?.kind === 'region' ? current.status : 'DISABLED';
    return { ...base, action: status === 'ENABLED' || status === 'ENABLING' ? 'disable' : 'unchanged' };
  }
  return { ...base, action: 'keep' };
}

/** The fields whose value differs (an empty field and an absent one are the same). */
function differences(value: Exclude<SettingValue, { kind: 'region' }>, current: Current | undefined): NonNullable<Change['fields']> {
  if (value.kind === 'name') {
    const now = current?.kind === 'name' ? current.name : undefined;
    return now === value.name ? [] : [{ field: 'AccountName', current: now, declared: value.name }];
  }
  const now = current?.kind === 'contact' ? current.fields : {};
  return Object.entries(value.fields)
    .filter(([field, declared]) => (now[field] || undefined) !== (declared || undefined))
    .map(([field, declared]) => ({ field, current: now[field] || undefined, declared: declared || undefined }));
}
