import type { AssemblyStack } from './assembly';
import { Aws, Current, DepartedAccount } from './aws';
import { baselineSettings, DeclaredBaseline, declarationsOf, DeclaredSetting, SettingKey, SettingValue, Template } from './declared';
import { DeployedStack, Guidance, whatToDo } from './guidance';
import { restoringStacks, trailProblems } from './trails';
import { baselinePhysicalId } from '../lambda/organization/identity';
import { departureReason } from '../lambda/shared/account-api';

/*
 * What a deploy would change (plan), or what has changed by hand since the last one (drift): every
 * setting declared, read in its account and compared; for a plan, also what the deploy removes: the
 * resources of the deployed template that the new one no longer has (a renamed construct, which keeps
 * its physical id, removes nothing), and what a baseline that stays no longer declares, each with
 * what its handler does on removal.
 */

export type Action =
  /** The account holds what is declared. */
  | 'unchanged'
  /** A Region transition toward what is declared is in progress. */
  | 'in progress'
  | 'write' | 'enable' | 'disable' | 'delete'
  /** No longer declared, and its removal leaves it as it is. */
  | 'keep';

/** Actions that change an account. */
export const CHANGES: ReadonlySet<Action> = new Set<Action>(['write', 'enable', 'disable', 'delete']);

export interface Change {
  readonly account: string;
  readonly setting: SettingKey;
  readonly action: Action;
  /** The construct's resource (`<stack>/<logical id>`). */
  readonly resource: string;
  /** The path of the construct that declares it (or declared it, for a removal). */
  readonly construct: string;
  /** For a write: the fields that differ, with what the account holds and what is declared. */
  readonly fields?: Array<{ readonly field: string; readonly current?: string; readonly declared?: string }>;
  /** For a primary contact: its phone's VerificationStatus, as GetContactInformation says it (VERIFIED, UNVERIFIED, PENDING…). */
  readonly phoneVerification?: string;
}

export interface Plan {
  readonly changes: Change[];
  /** What the comparison cannot show, or settings that two resources fight over. */
  readonly warnings: string[];
  /** Accounts whose settings were not read: closed, or no longer in the organization (the reconciler skips them too). */
  readonly skipped: Array<{ readonly account: string; readonly reason: string }>;
  /** For drift: how to put back what drifted, per kind of construct. */
  readonly whatToDo?: Guidance[];
  /** Why the hand changes of stacks that restore them would not be undone (no trail delivers their events), or could not be checked. */
  readonly handChanges: string[];
}

/** A declared setting of a known account. */
interface Wanted extends DeclaredSetting {
  readonly accountId: string;
}

/** A baseline of a template, with its physical id and its settings in each targeted account. */
interface Baseline extends DeclaredBaseline {
  readonly physicalId: string;
  readonly settings: Wanted[];
}

/** Reports progress as the tool reads. */
export interface Progress {
  start(total: number): void;
  tick(): void;
  stop(): void;
}

/**
 * The plan of `stacks` against the accounts (`against: 'assembly'`), or their drift from the deployed
 * templates (`against: 'deployed'`: the settings those declare, read again).
 */
export async function plan(stacks: AssemblyStack[], aws: Aws, against: 'assembly' | 'deployed', progress?: Progress): Promise<Plan> {
  const wanted: Wanted[] = [];
  const removed: Array<Wanted & { readonly action: Action }> = [];
  const warnings: string[] = [];
  const templates: DeployedStack[] = [];
  const caller = await aws.caller();
  for (const stack of stacks) {
    const own = stack.account ?? caller;
    let deployed: Template | undefined;
    if (own !== caller) {
      warnings.push(`Stack ${stack.stackName} deploys to account ${own}, not to the caller's ${caller}: its deployed template is not read, `
        + `so ${against === 'deployed' ? 'its drift is not shown' : 'what removing its constructs would do is not shown'} (run with that account's credentials)`);
      if (against === 'deployed') continue;
    } else {
      deployed = await aws.deployedTemplate(stack.stackName, stack.region);
      const where = stack.region ? `Region ${stack.region} (the stack's environment)` : `Region ${aws.region} (${aws.regionSource})`;
      if (against === 'deployed' && !deployed) {
        throw new Error(`Stack ${stack.stackName} is not deployed in ${where}: there is nothing to compare with`
          + `${stack.region ? '' : '; if it is deployed in another Region, name it with --region'}`);
      }
      if (!deployed) {
        warnings.push(`Stack ${stack.stackName} was not found in ${where}: the plan shows it as a first deploy, with no removals`
          + `${stack.region ? '' : '; if it is deployed in another Region, name it with --region'}`);
      }
    }
    if (against === 'deployed') templates.push({ stackName: stack.stackName, template: deployed! });
    const now = await settingsOf(stack.stackName, against === 'deployed' ? deployed! : stack.template, own, aws);
    wanted.push(...now.singles, ...now.baselines.flatMap(b => b.settings));
    if (against === 'assembly' && deployed) {
      removed.push(...removals(await settingsOf(stack.stackName, deployed, own, aws), now));
      warnings.push(...departedUnknown(now.baselines));
    }
  }

  const chosen = unique(wanted);
  warnings.push(...conflicts(wanted), ...removedButDeclared(removed, chosen));
  const reads = unique([...chosen, ...removed]);
  progress?.start(reads.length);
  const current = new Map<string, Current | undefined>();
  const departed = new Map<string, string>();
  const read = async (setting: Wanted) => {
    if (departed.has(setting.accountId)) return;
    try {
      current.set(keyOf(setting), await aws.read(setting.accountId, setting.key));
    } catch (error) {
      if (!(error instanceof DepartedAccount)) throw error;
      departed.set(setting.accountId, departureReason(error.reason));
    }
  };
  try {
    await aws.each(reads, read, () => progress?.tick());
  } finally {
    progress?.stop();
  }

  const changes = [
    ...chosen.map(setting => compare(setting, current.get(keyOf(setting)))),
    ...removed.map(setting => removal(setting, current.get(keyOf(setting)))),
  ].filter(change => !departed.has(change.account));
  const skipped = [...departed].sort().map(([account, reason]) => ({ account, reason }));
  for (const { account, reason } of skipped) {
    warnings.push(`Account ${account} is skipped: ${reason}, so its settings cannot be read or written (the reconciler skips it too); `
      + 'remove it from the accountIds that declare it');
  }
  const sorted = changes.sort((a, b) => a.account.localeCompare(b.account) || a.setting.localeCompare(b.setting));
  const restoring = restoringStacks(against === 'deployed' ? templates : stacks, caller);
  const handChanges = await trailProblems(restoring, aws, caller);
  return { changes: sorted, warnings, skipped, whatToDo: against === 'deployed' ? whatToDo(sorted, templates, caller) : undefined, handChanges };
}

/**
 * What a pruning baseline also deletes and the tool cannot see: the accounts that left its targets since the
 * last deploy (moved out of its OUs, say) are in the reconciler's record, in the stack's store, not in a template.
 */
function departedUnknown(baselines: Baseline[]): string[] {
  return baselines.filter(b => b.prune).map(b => `${b.construct} prunes (pruneUndeclared): the plan shows the deletions in the accounts this deploy `
    + 'takes out of its targets; accounts that left its targets since the last deploy (moved out of its OUs) lose its contacts too, '
    + 'and the tool cannot list them: the reconciler\'s record of them is in the stack\'s store, which the tool does not read');
}

/** A template's settings, each of a known account: the single-setting constructs', and each baseline's in its targeted accounts. */
async function settingsOf(stack: string, template: Template, own: string, aws: Aws): Promise<{ singles: Wanted[]; baselines: Baseline[] }> {
  const declared = declarationsOf(stack, template);
  const baselines: Baseline[] = [];
  for (const baseline of declared.baselines) {
    const accounts = await aws.resolve(baseline.targets);
    baselines.push({
      ...baseline,
      physicalId: baselinePhysicalId(own, baseline.targets, baseline.baseline),
      settings: accounts.flatMap(accountId => baselineSettings(baseline, accountId).map(s => ({ ...s, accountId }))),
    });
  }
  return { singles: declared.settings.map(s => ({ ...s, accountId: s.accountId ?? own })), baselines };
}

/**
 * What the deploy from `before` to `now` removes, with what each removal does. A single-setting
 * resource is removed unless one of `now` has its physical id (the account and setting); a baseline
 * that stays deletes what it no longer declares only with pruneUndeclared, a baseline renamed (its
 * physical id lives on) nothing, a baseline removed its contact types with removeAlternateContactsOnDelete.
 * As the handlers do, nothing that another resource of the same stack now declares is deleted (it moved).
 */
function removals(before: { singles: Wanted[]; baselines: Baseline[] }, now: { singles: Wanted[]; baselines: Baseline[] }) {
  const declaredNow = new Set([...now.singles, ...now.baselines.flatMap(b => b.settings)].map(keyOf));
  return removalsOf(before, now).map(r => (declaredNow.has(keyOf(r)) ? { ...r, action: 'keep' as Action } : r));
}

function removalsOf(before: { singles: Wanted[]; baselines: Baseline[] }, now: { singles: Wanted[]; baselines: Baseline[] }) {
  const result: Array<Wanted & { readonly action: Action }> = [];
  const singles = new Set(now.singles.map(keyOf));
  for (const setting of before.singles.filter(s => !singles.has(keyOf(s)))) result.push({ ...setting, action: setting.onRemove });
  for (const baseline of before.baselines) {
    const staying = now.baselines.find(b => b.resource === baseline.resource);
    const isContact = (s: Wanted) => s.key.endsWith(' alternate contact');
    if (staying) {
      const still = new Set(staying.settings.map(keyOf));
      // As the reconciler does, an account that the new targets exclude is left untouched.
      const excluded = new Set(staying.targets.excludeAccountIds ?? []);
      for (const s of baseline.settings.filter(x => !still.has(keyOf(x)))) {
        result.push({ ...s, action: staying.prune && isContact(s) && !excluded.has(s.accountId) ? 'delete' : 'keep' });
      }
    } else if (!now.baselines.some(b => b.physicalId === baseline.physicalId)) {
      for (const s of baseline.settings) result.push({ ...s, action: baseline.removeOnDelete && isContact(s) ? 'delete' : 'keep' });
    }
  }
  return result;
}

function keyOf(setting: { accountId: string; key: SettingKey }): string {
  return `${setting.accountId}/${setting.key}`;
}

/** One setting per account and key: the first declared. */
function unique<T extends Wanted>(settings: T[]): T[] {
  const seen = new Set<string>();
  return settings.filter(s => !seen.has(keyOf(s)) && seen.add(keyOf(s)));
}

/** Settings that several resources declare: each deploy of one overwrites the other's value. */
function conflicts(settings: Wanted[]): string[] {
  const holders = new Map<string, Set<string>>();
  for (const s of settings) holders.set(keyOf(s), (holders.get(keyOf(s)) ?? new Set()).add(s.resource));
  return [...holders].filter(([, resources]) => resources.size > 1)
    .map(([key, resources]) => `${key.replace('/', '\'s ')} is declared by ${[...resources].join(' and ')}: each overwrites the other's value; `
      + 'the plan compares with the first');
}

/**
 * A removal that deletes a setting that a resource of another stack declares (the handlers leave what their
 * own stack declares): CloudFormation removes last, so it is gone after the deploy if it still holds the removed values.
 */
function removedButDeclared(removed: Array<Wanted & { action: Action }>, declared: Wanted[]): string[] {
  const byKey = new Map(declared.map(s => [keyOf(s), s]));
  return removed.filter(r => (r.action === 'delete' || r.action === 'disable') && byKey.has(keyOf(r)))
    .map(r => `${keyOf(r).replace('/', '\'s ')}: removing ${r.resource} ${r.action === 'delete' ? 'deletes' : 'disables'} it at the end of the deploy, `
      + `though ${byKey.get(keyOf(r))!.resource} declares it (give ${r.resource} RemovalPolicy.RETAIN, or deploy again)`);
}

function compare(setting: Wanted, current: Current | undefined): Change {
  const base = { account: setting.accountId, setting: setting.key, resource: setting.resource, construct: setting.construct };
  const value = setting.value;
  if (value.kind === 'region') {
    const status = current?.kind === 'region' ? current.status : 'DISABLED';
    const on = status === 'ENABLED' || status === 'ENABLED_BY_DEFAULT';
    if (value.enabled) return { ...base, action: on ? 'unchanged' : status === 'ENABLING' ? 'in progress' : 'enable' };
    return { ...base, action: status === 'DISABLED' ? 'unchanged' : status === 'DISABLING' ? 'in progress' : 'disable' };
  }
  const fields = differences(value, current);
  const phoneVerification = current?.kind === 'contact' ? current.phoneVerification : undefined;
  return { ...base, action: fields.length > 0 ? 'write' : 'unchanged', fields: fields.length > 0 ? fields : undefined, phoneVerification };
}

function removal(setting: Wanted & { action: Action }, current: Current | undefined): Change {
  const base = { account: setting.accountId, setting: setting.key, resource: setting.resource, construct: setting.construct };
  if (setting.action === 'delete') return { ...base, action: current ? 'delete' : 'unchanged' };
  if (setting.action === 'disable') {
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
