/*
 * `cdk-account-management plan` over an organization: one OrganizationBaseline declaring 3 alternate
 * contacts for every account, planned against N accounts whose contacts are already set (so every read
 * is needed and none is a write), under the Account Management quotas of the calling account. Beside
 * it, what a user would otherwise write: a script that reads every contact at once with the SDK's
 * defaults.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AccountClient, GetAlternateContactCommand } from '@aws-sdk/client-account';
import { App, Stack } from 'aws-cdk-lib';
import { machine, quick, Section, table } from './stats';
import { readAssembly } from '../cli/assembly';
import { Aws } from '../cli/aws';
import { plan } from '../cli/plan';
import { LocalAws, REFERENCE_RATE_QUOTAS, scaledQuotas } from '../local';
import { OrganizationBaseline } from '../src';

const MANAGEMENT = '111111111111';
const SIZES = quick() ? [100] : [1000];
/** Time runs this much faster for the tool's pacing and the local quotas alike. */
const TIME_SCALE = 20;
const TYPES = ['BILLING', 'OPERATIONS', 'SECURITY'] as const;
const CONTACT = { name: 'Security Operations Center', title: 'SOC', emailAddress: 'aws-security@example.com', phoneNumber: '+1 206-555-0103' };
const FIELDS = { Name: CONTACT.name, Title: CONTACT.title, EmailAddress: CONTACT.emailAddress, PhoneNumber: CONTACT.phoneNumber };

interface Row {
  readonly accounts: number;
  readonly reads: number;
  readonly wallMs: number;
  readonly throttled: number;
  readonly failed: number;
  readonly other: string;
}

function members(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(200000000000 + i));
}

async function withOrganization<T>(n: number, scale: number, fn: (aws: LocalAws) => Promise<T>): Promise<T> {
  const aws = await LocalAws.start({ managementAccountId: MANAGEMENT, memberAccountIds: members(n), rateQuotas: scaledQuotas(scale) });
  aws.useForSdkClients();
  for (const id of [MANAGEMENT, ...members(n)]) for (const type of TYPES) aws.account(id).alternateContacts.set(type, { ...FIELDS });
  try {
    return await fn(aws);
  } finally {
    await aws.close();
  }
}

/** The tool: synthesizes the baseline's stack, then plans it. */
async function planRow(n: number): Promise<Row> {
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(TIME_SCALE);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-plan-'));
  try {
    const app = new App({ outdir });
    const stack = new Stack(app, 'Baseline', { env: { account: MANAGEMENT, region: 'us-east-1' } });
    new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { billing: CONTACT, operations: CONTACT, security: CONTACT } });
    app.synth();
    return await withOrganization(n, TIME_SCALE, async aws => {
      const started = Date.now();
      const { changes } = await plan(readAssembly(outdir), await Aws.connect({ timeoutMs: 3600_000 }), 'assembly');
      const wallMs = Date.now() - started;
      if (changes.length !== (n + 1) * 3 || changes.some(c => c.action !== 'unchanged')) throw new Error('the plan did not find every contact unchanged');
      const gets = aws.callsOf('GetAlternateContact');
      const others = new Map<string, number>();
      for (const call of aws.calls.filter(c => c.operation !== 'GetAlternateContact')) others.set(call.operation, (others.get(call.operation) ?? 0) + 1);
      return {
        accounts: n + 1,
        reads: gets.filter(c => c.status === 200).length,
        wallMs: wallMs * TIME_SCALE,
        throttled: gets.filter(c => c.status === 429).length,
        failed: 0,
        other: [...others].map(([op, count]) => `${op} ${count}`).join(', '),
      };
    });
  } finally {
    delete process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** A script: every GetAlternateContact at once, each client with the SDK's defaults (3 attempts), at the real quotas. */
async function naiveRow(n: number): Promise<Row> {
  return withOrganization(n, 1, async aws => {
    aws.rateQuotas = REFERENCE_RATE_QUOTAS;
    const started = Date.now();
    const outcomes = await Promise.allSettled([MANAGEMENT, ...members(n)].flatMap(id => TYPES.map(type =>
      new AccountClient({}).send(new GetAlternateContactCommand({ AccountId: id === MANAGEMENT ? undefined : id, AlternateContactType: type })))));
    const wallMs = Date.now() - started;
    const gets = aws.callsOf('GetAlternateContact');
    return {
      accounts: n + 1,
      reads: gets.filter(c => c.status === 200).length,
      wallMs,
      throttled: gets.filter(c => c.status === 429).length,
      failed: outcomes.filter(o => o.status === 'rejected').length,
      other: '',
    };
  });
}

export async function planBenchmark(): Promise<Section> {
  const loadBefore = os.loadavg()[0];
  const rows: Array<Array<string | number>> = [];
  for (const n of SIZES) {
    const minimumS = ((n + 1) * 3 - REFERENCE_RATE_QUOTAS.GetAlternateContact.burst) / REFERENCE_RATE_QUOTAS.GetAlternateContact.rate;
    for (const [who, row] of [['cdk-account-management plan', await planRow(n)], ['every read at once, SDK defaults', await naiveRow(n)]] as const) {
      rows.push([
        who, row.accounts, `${row.reads} of ${row.accounts * 3}`, (row.wallMs / 1000).toFixed(1), minimumS.toFixed(0),
        row.failed ? '— (reads failed)' : `${(row.wallMs / 1000 / minimumS).toFixed(2)}×`, `${row.throttled} (${((100 * row.throttled) / (row.reads + row.throttled + row.failed)).toFixed(1)} %)`,
        row.failed ? `${row.failed} failed` : 'none', row.other || '—',
      ]);
    }
  }
  const q = REFERENCE_RATE_QUOTAS.GetAlternateContact;
  return {
    title: 'plan: reading an organization\'s settings',
    method: 'One OrganizationBaseline (allAccounts, BILLING, OPERATIONS and SECURITY contacts) synthesized, then `plan` (cli/plan.ts, in this process) '
      + 'against the local services: an organization of the management account and N-1 members whose three contacts already hold the declared values '
      + `(so the plan reads them all and finds them unchanged), with GetAlternateContact's quota of ${q.rate}/s burst ${q.burst} per calling account enforced. `
      + `The tool runs with time ${TIME_SCALE}× faster (CDK_ACCOUNT_MANAGEMENT_TIME_SCALE: its pacing) and the quotas' rates ×${TIME_SCALE} with it; its `
      + `wall time is shown at the real quotas (measured ×${TIME_SCALE}). The script sends every read at once, each from an AccountClient with the SDK's `
      + 'defaults (3 attempts), at the real quotas and in real time. The quota-bound minimum: the reads beyond the burst at the quota\'s rate. '
      + `On ${machine(loadBefore)}; one run per row.`,
    body: table(['reader', 'accounts', 'contacts read', 'wall time at real quotas (s)', 'quota-bound minimum (s)', 'vs minimum', 'throttled reads', 'failed', 'other calls'], rows),
  };
}
