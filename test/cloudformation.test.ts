/*
 * CloudFormation's reads as the handlers make them (lambda/shared/cloudformation.ts: signed awsQuery calls
 * in place of the SDK's client) against the local CloudFormation: each operation's answer read into the
 * fields callers use, pages followed, XML entities decoded, errors named as the SDK names them, throttling
 * retried until the question's deadline, and the local service as strict as AWS about Action and Version.
 */
import { queryCall, xmlMembers, xmlText } from '../lambda/shared/aws-query';
import { Invocation } from '../lambda/shared/clients';
import { paginateDescribeStackEvents, paginateListStackResources } from '../lambda/shared/cloudformation';
import { isThrottling } from '../lambda/shared/errors';
import { LocalAws, LocalStack } from '../local';

const ACCOUNT = '111111111111';
const STACK_ID = `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/Settings/1`;
/** A value with every character XML escapes, as a template or a resource's Metadata may hold. */
const TRICKY = 'R&D <ops> "desk" \'24/7\'';

let aws: LocalAws;
let stack: LocalStack;
const saved = { ...process.env };

beforeAll(async () => {
  aws = await LocalAws.start({ managementAccountId: ACCOUNT });
  aws.useForSdkClients();
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDLOCAL', AWS_SECRET_ACCESS_KEY: 'local', CDK_ACCOUNT_MANAGEMENT_TIME_SCALE: '50' });
});

afterEach(() => {
  jest.restoreAllMocks();
});

afterAll(async () => {
  await aws.close();
  process.env = saved;
});

beforeEach(() => {
  aws.clearFaults();
  aws.clearCalls();
  aws.cloudFormation.stacks.clear();
  stack = {
    stackId: STACK_ID,
    stackName: 'Settings',
    status: 'CREATE_IN_PROGRESS',
    resources: new Map(),
    template: { Resources: { Security: { Type: 'Custom::AccountAlternateContact', Metadata: { Note: TRICKY }, Properties: { Title: TRICKY } } } },
  };
  aws.cloudFormation.stacks.set(STACK_ID, stack);
});

const invocation = (remainingMs = 600_000) => new Invocation({
  invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:handler`, getRemainingTimeInMillis: () => remainingMs,
});
const resource = (id: string, status = 'CREATE_IN_PROGRESS') => ({
  LogicalResourceId: id, PhysicalResourceId: `${id}-physical`, ResourceType: 'Custom::AccountAlternateContact', ResourceStatus: status,
});

test('DescribeStackResource: the detail\'s fields, its time as a Date and its Metadata as the JSON string it is, entities decoded', async () => {
  aws.cloudFormation.setResource(stack, resource('Security'));

  const { StackResourceDetail: detail } = await invocation().cloudFormation().describeStackResource({ StackName: STACK_ID, LogicalResourceId: 'Security' });

  expect(detail).toEqual({
    StackId: STACK_ID,
    LogicalResourceId: 'Security',
    PhysicalResourceId: 'Security-physical',
    ResourceType: 'Custom::AccountAlternateContact',
    ResourceStatus: 'CREATE_IN_PROGRESS',
    LastUpdatedTimestamp: stack.resources.get('Security')!.LastUpdatedTimestamp,
    Metadata: JSON.stringify({ Note: TRICKY }),
  });
  expect(detail?.LastUpdatedTimestamp).toBeInstanceOf(Date);
});

test('DescribeStacks and GetTemplate: the stack\'s status, and the template as a string whose values keep their special characters', async () => {
  const cloudFormation = invocation().cloudFormation();

  const { Stacks } = await cloudFormation.describeStacks({ StackName: 'Settings' });
  const { TemplateBody } = await cloudFormation.getTemplate({ StackName: STACK_ID });

  expect(Stacks).toEqual([{ StackId: STACK_ID, StackName: 'Settings', StackStatus: 'CREATE_IN_PROGRESS' }]);
  expect(JSON.parse(TemplateBody!)).toEqual(stack.template);
});

test('ListStackResources and DescribeStackEvents: every page followed, in the service\'s order (events newest first)', async () => {
  const ids = Array.from({ length: 230 }, (_, i) => `Contact${i}`);
  for (const id of ids) aws.cloudFormation.setResource(stack, resource(id), { Title: `${id} ${TRICKY}` });
  const cloudFormation = invocation().cloudFormation();

  const listed = [];
  for await (const page of paginateListStackResources(cloudFormation, { StackName: STACK_ID })) listed.push(page.StackResourceSummaries);
  const events = [];
  for await (const page of paginateDescribeStackEvents(cloudFormation, { StackName: STACK_ID })) events.push(page.StackEvents);

  expect(listed.map(page => page.length)).toEqual([100, 100, 30]);
  expect(listed.flat().map(r => r.LogicalResourceId)).toEqual(ids);
  expect(listed[0][0]).toEqual({ ...resource('Contact0'), LastUpdatedTimestamp: stack.resources.get('Contact0')!.LastUpdatedTimestamp });
  expect(events.map(page => page.length)).toEqual([100, 100, 30]);
  expect(events.flat().map(e => e.LogicalResourceId)).toEqual([...ids].reverse());
  expect(events[0][0]).toMatchObject({ StackId: STACK_ID, ResourceStatus: 'CREATE_IN_PROGRESS', ResourceProperties: JSON.stringify({ Title: `Contact229 ${TRICKY}` }) });
  expect(events[0][0].Timestamp).toBeInstanceOf(Date);
  expect(aws.callsOf('cloudformation:ListStackResources')).toHaveLength(3);
});

test('a stack or resource that does not exist: ValidationError, with the service\'s message, at once', async () => {
  const cloudFormation = invocation().cloudFormation();

  const noStack = await cloudFormation.describeStacks({ StackName: 'Gone' }).catch(error => error);
  const noResource = await cloudFormation.describeStackResource({ StackName: STACK_ID, LogicalResourceId: 'Nothing' }).catch(error => error);

  expect(noStack).toMatchObject({ name: 'ValidationError', message: 'Stack with id Gone does not exist', $metadata: { httpStatusCode: 400 } });
  expect(noResource).toMatchObject({ name: 'ValidationError', message: 'Resource Nothing does not exist for stack Settings' });
  expect(aws.callsOf('cloudformation:DescribeStacks')).toHaveLength(1);
});

test('throttling (400 Throttling) is retried until it passes', async () => {
  aws.injectFault({ operation: 'cloudformation:DescribeStacks', status: 429, count: 2 });

  const { Stacks } = await invocation().cloudFormation().describeStacks({ StackName: STACK_ID });

  expect(Stacks[0].StackStatus).toBe('CREATE_IN_PROGRESS');
  expect(aws.callsOf('cloudformation:DescribeStacks').map(c => c.errorType ?? c.status)).toEqual(['Throttling', 'Throttling', 200]);
});

test('throttling that outlasts the question\'s deadline (a minute of the invocation\'s time) is thrown as the SDK names it, without another attempt', async () => {
  aws.injectFault({ operation: 'cloudformation:DescribeStacks', status: 429, count: 100 });
  // The first throttled answer moves this process's clock two minutes on: past the question's (scaled) minute, within the invocation's ten.
  let skew = 0;
  const now = Date.now.bind(Date);
  jest.spyOn(Date, 'now').mockImplementation(() => now() + skew);
  void aws.nextCall(call => call.operation === 'cloudformation:DescribeStacks').then(() => {
    skew = 120_000;
  });

  const error = await invocation().cloudFormation().describeStacks({ StackName: STACK_ID }).catch(e => e);

  expect(error).toMatchObject({ name: 'Throttling', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
  expect(isThrottling(error)).toBe(true);
  expect(aws.callsOf('cloudformation:DescribeStacks')).toHaveLength(1);
});

test('the local CloudFormation answers an unknown Action, or a missing or wrong Version, as AWS does: InvalidAction', async () => {
  const ask = (action: string, version: string) => queryCall(invocation(), {
    service: 'cloudformation', version, action, params: { StackName: STACK_ID },
  }).catch(error => error);

  await expect(ask('DescribeEverything', '2010-05-15')).resolves.toMatchObject({
    name: 'InvalidAction', message: 'Could not find operation DescribeEverything for version 2010-05-15', $metadata: { httpStatusCode: 400 },
  });
  await expect(ask('DescribeStacks', '')).resolves.toMatchObject({ name: 'InvalidAction', message: 'Could not find operation DescribeStacks for version NO_VERSION_SPECIFIED' });
  await expect(ask('DescribeStacks', '2011-06-15')).resolves.toMatchObject({ name: 'InvalidAction', message: 'Could not find operation DescribeStacks for version 2011-06-15' });
});

test('the local STS, the other awsQuery service the tool signs itself, refuses a wrong Version as well, and answers the right one', async () => {
  const ask = (version: string) => queryCall(invocation(), { service: 'sts', version, action: 'GetCallerIdentity' });

  await expect(ask('2010-05-15')).rejects.toMatchObject({ name: 'InvalidAction', message: 'Could not find operation GetCallerIdentity for version 2010-05-15' });
  await expect(ask('2011-06-15').then(result => xmlText(result, 'Account'))).resolves.toBe(ACCOUNT);
});

test('a list\'s members are told apart by depth: a member\'s own lists (a stack\'s Parameters) stay inside it', () => {
  const xml = '<Stacks><member><StackName>a</StackName><Parameters><member><ParameterKey>k</ParameterKey></member></Parameters></member>'
    + '<member><StackName>b</StackName></member></Stacks>';

  expect(xmlMembers(xml, 'Stacks')).toEqual([
    '<StackName>a</StackName><Parameters><member><ParameterKey>k</ParameterKey></member></Parameters>', '<StackName>b</StackName>',
  ]);
});
