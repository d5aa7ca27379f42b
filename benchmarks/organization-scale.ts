/*
 * OrganizationBaseline at organization scale, deployed by the local CloudFormation (local/deployment.ts)
 * and converged by the reconciler as it runs in AWS: the stack's organization function (its bundle) run
 * by the local Lambda, the stack's waiter state machine run by aws-local-stepfunctions, the generations
 * kept in the stack's bucket in the local S3. The local Account Management API enforces the reference's
 * rate quotas, per calling account (what the library assumes) or per target account (what the service
 * might do). Rows: 1,000 and 10,000 accounts × 3 alternate contacts, and 1,000 accounts × 2 opt-in
 * Regions with a transition time; each converged once from nothing (deployWaitsFor NOTHING: from the
 * deploy's start to the execution's end), then once more with nothing to change (a new generation).
 * Time runs S× faster for the handlers and the local services alike, with the quotas' rates ×S.
 *
 *   BENCH_ORG_ROWS=contacts-1000-caller,naive    only the rows whose key contains one of these
 *   BENCH_ORG_SCALE=50                            one time scale for every row (instead of each row's own)
 *   BENCH_ORG_RERUN_SCALE=50                      the time scale of the Region rows' re-run (50 unless set)
 *   BENCH_ORG_CONTACT_ACCOUNTS=1000,10000         the sizes of the contact rows
 *   BENCH_ORG_REGION_ACCOUNTS=1000                the size of the Region rows
 *   BENCH_ORG_TRANSITION_S=300                    how long a Region transition takes (real seconds)
 *   BENCH_ORG_CAP=3                               a convergence is stopped at this multiple of the quota-bound minimum
 */
import * as http from 'http';
import * as os from 'os';
import { AccountClient, PutAlternateContactCommand } from '@aws-sdk/client-account';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { App, Stack } from 'aws-cdk-lib';
import {
  ACCOUNT_IN_PROGRESS, byOperation, CONTACT_TYPES, CONTACTS, converge, Convergence, CPU_BOUND,
  duration, fanOutConvergence, isWrite, memberIds, n, ORG_IN_PROGRESS, percent, runRows,
} from './organization-run';
import { machine, quick, Section, table } from './stats';
import { LocalAws, LocalCloudFormation, OPT_IN_REGIONS, REFERENCE_RATE_QUOTAS, scaledQuotas } from '../local';
import { DeployWaitsFor, OrganizationBaseline } from '../src/organization-baseline';

const MANAGEMENT = '111111111111';
const list = (name: string): number[] | undefined => process.env[name]?.split(',').filter(Boolean).map(Number);
const CONTACT_SIZES = list('BENCH_ORG_CONTACT_ACCOUNTS') ?? (quick() ? [100] : [1000, 10_000]);
const REGION_SIZES = list('BENCH_ORG_REGION_ACCOUNTS') ?? (quick() ? [40] : [1000]);
/** How long one Region transition takes, real seconds (most take minutes; see the reference). */
const TRANSITION_S = Number(process.env.BENCH_ORG_TRANSITION_S ?? '300');
/** How long a Wait state waits in the contact rows, real seconds (see runReconciler). */
const CONTACT_WAIT_S = 1;
/** The naive fan-out runs in real time: only up to this many accounts (at 10,000: 30,000 clients at once). */
const NAIVE_MAX_ACCOUNTS = 1000;
/** A convergence still running at this multiple of the quota-bound minimum is stopped (and reported so). */
const CAP_RATIO = Number(process.env.BENCH_ORG_CAP ?? '3');
/** The issue's targets. */
const TARGET_RATIO = 1.1;
const TARGET_THROTTLED = 0.05;

const PUT = REFERENCE_RATE_QUOTAS.PutAlternateContact;
const GET = REFERENCE_RATE_QUOTAS.GetAlternateContact;
const ENABLE = REFERENCE_RATE_QUOTAS.EnableRegion;
const STATUS = REFERENCE_RATE_QUOTAS.GetRegionOptStatus;

const REGIONS = OPT_IN_REGIONS.slice(0, 2);

type Kind = 'contacts' | 'regions';
type Scope = 'caller' | 'target';

interface Row {
  /** For BENCH_ORG_ROWS: contacts-1000-caller, regions-1000-target, naive-1000. */
  readonly key: string;
  readonly kind: Kind | 'naive';
  readonly accounts: number;
  readonly scope: Scope;
  /** CDK_ACCOUNT_MANAGEMENT_TIME_SCALE, and the quotas' rates with it. */
  readonly scale: number;
}

/**
 * The time scale of each row. The simulation (every function, state machine and service in this one
 * Node.js process) costs 1.5-2.5 ms of CPU per Account Management call here, and a row's calls per
 * second of wall time are its real rate × S. At the per-caller quotas a contact row makes 15 calls per
 * real second: S = 25 keeps 1,000 accounts near 40 % of one core, S = 60 keeps 10,000 accounts (a
 * minute and a half per convergence) near 50 % (S = 100 measured 80-100 % and, on a busy machine, 1.6×
 * instead of 1.05× the minimum). With per-target quotas the pacer grows to hundreds of calls per
 * second: S = 5, and at 10,000 accounts the row is CPU-bound whatever S (the table says so). The
 * Region rows make few calls, mostly one after the other (a read, then the request it calls for), but
 * each call's local latency (1-2 ms) counts S times at real time, and so does each step's own start: S = 100
 * (a call about 0.2 s, against transitions of minutes; S = 300 measured 1.06-1.08× where S = 100 measured
 * 1.02-1.03×, on 2026-12-07) costs about 5 minutes of wall time per row; their re-run has its own S (rerunScaleOf). BENCH_ORG_SCALE
 * overrides them all but the re-run's.
 */
/**
 * The time scale of the Region rows' re-run: only reads, at GetRegionOptStatus's 5 per second × S, several
 * in flight; at S = 300 they would need 1,500 calls per second of wall time, several cores at the
 * simulation's CPU per call, so the re-run would measure this process rather than the library.
 * BENCH_ORG_RERUN_SCALE overrides it.
 */
function rerunScaleOf(row: Row): number {
  const forced = Number(process.env.BENCH_ORG_RERUN_SCALE ?? '');
  if (forced > 0) return forced;
  return row.kind === 'regions' ? Math.min(row.scale, 50) : row.scale;
}

function scaleOf(kind: Kind, accounts: number, scope: Scope): number {
  const forced = Number(process.env.BENCH_ORG_SCALE ?? '');
  if (forced > 0) return forced;
  if (kind === 'regions') return 100;
  if (scope === 'target') return 5;
  return accounts <= 1000 ? 25 : 60;
}

function rows(): Row[] {
  const all: Row[] = [];
  for (const accounts of CONTACT_SIZES) {
    for (const scope of ['caller', 'target'] as const) {
      all.push({ key: `contacts-${accounts}-${scope}`, kind: 'contacts', accounts, scope, scale: scaleOf('contacts', accounts, scope) });
    }
    if (accounts <= NAIVE_MAX_ACCOUNTS) all.push({ key: `naive-${accounts}`, kind: 'naive', accounts, scope: 'caller', scale: 1 });
  }
  for (const accounts of REGION_SIZES) {
    for (const scope of ['caller', 'target'] as const) {
      all.push({ key: `regions-${accounts}-${scope}`, kind: 'regions', accounts, scope, scale: scaleOf('regions', accounts, scope) });
    }
  }
  const only = process.env.BENCH_ORG_ROWS?.split(',').filter(Boolean);
  return only ? all.filter(row => only.some(part => row.key.includes(part))) : all;
}

/** The quota-bound minimum at real quotas, seconds, and how it is reckoned. */
function minimumOf(kind: Kind | 'naive', accounts: number): { seconds: number; formula: string } {
  if (kind === 'regions') {
    const transitions = accounts * REGIONS.length;
    const requests = transitions / ENABLE.rate;
    const slots = Math.ceil(transitions / ORG_IN_PROGRESS) * TRANSITION_S;
    return { seconds: Math.max(requests, slots), formula: `max(${transitions} / ${ENABLE.rate} per s, ⌈${transitions} / ${ORG_IN_PROGRESS}⌉ × ${TRANSITION_S} s)` };
  }
  const puts = accounts * CONTACT_TYPES.length;
  return { seconds: puts / PUT.rate, formula: `${puts} / ${PUT.rate} per s` };
}

// --- figures ---

interface RowResult {
  readonly row: Row;
  readonly first: Convergence;
  /** Settings not as declared once the first execution ended (contacts missing or different, Regions not ENABLED). */
  readonly lost: number;
  readonly again?: Convergence;
  /** The re-run's time scale (rerunScaleOf). */
  readonly againScale?: number;
}

function baselineStack(kind: Kind, waitsFor: DeployWaitsFor): Stack {
  const stack = new Stack(new App(), 'OrganizationScale', { env: { account: MANAGEMENT, region: 'us-east-1' } });
  new OrganizationBaseline(stack, 'Baseline', {
    allAccounts: true,
    excludeAccountIds: [MANAGEMENT],
    ...(kind === 'contacts' ? { alternateContacts: CONTACTS } : { enabledRegions: REGIONS }),
    deployWaitsFor: waitsFor,
  });
  return stack;
}

/** Settings that are not as declared. */
function lostSettings(aws: LocalAws, kind: Kind, accounts: string[]): number {
  let lost = 0;
  for (const id of accounts) {
    const account = aws.account(id);
    if (kind === 'contacts') {
      for (const type of CONTACT_TYPES) {
        const want = CONTACTS[type.toLowerCase() as keyof typeof CONTACTS];
        const have = account.alternateContacts.get(type);
        const same = have?.Name === want.name && have.Title === want.title
          && have.EmailAddress === want.emailAddress && have.PhoneNumber === want.phoneNumber;
        if (!same) lost++;
      }
    } else {
      lost += REGIONS.filter(region => aws.regionStatus(id, region) !== 'ENABLED').length;
    }
  }
  return lost;
}

async function runReconciler(row: Row & { kind: Kind }): Promise<RowResult> {
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(row.scale);
  const members = memberIds(row.accounts);
  const aws = await LocalAws.start({
    managementAccountId: MANAGEMENT,
    memberAccountIds: members,
    rateQuotas: scaledQuotas(row.scale),
    quotaScope: row.scope,
    regionTransitionMs: (TRANSITION_S * 1000) / row.scale,
  });
  aws.useForSdkClients();
  // The Region rows' Waits wait what the step asked (its PollSeconds, learned from the transitions), scaled;
  // the contact rows' a second whatever their SecondsPath, where steps follow each other (a Wait of 0 s
  // after a step that used its time, or of a few seconds while a superseded generation may still write).
  aws.stepFunctions.waitMs = (CONTACT_WAIT_S * 1000) / row.scale;
  aws.stepFunctions.scaledWaits = row.kind === 'regions';
  try {
    const cfn = new LocalCloudFormation(aws);
    const capMs = (CAP_RATIO * minimumOf(row.kind, row.accounts).seconds * 1000) / row.scale;
    const first = await converge(aws, cfn, baselineStack(row.kind, DeployWaitsFor.NOTHING), DeployWaitsFor.NOTHING, capMs);
    const lost = lostSettings(aws, row.kind, members);
    if (first.capped) return { row, first, lost };
    // The same declaration again, as a new generation (deployWaitsFor is part of it): the deploy waits for it.
    const waitsFor = row.kind === 'contacts' ? DeployWaitsFor.CONTACTS : DeployWaitsFor.EVERYTHING;
    const againScale = rerunScaleOf(row);
    if (againScale !== row.scale) {
      // The handlers read the scale at each invocation, the local services' quotas and Waits from these.
      process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(againScale);
      aws.rateQuotas = scaledQuotas(againScale);
      aws.regionTransitionMs = (TRANSITION_S * 1000) / againScale;
      aws.stepFunctions.waitMs = (CONTACT_WAIT_S * 1000) / againScale;
    }
    const again = await converge(aws, cfn, baselineStack(row.kind, waitsFor), waitsFor);
    return { row, first, lost, again, againScale };
  } finally {
    await aws.close();
  }
}

/**
 * Every PutAlternateContact at once, each from a client of its own with the SDK's defaults (3 attempts),
 * as a stack of one AwsCustomResource per setting would make them if CloudFormation started them all:
 * real quotas, real time (the SDK's retry delays cannot be scaled).
 */
async function runNaive(row: Row): Promise<RowResult> {
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = '1';
  const members = memberIds(row.accounts);
  const aws = await LocalAws.start({ managementAccountId: MANAGEMENT, memberAccountIds: members, rateQuotas: REFERENCE_RATE_QUOTAS });
  aws.useForSdkClients();
  // One connection pool without the default limit of 50 sockets: every request at once.
  const requestHandler = new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: Infinity }) });
  try {
    const cpuBefore = process.cpuUsage();
    const started = Date.now();
    const results = await Promise.allSettled(members.flatMap(AccountId => CONTACT_TYPES.map(type => {
      const c = CONTACTS[type.toLowerCase() as keyof typeof CONTACTS];
      return new AccountClient({ requestHandler }).send(new PutAlternateContactCommand({
        AccountId, AlternateContactType: type, Name: c.name, Title: c.title, EmailAddress: c.emailAddress, PhoneNumber: c.phoneNumber,
      }));
    })));
    const wallMs = Date.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const failed = results.filter(r => r.status === 'rejected').length;
    const first = fanOutConvergence(aws, wallMs, cpu, failed ? 'rolled back' : 'complete');
    return { row, first, lost: failed };
  } finally {
    requestHandler.destroy();
    await aws.close();
  }
}

// --- the tables ---

function what(row: Row): string {
  const settings = row.kind === 'regions' ? `${REGIONS.length} Regions` : `${CONTACT_TYPES.length} contacts`;
  const how = row.kind === 'naive' ? 'naive fan-out (every put at once, SDK defaults)' : 'OrganizationBaseline';
  return `${n(row.accounts)} × ${settings}: ${how}`;
}

/** What a convergence's figures come to. */
function verdictOf(r: RowResult): { realS: number; ratio: number; throttled: number; cpuBound: boolean } {
  const realS = (r.first.wallMs / 1000) * r.row.scale;
  return {
    realS,
    ratio: realS / minimumOf(r.row.kind, r.row.accounts).seconds,
    throttled: r.first.calls.filter(c => c.status === 429).length - r.first.refusedForLimits,
    cpuBound: r.row.kind !== 'naive' && r.first.cpuShare >= CPU_BOUND,
  };
}

function firstRow(r: RowResult): Array<string | number> {
  const { row, first } = r;
  const v = verdictOf(r);
  const naive = row.kind === 'naive';
  const outcome = naive ? (r.lost ? 'rolled back' : 'complete')
    : first.capped ? `**stopped at ${CAP_RATIO}× the minimum**`
      : first.executions.length === 0 ? '**no execution**'
        : `${first.event}${first.executions.every(e => e.status === 'SUCCEEDED') ? '' : ` (${first.executions.map(e => e.status).join(', ')})`}`;
  const ratio = naive && r.lost > 0 ? '—' : `${first.capped ? '> ' : ''}${v.ratio.toFixed(2)}${v.cpuBound ? ' (CPU-bound)' : ''}`;
  return [
    what(row),
    naive ? 'caller' : row.scope,
    naive ? '1 (real time)' : row.scale,
    `${(first.wallMs / 1000).toFixed(1)}${naive ? '' : ` (${(first.startupMs / 1000).toFixed(1)})`}`,
    duration(v.realS),
    duration(minimumOf(row.kind, row.accounts).seconds),
    ratio,
    n(first.calls.length),
    `${n(v.throttled)} (${percent(v.throttled, first.calls.length)})`,
    row.kind === 'regions' ? n(first.refusedForLimits) : '—',
    byOperation(first.calls),
    r.lost > 0 ? `**${n(r.lost)}**` : '0',
    outcome,
    naive ? '—' : n(first.steps),
    naive ? '—' : first.others,
    `${(100 * first.cpuShare).toFixed(0)} %${naive ? '' : `, ${first.loopDelayMs.toFixed(1)} ms (p99 ${first.loopDelayP99Ms.toFixed(0)})`}`,
  ];
}

/** Reads alone bound a re-run: 3N GetAlternateContact at 10/s, or 2N GetRegionOptStatus at 5/s. */
function readMinimumOf(row: Row): number {
  return row.kind === 'contacts' ? (row.accounts * CONTACT_TYPES.length) / GET.rate : (row.accounts * REGIONS.length) / STATUS.rate;
}

function againRow(r: RowResult): Array<string | number> {
  const again = r.again!;
  const writes = again.calls.filter(c => isWrite(c.operation)).length;
  const realS = (again.wallMs / 1000) * (r.againScale ?? r.row.scale);
  return [
    what(r.row),
    r.row.scope,
    r.againScale ?? r.row.scale,
    writes > 0 ? `**${n(writes)}**` : '0',
    n(again.calls.length - writes),
    n(again.calls.filter(c => c.status === 429).length),
    duration(realS),
    `${duration(readMinimumOf(r.row))} (${(realS / readMinimumOf(r.row)).toFixed(2)}×)`,
    `${again.stackStatus}${again.event === 'Converged' ? '' : `, ${again.event}`}`,
    `${(100 * again.cpuShare).toFixed(0)} %`,
  ];
}

/** Against the issue's targets. */
function verdict(r: RowResult): string {
  const v = verdictOf(r);
  const label = `${n(r.row.accounts)} × ${r.row.kind === 'regions' ? `${REGIONS.length} Regions` : `${CONTACT_TYPES.length} contacts`} per ${r.row.scope}`;
  const time = r.first.capped ? `**not converged at ${CAP_RATIO}× the minimum**`
    : r.row.scope === 'caller' ? `${v.ratio.toFixed(2)}× the minimum (${v.ratio <= TARGET_RATIO ? 'within' : '**over**'} ${TARGET_RATIO}×)`
      : `${v.ratio.toFixed(2)}× the per-caller minimum (${v.ratio < 1 ? 'faster' : '**not faster**'})`;
  const share = v.throttled / Math.max(1, r.first.calls.length);
  const rerun = r.again ? r.again.calls.filter(c => isWrite(c.operation)).length : undefined;
  return `${label}: ${time}${v.cpuBound ? ' (CPU-bound here)' : ''}, ${(100 * share).toFixed(1)} % throttled `
    + `(${share <= TARGET_THROTTLED ? 'within' : '**over**'} ${100 * TARGET_THROTTLED} %), ${r.lost ? `**${n(r.lost)} lost**` : 'nothing lost'}, `
    + (rerun === undefined ? 'no re-run' : `re-run ${rerun ? `**${n(rerun)} writes**` : 'without writes'}`)
    + (r.again && r.again.stackStatus !== 'UPDATE_COMPLETE' ? ` but **its deploy ended ${r.again.stackStatus}**` : '');
}

export async function organizationScaleBenchmark(): Promise<Section> {
  const loadBefore = os.loadavg()[0];
  const results = await runRows('organization', rows(), row => (row.kind === 'naive' ? runNaive(row) : runReconciler(row as Row & { kind: Kind })));

  const reconciled = results.filter(r => r.row.kind !== 'naive');
  const scales = [...new Set(reconciled.map(r => `${r.row.key} ${r.row.scale}×`))];
  const regionMin = minimumOf('regions', REGION_SIZES[0] ?? 1000);
  const failures = reconciled.flatMap(r => [r.first, r.again].flatMap(c => (c?.failures ?? []).slice(0, 1).map(f => `${what(r.row)}, per ${r.row.scope}: ${f.reason}`)));
  const quotas = ['PutAlternateContact', 'GetAlternateContact', 'EnableRegion', 'GetRegionOptStatus']
    .map(op => `${op} ${REFERENCE_RATE_QUOTAS[op].rate}/s burst ${REFERENCE_RATE_QUOTAS[op].burst}`).join(', ');

  return {
    title: `Organization scale: OrganizationBaseline on ${CONTACT_SIZES.map(n).join(' and ')} accounts × 3 contacts, `
      + `and ${REGION_SIZES.map(n).join(', ')} accounts × ${REGIONS.length} Regions`,
    method: `One stack (env ${MANAGEMENT}/us-east-1) with one OrganizationBaseline (\`allAccounts: true\`, the management account excluded, `
      + '`deployWaitsFor: NOTHING`) that declares the BILLING, OPERATIONS and SECURITY alternate contacts, or enables the opt-in Regions '
      + `${REGIONS.join(' and ')}, for N member accounts (200000000000 + i, which the local Organizations lists 20 per ListAccounts page). `
      + 'The local CloudFormation deploys it (local/deployment.ts): the deploy stores a generation in the stack\'s bucket (local S3), starts an '
      + 'execution of the stack\'s waiter state machine (run by aws-local-stepfunctions), whose steps invoke the organization function '
      + '(its bundle, run by the local Lambda), and completes at once; the execution goes on. Measured from the stack\'s first event to the '
      + 'end of the execution (`stepFunctions.settled()`; the stack is synthesized before the clock starts). The local Account Management '
      + `API enforces the reference's rate quotas (${quotas}), either per calling account (every call comes from the management account: `
      + 'what the library assumes) or per target account (each member its own buckets: what the service might do, where the reconciler\'s '
      + 'adaptive pacing may go faster than the documented rates), and the limits of Region transitions in progress '
      + `(${ORG_IN_PROGRESS} per organization, the local default, and ${ACCOUNT_IN_PROGRESS} per account); a transition takes ${TRANSITION_S} s `
      + '("a few minutes for most accounts", the reference says).\n\n'
      + 'Time runs S× faster for the handlers and the local services (CDK_ACCOUNT_MANAGEMENT_TIME_SCALE=S: the pacer, the steps\' '
      + '5-minute budget, the transitions, the Lambda and custom-resource timeouts) and the quotas\' rates ×S (`scaledQuotas(S)`; bursts '
      + 'are a number of calls and stay). In the Region rows a Wait state waits its SecondsPath / S (the step\'s PollSeconds: until the '
      + 'earliest transition in progress is due by the durations the reconciler has seen, 5-60 s, 20 s before it has seen one end); in the contact rows '
      + `aws-local-stepfunctions waits ${CONTACT_WAIT_S} s / S per Wait state, whatever its SecondsPath `
      + '(where a step is followed by a Wait of 0 s, or of a few seconds while a superseded generation may still write). '
      + `S per row: ${scales.join(', ')}. `
      + 'The simulation runs every function, state machine and service in this one Node.js process, at 1.5-2.5 ms of CPU per Account '
      + 'Management call (SigV4, the SDK\'s middleware, the local services\' own work), so S is chosen per row to '
      + 'keep it below one core: "CPU" is this process\'s CPU time over the wall time (share of one core, other threads included) and '
      + `the event loop's mean (p99) delay; from ${100 * CPU_BOUND} % the simulation may set the pace, and the ratio says "CPU-bound": `
      + 'the library would be at least that fast. Each call\'s local latency (a few ms) counts S times at real time too, which the Region '
      + 'rows (a read, then the request it calls for, at S in the hundreds) pay at each transition they ask for. '
      + 'The Organizations listing of the targets is inside '
      + 'the measured time, and so is the start-up (in brackets: from the stack\'s first event to the first Account Management call). '
      + `At real quotas: the wall time × S. A convergence still running at ${CAP_RATIO}× its minimum is stopped (BENCH_ORG_CAP).\n\n`
      + `Quota-bound minimum: contacts, 3N PutAlternateContact at ${PUT.rate}/s (the burst of ${PUT.burst} would save ${(PUT.burst / PUT.rate).toFixed(1)} s; `
      + `the 3N GetAlternateContact at ${GET.rate}/s run alongside); Regions, max(2N EnableRegion at ${ENABLE.rate}/s, ⌈2N / ${ORG_IN_PROGRESS}⌉ × the `
      + `transition time) (at N = ${n(REGION_SIZES[0] ?? 1000)}: ${regionMin.formula} = ${duration(regionMin.seconds)}). With per-target quotas, `
      + 'the ratio is to the same per-caller minimum. Throttled: calls answered 429 for a rate; an EnableRegion refused when a limit of '
      + 'transitions in progress was reached at that moment is counted apart ("refused": the answer that tells the reconciler the '
      + 'limit). Lost: settings not as declared once the execution ended (a contact missing or different, a Region not ENABLED). Steps: '
      + 'the waiter\'s invocations of the function; other calls: the function\'s calls to S3 (the stored generation, and which one is '
      + 'current), Organizations, Step Functions, EventBridge and CloudFormation, by operation. The '
      + `generation's event (Converged / Failed) as the function sent it. On ${machine(loadBefore)}. One run per row.\n\n`
      + `The naive fan-out (at ${n(NAIVE_MAX_ACCOUNTS)} accounts only: at 10,000 it would open 30,000 SDK clients at once in this process, `
      + 'to show nothing that 1,000 does not) sends every PutAlternateContact at once, each from a client of its own with the SDK\'s '
      + 'defaults (3 attempts), as one AwsCustomResource per setting would if CloudFormation started them all (a stack cannot hold them: '
      + '500 resources), at the real quotas and in real time (the SDK\'s retry delays cannot be scaled); a failed put fails its resource '
      + 'and rolls the deploy back, so "lost" counts the puts that failed.\n\n'
      + 'The re-run: the same stack deployed again with `deployWaitsFor` CONTACTS (Regions: EVERYTHING), which makes a new generation of '
      + 'the same declaration, waited for by the deploy, over accounts that hold it already: it must make no write. Its read-bound '
      + `minimum: 3N GetAlternateContact at ${GET.rate}/s, or 2N GetRegionOptStatus at ${STATUS.rate}/s. The Region rows' re-run runs at `
      + 'S = 50 (column S): its reads, several in flight, would need 1,500 calls per second of wall time at S = 300, more than this '
      + 'process\'s one core gives at its CPU per call; "CPU" as above.\n\n'
      + `Against the issue's targets (within ${TARGET_RATIO}× the minimum at the per-caller quotas, faster than it with per-target quotas, `
      + `at most ${100 * TARGET_THROTTLED} % throttled, nothing lost, a converged re-run without writes): ${reconciled.map(verdict).join('; ')}.`
      + (failures.length ? `\n\nWhy accounts failed (the first of each run, from the generation's event): ${failures.join(' | ')}` : ''),
    body: [
      table(['accounts × settings', 'quotas per', 'S', 'wall time, s (start-up)', 'at real quotas', 'quota-bound minimum', 'ratio',
        'Account API calls', 'throttled (429, rate)', 'refused (in-progress limits)', 'calls by operation', 'lost settings',
        'outcome', 'steps', 'other calls', 'CPU, event-loop delay'], results.map(firstRow)),
      '',
      'The same declaration deployed again (a new generation over converged accounts):',
      '',
      table(['accounts × settings', 'quotas per', 'S', 'writes', 'reads', 'throttled (429)', 'time at real quotas', 'read-bound minimum (ratio)', 'stack, event', 'CPU'],
        results.filter(r => r.again).map(againRow)),
    ].join('\n'),
  };
}
