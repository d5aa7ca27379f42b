import type { Template } from './declared';
import type { Action, Change } from './plan';
import { RESOURCE_TYPES } from '../src/contract';

/*
 * What `drift` ends with: for each kind of construct that drifted, how to put its settings back. A
 * deploy of the same app restores nothing (CloudFormation sends an unchanged custom resource to no
 * handler), so each kind has its own ways: restoreHandChanges, a forced update, a scheduled run, or
 * the AWS CLI. Commands name the fields to give, never their values.
 */

/** What to do about the drift of one kind of construct. */
export interface Guidance {
  /** The construct class: AlternateContact, PrimaryContact, AccountName, RegionOptIn or OrganizationBaseline. */
  readonly kind: string;
  /** The paths of the constructs of that kind that drifted. */
  readonly constructs: string[];
  readonly steps: string[];
}

/** A deployed stack's template, as drift read it. */
export interface DeployedStack {
  readonly stackName: string;
  readonly template: Template;
}

const KINDS: Record<string, string> = {
  [RESOURCE_TYPES.alternateContact]: 'AlternateContact',
  [RESOURCE_TYPES.primaryContact]: 'PrimaryContact',
  [RESOURCE_TYPES.accountName]: 'AccountName',
  [RESOURCE_TYPES.regionOptIn]: 'RegionOptIn',
  [RESOURCE_TYPES.organizationBaseline]: 'OrganizationBaseline',
};

/** Commands listed per kind before the rest are counted. */
const MAX_COMMANDS = 5;

/** What drifted: drift reads no removal, so these are the actions a setting put back takes. */
const DRIFTED: ReadonlySet<Action> = new Set<Action>(['write', 'enable', 'disable', 'delete']);

const HAND_CHANGES = 'see the README\'s "Hand changes undone within a minute"';
const MEMBER_FOOTPRINT = 'see the README\'s "Member accounts take part: memberFootprint"';
/** Where drift says whether a trail delivers the events (cli/trails.ts). */
const TRAIL_LINE = 'drift says after its table when no trail logs management write events in us-east-1';

/** The guidance for the settings of `changes` that drifted; none when nothing did. */
export function whatToDo(changes: Change[], stacks: DeployedStack[], caller: string): Guidance[] {
  const drifted = changes.filter(change => DRIFTED.has(change.action));
  const byKind = new Map<string, Change[]>();
  for (const change of drifted) {
    const kind = kindOf(change.resource, stacks);
    if (kind) byKind.set(kind, [...byKind.get(kind) ?? [], change]);
  }
  const order = Object.values(KINDS);
  return [...byKind].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b)).map(([kind, kindChanges]) => ({
    kind,
    constructs: [...new Set(kindChanges.map(c => c.construct))],
    steps: kind === 'OrganizationBaseline' ? baselineSteps(kindChanges, stacks, caller)
      : kind === 'RegionOptIn' ? regionSteps(kindChanges, caller)
        : settingSteps(kind, kindChanges, stacks, caller),
  }));
}

/** The guidance as `drift` prints it after its table. */
export function guidanceText(guidance: Guidance[]): string {
  if (!guidance.length) return '';
  const lines = ['What to do:'];
  for (const { kind, constructs, steps } of guidance) {
    lines.push(`  ${kind} (${constructs.join(', ')}):`, ...steps.map(step => `    - ${step}`));
  }
  return `${lines.join('\n')}\n`;
}

function settingSteps(kind: string, changes: Change[], stacks: DeployedStack[], caller: string): string[] {
  const stackNames = stacksOf(changes);
  const restoring = stackNames.filter(name => restoresSettings(stacks.find(s => s.stackName === name)?.template));
  const notRestoring = stackNames.filter(name => !restoring.includes(name));
  return [
    'Deploying the same app again does not put it back: CloudFormation sends an unchanged custom resource to no handler.',
    'Put it back once: change one of the construct\'s properties and deploy (its handler then writes every declared field; a second deploy '
      + 'changes the property back), or write the declared value by hand '
      + `(the values are in the construct; --show-values prints them): ${commands(changes, c => settingCommand(kind, c, caller))}.`,
    ...(notRestoring.length ? ['Undo hand changes from now on: declare `AccountSettingsProvider.getOrCreate(this, { restoreHandChanges: true })` '
      + `before the first setting of stack ${notRestoring.join(', ')} and deploy it (in us-east-1, with a trail logging management events; `
      + `${HAND_CHANGES}). It covers contacts and names, an AccountBaseline's too, not Regions.`] : []),
    ...(restoring.length ? [`Stack ${restoring.join(', ')} has restoreHandChanges on, yet this change was not undone: no trail in the stack's `
      + `account delivered it (${TRAIL_LINE}), or it was made from within the member account, which single settings do not see: `
      + 'an OrganizationBaseline with `memberFootprint` and an organization trail does.'] : []),
  ];
}

function regionSteps(changes: Change[], caller: string): string[] {
  return [
    'Deploying the same app again does not put it back (an unchanged custom resource is not sent to its handler), and restoreHandChanges does not cover Regions.',
    'Put it back once: change the RegionOptIn\'s pollInterval or timeout and deploy (an ordinary update: the handler reads the status and asks for '
      + `the transition), or by hand: ${commands(changes, c => regionCommand(c, caller))}.`,
  ];
}

function baselineSteps(changes: Change[], stacks: DeployedStack[], caller: string): string[] {
  const steps: string[] = [];
  for (const resource of new Set(changes.map(c => c.resource))) {
    const [stackName, logicalId] = splitResource(resource);
    const template = stacks.find(s => s.stackName === stackName)?.template;
    const construct = changes.find(c => c.resource === resource)!.construct;
    const schedule = scheduleOf(template, logicalId);
    const restores = template?.Resources?.[logicalId]?.Properties?.RestoreHandChanges === 'true';
    steps.push(schedule
      ? `${construct}: its next scheduled run puts it back (reconcileSchedule ${schedule}${whenOf(schedule)}).`
      : `${construct} has no reconcileSchedule: give it one (such as events.Schedule.rate(Duration.hours(12))) so that its runs put drift back.`);
    // restoreHandChanges undoes no Region transition: offered only when a contact or a name drifted.
    const regionsOnly = changes.filter(c => c.resource === resource).every(c => c.setting.startsWith('Region '));
    if (regionsOnly) continue;
    const memberRole = template?.Resources?.[logicalId]?.Properties?.MemberRole !== undefined;
    steps.push(!restores
      ? `${construct}: \`restoreHandChanges: true\` undoes changes of its contacts and names within a minute from now on (not Regions; ${HAND_CHANGES}).`
      : memberRole ? `${construct} has restoreHandChanges and a member footprint, yet this change was not undone: no organization trail delivered `
        + `it (${TRAIL_LINE}), or the footprint's StackSet had not reached the account yet (a new account, in its first minutes): `
        + `${commands(changes.filter(c => c.resource === resource), c => stackSetCommand(template, logicalId, c))}.`
        : `${construct} has restoreHandChanges on, yet this change was not undone: no trail in the stack's account delivered it (${TRAIL_LINE}), `
          + 'or it was made from within the member account, which the baseline sees with `memberFootprint: {}` and an organization trail '
          + `(${MEMBER_FOOTPRINT}).`);
  }
  steps.push('Now: deploy a change to the baseline (any property): its new generation reads every targeted account and writes what differs '
    + `(a deploy of the same app starts no run); or by hand: ${commands(changes, c => settingCommand(kindOfSetting(c), c, caller))}.`);
  return steps;
}

/** Where the member footprint's StackSet says whether it reached the account: the StackSet the baseline depends on. */
function stackSetCommand(template: Template | undefined, logicalId: string, change: Change): string {
  const dependsOn = (template?.Resources?.[logicalId] as { DependsOn?: string | string[] } | undefined)?.DependsOn;
  const stackSet = [dependsOn ?? []].flat().map(id => template?.Resources?.[id])
    .find(r => r?.Type === 'AWS::CloudFormation::StackSet')?.Properties?.StackSetName;
  return `aws cloudformation list-stack-instances --stack-set-name ${typeof stackSet === 'string' ? stackSet : '…'} --stack-instance-account ${change.account}`;
}

/** When a schedule's next run comes, as far as its expression tells. */
function whenOf(schedule: string): string {
  const rate = /^rate\((\d+) (\w+)\)$/.exec(schedule);
  return rate ? `: within ${rate[1]} ${rate[2]}` : '';
}

/** The ScheduleExpression of the rule that reconciles the baseline of `logicalId` (its target's input names the resource). */
function scheduleOf(template: Template | undefined, logicalId: string): string | undefined {
  for (const resource of Object.values(template?.Resources ?? {})) {
    if (resource.Type !== 'AWS::Events::Rule' || typeof resource.Properties?.ScheduleExpression !== 'string') continue;
    const input = stringsOf(resource.Properties.Targets).join('');
    if (input.includes('"Trigger":"schedule"') && input.includes(`"LogicalResourceId":"${logicalId}"`)) return resource.Properties.ScheduleExpression;
  }
  return undefined;
}

/** Whether the stack's single settings restore hand changes: its settings provider's rule (a baseline's input names its store). */
export function restoresSettings(template: Template | undefined): boolean {
  return Object.values(template?.Resources ?? {}).some(resource => {
    if (resource.Type !== 'AWS::Events::Rule') return false;
    const input = stringsOf(resource.Properties?.Targets).join('');
    return input.includes('"Trigger":"hand-change"') && !input.includes('"Store"');
  });
}

/** Every string in a template value, in order (an Fn::Join's literal parts included). */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

function kindOf(resource: string, stacks: DeployedStack[]): string | undefined {
  const [stackName, logicalId] = splitResource(resource);
  const type = stacks.find(s => s.stackName === stackName)?.template.Resources?.[logicalId]?.Type;
  return type ? KINDS[type] : undefined;
}

/** The construct kind that writes a baseline's setting, for its command. */
function kindOfSetting(change: Change): string {
  if (change.setting.endsWith('alternate contact')) return 'AlternateContact';
  if (change.setting === 'primary contact') return 'PrimaryContact';
  if (change.setting === 'account name') return 'AccountName';
  return 'RegionOptIn';
}

function splitResource(resource: string): [string, string] {
  const at = resource.lastIndexOf('/');
  return [resource.slice(0, at), resource.slice(at + 1)];
}

function stacksOf(changes: Change[]): string[] {
  return [...new Set(changes.map(c => splitResource(c.resource)[0]))];
}

/** The commands of `changes`, one per account and setting, the first few listed and the rest counted. */
function commands(changes: Change[], command: (change: Change) => string): string {
  const all = [...new Set(changes.map(command))];
  const more = all.length - MAX_COMMANDS;
  return all.slice(0, MAX_COMMANDS).map(c => `\`${c}\``).join(', ') + (more > 0 ? ` and ${more} more` : '');
}

/** `--account-id`, but not for the calling account, which may not name itself. */
function accountOption(change: Change, caller: string): string {
  return change.account === caller ? '' : ` --account-id ${change.account}`;
}

function settingCommand(kind: string, change: Change, caller: string): string {
  const account = accountOption(change, caller);
  if (kind === 'RegionOptIn') return regionCommand(change, caller);
  if (kind === 'AlternateContact') {
    const type = change.setting.replace(' alternate contact', '');
    return `aws account put-alternate-contact${account} --alternate-contact-type ${type} --name … --title … --email-address … --phone-number …`;
  }
  if (kind === 'PrimaryContact') {
    return `aws account put-contact-information${account} --contact-information FullName=…,AddressLine1=…,City=…,PostalCode=…,CountryCode=…,PhoneNumber=…`;
  }
  return `aws account put-account-name${account} --account-name …`;
}

function regionCommand(change: Change, caller: string): string {
  const region = change.setting.replace(/^Region /, '');
  return `aws account ${change.action === 'disable' ? 'disable' : 'enable'}-region${accountOption(change, caller)} --region-name ${region}`;
}
