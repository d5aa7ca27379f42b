/*
 * OrganizationBaseline at scale: 3 alternate contacts applied to 100 and 1,000 accounts against the
 * local services with the reference's rate quotas enforced, next to what a naive fan-out (every put at
 * once, the SDK's default retries, as one custom resource per setting does) meets under the same
 * quotas. Time runs faster for the library's handlers and the quotas' rates alike so that a run takes
 * seconds; the ratio to the quota-bound minimum does not depend on the factor.
 */
import * as http from 'http';
import * as os from 'os';
import { AccountClient, PutAlternateContactCommand } from '@aws-sdk/client-account';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { App, Stack } from 'aws-cdk-lib';
import { machine, quick, quietly, Section, table } from './stats';
import { isComplete, onEvent } from '../lambda/organization';
import { LocalAws, REFERENCE_RATE_QUOTAS, scaledQuotas } from '../local';
import { OrganizationBaseline } from '../src/organization-baseline';
import { propertiesOf, SimulatedStack } from '../test/simulated-stack';

const MANAGEMENT = '111111111111';
const SIZES = quick() ? [30] : [100, 1000];
/** How much faster time runs for the library's handlers (CDK_ACCOUNT_MANAGEMENT_TIME_SCALE), and the quotas' rates with it. */
const SCALE = 20;
const PROGRESS = '/bench/progress';
const CONTACT = { name: 'Security Operations', title: 'SOC', emailAddress: 'soc@example.com', phoneNumber: '+1 206-555-0103' };
const PUT = REFERENCE_RATE_QUOTAS.PutAlternateContact;
const GET = REFERENCE_RATE_QUOTAS.GetAlternateContact;

export async function organizationScaleBenchmark(): Promise<Section> {
  const accounts = Array.from({ length: Math.max(...SIZES) }, (_, i) => String(200000000000 + i));
  const aws = await LocalAws.start({ managementAccountId: MANAGEMENT, memberAccountIds: accounts });
  aws.useForSdkClients();
  aws.ssm.parameters.set(PROGRESS, '{}');
  const scaleBefore = process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
  const loadBefore = os.loadavg()[0];
  const rows: Array<Array<string | number>> = [];
  try {
    for (const n of SIZES) {
      const targets = accounts.slice(0, n);
      reset(aws, SCALE);
      rows.push([n, 'this library (OrganizationBaseline)', ...await runLibrary(aws, targets)]);
      reset(aws, 1);
      rows.push([n, 'naive fan-out (all puts at once, SDK defaults)', ...await runNaive(aws, targets)]);
    }
  } finally {
    if (scaleBefore === undefined) delete process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
    else process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = scaleBefore;
    await aws.close();
  }
  return {
    title: `Organization scale: 3 alternate contacts on ${SIZES.map(n => n.toLocaleString('en-US')).join(' and ')} accounts`,
    method: `Against the local services (local/) with the reference's quotas per calling account (PutAlternateContact ${PUT.rate}/s burst ${PUT.burst}, `
      + `GetAlternateContact ${GET.rate}/s burst ${GET.burst}). The library's handlers (onEvent, then isComplete until done, as the Provider framework `
      + 'calls them; run in this process by test/simulated-stack.ts, progress kept in the local SSM Parameter Store) run with time '
      + `${SCALE}× faster (CDK_ACCOUNT_MANAGEMENT_TIME_SCALE=${SCALE}: their pacing and delays) and the quotas' rates ×${SCALE} with it `
      + `(\`scaledQuotas(${SCALE})\`; bursts are a number of calls and are not scaled, so the burst is worth ${SCALE}× less time than in AWS, `
      + 'which the paced handlers do not rely on); their times are shown as measured and at the real quotas (×'
      + `${SCALE}). The naive fan-out sends every PutAlternateContact at once, each from a client of its own with the SDK's defaults `
      + '(3 attempts), as a stack of one AwsCustomResource per setting would if CloudFormation started them all, at the real quotas and in '
      + 'real time (its retry delays are the SDK\'s and cannot be scaled; scaled quotas would give each retry more quota than in AWS); '
      + 'a failed put is a failed resource and a rolled-back deploy (see the deploy-at-once section for that stack deployed). '
      + `On ${machine(loadBefore)}. First run on accounts without contacts (reads, then writes), one run per size. The quota-bound minimum is `
      + 'the time the puts need at the quota (reads run alongside, under their own quota). Calls: Account Management calls.',
    body: table(['accounts', 'how', 'wall time (s, measured)', 'wall time at real quotas (s)', 'quota-bound minimum (s)', 'ratio',
      'calls', 'throttled (429)', 'settings not written'], rows),
  };
}

/** The quota-bound minimum at the real quotas, seconds. */
function minimumSeconds(accounts: number): number {
  return (accounts * 3) / PUT.rate;
}

function figures(aws: LocalAws, seconds: number, scale: number, accounts: number, notWritten: number): Array<string | number> {
  const calls = aws.calls.filter(c => !c.operation.includes(':'));
  const real = seconds * scale;
  const minimum = minimumSeconds(accounts);
  return [seconds.toFixed(1), real.toFixed(0), minimum.toFixed(0), (real / minimum).toFixed(2),
    calls.length, calls.filter(c => c.status === 429).length, notWritten];
}

/** Clears the contacts, the progress and the calls, and sets the time scale and quotas (full buckets). */
function reset(aws: LocalAws, scale: number): void {
  for (const account of aws.accounts.values()) account.alternateContacts.clear();
  aws.ssm.parameters.set(PROGRESS, '{}');
  aws.clearCalls();
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(scale);
  aws.rateQuotas = scaledQuotas(scale);
}

async function runLibrary(aws: LocalAws, accounts: string[]): Promise<Array<string | number>> {
  const stack = new Stack(new App(), 'Bench', { env: { account: MANAGEMENT, region: 'us-east-1' } });
  const baseline = new OrganizationBaseline(stack, 'Baseline', {
    accountIds: accounts,
    alternateContacts: { security: CONTACT, billing: CONTACT, operations: CONTACT },
  });
  const properties = { ...propertiesOf(baseline), ProgressParameter: PROGRESS };
  const simulated = new SimulatedStack(aws, onEvent, MANAGEMENT, { isComplete, pollMs: 10 });
  const started = Date.now();
  await quietly(() => simulated.create('Baseline', properties));
  const seconds = (Date.now() - started) / 1000;
  const written = accounts.reduce((sum, id) => sum + aws.account(id).alternateContacts.size, 0);
  return figures(aws, seconds, SCALE, accounts.length, accounts.length * 3 - written);
}

async function runNaive(aws: LocalAws, accounts: string[]): Promise<Array<string | number>> {
  // One client per put, as each AwsCustomResource invocation makes its own: the SDK's defaults (3 attempts,
  // and a retry quota per client). Every request at once: one connection pool without the default limit of 50 sockets.
  const requestHandler = new NodeHttpHandler({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: Infinity }) });
  try {
    const started = Date.now();
    const contact = { Name: CONTACT.name, Title: CONTACT.title, EmailAddress: CONTACT.emailAddress, PhoneNumber: CONTACT.phoneNumber };
    const results = await Promise.allSettled(accounts.flatMap(AccountId => (['BILLING', 'OPERATIONS', 'SECURITY'] as const).map(type =>
      new AccountClient({ requestHandler }).send(new PutAlternateContactCommand({ AccountId, AlternateContactType: type, ...contact })))));
    const seconds = (Date.now() - started) / 1000;
    return figures(aws, seconds, 1, accounts.length, results.filter(r => r.status === 'rejected').length);
  } finally {
    requestHandler.destroy();
  }
}
