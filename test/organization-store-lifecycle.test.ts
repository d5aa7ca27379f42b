/*
 * The organization baselines' store never fails silently, and is the reconciler's alone: its bucket policy
 * refuses every principal but the function's role (the local S3 enforces the policy's denies; the local
 * Lambda signs each function's calls with credentials of its role, and this test's own calls are another
 * principal's, as an operator's with ReadOnlyAccess or PowerUserAccess would be); a generation written
 * anyway (by this test straight into the local S3, as one that got past the policy) is refused by its
 * digest; an emptied store, and a scheduled run's check that fails, are reported instead of taken for
 * "nothing to do"; the next deploy recovers. Deployed through the local CloudFormation.
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { logicalIdAt } from './fixtures';
import { captureConsole, Local, MANAGEMENT, stackOf, startLocal, stopLocal } from './support';
import type { GenerationEvent } from '../lambda/organization/events';
import { LocalAws, LocalCloudFormation, scaledQuotas } from '../local';
import { AlternateContactDetails, OrganizationBaseline, OrganizationBaselineProps } from '../src';
import { BASELINE_EVENTS } from '../src/contract';

const TIME_SCALE = 50;
const STACK = 'Settings';
const MEMBERS = ['230000000001', '230000000002', '230000000003'];
const PROVIDER = 'OrganizationBaselineProvider';
const WRITES = ['PutAlternateContact', 'DeleteAlternateContact', 'PutContactInformation', 'PutAccountName'];

jest.setTimeout(120_000);

let local: Local;
let aws: LocalAws;
let cfn: LocalCloudFormation;

beforeAll(async () => {
  local = await startLocal({ memberAccountIds: MEMBERS, rateQuotas: scaledQuotas(TIME_SCALE) }, TIME_SCALE);
  aws = local.aws;
});

afterAll(async () => {
  await stopLocal(local);
});

beforeEach(() => {
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
  aws.callerAccountId = MANAGEMENT;
  aws.stepFunctions.waitMs = 10;
  aws.clearCalls();
  aws.clearFaults();
  aws.eventBus.events.length = 0;
  for (const account of aws.accounts.values()) account.alternateContacts.clear();
  aws.s3.buckets.clear();
  aws.s3.tagging.clear();
  cfn = new LocalCloudFormation(aws);
});

afterEach(async () => {
  await aws.stepFunctions.settled();
  await aws.lambda.settled();
});

const SECURITY: AlternateContactDetails = { name: 'Security Desk', title: 'Lead', emailAddress: 'desk@example.com', phoneNumber: '+1 206-555-0100' };
const FORGED: AlternateContactDetails = { ...SECURITY, emailAddress: 'attacker@example.net' };

function stack(props: Partial<OrganizationBaselineProps> = {}): Stack {
  return stackOf(s => new OrganizationBaseline(s, 'Baseline', {
    accountIds: MEMBERS, alternateContacts: { security: SECURITY }, reconcileSchedule: events.Schedule.rate(Duration.hours(12)), ...props,
  }), { name: STACK });
}

async function deploy(scope: Stack): Promise<string | undefined> {
  const { result } = await captureConsole(() => cfn.deploy(scope));
  await aws.stepFunctions.settled();
  return result?.status;
}

function bucketName(scope: Stack): string {
  return cfn.resource(STACK, logicalIdAt(scope, `${PROVIDER}/Store`))!.physicalId;
}

function objects(scope: Stack): Map<string, string> {
  return aws.s3.buckets.get(bucketName(scope))!;
}

function keyOf(scope: Stack, pattern: RegExp): string {
  const key = [...objects(scope).keys()].find(k => pattern.test(k));
  if (!key) throw new Error(`no object matches ${pattern}`);
  return key;
}

function emails(): Array<string | undefined> {
  return MEMBERS.map(id => aws.account(id).alternateContacts.get('SECURITY')?.EmailAddress);
}

/** Invokes the function as the baseline's schedule rule does (its deployed input), and waits for what it started; returns the log. */
async function scheduledRun(scope: Stack): Promise<string> {
  const rule = cfn.resourceProperties(STACK, logicalIdAt(scope, 'Baseline/Reconcile')) as { Targets: Array<{ Arn: string; Input: string }> };
  const { output } = await captureConsole(async () => {
    await aws.lambda.invoke(rule.Targets[0].Arn, JSON.parse(rule.Targets[0].Input));
    await aws.stepFunctions.settled();
  });
  return output;
}

function failedEvents(): GenerationEvent[] {
  return aws.eventBus.events.filter(e => e.DetailType === BASELINE_EVENTS.failed).map(e => JSON.parse(e.Detail));
}

function handlerArn(scope: Stack): string {
  return cfn.resource(STACK, logicalIdAt(scope, `${PROVIDER}/Handler`))!.attributes.Arn;
}

test('another principal can neither read, nor write, nor delete the store\'s objects; the function can, and the stack still deletes', async () => {
  const scope = stack();
  expect(await deploy(scope)).toBe('CREATE_COMPLETE');
  // The function's own reads and writes went through the policy.
  expect(emails()).toEqual(MEMBERS.map(() => SECURITY.emailAddress));
  const Bucket = bucketName(scope);
  const generation = keyOf(scope, /\/generations\/[^/]+\.json$/);
  const current = keyOf(scope, /\/current\.json$/);
  const before = objects(scope).get(current);

  // This test's credentials are not the function's role: an operator's whose IAM policies allow s3:* here.
  const s3 = new S3Client({ forcePathStyle: true });
  await expect(s3.send(new GetObjectCommand({ Bucket, Key: generation }))).rejects.toMatchObject({ name: 'AccessDenied' });
  await expect(s3.send(new PutObjectCommand({ Bucket, Key: current, Body: '{"generation":"0-forged"}' }))).rejects.toMatchObject({ name: 'AccessDenied' });
  await expect(s3.send(new DeleteObjectCommand({ Bucket, Key: current }))).rejects.toMatchObject({ name: 'AccessDenied' });
  expect(objects(scope).get(current)).toBe(before);
  // The bucket's own actions are left to IAM: listing (names, never values), and its deletion by CloudFormation.
  expect((await s3.send(new ListObjectsV2Command({ Bucket }))).KeyCount).toBeGreaterThan(0);
  s3.destroy();

  const { result } = await captureConsole(() => cfn.destroy(STACK));
  expect(result?.status).toBe('DELETE_COMPLETE');
  expect(aws.s3.buckets.has(Bucket)).toBe(false);
});

test('the objects that expire are put with their tag (leases, runs, priors); current.json, the generations and applied.json never are', async () => {
  const scope = stack();
  expect(await deploy(scope)).toBe('CREATE_COMPLETE');
  const tags = [...aws.s3.tagging].filter(([key]) => key.startsWith(`${bucketName(scope)}/`)).map(([key, tag]) => [key.split('/').slice(3).join('/'), tag]);
  const kinds = (pattern: RegExp) => [...new Set(tags.filter(([key]) => pattern.test(key)).map(([, tag]) => tag))];
  expect(kinds(/^writing\//)).toEqual(['expiry=lease']);
  expect(kinds(/^runs\//)).toEqual(['expiry=run']);
  expect(kinds(/^priors\//)).toEqual(['expiry=prior']);
  expect(kinds(/^(current\.json|applied\.json|generations\/)/)).toEqual(['']);
  expect(tags.filter(([key]) => /^generations\/[^/]+\.json$/.test(key))).toHaveLength(1);
});

test('a generation rewritten behind the policy is refused by its digest: reported, nothing written to any account', async () => {
  const scope = stack();
  expect(await deploy(scope)).toBe('CREATE_COMPLETE');
  const key = keyOf(scope, /\/generations\/[^/]+\.json$/);
  const stored = JSON.parse(objects(scope).get(key)!);
  const forged = { Name: FORGED.name, Title: FORGED.title, EmailAddress: FORGED.emailAddress, PhoneNumber: FORGED.phoneNumber };
  const tampered = JSON.stringify({ ...stored, baseline: { ...stored.baseline, alternateContacts: { SECURITY: forged } } });
  // Another principal's PutObject is refused by the bucket policy…
  const s3 = new S3Client({ forcePathStyle: true });
  await expect(s3.send(new PutObjectCommand({ Bucket: bucketName(scope), Key: key, Body: tampered }))).rejects.toMatchObject({ name: 'AccessDenied' });
  s3.destroy();
  expect(JSON.parse(objects(scope).get(key)!)).toEqual(stored);
  // …so it is written straight into the local S3, as by a principal that got past the policy.
  objects(scope).set(key, tampered);
  // A fresh execution environment reads it (a warm one has the genuine document cached).
  aws.lambda.recycle(handlerArn(scope));
  aws.clearCalls();

  const log = await scheduledRun(scope);
  expect(WRITES.flatMap(op => aws.callsOf(op))).toEqual([]);
  expect(emails()).toEqual(MEMBERS.map(() => SECURITY.emailAddress));
  const [event] = failedEvents();
  expect(failedEvents()).toHaveLength(1);
  expect(event.error).toMatch(new RegExp(`^The organization baseline's generation ${stored.generation} in the store \\S+ is not what its deploy declared \\(its digest differs`));
  expect(log).toContain('failed: the store cannot be used');
  expect(log).toContain('its digest differs');
  expect(log).not.toContain(FORGED.emailAddress);
});

test('a scheduled run takes the digest from an execution of the current generation only: a latest run pointed elsewhere is reported', async () => {
  expect(await deploy(stack())).toBe('CREATE_COMPLETE');
  const scope = stack({ alternateContacts: { security: { ...SECURITY, title: 'Head' } } });
  expect(await deploy(scope)).toBe('UPDATE_COMPLETE');
  const generations = [...objects(scope).keys()].filter(k => /\/generations\/[^/]+\.json$/.test(k)).map(k => k.split('/').pop()!.replace('.json', '')).sort();
  expect(generations).toHaveLength(2);
  const [older, current] = generations;
  const olderExecution = aws.stepFunctions.executions.find(e => e.executionArn.endsWith(`-${older}`))!.executionArn;
  // Written straight into the local S3 (past the policy): the current generation's latest run is said to be the older one's.
  const prefix = keyOf(scope, /\/current\.json$/).replace(/current\.json$/, '');
  objects(scope).set(`${prefix}generations/${current}/latest.json`, JSON.stringify({ executionArn: olderExecution }));
  aws.clearCalls();

  const log = await scheduledRun(scope);
  expect(aws.callsOf('states:StartExecution')).toEqual([]);
  expect(log).toContain('failed: no run started');
  expect(failedEvents().map(e => e.error)).toEqual([`Execution ${olderExecution}, which the store names as generation ${current}'s latest run, `
    + 'is not a run of it: the store was changed by another principal; no run was started']);
});

test('an emptied store is reported by the schedule (log and Failed event), and the next deploy recovers', async () => {
  const scope = stack();
  expect(await deploy(scope)).toBe('CREATE_COMPLETE');
  objects(scope).clear();
  aws.clearCalls();

  const log = await scheduledRun(scope);
  expect(aws.callsOf('states:StartExecution')).toEqual([]);
  expect(log).not.toContain('nothing to do');
  expect(log).toContain('though its stack still declares it');
  const [event] = failedEvents();
  expect(failedEvents()).toHaveLength(1);
  expect(event.error).toMatch(/has no current generation in the store \S+, though its stack still declares it: the store was emptied .* deployed again with a change to the baseline/);
  // No run, so no execution to name (EventBridge's Resources take only ARNs).
  expect(aws.eventBus.events.find(e => e.DetailType === BASELINE_EVENTS.failed)!.Resources).toEqual([]);

  // The next deploy (a change: CloudFormation sends no request for unchanged properties) stores it anew and applies it.
  expect(await deploy(stack({ alternateContacts: { security: { ...SECURITY, title: 'Head' } } }))).toBe('UPDATE_COMPLETE');
  expect(MEMBERS.map(id => aws.account(id).alternateContacts.get('SECURITY')?.Title)).toEqual(MEMBERS.map(() => 'Head'));
  aws.eventBus.events.length = 0;
  aws.clearCalls();
  expect(await scheduledRun(scope)).toContain('reconciling generation');
  expect(aws.callsOf('states:StartExecution')).toHaveLength(1);
  expect(failedEvents()).toEqual([]);
});

test('a new-account event that finds the store emptied is reported, not taken for no baseline', async () => {
  const scope = stack({ coverNewAccounts: true });
  expect(await deploy(scope)).toBe('CREATE_COMPLETE');
  objects(scope).clear();
  aws.clearCalls();
  const joined = '230000000009';
  aws.addAccount(joined, { member: true });
  const rule = cfn.resourceProperties(STACK, logicalIdAt(scope, `${PROVIDER}/CreateAccountRule`)) as {
    Targets: Array<{ Arn: string; InputTransformer: { InputTemplate: string } }>;
  };
  const event = {
    'id': 'event-1',
    'detail-type': 'AWS Service Event via CloudTrail',
    'source': 'aws.organizations',
    'detail': { eventName: 'CreateAccountResult', serviceEventDetails: { createAccountStatus: { state: 'SUCCEEDED', accountId: joined } } },
  };
  const input = JSON.parse(rule.Targets[0].InputTransformer.InputTemplate.replace('<f1>', JSON.stringify(event)));
  const { output } = await captureConsole(() => aws.lambda.invoke(rule.Targets[0].Arn, input));

  expect(aws.callsOf('states:StartExecution')).toEqual([]);
  expect(output).toContain(`new-account rules fired for account(s) ${joined}, but the store`);
  expect(failedEvents().map(e => e.error)).toEqual([expect.stringMatching(/holds no organization baseline: it was emptied/)]);
});

test('a run whose store is emptied under it reports it at its next step and ends', async () => {
  aws.accountApi.regionTransitionMs = Infinity;
  try {
    const scope = stack({ enabledRegions: ['af-south-1'] });
    // The deploy waits for the contacts only: the execution goes on, polling the Region transitions.
    const deployed = captureConsole(() => cfn.deploy(scope));
    await aws.nextCall(c => c.operation === 'EnableRegion');
    expect((await deployed).result?.status).toBe('CREATE_COMPLETE');
    objects(scope).clear();
    const { output } = await captureConsole(() => aws.stepFunctions.settled());
    expect(output).toContain('though its stack still declares it');
    expect(failedEvents().map(e => e.error)).toEqual([expect.stringMatching(/has no current generation in the store/)]);
  } finally {
    aws.accountApi.regionTransitionMs = 0;
  }
});

test('a scheduled run whose check of the running execution fails starts no run: it is logged and reported', async () => {
  const scope = stack();
  expect(await deploy(scope)).toBe('CREATE_COMPLETE');
  aws.clearCalls();
  aws.injectFault({ operation: 'states:DescribeExecution', status: 400, errorType: 'AccessDeniedException', count: 100 });

  const log = await scheduledRun(scope);
  expect(aws.callsOf('states:DescribeExecution').length).toBeGreaterThan(0);
  expect(aws.callsOf('states:StartExecution')).toEqual([]);
  expect(log).toContain('failed: no run started');
  expect(failedEvents().map(e => e.error)).toEqual([expect.stringMatching(/cannot be read from its execution .*AccessDeniedException.*no run was started/)]);

  aws.clearFaults();
  aws.eventBus.events.length = 0;
  expect(await scheduledRun(scope)).toContain('reconciling generation');
  expect(aws.callsOf('states:StartExecution')).toHaveLength(1);
  expect(failedEvents()).toEqual([]);
});
