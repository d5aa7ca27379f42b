/*
 * Late, repeated and retried deliveries (issue 14): Lambda delivers an asynchronous event at least once,
 * may deliver it twice, retries it after a function error, and may hold it for as long as the function's
 * maximum event age. Here the local Lambda does each on the test's cue (a held delivery released when the
 * test says, an event delivered again, a delivery that fails before the code runs and is retried on
 * Lambda's schedule), and the handlers' real bundles must write nothing once their request is no longer
 * the resource's current one: answered, cancelled, rolled back or superseded.
 */
import { Stack } from 'aws-cdk-lib';
import { AsyncEvent, CustomResourceResponse, LocalAws, LocalCloudFormation } from '../local';
import { addBreaker, BREAKER, captureConsole, Local, MANAGEMENT, stackOf, startLocal, stopLocal } from './support';
import { AlternateContact, AlternateContactProps, AlternateContactType, OrganizationBaseline, RegionOptIn } from '../src';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const MEMBER = '222222222222';
const OTHER_MEMBER = '333333333333';
const REGION = 'af-south-1';
const TIME_SCALE = 50;

jest.setTimeout(60_000);

let local: Local;
let aws: LocalAws;
let cfn: LocalCloudFormation;
/** How many asynchronous events were queued before the test began. */
let eventsBefore = 0;

beforeAll(async () => {
  local = await startLocal({ memberAccountIds: [MEMBER, OTHER_MEMBER] }, TIME_SCALE);
  aws = local.aws;
});

afterAll(async () => {
  await stopLocal(local);
});

beforeEach(() => {
  jest.spyOn(console, 'info').mockImplementation(() => undefined); // the handlers' log lines
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(TIME_SCALE);
  aws.callerAccountId = MANAGEMENT;
  aws.regionTransitionMs = 0;
  aws.stepFunctions.waitMs = 10;
  aws.clearCalls();
  aws.clearFaults();
  aws.cloudFormation.responses.length = 0;
  for (const account of aws.accounts.values()) {
    account.alternateContacts.clear();
    if (account.regions.get(REGION)?.status !== 'ENABLED_BY_DEFAULT') aws.setRegionStatus(account.id, REGION, 'DISABLED');
  }
  cfn = new LocalCloudFormation(aws);
  eventsBefore = aws.lambda.asyncEvents.length;
});

afterEach(async () => {
  await aws.stepFunctions.settled();
  await aws.lambda.settled();
  jest.restoreAllMocks();
});

const SECURITY: AlternateContactProps = {
  type: AlternateContactType.SECURITY,
  accountId: MEMBER,
  name: 'Security Team',
  title: 'Duty Officer',
  emailAddress: 'security-team@example.com',
  phoneNumber: '+1 206-555-0100',
};

/** One SECURITY contact of MEMBER named `name`, and a breaker beside it (it fails on a test's cue while the contact's request is in progress). */
function contactStack(name: string): Stack {
  return stackOf(stack => {
    new AlternateContact(stack, 'Security', { ...SECURITY, name });
    addBreaker(stack);
  });
}

/** Every contact value written into MEMBER's SECURITY contact from now on, by name, in order. */
function recordWrites(): string[] {
  const names: string[] = [];
  const contacts = aws.account(MEMBER).alternateContacts;
  const set = contacts.set.bind(contacts);
  jest.spyOn(contacts, 'set').mockImplementation((type, value) => {
    if (type === 'SECURITY') names.push(value.Name);
    return set(type, value);
  });
  return names;
}

const isUpdateNamed = (name: string) => (payload: Json) => payload.RequestType === 'Update' && payload.ResourceProperties?.Name === name;

/** The answers sent to the request that `event` carries. */
function answersTo(event: AsyncEvent): Array<CustomResourceResponse & { awaited: boolean }> {
  return aws.cloudFormation.responses.filter(r => r.RequestId === (event.payload as Json).RequestId);
}

/** The asynchronous events queued for the stack's requests of `type` for the logical id starting with `id`. */
function requestEvents(type: string, id: string): AsyncEvent[] {
  return aws.lambda.asyncEvents.slice(eventsBefore)
    .filter(e => (e.payload as Json).RequestType === type && String((e.payload as Json).LogicalResourceId).startsWith(id));
}

const STOPPED = 'CloudFormation no longer waits for this request';

/**
 * What CloudFormation receives from a delivery whose request it no longer waits for: nothing that counts
 * (no answer, or a FAILED one it ignores), and never a SUCCESS.
 */
function expectNothingCounted(answers: Array<CustomResourceResponse & { awaited: boolean }>): void {
  expect(answers.filter(a => a.awaited || a.Status !== 'FAILED')).toEqual([]);
}

describe('settings: a delivery whose request is no longer the current one writes nothing', () => {
  test('a late Update released while the rollback\'s own Update is in progress writes nothing; the rollback restores the old value', async () => {
    expect((await cfn.deploy(contactStack('Before'))).status).toBe('CREATE_COMPLETE');
    const writes = recordWrites();
    // The Update's delivery is held (Lambda delivers it late); the breaker fails meanwhile, and CloudFormation
    // cancels the Update and rolls it back with an Update of the old values, whose delivery is held too.
    const original = aws.lambda.holdNextDelivery(isUpdateNamed('After'));
    const rollback = aws.lambda.holdNextDelivery(isUpdateNamed('Before'));
    const deploying = cfn.deploy(contactStack('After'), { breakResources: { [BREAKER]: { when: original.held } } });

    // Both requests find the resource UPDATE_IN_PROGRESS (the rollback's); the late one comes first.
    await rollback.held;
    expect(cfn.stackOf('Settings').status).toBe('UPDATE_ROLLBACK_IN_PROGRESS');
    const { output } = await captureConsole(() => original.release());
    await rollback.release();
    const result = await deploying;

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(result.failures.map(f => f.logicalId)).toEqual([BREAKER]);
    expect(writes).toEqual(['Before']);
    expect(aws.account(MEMBER).alternateContacts.get('SECURITY')?.Name).toBe('Before');
    expect(output).toContain(`stopped: ${STOPPED}; nothing written`);
    // The late request's answer came after CloudFormation had stopped waiting for it; the rollback's counted.
    expectNothingCounted(answersTo(await original.held));
    expect(answersTo(await rollback.held)).toEqual([expect.objectContaining({ Status: 'SUCCESS', awaited: true })]);
  });

  test('a late Update released once the rollback has completed writes nothing', async () => {
    await cfn.deploy(contactStack('Before'));
    const writes = recordWrites();
    const original = aws.lambda.holdNextDelivery(isUpdateNamed('After'));

    const result = await cfn.deploy(contactStack('After'), { breakResources: { [BREAKER]: { when: original.held } } });
    await original.release();

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(writes).toEqual(['Before']);
    expect(aws.account(MEMBER).alternateContacts.get('SECURITY')?.Name).toBe('Before');
    expectNothingCounted(answersTo(await original.held));
  });

  test('a Create or an Update delivered again after its answer writes nothing (a value set since by hand stays)', async () => {
    expect((await cfn.deploy(contactStack('Declared'))).status).toBe('CREATE_COMPLETE');
    const byHand = { Name: 'By hand', Title: 't', EmailAddress: 'hand@example.com', PhoneNumber: '1' };
    aws.account(MEMBER).alternateContacts.set('SECURITY', byHand);
    const [create] = requestEvents('Create', 'Security');
    const writes = recordWrites();

    await aws.lambda.redeliver(create);

    expect(create.deliveries).toBe(2);
    expect(writes).toEqual([]);
    expect(answersTo(create)[0]).toMatchObject({ Status: 'SUCCESS', awaited: true });
    expectNothingCounted(answersTo(create).slice(1));

    expect((await cfn.deploy(contactStack('Updated'))).status).toBe('UPDATE_COMPLETE');
    expect(writes).toEqual(['Updated']);
    aws.account(MEMBER).alternateContacts.set('SECURITY', byHand);
    const [update] = requestEvents('Update', 'Security');

    await aws.lambda.redeliver(update);

    expect(writes).toEqual(['Updated', 'By hand']); // the hand's write only
    expect(aws.account(MEMBER).alternateContacts.get('SECURITY')?.Name).toBe('By hand');
    expect(answersTo(update)[0]).toMatchObject({ Status: 'SUCCESS', awaited: true });
    expectNothingCounted(answersTo(update).slice(1));
  });

  test('a delivery retried by Lambda after a function error writes while its request is current, and nothing once it was rolled back', async () => {
    // Retried while current: the first delivery fails before the code runs; Lambda retries it a minute later.
    const failed = aws.lambda.failNextDelivery(p => p.RequestType === 'Create');
    expect((await cfn.deploy(contactStack('Before'))).status).toBe('CREATE_COMPLETE');
    expect((await failed).deliveries).toBe(2);
    expect(aws.account(MEMBER).alternateContacts.get('SECURITY')?.Name).toBe('Before');

    // Retried after the rollback: the first delivery of the Update fails, the breaker fails then, and the retry is held until the rollback is done.
    const writes = recordWrites();
    const failedUpdate = aws.lambda.failNextDelivery(isUpdateNamed('After'));
    const retry = aws.lambda.holdNextDelivery(isUpdateNamed('After'));
    const result = await cfn.deploy(contactStack('After'), { breakResources: { [BREAKER]: { when: failedUpdate } } });
    await retry.release();

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    const event = await retry.held;
    expect(event).toBe(await failedUpdate);
    expect(event.deliveries).toBe(2);
    expect(writes).toEqual(['Before']);
    expect(aws.account(MEMBER).alternateContacts.get('SECURITY')?.Name).toBe('Before');
    expectNothingCounted(answersTo(event));
  });

  test('the functions keep their events at most an hour and retry them twice, as their EventInvokeConfig says', async () => {
    await cfn.deploy(contactStack('Declared'));
    const [create] = requestEvents('Create', 'Security');

    expect(aws.lambda.asyncConfigOf(create.functionArn)).toEqual({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600 });
  });
});

describe('Regions: a late request requests no transition', () => {
  test('a late Update enabling the Region, released while the rollback\'s Update is in progress, does not enable it', async () => {
    const stack = (enabled: boolean) => stackOf(s => {
      new RegionOptIn(s, 'Region', { regionName: REGION, accountId: MEMBER, enabled });
      addBreaker(s);
    });
    expect((await cfn.deploy(stack(false))).status).toBe('CREATE_COMPLETE');
    const isRegionUpdate = (enabled: string) => (p: Json) => p.RequestType === 'Update' && p.ResourceProperties?.Enabled === enabled;
    const original = aws.lambda.holdNextDelivery(isRegionUpdate('true'));
    const rollback = aws.lambda.holdNextDelivery(isRegionUpdate('false'));
    const deploying = cfn.deploy(stack(true), { breakResources: { [BREAKER]: { when: original.held } } });

    await rollback.held;
    await original.release();
    await rollback.release();
    const result = await deploying;
    await aws.stepFunctions.settled();

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(aws.callsOf('EnableRegion')).toHaveLength(0);
    expect(aws.regionStatus(MEMBER, REGION)).toBe('DISABLED');
    const late = await original.held;
    expect(aws.stepFunctions.executions.filter(e => e.name.includes((late.payload as Json).RequestId))).toEqual([]);
    expectNothingCounted(answersTo(await original.held));
    expect(answersTo(await rollback.held)).toEqual([expect.objectContaining({ Status: 'SUCCESS', awaited: true })]);
  });
});

describe('organization baselines: a replayed older request never supersedes a newer generation', () => {
  const baseline = (name: string) => stackOf(s => {
    new OrganizationBaseline(s, 'Baseline', { accountIds: [MEMBER, OTHER_MEMBER], alternateContacts: { security: { ...SECURITY, name } } });
  });
  const securityName = (accountId: string) => aws.account(accountId).alternateContacts.get('SECURITY')?.Name;

  test('the Create and an older Update delivered again while a newer Update is in progress start nothing, and the newer deploy is answered', async () => {
    expect((await cfn.deploy(baseline('First'))).status).toBe('CREATE_COMPLETE');
    await aws.stepFunctions.settled();
    expect((await cfn.deploy(baseline('Second'))).status).toBe('UPDATE_COMPLETE');
    await aws.stepFunctions.settled();
    const [create] = requestEvents('Create', 'Baseline');
    const [older] = requestEvents('Update', 'Baseline');
    const executionsBefore = aws.stepFunctions.executions.length;

    // While the third deploy's Update is in progress (its delivery held: the resource is UPDATE_IN_PROGRESS
    // with the third values), both older requests are delivered again; then the third is delivered.
    const third = aws.lambda.holdNextDelivery(p => p.RequestType === 'Update' && String(p.LogicalResourceId).startsWith('Baseline'));
    const deploying = cfn.deploy(baseline('Third'));
    await third.held;
    const { output } = await captureConsole(async () => {
      await aws.lambda.redeliver(create);
      await aws.lambda.redeliver(older);
    });
    await third.release();
    const result = await deploying;
    await aws.stepFunctions.settled();

    expect(result.status).toBe('UPDATE_COMPLETE');
    const executions = aws.stepFunctions.executions.slice(executionsBefore);
    expect(executions.map(e => e.status)).toEqual(['SUCCEEDED']);
    expect(securityName(MEMBER)).toBe('Third');
    expect(securityName(OTHER_MEMBER)).toBe('Third');
    // The Create is refused before it is read (its resource is not CREATE_IN_PROGRESS), the older Update when its properties are compared.
    expect(output.match(/ignored: CloudFormation does not confirm the request \(the resource is UPDATE_IN_PROGRESS\); nothing done, nothing answered/g)).toHaveLength(1);
    expect(output.match(/stopped: CloudFormation no longer waits for this request; no generation started/g)).toHaveLength(1);
    for (const replayed of [create, older]) {
      // Its first delivery's answer counted; the replay's, if any, is one CloudFormation no longer waits for.
      expect(answersTo(replayed)[0]).toMatchObject({ Status: 'SUCCESS', awaited: true });
      expectNothingCounted(answersTo(replayed).slice(1));
    }
    expect(answersTo(await third.held)).toEqual([expect.objectContaining({ Status: 'SUCCESS', awaited: true })]);
  });
});
