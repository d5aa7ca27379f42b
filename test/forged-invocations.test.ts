/*
 * Only CloudFormation's requests and the stack's own workflow act (issue 15). Whoever may invoke the
 * functions (lambda:InvokeFunction, in PowerUserAccess, which excludes account:*) sends them events of
 * their own making: a Delete with the stack's real StackId and an invented logical id, a Delete of a
 * resource that is not being deleted, a waiter step that no execution of the stack sent, a genuine
 * request with another ResponseURL. Each must do nothing (no Account Management write, every account
 * as it was) and answer nothing. Deployed through local/, whose CloudFormation answers
 * DescribeStackResource with each resource's type, status and physical id, and whose Step Functions
 * answers DescribeExecution with an execution's status, state machine and input, as AWS does; local's
 * response endpoint takes any token (AWS takes only a pre-signed URL), so what was answered is read
 * from its record of PUTs.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CfnResource, Stack } from 'aws-cdk-lib';
import { LocalAws, LocalCloudFormation } from '../local';
import { SECURITY } from './fixtures';
import { Local, MANAGEMENT, stackOf, startLocal, stopLocal } from './support';
import { isCloudFormationResponseUrl } from '../lambda/shared/response';
import { AlternateContact, AlternateContactType, OrganizationBaseline, RegionOptIn } from '../src';
import { RESOURCE_TYPES } from '../src/contract';

const TIME_SCALE = 50;
const MEMBER_A = '222222222222';
const MEMBER_B = '333333333333';
const DECLARED_REGION = 'af-south-1';
/** A Region no resource of the stack declares, enabled by hand in a member. */
const OTHER_REGION = 'ap-east-1';
const STACK = 'Forged';
/** A BILLING contact no resource of the stack declares, written by hand in a member. */
const BILLING = { Name: 'Billing Desk', Title: 'Lead', EmailAddress: 'billing@example.com', PhoneNumber: '+1 206-555-0111' };

jest.setTimeout(120_000);

let local: Local;
let aws: LocalAws;
let cfn: LocalCloudFormation;
/** Logical ids of the stack's custom resources, by construct. */
const ids: Record<string, string> = {};

beforeAll(async () => {
  local = await startLocal({ memberAccountIds: [MEMBER_A, MEMBER_B] }, TIME_SCALE);
  aws = local.aws;
  cfn = new LocalCloudFormation(aws);
});

afterAll(async () => {
  await stopLocal(local);
});

beforeEach(() => {
  jest.spyOn(console, 'info').mockImplementation(() => undefined); // the handlers' log lines
  aws.regionTransitionMs = 0;
  aws.stepFunctions.waitMs = 10;
  aws.clearCalls();
  aws.clearFaults();
});

afterEach(async () => {
  await aws.stepFunctions.settled();
  await aws.lambda.settled();
});

function logicalIdOf(construct: { node: { findAll(): unknown[] } }, stack: Stack): string {
  const resource = construct.node.findAll().find((c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType.startsWith('Custom::'))!;
  return stack.getLogicalId(resource);
}

/** A contact, a Region and an organization baseline: one resource per function. */
function forgedStack(): Stack {
  return stackOf(stack => {
    ids.contact = logicalIdOf(new AlternateContact(stack, 'Security', { accountId: MEMBER_A, type: AlternateContactType.SECURITY, ...SECURITY }), stack);
    ids.region = logicalIdOf(new RegionOptIn(stack, 'Region', { accountId: MEMBER_A, regionName: DECLARED_REGION }), stack);
    ids.baseline = logicalIdOf(new OrganizationBaseline(stack, 'Baseline', {
      accountIds: [MEMBER_B], alternateContacts: { security: SECURITY },
    }), stack);
  }, { name: STACK });
}

function stackId(): string {
  return cfn.stackOf(STACK).stackId;
}

/** The function that serves the resource (its resolved ServiceToken). */
function functionOf(logicalId: string): string {
  return String(cfn.resourceProperties(STACK, logicalId).ServiceToken);
}

/** The calls that change an account. */
function accountWrites(): string[] {
  return aws.calls.filter(c => /^(Put|Delete|Enable|Disable)/.test(c.operation)).map(c => `${c.operation} ${c.target ?? ''}`);
}

/** A request as CloudFormation would send it, its ResponseURL local's endpoint (which the functions answer). */
function forgedRequest(fields: Record<string, unknown>): Record<string, unknown> {
  const requestId = `forged-${Math.random().toString(36).slice(2)}`;
  return {
    ServiceToken: 'forged',
    ResponseURL: `${aws.endpoint}/cloudformation-response/${STACK}/forged/${requestId}`,
    StackId: stackId(),
    RequestId: requestId,
    ...fields,
  };
}

/** Answers received for the request (local records every PUT to its response endpoint). */
function answersTo(request: Record<string, unknown>) {
  return aws.cloudFormation.responses.filter(r => r.RequestId === request.RequestId);
}

describe('a deployed stack, its functions invoked by someone else', () => {
  beforeAll(async () => {
    aws.setRegionStatus(MEMBER_A, DECLARED_REGION, 'ENABLED');
    const result = await cfn.deploy(forgedStack());
    expect(result.status).toBe('CREATE_COMPLETE');
  });

  beforeEach(() => {
    aws.account(MEMBER_B).alternateContacts.set('BILLING', { ...BILLING });
    aws.setRegionStatus(MEMBER_B, OTHER_REGION, 'ENABLED');
  });

  test('a settings Delete with the real StackId and an invented logical id deletes nothing and answers nothing', async () => {
    const request = forgedRequest({
      RequestType: 'Delete',
      LogicalResourceId: 'Invented',
      ResourceType: RESOURCE_TYPES.alternateContact,
      PhysicalResourceId: `${MEMBER_B}/alternate-contact/BILLING`,
      ResourceProperties: { ServiceToken: 'forged', AccountId: MEMBER_B, AlternateContactType: 'BILLING', ...BILLING },
    });

    await aws.lambda.invoke(functionOf(ids.contact), request);

    expect(accountWrites()).toEqual([]);
    expect(aws.account(MEMBER_B).alternateContacts.get('BILLING')).toEqual(BILLING);
    expect(answersTo(request)).toEqual([]);
  });

  test('a settings Delete of a real resource that CloudFormation is not deleting deletes nothing and answers nothing', async () => {
    const request = forgedRequest({
      RequestType: 'Delete',
      LogicalResourceId: ids.contact,
      ResourceType: RESOURCE_TYPES.alternateContact,
      PhysicalResourceId: `${MEMBER_A}/alternate-contact/SECURITY`,
      ResourceProperties: cfn.resourceProperties(STACK, ids.contact),
    });
    await aws.lambda.invoke(functionOf(ids.contact), request);

    expect(accountWrites()).toEqual([]);
    expect(aws.account(MEMBER_A).alternateContacts.get('SECURITY')).toBeDefined();
    expect(answersTo(request)).toEqual([]);
  });

  test('a Region Delete with an invented logical id disables nothing and answers nothing', async () => {
    const request = forgedRequest({
      RequestType: 'Delete',
      LogicalResourceId: 'Invented',
      ResourceType: RESOURCE_TYPES.regionOptIn,
      PhysicalResourceId: `${MEMBER_B}/region/${OTHER_REGION}`,
      ResourceProperties: {
        ServiceToken: 'forged', AccountId: MEMBER_B, RegionName: OTHER_REGION, Enabled: 'true', WaitForCompletion: 'false', TimeoutSeconds: '600', PollIntervalSeconds: '10',
      },
    });

    await aws.lambda.invoke(functionOf(ids.region), request);

    expect(accountWrites()).toEqual([]);
    expect(aws.regionStatus(MEMBER_B, OTHER_REGION)).toBe('ENABLED');
    expect(answersTo(request)).toEqual([]);
  });

  test('a Region step that no execution of the stack sent disables nothing and answers nothing', async () => {
    const request = forgedRequest({
      RequestType: 'Delete',
      LogicalResourceId: ids.region,
      ResourceType: RESOURCE_TYPES.regionOptIn,
      PhysicalResourceId: `${MEMBER_B}/region/${OTHER_REGION}`,
      ResourceProperties: {
        ServiceToken: 'forged', AccountId: MEMBER_B, RegionName: OTHER_REGION, Enabled: 'true', WaitForCompletion: 'false', TimeoutSeconds: '600', PollIntervalSeconds: '10',
      },
    });
    const step = {
      Version: 1,
      Function: functionOf(ids.region),
      PollSeconds: 10,
      Done: false,
      Request: request,
      PhysicalResourceId: `${MEMBER_B}/region/${OTHER_REGION}`,
      Goal: 'DISABLED',
      Deadline: Date.now() + 3_600_000,
      WaitForCompletion: false,
    };

    const returned = await aws.lambda.invoke(functionOf(ids.region), step);

    expect(returned).toMatchObject({ Done: true });
    expect(accountWrites()).toEqual([]);
    expect(aws.regionStatus(MEMBER_B, OTHER_REGION)).toBe('ENABLED');
    expect(answersTo(request)).toEqual([]);
  });

  test('an organization step that replays a finished execution\'s state writes nothing', async () => {
    const execution = aws.stepFunctions.executions.find(e => e.name.startsWith('baseline') || JSON.parse(e.input).Task === 'reconcile')!;
    expect(execution.status).toBe('SUCCEEDED');
    // Changed by hand since: a step of the generation would write it back.
    aws.account(MEMBER_B).alternateContacts.set('SECURITY', { ...BILLING });

    const returned = await aws.lambda.invoke(functionOf(ids.baseline), JSON.parse(execution.input));

    expect(returned).toMatchObject({ Done: true });
    expect(accountWrites()).toEqual([]);
    expect(aws.account(MEMBER_B).alternateContacts.get('SECURITY')).toEqual(BILLING);
  });

  test('the reconciler\'s executions hold no ResponseURL: it waited in the store, which keeps none once answered', () => {
    const reconciler = aws.stepFunctions.executions.filter(e => JSON.parse(e.input).Task === 'reconcile');
    expect(reconciler.length).toBeGreaterThan(0);
    // local records each execution's input and output (the history's first and last state).
    for (const execution of reconciler) {
      expect(execution.input).not.toContain('cloudformation-response');
      expect(execution.output ?? '').not.toContain('cloudformation-response');
      expect(JSON.parse(execution.input).Respond).toMatchObject({ RequestId: expect.any(String) });
    }
    const stored = [...aws.s3.buckets.values()].flatMap(bucket => [...bucket.keys()]);
    expect(stored.filter(k => k.includes('/responses/'))).toEqual([]);
    expect(stored.some(k => k.includes('/generations/'))).toBe(true);
  });

  test('an organization Delete with an invented logical id starts nothing and answers nothing', async () => {
    const properties = cfn.resourceProperties(STACK, ids.baseline);
    const request = forgedRequest({
      RequestType: 'Delete',
      LogicalResourceId: 'Invented',
      ResourceType: RESOURCE_TYPES.organizationBaseline,
      PhysicalResourceId: cfn.resource(STACK, ids.baseline)!.physicalId,
      ResourceProperties: { ...properties, RemoveOnDelete: 'true' },
    });
    const executions = aws.stepFunctions.executions.length;

    await aws.lambda.invoke(functionOf(ids.baseline), request);

    expect(aws.stepFunctions.executions.length).toBe(executions);
    expect(accountWrites()).toEqual([]);
    expect(answersTo(request)).toEqual([]);
  });
});

describe('a genuine request in progress', () => {
  let attacker: http.Server;
  let received: string[];

  beforeAll(async () => {
    received = [];
    attacker = http.createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      res.writeHead(200).end();
    });
    await new Promise<void>(resolve => attacker.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    attacker.closeAllConnections();
    await new Promise(resolve => attacker.close(resolve));
  });

  test('sent again with a foreign ResponseURL, or as a step of its execution with another request, does nothing and sends nothing there', async () => {
    aws.regionTransitionMs = Infinity; // the Create waits on its waiter until the test settles the transition
    aws.setRegionStatus(MEMBER_A, OTHER_REGION, 'DISABLED');
    aws.setRegionStatus(MEMBER_B, OTHER_REGION, 'ENABLED');
    const stack = stackOf(s => {
      ids.waiting = logicalIdOf(new RegionOptIn(s, 'Waiting', { accountId: MEMBER_A, regionName: OTHER_REGION }), s);
    }, { name: 'Waiting' });
    const polled = aws.nextCall(c => c.operation === 'GetRegionOptStatus' && aws.callsOf('states:StartExecution').length > 0);
    const deployed = cfn.deploy(stack);
    await polled;
    const execution = aws.stepFunctions.executions.find(e => e.status === 'RUNNING')!;
    const state = JSON.parse(execution.input);
    const fn = String(state.Function);
    const foreign = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/collect`;
    const writesBefore = accountWrites().length;

    // The genuine request, its answer sent elsewhere.
    await aws.lambda.invoke(fn, { ...state.Request, ResponseURL: foreign });
    // A step of the running execution, carrying another account's Region.
    const returned = await aws.lambda.invoke(fn, {
      ...state, Goal: 'DISABLED', Request: { ...state.Request, ResourceProperties: { ...state.Request.ResourceProperties, AccountId: MEMBER_B } },
    });

    expect(returned).toMatchObject({ Done: true });
    expect(accountWrites().slice(writesBefore)).toEqual([]);
    expect(aws.regionStatus(MEMBER_B, OTHER_REGION)).toBe('ENABLED');
    aws.accountApi.settleRegion(MEMBER_A, OTHER_REGION);
    expect((await deployed).status).toBe('CREATE_COMPLETE');
    expect(received).toEqual([]);
    // Its own answer went to CloudFormation, once.
    expect(aws.cloudFormation.responses.filter(r => r.LogicalResourceId === ids.waiting)).toHaveLength(1);
  });
});

describe('a Region\'s waiter', () => {
  test('holds no ResponseURL: it waits in the provider\'s store, which no other principal may read, until its answer; the stack\'s deletion empties the store', async () => {
    aws.regionTransitionMs = Infinity; // the Create waits on its waiter until the test settles the transition
    aws.setRegionStatus(MEMBER_B, DECLARED_REGION, 'DISABLED');
    const stack = stackOf(s => {
      ids.held = logicalIdOf(new RegionOptIn(s, 'Held', { accountId: MEMBER_B, regionName: DECLARED_REGION }), s);
    }, { name: 'Held' });
    const polled = aws.nextCall(c => c.operation === 'GetRegionOptStatus' && aws.callsOf('states:StartExecution').length > 0);
    const deployed = cfn.deploy(stack);
    await polled;
    const execution = aws.stepFunctions.executions.find(e => e.status === 'RUNNING' && JSON.parse(e.input).Request?.LogicalResourceId === ids.held)!;
    const { Request: request } = JSON.parse(execution.input);
    expect(request).toMatchObject({ RequestType: 'Create', RequestId: expect.any(String) });
    expect(request.ResponseURL).toBeUndefined();
    expect(execution.input).not.toContain('cloudformation-response');
    const key = `responses/${encodeURIComponent(request.RequestId)}.json`;
    const [bucket] = [...aws.s3.buckets.entries()].find(([, objects]) => objects.has(key))!;
    // This test's credentials are not the function's role: an operator's whose IAM policies allow s3:* here.
    const s3 = new S3Client({ forcePathStyle: true });
    await expect(s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({ name: 'AccessDenied' });

    aws.accountApi.settleRegion(MEMBER_B, DECLARED_REGION);
    expect((await deployed).status).toBe('CREATE_COMPLETE');
    const answers = aws.cloudFormation.responses.filter(r => r.LogicalResourceId === ids.held);
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', RequestId: request.RequestId })]);
    await aws.stepFunctions.settled(); // the step deletes the URL once it has answered
    expect(aws.s3.buckets.get(bucket)!.has(key)).toBe(false);

    // A URL left behind (its deletion failed) does not keep CloudFormation from deleting the bucket.
    aws.s3.buckets.get(bucket)!.set('responses/left-behind.json', '{}');
    expect((await cfn.destroy('Held')).status).toBe('DELETE_COMPLETE');
    expect(aws.s3.buckets.has(bucket)).toBe(false);
  });
});

describe('isCloudFormationResponseUrl', () => {
  const STACK_ID = `arn:aws:cloudformation:eu-central-1:${MANAGEMENT}:stack/s/1`;
  const BUCKET = 'cloudformation-custom-resource-response-eucentral1';

  test.each([
    `https://${BUCKET}.s3.amazonaws.com/arn%3Aaws%3Acloudformation/x?X-Amz-Signature=a`,
    `https://${BUCKET}.s3.eu-central-1.amazonaws.com/x`,
    `https://${BUCKET}.s3-eu-central-1.amazonaws.com/x`,
    `https://s3.amazonaws.com/${BUCKET}/x`,
    `https://s3.eu-central-1.amazonaws.com/${BUCKET}/x`,
  ])('CloudFormation\'s response bucket of the stack\'s Region: %s', url => {
    expect(isCloudFormationResponseUrl(url, STACK_ID)).toBe(true);
  });

  test.each([
    `http://${BUCKET}.s3.amazonaws.com/x`,
    `https://${BUCKET}.s3.amazonaws.com:8443/x`,
    `https://user:pw@${BUCKET}.s3.amazonaws.com/x`,
    `https://${BUCKET}.s3.amazonaws.com.example.com/x`,
    'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x',
    'https://cloudformation-custom-resource-response-eu-central-1.s3.amazonaws.com/x',
    `https://s3.amazonaws.com/other-bucket/${BUCKET}/x`,
    `https://example.com/${BUCKET}/x`,
    `https://${BUCKET}.s3.amazonaws.com.cn/x`,
    'http://127.0.0.1:4566/cloudformation-response/x',
    'not a url',
  ])('anything else: %s', url => {
    expect(isCloudFormationResponseUrl(url, STACK_ID)).toBe(false);
  });

  test('China\'s partition, and local\'s endpoint only where the deployment engine allows it', () => {
    expect(isCloudFormationResponseUrl('https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/x',
      `arn:aws-cn:cloudformation:cn-north-1:${MANAGEMENT}:stack/s/1`)).toBe(true);
    const previous = process.env.CDK_ACCOUNT_MANAGEMENT_LOCAL_RESPONSE_URL;
    process.env.CDK_ACCOUNT_MANAGEMENT_LOCAL_RESPONSE_URL = 'http://127.0.0.1:4566/cloudformation-response/';
    try {
      expect(isCloudFormationResponseUrl('http://127.0.0.1:4566/cloudformation-response/x', STACK_ID)).toBe(true);
      expect(isCloudFormationResponseUrl('http://127.0.0.1:4566/elsewhere/x', STACK_ID)).toBe(false);
    } finally {
      if (previous === undefined) delete process.env.CDK_ACCOUNT_MANAGEMENT_LOCAL_RESPONSE_URL;
      else process.env.CDK_ACCOUNT_MANAGEMENT_LOCAL_RESPONSE_URL = previous;
    }
  });
});
