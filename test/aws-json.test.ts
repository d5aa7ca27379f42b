/*
 * awsJson calls without the SDK's clients (lambda/shared/aws-json.ts), against the local Step Functions and
 * Organizations (local/): the answer, the error named as the SDK names it, throttling retried until the
 * deadline or handed back, NextToken pages, the real endpoints, and the fakes' refusal of a malformed request.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DefaultRateLimiter } from '@smithy/core/retry';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { StateMachineDefinition } from 'aws-local-stepfunctions' with { 'resolution-mode': 'require' };
import { epochDate, jsonCall, JsonClient, organizationsApi, stepFunctionsApi } from '../lambda/shared/aws-json';
import { Invocation } from '../lambda/shared/clients';
import { isThrottling } from '../lambda/shared/errors';
import { dnsSuffix, jsonErrorCode, partitionOf, signedCall, SignedCaller } from '../lambda/shared/signed-request';
import { describeExecution } from '../lambda/shared/waiter';
import { LocalAws } from '../local';

const MANAGEMENT = '111111111111';
/** 44 members and the management account: ListAccounts answers them in 3 pages of 20. */
const MEMBERS = Array.from({ length: 44 }, (_, i) => String(200000000001 + i));
const STATE_MACHINE = `arn:aws:states:us-east-1:${MANAGEMENT}:stateMachine:waiter`;

let aws: LocalAws;
const requestHandler = new NodeHttpHandler();
/** A caller whose retries end at `deadline` (epoch ms). */
const caller = (deadline = Date.now() + 30_000): SignedCaller => ({ deadline, config: () => ({ requestHandler }) });
const TIME_SCALE = process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;

beforeAll(async () => {
  // Backoff delays are divided by the time scale: retries take milliseconds here.
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = '1000';
  aws = await LocalAws.start({ managementAccountId: MANAGEMENT, memberAccountIds: MEMBERS });
  aws.useForSdkClients();
  aws.stepFunctions.waitMs = 1;
  aws.stepFunctions.register(STATE_MACHINE, { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } } as unknown as StateMachineDefinition);
});

afterAll(async () => {
  if (TIME_SCALE === undefined) delete process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
  else process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = TIME_SCALE;
  await aws.stepFunctions.settled();
  requestHandler.destroy();
  await aws.close();
});

beforeEach(() => {
  aws.callerAccountId = MANAGEMENT;
  aws.clearFaults();
  aws.clearCalls();
});

const statuses = (operation: string) => aws.callsOf(operation).map(call => call.status);

test('a call is answered with the parsed body; timestamps (epoch seconds) become Dates', async () => {
  const started = await jsonCall<{ executionArn: string; startDate: number }>(caller(), stepFunctionsApi(), 'StartExecution', {
    stateMachineArn: STATE_MACHINE, name: 'first', input: '{"a":1}',
  });
  expect(started.executionArn).toBe(`arn:aws:states:us-east-1:${MANAGEMENT}:execution:waiter:first`);
  const described = await jsonCall<{ input: string; stateMachineArn: string; startDate: number }>(caller(), stepFunctionsApi(), 'DescribeExecution', {
    executionArn: started.executionArn,
  });
  expect(described).toMatchObject({ input: '{"a":1}', stateMachineArn: STATE_MACHINE });
  const startDate = epochDate(described.startDate)!;
  expect(startDate).toBeInstanceOf(Date);
  expect(Math.abs(startDate.getTime() - aws.stepFunctions.executions[0].startedAt)).toBeLessThanOrEqual(1);
  expect(epochDate(undefined)).toBeUndefined();
  expect(statuses('states:StartExecution')).toEqual([200]);
});

test('an error is named by its __type, carries the service\'s message and status, and is not retried', async () => {
  const arn = `arn:aws:states:us-east-1:${MANAGEMENT}:execution:waiter:missing`;
  const error = await jsonCall(caller(), stepFunctionsApi(), 'DescribeExecution', { executionArn: arn }).then(() => undefined, (e: unknown) => e);
  expect(error).toMatchObject({ name: 'ExecutionDoesNotExist', message: `Execution does not exist: '${arn}'`, $metadata: { httpStatusCode: 400, attempts: 1 } });

  // Organizations writes its message as `Message`.
  const unknown = await new JsonClient(caller(), organizationsApi()).send('DescribeAccount', { AccountId: '999999999999' }).then(() => undefined, (e: unknown) => e);
  expect(unknown).toMatchObject({ name: 'AccountNotFoundException' });
  expect((unknown as Error).message).not.toMatch(/answered 400/);
  expect(statuses('states:DescribeExecution')).toEqual([400]);
  expect(statuses('organizations:DescribeAccount')).toEqual([400]);
});

test('throttling is retried until it passes, while the deadline allows', async () => {
  aws.injectFault({ operation: 'organizations:DescribeAccount', status: 429, count: 3 });
  const { Account: account } = await new JsonClient(caller(), organizationsApi()).send<{ Account?: { Id?: string } }>('DescribeAccount', { AccountId: MEMBERS[0] });
  expect(account?.Id).toBe(MEMBERS[0]);
  expect(statuses('organizations:DescribeAccount')).toEqual([429, 429, 429, 200]);
});

test('throttling past the deadline is thrown after the one attempt that started before it', async () => {
  aws.injectFault({ operation: 'organizations:DescribeAccount', status: 429, count: 100 });
  // A deadline already passed: the first attempt is made, no retry is.
  const client = new JsonClient(caller(), organizationsApi(), { deadline: Date.now() - 1 });
  const error = await client.send('DescribeAccount', { AccountId: MEMBERS[0] }).then(() => undefined, (e: unknown) => e);
  expect(isThrottling(error)).toBe(true);
  expect(error).toMatchObject({ name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429, attempts: 1 } });
  expect(statuses('organizations:DescribeAccount')).toEqual([429]);
});

test('throttling is handed back at once to a caller that paces its calls; a server error is still retried', async () => {
  aws.injectFault({ operation: 'organizations:DescribeAccount', status: 429, count: 1 });
  const paced = new JsonClient(caller(), organizationsApi(), { retryThrottling: false });
  await expect(paced.send('DescribeAccount', { AccountId: MEMBERS[0] })).rejects.toMatchObject({ name: 'TooManyRequestsException' });
  expect(statuses('organizations:DescribeAccount')).toEqual([429]);

  aws.clearCalls();
  aws.injectFault({ operation: 'organizations:DescribeAccount', status: 500, count: 1 });
  await expect(paced.send('DescribeAccount', { AccountId: MEMBERS[0] })).resolves.toMatchObject({ Account: { Id: MEMBERS[0] } });
  expect(statuses('organizations:DescribeAccount')).toEqual([500, 200]);
});

test('pages follows NextToken until a page has none', async () => {
  const client = new JsonClient(caller(), organizationsApi());
  const ids: string[] = [];
  for await (const page of client.pages<{ Accounts?: Array<{ Id: string }> }>('ListAccounts', {})) ids.push(...(page.Accounts ?? []).map(a => a.Id));
  expect(ids.sort()).toEqual([MANAGEMENT, ...MEMBERS].sort());
  expect(statuses('organizations:ListAccounts')).toEqual([200, 200, 200]);
});

test('Step Functions\' pages follow its nextToken', async () => {
  for (const name of ['p1', 'p2', 'p3']) {
    await jsonCall(caller(), stepFunctionsApi(), 'StartExecution', { stateMachineArn: STATE_MACHINE, name, input: '{}' });
  }
  const client = new JsonClient(caller(), stepFunctionsApi());
  const names: string[] = [];
  for await (const page of client.pages<{ executions: Array<{ name: string }> }>('ListExecutions', { stateMachineArn: STATE_MACHINE, maxResults: 2 }, 'nextToken')) {
    names.push(...page.executions.map(e => e.name));
  }
  expect(names).toEqual(expect.arrayContaining(['p1', 'p2', 'p3']));
  expect(statuses('states:ListExecutions').length).toBe(Math.ceil(names.length / 2));
});

describe('endpoints', () => {
  let saved: NodeJS.ProcessEnv;
  beforeEach(() => {
    saved = { ...process.env };
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_ENDPOINT_URL')) delete process.env[name];
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  test('Step Functions is regional, in the Region\'s partition', () => {
    expect(stepFunctionsApi('eu-west-1')).toMatchObject({ service: 'states', version: '1.0', region: 'eu-west-1' });
    expect(stepFunctionsApi('eu-west-1').url.host).toBe('states.eu-west-1.amazonaws.com');
    expect(stepFunctionsApi('cn-north-1').url.host).toBe('states.cn-north-1.amazonaws.com.cn');
  });

  test('Organizations is global: the partition\'s one endpoint, signed for its Region', () => {
    expect([organizationsApi('eu-west-1').url.host, organizationsApi('eu-west-1').region]).toEqual(['organizations.us-east-1.amazonaws.com', 'us-east-1']);
    expect([organizationsApi('cn-north-1').url.host, organizationsApi('cn-north-1').region])
      .toEqual(['organizations.cn-northwest-1.amazonaws.com.cn', 'cn-northwest-1']);
    expect([organizationsApi('us-gov-east-1').url.host, organizationsApi('us-gov-east-1').region])
      .toEqual(['organizations.us-gov-west-1.amazonaws.com', 'us-gov-west-1']);
  });

  test('every partition of the SDK\'s partitions has its DNS suffix, by its Regions\' prefix', () => {
    const hosts = ['us-east-1', 'us-gov-west-1', 'cn-north-1', 'us-iso-east-1', 'us-isob-east-1', 'us-isof-south-1', 'eu-isoe-west-1', 'eusc-de-east-1']
      .map(region => [partitionOf(region), stepFunctionsApi(region).url.host]);
    expect(hosts).toEqual([
      ['aws', 'states.us-east-1.amazonaws.com'],
      ['aws-us-gov', 'states.us-gov-west-1.amazonaws.com'],
      ['aws-cn', 'states.cn-north-1.amazonaws.com.cn'],
      ['aws-iso', 'states.us-iso-east-1.c2s.ic.gov'],
      ['aws-iso-b', 'states.us-isob-east-1.sc2s.sgov.gov'],
      ['aws-iso-f', 'states.us-isof-south-1.csp.hci.ic.gov'],
      ['aws-iso-e', 'states.eu-isoe-west-1.cloud.adc-e.uk'],
      ['aws-eusc', 'states.eusc-de-east-1.amazonaws.eu'],
    ]);
    expect(dnsSuffix('ap-southeast-7')).toBe('amazonaws.com');
  });

  test('Organizations in the isolated partitions is where the SDK\'s endpoint rules put it; where they name none, an error says so', () => {
    const homes = ['us-iso-west-1', 'us-isob-east-1', 'us-isof-east-1'].map(region => [organizationsApi(region).url.host, organizationsApi(region).region]);
    expect(homes).toEqual([
      ['organizations.us-iso-east-1.c2s.ic.gov', 'us-iso-east-1'],
      ['organizations.us-isob-east-1.sc2s.sgov.gov', 'us-isob-east-1'],
      ['organizations.us-isof-south-1.csp.hci.ic.gov', 'us-isof-south-1'],
    ]);
    expect(() => organizationsApi('eu-isoe-west-1')).toThrow(/aws-iso-e partition.*AWS_ENDPOINT_URL_ORGANIZATIONS/);
    expect(() => organizationsApi('eusc-de-east-1')).toThrow(/aws-eusc partition/);
  });

  test('an override (AWS_ENDPOINT_URL_SFN, AWS_ENDPOINT_URL_ORGANIZATIONS) wins, signed for the given Region', () => {
    process.env.AWS_ENDPOINT_URL_SFN = 'http://127.0.0.1:1/';
    process.env.AWS_ENDPOINT_URL_ORGANIZATIONS = 'http://127.0.0.1:2/';
    expect(stepFunctionsApi('eu-west-1').url.port).toBe('1');
    expect([organizationsApi('eu-west-1').url.port, organizationsApi('eu-west-1').region]).toEqual(['2', 'eu-west-1']);
  });
});

test('an error code is read and cleaned as the SDK does: __type, else code, else x-amzn-errortype; no namespace, no suffix', () => {
  expect(jsonErrorCode('{"__type":"com.amazonaws.events#ThrottlingException"}')).toBe('ThrottlingException');
  expect(jsonErrorCode('{"__type":"ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/"}')).toBe('ValidationException');
  expect(jsonErrorCode('{"__type":"AccessDeniedException,Sender"}')).toBe('AccessDeniedException');
  expect(jsonErrorCode('{"code":"ResourceNotFoundException","message":"m"}')).toBe('ResourceNotFoundException');
  expect(jsonErrorCode('{"Code":"aws.protocoltests#Weird:x"}')).toBe('Weird');
  expect(jsonErrorCode('{"__type":"A","code":"B"}', { 'x-amzn-errortype': 'C' })).toBe('A');
  expect(jsonErrorCode('{"message":"m"}', { 'x-amzn-errortype': 'UnrecognizedClientException:http://internal.amazon.com/coral/' }))
    .toBe('UnrecognizedClientException');
  expect(jsonErrorCode('<html>Bad Gateway</html>', { 'x-amzn-errortype': 'com.amazon.coral#InternalFailure' })).toBe('InternalFailure');
  expect(jsonErrorCode('not json')).toBeUndefined();
});

describe('the invocation\'s Organizations and Step Functions calls are paced by the environment\'s rate limiter', () => {
  const invocation = () => new Invocation({ invokedFunctionArn: `arn:aws:lambda:us-east-1:${MANAGEMENT}:function:f`, getRemainingTimeInMillis: () => 900_000 });
  let paced: jest.SpyInstance;
  beforeEach(() => {
    paced = jest.spyOn(DefaultRateLimiter.prototype, 'getSendToken');
  });
  afterEach(() => paced.mockRestore());

  test('Organizations (Invocation.organizations)', async () => {
    await invocation().organizations().send('DescribeAccount', { AccountId: MEMBERS[0] });
    expect(paced).toHaveBeenCalled();
  });

  test('Step Functions (waiter.ts stepFunctions)', async () => {
    await expect(describeExecution(invocation(), `arn:aws:states:us-east-1:${MANAGEMENT}:execution:waiter:none`)).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    expect(paced).toHaveBeenCalled();
  });

  test('a strategy given to jsonCall retries the call (throttling), where no deadline of its own would', async () => {
    aws.injectFault({ operation: 'organizations:DescribeAccount', status: 429, count: 1 });
    const retryStrategy = { acquireInitialRetryToken: jest.fn(), refreshRetryTokenForRetry: jest.fn(), recordSuccess: jest.fn() };
    await jsonCall(caller(0), organizationsApi(), 'DescribeAccount', { AccountId: MEMBERS[0] }, { retryStrategy });
    expect(retryStrategy.refreshRetryTokenForRetry).toHaveBeenCalledTimes(1);
    expect(retryStrategy.recordSuccess).toHaveBeenCalledTimes(1);
  });
});

describe('the local awsJson services refuse what AWS refuses', () => {
  const raw = (service: string, headers: Record<string, string>) => signedCall(caller(), {
    service, method: 'POST', url: new URL(aws.endpoint), headers, body: '{}',
  }, jsonErrorCode).then(() => undefined, (e: unknown) => e);

  test('a request without X-Amz-Target, or with another service\'s, is an unknown operation', async () => {
    await expect(raw('states', { 'content-type': 'application/x-amz-json-1.0' }))
      .resolves.toMatchObject({ name: 'UnknownOperationException', $metadata: { httpStatusCode: 400 } });
    await expect(raw('organizations', { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSStepFunctions.ListExecutions' }))
      .resolves.toMatchObject({ name: 'UnknownOperationException' });
  });

  test('a request of another content type than the service\'s protocol is an unknown operation', async () => {
    await expect(raw('states', { 'content-type': 'application/json', 'x-amz-target': 'AWSStepFunctions.ListExecutions' }))
      .resolves.toMatchObject({ name: 'UnknownOperationException' });
    await expect(raw('organizations', { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSOrganizationsV20161128.ListAccounts' }))
      .resolves.toMatchObject({ name: 'UnknownOperationException' });
    expect(aws.callsOf('organizations:ListAccounts')).toEqual([expect.objectContaining({ status: 400, errorType: 'UnknownOperationException' })]);
  });
});

test.each(['lambda/settings', 'lambda/region', 'lambda/organization', 'cli'])('the %s bundle carries neither the Step Functions nor the Organizations client', bundle => {
  // The bundles keep their classes' names (--keep-names): an import of either client would bring its class.
  const code = fs.readFileSync(path.join(__dirname, '..', 'assets', bundle, 'index', 'index.js'), 'utf8');
  expect(code).not.toMatch(/\b(SFNClient|OrganizationsClient)\b/);
});
