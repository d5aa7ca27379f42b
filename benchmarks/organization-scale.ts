/*
 * OrganizationBaseline at scale: 3 alternate contacts applied to 100 and 1,000 accounts against the
 * local fake with the reference's rate quotas enforced, next to what a naive fan-out (every put at
 * once, the SDK's default retries, as one custom resource per setting does) meets under the same
 * quotas. Quotas and the handler's pacing are scaled up by the same factor so that a run takes
 * seconds; the ratio to the quota-bound minimum does not depend on the factor.
 */
import { AccountClient, PutAlternateContactCommand } from '@aws-sdk/client-account';
import { App, Stack } from 'aws-cdk-lib';
import { Section, table } from './stats';
import { isComplete, onEvent } from '../lambda/organization';
import { OrganizationBaseline } from '../src/organization-baseline';
import { FakeAccountApi, REFERENCE_RATE_QUOTAS, RateQuota } from '../test/fake-account-api';
import { propertiesOf, SimulatedStack } from '../test/simulated-stack';

const SCALE = 20;
const PROGRESS = '/bench/progress';
const CONTACT = { name: 'Security Operations', title: 'SOC', emailAddress: 'soc@example.com', phoneNumber: '+1 206-555-0103' };

export async function organizationScaleBenchmark(fake: FakeAccountApi): Promise<Section> {
  fake.rateQuotas = Object.fromEntries(Object.entries(REFERENCE_RATE_QUOTAS)
    .map(([op, q]): [string, RateQuota] => [op, { rate: q.rate * SCALE, burst: q.burst * SCALE }]));
  process.env.CDK_ACCOUNT_MANAGEMENT_RATE_SCALE = String(SCALE);
  const rows: Array<Array<string | number>> = [];
  try {
    for (const n of [100, 1000]) {
      const accounts = Array.from({ length: n }, (_, i) => String(200000000000 + i));
      await reset(fake);
      rows.push([n, 'this library (OrganizationBaseline)', ...await runLibrary(fake, accounts)]);
      await reset(fake);
      rows.push([n, 'naive fan-out (all puts at once, SDK defaults)', ...await runNaive(fake, accounts)]);
    }
  } finally {
    fake.rateQuotas = {};
    delete process.env.CDK_ACCOUNT_MANAGEMENT_RATE_SCALE;
  }
  return {
    title: 'Organization scale: 3 alternate contacts on 100 and 1,000 accounts',
    method: 'Against the local fake with the reference\'s quotas per calling account (PutAlternateContact 5/s burst 8, GetAlternateContact 10/s burst 15) '
      + `scaled ${SCALE}× (the handler's pacing scaled with them, CDK_ACCOUNT_MANAGEMENT_RATE_SCALE=${SCALE}); times are shown both as measured and at the real quotas (×${SCALE}). `
      + 'First run on accounts without contacts (reads, then writes), one run per size. The quota-bound minimum is the time the puts need at the quota '
      + '(reads run alongside, under their own quota). The naive fan-out sends every PutAlternateContact at once with the SDK\'s default 3 attempts, '
      + 'as a stack of one AwsCustomResource per setting would if CloudFormation started them all; a failed put is a failed resource and a rolled-back deploy.',
    body: table(['accounts', 'how', 'wall time (s, measured)', 'wall time at real quotas (min)', 'quota-bound minimum (min)', 'ratio',
      'calls', 'throttled (429)', 'settings not written'], rows),
  };
}

function minimumSeconds(accounts: number): number {
  return (accounts * 3) / (REFERENCE_RATE_QUOTAS.PutAlternateContact.rate * SCALE);
}

function figures(fake: FakeAccountApi, seconds: number, accounts: number, notWritten: number): Array<string | number> {
  const calls = fake.calls.filter(c => !c.operation.includes(':'));
  const minimum = minimumSeconds(accounts);
  return [seconds.toFixed(1), ((seconds * SCALE) / 60).toFixed(1), ((minimum * SCALE) / 60).toFixed(1), (seconds / minimum).toFixed(2),
    calls.length, calls.filter(c => c.status === 429).length, notWritten];
}

/** Clears the contacts and the calls, and lets the quota buckets refill. */
async function reset(fake: FakeAccountApi): Promise<void> {
  for (const account of fake.accounts.values()) account.alternateContacts.clear();
  fake.parameters.set(PROGRESS, '{}');
  fake.clearCalls();
  await new Promise(resolve => setTimeout(resolve, 2000));
}

async function runLibrary(fake: FakeAccountApi, accounts: string[]): Promise<Array<string | number>> {
  const quiet = console.info;
  console.info = () => undefined;
  try {
    const stack = new Stack(new App(), 'Bench', { env: { account: fake.managementAccountId, region: 'us-east-1' } });
    const baseline = new OrganizationBaseline(stack, 'Baseline', {
      accountIds: accounts,
      alternateContacts: { security: CONTACT, billing: CONTACT, operations: CONTACT },
    });
    const properties = { ...propertiesOf(baseline), ProgressParameter: PROGRESS };
    const simulated = new SimulatedStack(fake, onEvent, fake.managementAccountId, { isComplete, pollMs: 10 });
    const started = Date.now();
    await simulated.create('Baseline', properties);
    const seconds = (Date.now() - started) / 1000;
    const written = accounts.reduce((sum, id) => sum + fake.account(id).alternateContacts.size, 0);
    return figures(fake, seconds, accounts.length, accounts.length * 3 - written);
  } finally {
    console.info = quiet;
  }
}

async function runNaive(fake: FakeAccountApi, accounts: string[]): Promise<Array<string | number>> {
  const client = new AccountClient({}); // the SDK's defaults: 3 attempts
  try {
    const started = Date.now();
    const contact = { Name: CONTACT.name, Title: CONTACT.title, EmailAddress: CONTACT.emailAddress, PhoneNumber: CONTACT.phoneNumber };
    const results = await Promise.allSettled(accounts.flatMap(AccountId => (['BILLING', 'OPERATIONS', 'SECURITY'] as const).map(type =>
      client.send(new PutAlternateContactCommand({ AccountId, AlternateContactType: type, ...contact })))));
    const seconds = (Date.now() - started) / 1000;
    return figures(fake, seconds, accounts.length, results.filter(r => r.status === 'rejected').length);
  } finally {
    client.destroy();
  }
}
