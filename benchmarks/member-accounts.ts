/*
 * Issue 16's goal: N member accounts (10,000) × (3 alternate contacts + the primary contact), every Account
 * API and STS call answered after 100 ms, quotas per calling account, converged within 5 minutes of the
 * deploy's start. Three ways, side by side, each in an organization of its own (the accounts under one OU,
 * the management account outside it):
 * - members: OrganizationBaseline with `memberFootprint` (its StackSet puts a role in every member; the
 *   reconciler assumes it and calls as the member, against the member's own quotas), real time;
 * - management: the same without the footprint (every call from the management account, whose quotas
 *   bound it: 1.7 h at 10,000 accounts), time-scaled as organization-scale.ts does and reported at real time;
 * - naive: every account at once, AssumeRole then its 4 puts with the SDK's defaults, real time.
 * The two OrganizationBaseline rows are then deployed again (a new generation, waited for): no writes.
 *
 *   BENCH_MEMBERS_ROWS=members,naive         only the rows whose key contains one of these
 *   BENCH_MEMBERS_ACCOUNTS=10000              the size of the members and management rows
 *   BENCH_MEMBERS_MANAGEMENT_SCALE=60         the management row's time scale
 */
import * as http from 'http';
import * as os from 'os';
import { AccountClient, PutAlternateContactCommand, PutContactInformationCommand } from '@aws-sdk/client-account';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { App, Stack } from 'aws-cdk-lib';
import {
  byOperation, CONTACT_TYPES, CONTACTS, converge, Convergence, CPU_BOUND, duration, fanOutConvergence, isWrite, memberIds, n, percent, runRows,
} from './organization-run';
import { machine, quick, Section, table } from './stats';
import { MEMBER_CONCURRENCY } from '../lambda/organization/accounts-phase';
import { CallRecord, LocalAws, LocalCloudFormation, RateQuota, REFERENCE_RATE_QUOTAS, scaledQuotas } from '../local';
import { DeployWaitsFor, OrganizationBaseline } from '../src/organization-baseline';
import type { PrimaryContactDetails } from '../src/primary-contact';
import { renderPrimaryContact } from '../src/private/contacts';

const MANAGEMENT = '111111111111';
const OU = 'ou-root-members0';
const ACCOUNTS = Number(process.env.BENCH_MEMBERS_ACCOUNTS ?? (quick() ? 200 : 10_000));
/** The naive fan-out opens two clients per account at once: at 10,000 accounts, 20,000 clients and 50,000 requests in this one process. */
const NAIVE_ACCOUNTS = Math.min(ACCOUNTS, 1000);
/** How long every Account API and STS call takes to be answered (real ms; the local services divide it by the time scale). */
const LATENCY_MS = 100;
/** STS's request rate per account: the figure issue 16's brief gives for the Service Quotas default (see the method). */
const ASSUME_ROLE: RateQuota = { rate: 600, burst: 600 };
/**
 * The management row's time scale: its quota-bound 1.7 h in under two minutes. At S = 60 the row measured 98 % of one core on
 * 2026-12-07 (1.34× its bound, CPU-bound: 80,000 calls, each 100 ms / S): a lower S would tell the library's own pace better.
 */
const MANAGEMENT_SCALE = Number(process.env.BENCH_MEMBERS_MANAGEMENT_SCALE ?? '60');
/** A convergence still running at this multiple of its bound (and, for the members row, at this multiple of the goal) is stopped. */
const CAP_RATIO = 3;
/** The issue's goal: converged within 5 minutes of the deploy's start. */
const GOAL_S = 300;
/** What one member account needs, one after the other: AssumeRole, then the 4 settings read and written. */
const CALLS_PER_MEMBER = 1 + 4 + 4;
const NAIVE_ROLE = 'NaiveContactsRole';

const PRIMARY: PrimaryContactDetails = {
  fullName: 'Cloud Center of Excellence',
  companyName: 'Example Corp',
  addressLine1: '100 Main Street',
  city: 'Seattle',
  stateOrRegion: 'WA',
  postalCode: '98101',
  countryCode: 'US',
  phoneNumber: '+1 206-555-0100',
};
/** The primary contact as PutContactInformation names its fields (absent fields left out). */
const PRIMARY_FIELDS = Object.fromEntries(Object.entries(renderPrimaryContact(PRIMARY)).filter(([, v]) => v !== undefined)) as Record<string, string>;
const QUOTAS: Record<string, RateQuota> = { ...REFERENCE_RATE_QUOTAS, 'sts:AssumeRole': ASSUME_ROLE };
const PUT = REFERENCE_RATE_QUOTAS.PutAlternateContact;

type Kind = 'members' | 'management' | 'naive';

interface Row {
  /** For BENCH_MEMBERS_ROWS: members-10000, management-10000, naive-1000. */
  readonly key: string;
  readonly kind: Kind;
  readonly accounts: number;
  /** CDK_ACCOUNT_MANAGEMENT_TIME_SCALE, and the quotas' rates and the latency with it. */
  readonly scale: number;
}

interface RowResult {
  readonly row: Row;
  readonly first: Convergence;
  /** The STS calls of the first run (Convergence.calls holds the Account API's). */
  readonly firstSts: CallRecord[];
  /** Accounts that do not hold the 3 contacts and the primary contact exactly once the first run ended. */
  readonly lost: number;
  readonly again?: Convergence;
  readonly againSts?: CallRecord[];
}

const stsCalls = (aws: LocalAws) => aws.calls.filter(c => c.operation.startsWith('sts:'));

function rows(): Row[] {
  const all: Row[] = [
    { key: `members-${ACCOUNTS}`, kind: 'members', accounts: ACCOUNTS, scale: 1 },
    { key: `management-${ACCOUNTS}`, kind: 'management', accounts: ACCOUNTS, scale: MANAGEMENT_SCALE },
    { key: `naive-${NAIVE_ACCOUNTS}`, kind: 'naive', accounts: NAIVE_ACCOUNTS, scale: 1 },
  ];
  const only = process.env.BENCH_MEMBERS_ROWS?.split(',').filter(Boolean);
  return only ? all.filter(row => only.some(part => row.key.includes(part))) : all;
}

/** The bound each row is measured against, real seconds, and how it is reckoned. */
function boundOf(row: Row): { seconds: number; formula: string } {
  const latency = LATENCY_MS / 1000;
  if (row.kind === 'members') {
    return {
      seconds: (row.accounts * CALLS_PER_MEMBER * latency) / MEMBER_CONCURRENCY,
      formula: `${n(row.accounts)} × ${CALLS_PER_MEMBER} calls × ${LATENCY_MS} ms / ${MEMBER_CONCURRENCY} accounts in flight`,
    };
  }
  if (row.kind === 'management') {
    const puts = row.accounts * CONTACT_TYPES.length;
    return { seconds: puts / PUT.rate, formula: `${n(puts)} PutAlternateContact / ${PUT.rate} per s` };
  }
  // AssumeRole beyond the burst at the quota's rate, then the puts (together) after one more latency.
  const beyond = Math.max(0, row.accounts - ASSUME_ROLE.burst);
  const queued = beyond > 0 ? `${n(beyond)} AssumeRole beyond the burst / ${ASSUME_ROLE.rate} per s + ` : '';
  return { seconds: beyond / ASSUME_ROLE.rate + 2 * latency, formula: `${queued}2 × ${LATENCY_MS} ms` };
}

/** An organization of `accounts` members under OU, its quotas per calling account and every call taking LATENCY_MS, S× faster. */
async function organization(accounts: number, scale: number): Promise<{ aws: LocalAws; members: string[] }> {
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(scale);
  const members = memberIds(accounts);
  const aws = await LocalAws.start({
    managementAccountId: MANAGEMENT, memberAccountIds: members, rateQuotas: scaledQuotas(scale, QUOTAS), quotaScope: 'caller', latencyMs: LATENCY_MS,
  });
  aws.addOrganizationalUnit(OU);
  for (const id of members) aws.moveAccount(id, OU);
  aws.useForSdkClients();
  return { aws, members };
}

function baselineStack(footprint: boolean, waitsFor: DeployWaitsFor): Stack {
  const stack = new Stack(new App(), 'MemberAccounts', { env: { account: MANAGEMENT, region: 'us-east-1' } });
  new OrganizationBaseline(stack, 'Baseline', {
    organizationalUnitIds: [OU],
    alternateContacts: CONTACTS,
    primaryContact: PRIMARY,
    deployWaitsFor: waitsFor,
    ...(footprint ? { memberFootprint: {} } : {}),
  });
  return stack;
}

/** Accounts not holding the 3 alternate contacts and the primary contact exactly as declared. */
function lostAccounts(aws: LocalAws, members: string[]): number {
  const primary = JSON.stringify(Object.entries(PRIMARY_FIELDS).sort());
  return members.filter(id => {
    const account = aws.account(id);
    const contacts = CONTACT_TYPES.every(type => {
      const want = CONTACTS[type.toLowerCase() as keyof typeof CONTACTS];
      const have = account.alternateContacts.get(type);
      return have?.Name === want.name && have.Title === want.title
        && have.EmailAddress === want.emailAddress && have.PhoneNumber === want.phoneNumber;
    });
    return !contacts || JSON.stringify(Object.entries(account.contactInformation ?? {}).sort()) !== primary;
  }).length;
}

async function runReconciler(row: Row): Promise<RowResult> {
  const { aws, members } = await organization(row.accounts, row.scale);
  // Wait states wait what the step asks (0 s after a step that used its time), on the scaled clock.
  aws.stepFunctions.waitMs = 1000 / row.scale;
  aws.stepFunctions.scaledWaits = true;
  try {
    const cfn = new LocalCloudFormation(aws);
    const footprint = row.kind === 'members';
    const capS = Math.max(CAP_RATIO * boundOf(row).seconds, footprint ? (quick() ? 30 : CAP_RATIO * GOAL_S) : 0);
    const first = await converge(aws, cfn, baselineStack(footprint, DeployWaitsFor.NOTHING), DeployWaitsFor.NOTHING, (capS * 1000) / row.scale);
    const firstSts = stsCalls(aws);
    const lost = lostAccounts(aws, members);
    if (first.capped) return { row, first, firstSts, lost };
    // The same declaration again, as a new generation (deployWaitsFor is part of it): the deploy waits for it.
    const again = await converge(aws, cfn, baselineStack(footprint, DeployWaitsFor.CONTACTS), DeployWaitsFor.CONTACTS);
    return { row, first, firstSts, lost, again, againSts: stsCalls(aws) };
  } finally {
    await aws.close();
  }
}

/**
 * What a script (or the AWS SRA alternate-contacts solution's Lambda function) does without pacing: for every
 * account at once, AssumeRole into a role of the member, then its 4 puts together, each client with the SDK's
 * defaults (3 attempts); a failure loses the account's settings.
 */
async function runNaive(row: Row): Promise<RowResult> {
  const { aws, members } = await organization(row.accounts, 1);
  for (const id of members) {
    aws.iam.putRole(id, NAIVE_ROLE,
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MANAGEMENT}:root` }, Action: 'sts:AssumeRole' }] },
      { contacts: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['account:PutAlternateContact', 'account:PutContactInformation'], Resource: '*' }] } });
  }
  // One connection pool without the default limit of 50 sockets: every request at once.
  const requestHandler = new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: Infinity }) });
  try {
    const cpuBefore = process.cpuUsage();
    const started = Date.now();
    await Promise.allSettled(members.map(async id => {
      const { Credentials: credentials } = await new STSClient({ requestHandler })
        .send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${id}:role/${NAIVE_ROLE}`, RoleSessionName: 'contacts' }));
      const client = new AccountClient({
        requestHandler,
        credentials: {
          accessKeyId: credentials!.AccessKeyId!, secretAccessKey: credentials!.SecretAccessKey!, sessionToken: credentials!.SessionToken,
        },
      });
      await Promise.allSettled([
        ...CONTACT_TYPES.map(type => {
          const c = CONTACTS[type.toLowerCase() as keyof typeof CONTACTS];
          return client.send(new PutAlternateContactCommand({
            AlternateContactType: type, Name: c.name, Title: c.title, EmailAddress: c.emailAddress, PhoneNumber: c.phoneNumber,
          }));
        }),
        client.send(new PutContactInformationCommand({ ContactInformation: PRIMARY_FIELDS as never })),
      ]);
    }));
    const wallMs = Date.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const first = fanOutConvergence(aws, wallMs, cpu, '—');
    return { row, first, firstSts: stsCalls(aws), lost: lostAccounts(aws, members) };
  } finally {
    requestHandler.destroy();
    await aws.close();
  }
}

// --- the tables ---

const throttledOf = (calls: CallRecord[]) => calls.filter(c => c.status === 429 || c.errorType === 'Throttling').length;
/** Seconds, to a tenth below 10 s (the naive row's), else as organization-scale.ts writes them. */
const short = (seconds: number) => (seconds < 10 ? `${seconds.toFixed(1)} s` : duration(seconds));
/** Per 1,000 accounts, to a tenth below 10 (one execution's few states over 10,000 accounts would round to 0). */
const perThousand = (count: number, accounts: number) => {
  const value = (1000 * count) / accounts;
  return value < 10 ? value.toFixed(1) : n(Math.round(value));
};
/** How long the AssumeRoles took to arrive, first to last, and at what rate: how close the fan-out came to "at once". */
function spread(sts: CallRecord[]): string {
  if (sts.length < 2) return '—';
  const seconds = (sts[sts.length - 1].at - sts[0].at) / 1000;
  return `AssumeRoles answered over ${seconds.toFixed(1)} s (${n(Math.round(sts.length / Math.max(seconds, 0.001)))}/s)`;
}

function what(row: Row): string {
  const how = row.kind === 'members' ? 'OrganizationBaseline, memberFootprint (as each member)'
    : row.kind === 'management' ? 'OrganizationBaseline, from the management account' : 'naive fan-out (AssumeRole, 4 puts, SDK defaults)';
  return `\`${row.key}\`: ${n(row.accounts)} × 4 settings, ${how}`;
}

/** What a first run's figures come to. */
function verdictOf(r: RowResult): { realS: number; ratio: number; throttled: number; calls: number; cpuBound: boolean } {
  const realS = (r.first.wallMs / 1000) * r.row.scale;
  const calls = r.first.calls.length + r.firstSts.length;
  return {
    realS,
    ratio: realS / boundOf(r.row).seconds,
    throttled: throttledOf(r.first.calls) + throttledOf(r.firstSts),
    calls,
    cpuBound: r.first.cpuShare >= CPU_BOUND,
  };
}

function firstRow(r: RowResult): Array<string | number> {
  const { row, first } = r;
  const v = verdictOf(r);
  const naive = row.kind === 'naive';
  const outcome = naive ? spread(r.firstSts)
    : first.capped ? `**stopped at ${short((first.wallMs / 1000) * row.scale)}**`
      : first.executions.length === 0 ? '**no execution**'
        : `${first.event}${first.executions.every(e => e.status === 'SUCCEEDED') ? '' : ` (${first.executions.map(e => e.status).join(', ')})`}`;
  return [
    what(row),
    row.scale,
    `${(first.wallMs / 1000).toFixed(1)}${naive ? '' : ` (${(first.startupMs / 1000).toFixed(1)})`}`,
    short(v.realS),
    `${short(boundOf(row).seconds)}: ${boundOf(row).formula}`,
    `${first.capped ? '> ' : ''}${v.ratio.toFixed(2)}${v.cpuBound ? ' (CPU-bound)' : ''}`,
    n(first.calls.length),
    n(r.firstSts.length),
    `${n(v.throttled)} (${percent(v.throttled, v.calls)})`,
    byOperation([...first.calls, ...r.firstSts]),
    r.lost > 0 ? `**${n(r.lost)}**` : '0',
    naive ? '—' : perThousand(first.statesEntered, row.accounts),
    naive ? '—' : perThousand(first.lambdaInvocations, row.accounts),
    `${(100 * first.cpuShare).toFixed(0)} %${naive ? '' : `, ${first.loopDelayMs.toFixed(1)} ms (p99 ${first.loopDelayP99Ms.toFixed(0)})`}`,
    outcome,
  ];
}

function againRow(r: RowResult): Array<string | number> {
  const again = r.again!;
  const writes = again.calls.filter(c => isWrite(c.operation)).length;
  const sts = r.againSts ?? [];
  return [
    what(r.row),
    writes > 0 ? `**${n(writes)}**` : '0',
    n(again.calls.length - writes),
    n(sts.length),
    n(throttledOf(again.calls) + throttledOf(sts)),
    short((again.wallMs / 1000) * r.row.scale),
    perThousand(again.statesEntered, r.row.accounts),
    perThousand(again.lambdaInvocations, r.row.accounts),
    `${again.stackStatus}${again.event === 'Converged' ? '' : `, ${again.event}`}`,
  ];
}

/** Against the issue's goal: converged within 5 minutes of the deploy's start, nothing lost, a re-run without writes. */
function verdict(r: RowResult): string {
  const v = verdictOf(r);
  const time = r.first.capped ? `**not converged at ${short(v.realS)}**`
    : `converged in ${short(v.realS)} (${v.realS <= GOAL_S ? 'within' : '**over**'} ${GOAL_S / 60} min${v.cpuBound ? ', CPU-bound here' : ''})`;
  const rerun = r.again ? r.again.calls.filter(c => isWrite(c.operation)).length : undefined;
  const noSessions = r.row.kind === 'members' && r.firstSts.length === 0 ? ', **no AssumeRole: every call came from the management account**' : '';
  return `\`${r.row.key}\`: ${time}, ${r.lost ? `**${n(r.lost)} accounts lost settings**` : 'nothing lost'}, `
    + (rerun === undefined ? 'no re-run' : `re-run ${rerun ? `**${n(rerun)} writes**` : 'without writes'}`) + noSessions;
}

function readmeLine(results: RowResult[]): string | undefined {
  const of = (kind: Kind) => results.find(r => r.row.kind === kind);
  const members = of('members');
  if (!members) return undefined;
  const management = of('management');
  const naive = of('naive');
  const v = verdictOf(members);
  const rerun = members.again?.calls.filter(c => isWrite(c.operation)).length;
  return `member accounts: ${n(members.row.accounts)} accounts × 4 settings (every call 100 ms) converged in ${short(v.realS)} through the member footprint `
    + `(goal 5 min), ${n(members.lost)} lost, re-run ${rerun === undefined ? 'not run' : `${n(rerun)} writes`}`
    + (management ? `; ${duration(verdictOf(management).realS)} from the management account alone` : '')
    + (naive ? `; a naive fan-out over ${n(naive.row.accounts)} accounts lost ${n(naive.lost)} of them (${percent(verdictOf(naive).throttled, verdictOf(naive).calls)} throttled)` : '');
}

export async function memberAccountsBenchmark(): Promise<Section> {
  const loadBefore = os.loadavg()[0];
  const results = await runRows('members', rows(), row => (row.kind === 'naive' ? runNaive(row) : runReconciler(row)), 3);
  const failures = results.flatMap(r => [r.first, r.again].flatMap(c => (c?.failures ?? []).slice(0, 1).map(f => `\`${r.row.key}\`: ${f.reason}`)));
  const quotas = ['PutAlternateContact', 'GetAlternateContact', 'PutContactInformation', 'GetContactInformation']
    .map(op => `${op} ${REFERENCE_RATE_QUOTAS[op].rate}/s burst ${REFERENCE_RATE_QUOTAS[op].burst}`).join(', ');
  return {
    title: 'Member accounts: each account calls as itself (issue 16)',
    method: `Three organizations of N member accounts (200000000000 + i) under one OU, the management account ${MANAGEMENT} outside it; `
      + 'each account gets the BILLING, OPERATIONS and SECURITY alternate contacts and a primary contact (4 settings). Every Account API and STS '
      + `call is answered after ${LATENCY_MS} ms (the local services' \`latencyMs\`, divided by the time scale); the quotas count per calling account `
      + `(${quotas}; a call an assumed role's session makes counts against the role's account) and AssumeRole ${ASSUME_ROLE.rate}/s burst `
      + `${ASSUME_ROLE.burst} per calling account (\`rateQuotas['sts:AssumeRole']\`): the figure the issue's brief gives for STS's default request `
      + 'rate in Service Quotas; AWS documents STS\'s throttling as a token bucket per account, but the figure itself was not found in the '
      + 'documentation searched here.\n\n'
      + '`members-N`: one stack (us-east-1) with one OrganizationBaseline (`organizationalUnitIds: [OU]`, `memberFootprint: {}`, '
      + '`deployWaitsFor: NOTHING`), deployed by the local CloudFormation (local/deployment.ts): the StackSet\'s instances (local/stacksets.ts: '
      + 'a role per member) are created during the deploy, at once (in AWS a StackSet operation over N accounts takes its own time, and the '
      + 'accounts it has not reached yet are handled from the management account); the reconciler (the organization function\'s bundle, run by '
      + 'the local Lambda, its steps by the waiter state machine in aws-local-stepfunctions) assumes each member\'s role and calls as the member, '
      + `without AccountId, in real time (S = 1). Its bound is latency: N × (1 AssumeRole + 4 reads + 4 writes) × ${LATENCY_MS} ms / `
      + `${MEMBER_CONCURRENCY} accounts in flight (the handler's MEMBER_CONCURRENCY). \`management-N\`: the same declaration without the footprint `
      + `(every call from the management account, naming the member), run at S = ${MANAGEMENT_SCALE} (CDK_ACCOUNT_MANAGEMENT_TIME_SCALE; the quotas' `
      + `rates ×S with \`scaledQuotas\`, the latency /S) and reported at real time (wall × S); its bound is 3N PutAlternateContact at ${PUT.rate}/s `
      + '(the N PutContactInformation at their own 5/s run alongside). Both are measured from the stack\'s first event to the end of the '
      + 'execution (the stack synthesized before), start-up in brackets (to the first Account API call), and stopped at '
      + `${CAP_RATIO}× their bound (the members row not before ${(CAP_RATIO * GOAL_S) / 60} min). Then the same declaration is deployed again as a new `
      + 'generation that the deploy waits for (`deployWaitsFor: CONTACTS`), over accounts that hold it: it must make no write.\n\n'
      + `\`naive-N\` (at ${n(NAIVE_ACCOUNTS)} accounts only: at 10,000 it would open 20,000 SDK clients and 50,000 requests at once in this `
      + 'process, to show nothing that 1,000 does not): what a script or the AWS SRA alternate-contacts solution\'s function does without pacing: '
      + 'for every account at once, AssumeRole (from the management account) into a role of the member, then the 4 puts together as the '
      + 'member, each client with the SDK\'s defaults (3 attempts), in real time (the SDK\'s retry delays cannot be scaled). Its bound: the '
      + 'AssumeRoles beyond the burst at the quota\'s rate, plus two latencies. This one process makes and signs the requests no faster than its '
      + 'CPU allows, so they arrive over some seconds (the outcome column says at what rate): a fan-out that stays under STS\'s rate loses '
      + 'nothing to it, and each member\'s 4 puts stay within the member\'s own quotas.\n\n'
      + 'Throttled: Account API calls answered 429 and STS calls answered Throttling, over all calls of both. Lost: accounts not holding the 3 '
      + 'contacts and the primary contact exactly, once the run ended. State transitions: every state the executions entered (Task, Wait, '
      + 'Choice, Pass… and within Map iterations: aws-local-stepfunctions\' event log, local/step-functions.ts `statesEntered`), what Step '
      + 'Functions Standard bills; Lambda invocations: every invocation of the stack\'s functions (the custom-resource requests and the '
      + 'steps), both per 1,000 accounts. CPU: this process\'s CPU time over the wall time (share of one core) and the event loop\'s mean '
      + `(p99) delay: the simulation runs every function, state machine and service in this one Node.js process on ${os.cpus().length} cores; `
      + `from ${100 * CPU_BOUND} % the simulation may set the pace and the ratio says "CPU-bound" (the library would be at least that fast). `
      + `On ${machine(loadBefore)}. One run per row.\n\n`
      + `Against the issue's goal (converged within ${GOAL_S / 60} minutes of the deploy's start, 0 settings lost, a converged re-run without `
      + `writes): ${results.filter(r => r.row.kind !== 'naive').map(verdict).join('; ')}.`
      + (failures.length ? `\n\nWhy accounts failed (the first of each run, from the generation's event): ${failures.join(' | ')}` : ''),
    body: [
      table(['row', 'S', 'wall time, s (start-up)', 'at real time', 'bound', 'ratio', 'Account API calls', 'STS calls', 'throttled',
        'calls by operation', 'accounts lost', 'state transitions / 1,000 accounts', 'Lambda invocations / 1,000 accounts',
        'CPU, event-loop delay', 'outcome'], results.map(firstRow)),
      '',
      'The same declaration deployed again (a new generation over converged accounts):',
      '',
      table(['row', 'writes', 'reads', 'STS calls', 'throttled', 'time at real time', 'state transitions / 1,000 accounts',
        'Lambda invocations / 1,000 accounts', 'stack, event'], results.filter(r => r.again).map(againRow)),
    ].join('\n'),
    readme: readmeLine(results),
  };
}
