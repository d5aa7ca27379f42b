import { Aws } from './aws';
import type { Template } from './declared';
import { restoresSettings } from './guidance';
import { errorName } from '../lambda/shared/errors';
import { endpointOverride, jsonErrorCode, signedCall } from '../lambda/shared/signed-request';
import { ACCOUNT_EVENTS_REGION, RESOURCE_TYPES } from '../src/contract';

/*
 * Whether the events that undo hand changes can arrive: restoreHandChanges acts on CloudTrail's "AWS API
 * Call via CloudTrail" events for the Account API, which EventBridge receives only from a trail that logs
 * management write events in us-east-1 (where the global Account API's events arrive), and, for changes
 * made inside member accounts (a baseline's member footprint), only from an organization trail. Three
 * CloudTrail reads, signed here rather than through its SDK client, which would add about 100 KiB to the bundle.
 */

const TARGET = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.';
/** The check is an aside of the plan: it gives up (saying so) well before the --timeout. */
const CHECK_WITHIN_MS = 30_000;
/** How long one CloudTrail call may go unanswered before it is tried again. */
const ANSWER_MS = 10_000;

/** A trail as DescribeTrails describes it. */
interface Trail {
  readonly Name: string;
  readonly TrailARN: string;
  readonly HomeRegion?: string;
  readonly IsMultiRegionTrail?: boolean;
  readonly IsOrganizationTrail?: boolean;
}

interface FieldSelector {
  readonly Field: string;
  readonly Equals?: string[];
  readonly NotEquals?: string[];
  readonly StartsWith?: string[];
  readonly NotStartsWith?: string[];
}

interface Selectors {
  readonly EventSelectors?: Array<{ readonly ReadWriteType?: string; readonly IncludeManagementEvents?: boolean }>;
  readonly AdvancedEventSelectors?: Array<{ readonly FieldSelectors?: FieldSelector[] }>;
}

/** A trail, and what it lacks to deliver the Account API's write events (nothing: it does). */
interface ReadTrail extends Trail {
  readonly lacks?: 'Region' | 'logging' | 'writes';
}

/** What a stack needs: the events of its account's writes, and with a member footprint those of its members. */
interface Need {
  readonly stackName: string;
  readonly account: string;
  readonly members: string[];
}

/** What the restoring stacks of `stacks` need, read from their templates (the assembly's, or the deployed ones). */
export function restoringStacks(stacks: Array<{ stackName: string; account?: string; template: Template }>, caller: string): Need[] {
  const needs: Need[] = [];
  for (const stack of stacks) {
    const baselines = Object.entries(stack.template.Resources ?? {})
      .filter(([, r]) => r.Type === RESOURCE_TYPES.organizationBaseline && r.Properties?.RestoreHandChanges === 'true');
    if (!baselines.length && !restoresSettings(stack.template)) continue;
    const members = baselines.filter(([, r]) => r.Properties?.MemberRole !== undefined).map(([id, r]) => {
      const path = r.Metadata?.['aws:cdk:path'];
      return typeof path === 'string' ? path.replace(/(\/(Resource|Default))+$/, '') : `${stack.stackName}/${id}`;
    });
    needs.push({ stackName: stack.stackName, account: stack.account ?? caller, members });
  }
  return needs;
}

/**
 * One line per reason the hand changes of `needs` would not be undone (none when the trails deliver
 * every event they need), read with the caller's credentials; a read refused or failed says it could
 * not check, never fails the plan.
 */
export async function trailProblems(needs: Need[], aws: Aws, caller: string): Promise<string[]> {
  if (!needs.length) return [];
  const lines: string[] = [];
  const elsewhere = needs.filter(n => n.account !== caller);
  for (const account of new Set(elsewhere.map(n => n.account))) {
    lines.push(`Could not check whether hand changes will be undone in account ${account} (stack ${stacksIn(elsewhere, account)}): `
      + 'its trails are read only with its own credentials (run with them).');
  }
  const own = needs.filter(n => n.account === caller);
  if (!own.length) return lines;
  let trails: ReadTrail[];
  try {
    trails = await readTrails(aws);
  } catch (error) {
    const why = /AccessDenied|UnauthorizedOperation/.test(errorName(error) ?? '')
      ? 'reading its trails was denied (the tool needs cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus and cloudtrail:GetEventSelectors)'
      : `reading its trails failed (${errorName(error) ?? (error as Error).message})`;
    return [...lines, `Could not check whether hand changes will be undone in account ${caller} (stack ${stacksIn(own, caller)}): ${why}.`];
  }
  const stacks = stacksIn(own, caller);
  if (!trails.some(t => !t.lacks)) {
    lines.push(`Hand changes will not be undone (stack ${stacks}): no trail in account ${caller} logs management write events in `
      + `${ACCOUNT_EVENTS_REGION}${reasons(trails)}. ${remedy(trails, false)}`);
  }
  const members = own.flatMap(n => n.members);
  const organizationTrails = trails.filter(t => t.IsOrganizationTrail);
  if (members.length && !organizationTrails.some(t => !t.lacks)) {
    lines.push(`Hand changes inside member accounts will not be undone (${members.join(', ')}, memberFootprint): no organization trail `
      + `(as account ${caller} sees them) logs management write events in ${ACCOUNT_EVENTS_REGION}${reasons(organizationTrails)}. ${remedy(organizationTrails, true)}`);
  }
  return lines;
}

function stacksIn(needs: Need[], account: string): string {
  return [...new Set(needs.filter(n => n.account === account).map(n => n.stackName))].join(', ');
}

/** Why each trail found does not deliver, in parentheses. */
function reasons(trails: ReadTrail[]): string {
  const why = (t: ReadTrail) => (t.lacks === 'Region' ? `logs in ${t.HomeRegion ?? 'another Region'} only`
    : t.lacks === 'logging' ? 'is not logging' : 'logs no management write events');
  const each = trails.filter(t => t.lacks).map(t => `trail ${t.Name} ${why(t)}`);
  return each.length ? ` (${each.join('; ')})` : '';
}

/** What to do: start a trail that lacks only logging, widen one that lacks only writes, else create one. */
function remedy(trails: ReadTrail[], organization: boolean): string {
  const stopped = trails.find(t => t.lacks === 'logging');
  if (stopped) return `Start it: aws cloudtrail start-logging --name ${stopped.TrailARN}`;
  const reads = trails.find(t => t.lacks === 'writes');
  if (reads) {
    return `Let it log write events: aws cloudtrail put-event-selectors --trail-name ${reads.TrailARN} `
      + '--event-selectors \'[{"ReadWriteType":"All","IncludeManagementEvents":true}]\'';
  }
  return `Create one: aws cloudtrail create-trail --name … --s3-bucket-name … --is-multi-region-trail${organization ? ' --is-organization-trail' : ''} `
    + '--region us-east-1, then aws cloudtrail start-logging --name …';
}

/** The trails that log in us-east-1 (shadows of other Regions' multi-Region trails included), each with what it lacks. */
async function readTrails(aws: Aws): Promise<ReadTrail[]> {
  const config = aws.config('cloudtrail', { answerMs: ANSWER_MS });
  const caller = { deadline: Math.min(aws.deadline, Date.now() + CHECK_WITHIN_MS), config: () => config };
  const call = async <T>(operation: string, input: object): Promise<T> => {
    const url = new URL(endpointOverride('cloudtrail') ?? `https://cloudtrail.${ACCOUNT_EVENTS_REGION}.amazonaws.com/`);
    const { body } = await signedCall(caller, {
      service: 'cloudtrail',
      method: 'POST',
      url,
      region: ACCOUNT_EVENTS_REGION,
      credentials: aws.credentials(),
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${TARGET}${operation}` },
      body: JSON.stringify(input),
    }, jsonErrorCode);
    return JSON.parse(body || '{}') as T;
  };
  const { trailList = [] } = await call<{ trailList?: Trail[] }>('DescribeTrails', { includeShadowTrails: true });
  return Promise.all(trailList.map(async (trail): Promise<ReadTrail> => {
    if (!trail.IsMultiRegionTrail && trail.HomeRegion !== ACCOUNT_EVENTS_REGION) return { ...trail, lacks: 'Region' };
    // A shadow trail (another Region's, or the organization's) is found by its ARN only.
    const [status, selectors] = await Promise.all([
      call<{ IsLogging?: boolean }>('GetTrailStatus', { Name: trail.TrailARN }),
      call<Selectors>('GetEventSelectors', { TrailName: trail.TrailARN }),
    ]);
    return { ...trail, lacks: !logsWrites(selectors) ? 'writes' : !status.IsLogging ? 'logging' : undefined };
  }));
}

/** Whether the selectors log the Account API's management write events. */
export function logsWrites(selectors: Selectors): boolean {
  if (selectors.AdvancedEventSelectors?.length) return selectors.AdvancedEventSelectors.some(s => advancedLogsWrites(s.FieldSelectors ?? []));
  return (selectors.EventSelectors ?? []).some(s => s.IncludeManagementEvents !== false && (s.ReadWriteType ?? 'All') !== 'ReadOnly');
}

/** An advanced selector logs them if it selects management events and filters out neither writes nor account.amazonaws.com. */
function advancedLogsWrites(fields: FieldSelector[]): boolean {
  const field = (name: string) => fields.find(f => f.Field === name);
  if (!field('eventCategory')?.Equals?.includes('Management')) return false;
  const readOnly = field('readOnly');
  if (readOnly && (readOnly.Equals?.includes('true') || readOnly.NotEquals?.includes('false'))) return false;
  const source = field('eventSource');
  const account = 'account.amazonaws.com';
  if (source?.Equals && !source.Equals.includes(account)) return false;
  if (source?.NotEquals?.includes(account)) return false;
  if (source?.StartsWith && !source.StartsWith.some(p => account.startsWith(p))) return false;
  if (source?.NotStartsWith?.some(p => account.startsWith(p))) return false;
  return true;
}
