import { Annotations as CoreAnnotations, App, CfnElement, CfnOutput, CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import {
  AlternateContact,
  AlternateContactType,
  RegionOptIn,
  RegionOptInProps,
  RegionOptInProvider,
  RegionOptInProviderProps,
  RegionOptStatus,
} from '../src';
import {
  accountApiStatements, allStatements, ANY_MEMBER_ARN, asArray, DESCRIBE_ACCOUNT_STATEMENT, effectivePermissions, expectCompactPolicies,
  expectNoAccountActionOnEverything, expectNothingOnEveryResource, expectPoliciesWithinIamLimits, memberArn, permissions, STACK_READ_STATEMENT,
  standaloneArn, Statement,
} from './iam';
import { Acknowledged, describeAccountAcknowledgment, nagFindings, stale, unacknowledged } from './nag';
import { RESOURCE_TYPES, STACK_ID_ENV, WAITER_ARN_ENV } from '../src/contract';
import { waiterDefinition } from '../src/private/waiter';

const STACK_ACCOUNT = '111111111111';
const MEMBER_A = '222222222222';
const MEMBER_B = '333333333333';
const ENV = { account: STACK_ACCOUNT, region: 'us-east-1' };

const CUSTOM_RESOURCE_TYPE = 'Custom::AccountRegionOptIn';
const GET = 'account:GetRegionOptStatus';
const ENABLE = 'account:EnableRegion';
const DISABLE = 'account:DisableRegion';
/** The condition key that narrows the Region actions to the declared Regions. */
const CONDITION_KEY = 'account:TargetRegion';
const REGION_MESSAGE = 'a Region code such as "af-south-1"';
const TIMEOUT_MESSAGE = (got: string) =>
  `\`timeout\` must be between 1 minute and 55 minutes (CloudFormation waits at most one hour for a custom resource), got ${got}`;
const POLL_INTERVAL_MESSAGE = (got: string) => `\`pollInterval\` must be between 10 seconds and 5 minutes, got ${got}`;
const PROVIDER_EXISTS_MESSAGE =
  'RegionOptInProvider.getOrCreate(): the provider of stack Stack already exists; pass its props before the stack declares its first Region';
const EVENTS_WARNING_ID = 'cdk-account-management:region-opt-in-events';
const EVENTS_WARNING = (region: string) =>
  `Region Opt-In Status Change events arrive only in us-east-1; a rule in ${region} never matches [ack: ${EVENTS_WARNING_ID}]`;
const ENABLED_BY_DEFAULT_MESSAGE = (region: string) =>
  `\`regionName\` "${region}" is enabled by default and cannot be disabled (\`enabled: false\`); only opt-in Regions (introduced after March 20, 2019) can be`;
const DUPLICATE_MESSAGE = (region: string, account: string, holder: string, again: string) =>
  `The Region ${region} of ${account} is already declared by ${holder}; declare each setting of an account once (${again} declares it again)`;

// ---------------------------------------------------------------------------------------------------------------------
// Helpers

function newStack(): Stack {
  return new Stack(new App(), 'Stack', { env: ENV });
}

/** The logical id of the CloudFormation resource behind `construct` (the construct itself or its default child). */
function logicalIdOf(construct: IConstruct): string {
  let element: IConstruct | undefined = construct;
  while (element && !CfnElement.isCfnElement(element)) element = element.node.defaultChild;
  if (!element) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(element as CfnElement);
}

/**
 * Asserts that `fn` throws an Error whose message is exactly `message` (`toThrow(string)` alone would
 * accept any message that contains it).
 */
function expectExactError(fn: () => unknown, message: string): void {
  expect(fn).toThrow(new Error(message));
}

/** The removal actions of the Regions provider: granted on every account, whatever the stack declares. */
const REMOVAL_ACTIONS = [GET, DISABLE];

/** The removal statement: the removal actions on the deploying account and every member account, without a condition. */
const REMOVAL_STATEMENT: Statement = {
  Effect: 'Allow',
  Action: REMOVAL_ACTIONS,
  Resource: [standaloneArn(), ANY_MEMBER_ARN],
};

/** The Region statement the policy should hold: `actions` on exactly `resources`, for exactly `regions`. */
function regionStatement(actions: string[], regions: string[], resources: unknown[]): Statement {
  return {
    Effect: 'Allow',
    Action: [...actions].sort(),
    Condition: { 'ForAnyValue:StringEquals': { 'account:TargetRegion': [...regions].sort() } },
    Resource: sortByJson(resources),
  };
}

function sortByJson<T>(values: T[]): T[] {
  return [...values].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** A statement with its actions and resources as sorted arrays, so that statements compare by content. */
function normalized(statement: Statement): Statement {
  return {
    ...statement,
    Action: [...asArray(statement.Action)].sort(),
    Resource: sortByJson(asArray(statement.Resource)),
  };
}

/** Expects the statements to be exactly `expected`, in any order. */
function expectStatements(actual: Statement[], expected: Statement[]): void {
  expect(sortByJson(actual.map(normalized))).toEqual(sortByJson(expected));
}

/** The logical id and properties of the one resource of `type`, which must exist once. */
function onlyResource(template: Template, type: string, props: Record<string, unknown> = {}): [string, Record<string, any>] {
  const found = Object.entries(template.findResources(type, { Properties: props }));
  expect(found).toHaveLength(1);
  return [found[0][0], found[0][1].Properties];
}

/** The logical id of the Regions' function (handler index.handler), which must exist once. */
function handlerId(template: Template): string {
  return onlyResource(template, 'AWS::Lambda::Function', { Handler: 'index.handler' })[0];
}

/** The logical id of the waiter's state machine, which must exist once. */
function stateMachineId(template: Template): string {
  return onlyResource(template, 'AWS::StepFunctions::StateMachine')[0];
}

/** The logical id of the waiter's InvokePolicy (the state machine role's permission to invoke the functions it serves). */
function invokePolicyId(stack: Stack): string {
  return logicalIdOf(stack.node.findChild('AccountManagementWaiter').node.findChild('InvokePolicy'));
}

/** The functions the Provider framework would add (handlers named framework.*). */
function frameworkFunctions(template: Template): Record<string, any> {
  return template.findResources('AWS::Lambda::Function', { Properties: { Handler: Match.stringLikeRegexp('^framework\\.') } });
}

/** The statements of the DefaultPolicy (AWS::IAM::Policy) of the role the Regions' function runs as, which must exist once. */
function handlerRoleDefaultPolicy(template: Template): Statement[] {
  const role = template.toJSON().Resources[handlerId(template)].Properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }));
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement;
}

/** The function's permission to start executions of the stack's waiter, and nothing else of Step Functions. */
function startExecutionStatement(template: Template): Statement {
  return { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: stateMachineId(template) } };
}

/** The function's permission to read its waiter's executions (it confirms an execution's end before answering for it). */
function describeExecutionStatement(template: Template): Statement {
  return {
    Effect: 'Allow',
    Action: 'states:DescribeExecution',
    Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':execution:', { 'Fn::GetAtt': [stateMachineId(template), 'Name'] }, ':*']] },
  };
}

/** What the Regions' function role holds besides the Account Management policy, whatever the stack declares. */
function providerStatements(template: Template): Statement[] {
  return [
    REMOVAL_STATEMENT, STACK_READ_STATEMENT, DESCRIBE_ACCOUNT_STATEMENT, startExecutionStatement(template), describeExecutionStatement(template),
  ];
}

/**
 * 10 Regions across 3 accounts: four for the deploying account (standalone), three for each of two
 * member accounts.
 */
const STANDALONE_REGIONS = ['af-south-1', 'ap-east-1', 'eu-south-1', 'me-south-1'];
const MEMBER_REGIONS = ['af-south-1', 'ap-east-1', 'me-south-1'];

function stackWith10Regions(extra: Partial<RegionOptInProps> = {}): Stack {
  const stack = newStack();
  for (const regionName of STANDALONE_REGIONS) new RegionOptIn(stack, `Own-${regionName}`, { ...extra, regionName });
  for (const accountId of [MEMBER_A, MEMBER_B]) {
    for (const regionName of MEMBER_REGIONS) new RegionOptIn(stack, `${accountId}-${regionName}`, { ...extra, regionName, accountId });
  }
  return stack;
}

// ---------------------------------------------------------------------------------------------------------------------

describe('RegionOptIn validation', () => {
  const lengthMessage = (value: string) => `\`regionName\` must be 1-50 characters, got ${value.length}: "${value}"`;
  const patternMessage = (property: string, allowed: string, value: string) => `\`${property}\` must be ${allowed}, got "${value}"`;

  test.each<[string, Partial<RegionOptInProps>, string]>([
    ['an empty regionName', { regionName: '' }, lengthMessage('')],
    ['a 51-character regionName', { regionName: `af-south-${'1'.repeat(42)}` }, lengthMessage(`af-south-${'1'.repeat(42)}`)],
    ['a regionName in capitals', { regionName: 'AF-SOUTH-1' }, patternMessage('regionName', REGION_MESSAGE, 'AF-SOUTH-1')],
    ['a regionName with underscores', { regionName: 'af_south_1' }, patternMessage('regionName', REGION_MESSAGE, 'af_south_1')],
    ['a regionName that is not a Region code', { regionName: 'mars' }, patternMessage('regionName', REGION_MESSAGE, 'mars')],
    ['a regionName without its number', { regionName: 'af-south' }, patternMessage('regionName', REGION_MESSAGE, 'af-south')],
    ['a regionName with a three-digit number', { regionName: 'af-south-100' },
      patternMessage('regionName', REGION_MESSAGE, 'af-south-100')],
    ['a regionName with a trailing space', { regionName: 'af-south-1 ' }, patternMessage('regionName', REGION_MESSAGE, 'af-south-1 ')],
    ['an availability zone', { regionName: 'af-south-1a' }, patternMessage('regionName', REGION_MESSAGE, 'af-south-1a')],
    ['an 11-digit accountId', { accountId: '12345678901' },
      patternMessage('accountId', 'a 12-digit AWS account id', '12345678901')],
    ['an accountId with dashes', { accountId: '2222-2222-2222' },
      patternMessage('accountId', 'a 12-digit AWS account id', '2222-2222-2222')],
    ['removalPolicy SNAPSHOT', { removalPolicy: RemovalPolicy.SNAPSHOT },
      '`removalPolicy` must be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN, got snapshot'],
    ['removalPolicy RETAIN_ON_UPDATE_OR_DELETE', { removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE },
      '`removalPolicy` must be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN, got retain-on-update-or-delete'],
    ['a timeout of 59 seconds', { timeout: Duration.seconds(59) }, TIMEOUT_MESSAGE('59 seconds')],
    ['a timeout of 56 minutes', { timeout: Duration.minutes(56) }, TIMEOUT_MESSAGE('56 minutes')],
    ['a timeout of 55 minutes and 1 second', { timeout: Duration.seconds(3301) }, TIMEOUT_MESSAGE('55 minutes 1 second')],
    ['a timeout of 2 hours', { timeout: Duration.hours(2) }, TIMEOUT_MESSAGE('2 hours')],
    ['a pollInterval of 0 seconds', { pollInterval: Duration.seconds(0) }, POLL_INTERVAL_MESSAGE('0 seconds')],
    ['a pollInterval of 5 seconds', { pollInterval: Duration.seconds(5) }, POLL_INTERVAL_MESSAGE('5 seconds')],
    ['a pollInterval of 9 seconds', { pollInterval: Duration.seconds(9) }, POLL_INTERVAL_MESSAGE('9 seconds')],
    ['a pollInterval of 9,000 milliseconds', { pollInterval: Duration.millis(9000) }, POLL_INTERVAL_MESSAGE('9 seconds')],
    ['a pollInterval of 5 minutes and 1 second', { pollInterval: Duration.seconds(301) }, POLL_INTERVAL_MESSAGE('5 minutes 1 second')],
    ['a pollInterval of 6 minutes', { pollInterval: Duration.minutes(6) }, POLL_INTERVAL_MESSAGE('6 minutes')],
    ['a pollInterval of 1 hour', { pollInterval: Duration.hours(1) }, POLL_INTERVAL_MESSAGE('1 hour')],
  ])('rejects %s', (_case, override, message) => {
    const stack = newStack();
    expectExactError(() => new RegionOptIn(stack, 'Region', { regionName: 'af-south-1', ...override }), message);
  });

  test.each<[string, Partial<RegionOptInProps>]>([
    ['af-south-1', { regionName: 'af-south-1' }],
    ['a GovCloud Region code (us-gov-west-1)', { regionName: 'us-gov-west-1' }],
    ['a Region code with a three-part name (ap-southeast-4)', { regionName: 'ap-southeast-4' }],
    ['an isolated-partition Region code (eu-isoe-west-1)', { regionName: 'eu-isoe-west-1' }],
    ['a two-digit Region number', { regionName: 'ap-southeast-10' }],
    ['a 12-digit accountId', { accountId: MEMBER_A }],
    ['the stack\'s own account as accountId', { accountId: STACK_ACCOUNT }],
    ['removalPolicy DESTROY', { removalPolicy: RemovalPolicy.DESTROY }],
    ['removalPolicy RETAIN', { removalPolicy: RemovalPolicy.RETAIN }],
    ['a timeout of 1 minute', { timeout: Duration.minutes(1) }],
    ['a timeout of 55 minutes', { timeout: Duration.minutes(55) }],
    ['a pollInterval of 10 seconds', { pollInterval: Duration.seconds(10) }],
    ['a pollInterval of 10,000 milliseconds', { pollInterval: Duration.millis(10000) }],
    ['a pollInterval of 5 minutes', { pollInterval: Duration.minutes(5) }],
    ['a pollInterval of 300 seconds', { pollInterval: Duration.seconds(300) }],
    ['a pollInterval that does not divide the hour (70 seconds)', { pollInterval: Duration.seconds(70) }],
    ['enabling a Region that is enabled by default (us-east-1)', { regionName: 'us-east-1', enabled: true }],
    ['disabling an opt-in Region', { regionName: 'af-south-1', enabled: false }],
    ['waitForCompletion false', { waitForCompletion: false }],
  ])('accepts %s', (_case, override) => {
    const stack = newStack();
    expect(() => new RegionOptIn(stack, 'Region', { regionName: 'af-south-1', ...override })).not.toThrow();
  });

  test.each(RegionOptIn.REGIONS_ENABLED_BY_DEFAULT)('rejects disabling %s, a Region enabled by default', (regionName) => {
    const stack = newStack();
    expectExactError(() => new RegionOptIn(stack, 'Region', { regionName, enabled: false }), ENABLED_BY_DEFAULT_MESSAGE(regionName));
  });

  test('the Regions enabled by default are the 17 introduced before March 20, 2019', () => {
    expect([...RegionOptIn.REGIONS_ENABLED_BY_DEFAULT].sort()).toEqual([
      'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2',
      'ca-central-1', 'eu-central-1', 'eu-north-1', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'sa-east-1',
      'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
    ]);
  });

  test('skips a pollInterval that is a token, and passes it to the handler as PollIntervalSeconds', () => {
    const stack = newStack();
    const seconds = new CfnParameter(stack, 'PollSeconds', { type: 'Number' }).valueAsNumber;
    expect(() => new RegionOptIn(stack, 'Region', { regionName: 'af-south-1', pollInterval: Duration.seconds(seconds) })).not.toThrow();
    Template.fromStack(stack).hasResourceProperties(CUSTOM_RESOURCE_TYPE, { PollIntervalSeconds: { Ref: 'PollSeconds' } });
  });

  test('skips values that are tokens, including the enabled-by-default check', () => {
    const stack = newStack();
    expect(() => new RegionOptIn(stack, 'Region', {
      regionName: new CfnParameter(stack, 'RegionName').valueAsString,
      accountId: new CfnParameter(stack, 'AccountId').valueAsString,
      enabled: false,
      timeout: Duration.seconds(new CfnParameter(stack, 'TimeoutSeconds', { type: 'Number' }).valueAsNumber),
      pollInterval: Duration.seconds(new CfnParameter(stack, 'PollSeconds', { type: 'Number' }).valueAsNumber),
    })).not.toThrow();
    Template.fromStack(stack).hasResourceProperties(CUSTOM_RESOURCE_TYPE, {
      RegionName: { Ref: 'RegionName' },
      AccountId: { Ref: 'AccountId' },
      Enabled: 'false',
      TimeoutSeconds: { Ref: 'TimeoutSeconds' },
      PollIntervalSeconds: { Ref: 'PollSeconds' },
    });
  });
});

describe('one declaration per Region and account', () => {
  test('the same Region of the same member account twice in one stack is an error', () => {
    const stack = newStack();
    new RegionOptIn(stack, 'First', { regionName: 'af-south-1', accountId: MEMBER_A });
    expectExactError(
      () => new RegionOptIn(stack, 'Second', { regionName: 'af-south-1', accountId: MEMBER_A }),
      DUPLICATE_MESSAGE('af-south-1', `account ${MEMBER_A}`, 'Stack/First', 'Stack/Second'),
    );
  });

  test('declaring a Region enabled and disabled for the same account is the same conflict', () => {
    const stack = newStack();
    new RegionOptIn(stack, 'Enabled', { regionName: 'me-south-1' });
    expectExactError(
      () => new RegionOptIn(stack, 'Disabled', { regionName: 'me-south-1', enabled: false }),
      DUPLICATE_MESSAGE('me-south-1', `account ${STACK_ACCOUNT}`, 'Stack/Enabled', 'Stack/Disabled'),
    );
  });

  test('a Region without accountId and the same Region naming the stack\'s account are the same setting', () => {
    const stack = newStack();
    new RegionOptIn(stack, 'Standalone', { regionName: 'ap-east-1' });
    expectExactError(
      () => new RegionOptIn(stack, 'Explicit', { regionName: 'ap-east-1', accountId: STACK_ACCOUNT }),
      DUPLICATE_MESSAGE('ap-east-1', `account ${STACK_ACCOUNT}`, 'Stack/Standalone', 'Stack/Explicit'),
    );
  });

  test('two stacks of one app cannot declare the same Region of the same account', () => {
    const app = new App();
    const first = new Stack(app, 'First', { env: ENV });
    const second = new Stack(app, 'Second', { env: { ...ENV, region: 'eu-west-1' } });
    new RegionOptIn(first, 'CapeTown', { regionName: 'af-south-1', accountId: MEMBER_A });
    expectExactError(
      () => new RegionOptIn(second, 'CapeTown', { regionName: 'af-south-1', accountId: MEMBER_A }),
      DUPLICATE_MESSAGE('af-south-1', `account ${MEMBER_A}`, 'First/CapeTown', 'Second/CapeTown'),
    );
  });

  test('an environment-agnostic stack cannot declare the same Region twice for its account', () => {
    const stack = new Stack(new App(), 'Agnostic');
    new RegionOptIn(stack, 'First', { regionName: 'af-south-1' });
    expectExactError(
      () => new RegionOptIn(stack, 'Second', { regionName: 'af-south-1' }),
      DUPLICATE_MESSAGE('af-south-1', 'the account that stack Agnostic deploys to', 'Agnostic/First', 'Agnostic/Second'),
    );
  });

  test('the same Region of different accounts is allowed', () => {
    const stack = newStack();
    expect(() => {
      new RegionOptIn(stack, 'Own', { regionName: 'af-south-1' });
      new RegionOptIn(stack, 'MemberA', { regionName: 'af-south-1', accountId: MEMBER_A });
      new RegionOptIn(stack, 'MemberB', { regionName: 'af-south-1', accountId: MEMBER_B });
    }).not.toThrow();
  });

  test('different Regions of one account are allowed', () => {
    const stack = newStack();
    expect(() => {
      for (const regionName of MEMBER_REGIONS) new RegionOptIn(stack, regionName, { regionName, accountId: MEMBER_A });
    }).not.toThrow();
  });

  test('Regions given as different tokens are not compared', () => {
    const stack = newStack();
    expect(() => {
      new RegionOptIn(stack, 'First', { regionName: new CfnParameter(stack, 'FirstRegion').valueAsString });
      new RegionOptIn(stack, 'Second', { regionName: new CfnParameter(stack, 'SecondRegion').valueAsString });
    }).not.toThrow();
  });

  test('the same regionName token twice is not recorded, so it does not conflict', () => {
    const stack = newStack();
    const regionName = new CfnParameter(stack, 'RegionName').valueAsString;
    expect(() => {
      new RegionOptIn(stack, 'First', { regionName });
      new RegionOptIn(stack, 'Second', { regionName });
      new RegionOptIn(stack, 'MemberFirst', { regionName, accountId: MEMBER_A });
      new RegionOptIn(stack, 'MemberSecond', { regionName, accountId: MEMBER_A });
    }).not.toThrow();
    Template.fromStack(stack).resourceCountIs(CUSTOM_RESOURCE_TYPE, 4);
  });

  test('an accountId given as a token is not compared', () => {
    const stack = newStack();
    const accountId = new CfnParameter(stack, 'AccountId').valueAsString;
    expect(() => {
      new RegionOptIn(stack, 'First', { regionName: 'af-south-1', accountId });
      new RegionOptIn(stack, 'Second', { regionName: 'af-south-1', accountId });
      new RegionOptIn(stack, 'Standalone', { regionName: 'af-south-1' });
    }).not.toThrow();
  });

  test('declarations in different apps do not conflict', () => {
    expect(() => {
      new RegionOptIn(newStack(), 'CapeTown', { regionName: 'af-south-1' });
      new RegionOptIn(newStack(), 'CapeTown', { regionName: 'af-south-1' });
    }).not.toThrow();
  });
});

describe('the per-stack provider', () => {
  test('10 Regions across 3 accounts share one function, Node.js 22 on arm64 for up to 2 minutes, and one state machine', () => {
    const template = Template.fromStack(stackWith10Regions());

    template.resourceCountIs(CUSTOM_RESOURCE_TYPE, 10);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    // The function's role and the state machine's.
    template.resourceCountIs('AWS::IAM::Role', 2);
    const [, fn] = onlyResource(template, 'AWS::Lambda::Function');
    expect(fn).toEqual(expect.objectContaining({ Handler: 'index.handler', Runtime: 'nodejs22.x', Architectures: ['arm64'], Timeout: 120 }));
  });

  test('the function is every Region\'s service token: no Provider framework function stands between CloudFormation and it', () => {
    const stack = stackWith10Regions();
    const template = Template.fromStack(stack);
    const token = { 'Fn::GetAtt': [handlerId(template), 'Arn'] };

    const tokens = Object.values(template.findResources(CUSTOM_RESOURCE_TYPE)).map((resource) => resource.Properties.ServiceToken);
    expect(tokens).toEqual(Array(10).fill(token));
    expect(stack.resolve(RegionOptInProvider.getOrCreate(stack).serviceToken)).toEqual(token);
    expect(stack.resolve(RegionOptInProvider.getOrCreate(stack).handler.functionArn)).toEqual(token);
    expect(frameworkFunctions(template)).toEqual({});
  });

  test('the function logs JSON at INFO into its own log group', () => {
    const template = Template.fromStack(stackWith10Regions());
    const [logGroup] = onlyResource(template, 'AWS::Logs::LogGroup');
    const [, fn] = onlyResource(template, 'AWS::Lambda::Function');
    expect(fn.LoggingConfig).toEqual(expect.objectContaining({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO', LogGroup: { Ref: logGroup } }));
  });

  test('Regions with different pollIntervals, timeouts and waitForCompletion share one function and one service token, each with its own values', () => {
    const stack = newStack();
    const byDefault = new RegionOptIn(stack, 'Default', { regionName: 'af-south-1' });
    const slow = new RegionOptIn(stack, 'Slow', { regionName: 'me-south-1', pollInterval: Duration.seconds(45) });
    const minute = new RegionOptIn(stack, 'Minute', { regionName: 'il-central-1', pollInterval: Duration.minutes(1), timeout: Duration.minutes(10) });
    const fastest = new RegionOptIn(stack, 'Fastest', { regionName: 'eu-south-1', pollInterval: Duration.seconds(10), waitForCompletion: false });
    const slowest = new RegionOptIn(stack, 'Slowest', { regionName: 'mx-central-1', pollInterval: Duration.minutes(5) });
    const template = Template.fromStack(stack);
    const propertiesOf = (region: RegionOptIn) => template.toJSON().Resources[logicalIdOf(region)].Properties;

    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    const token = { 'Fn::GetAtt': [handlerId(template), 'Arn'] };
    for (const region of [byDefault, slow, minute, fastest, slowest]) expect(propertiesOf(region).ServiceToken).toEqual(token);
    expect([byDefault, slow, minute, fastest, slowest].map((region) => {
      const { PollIntervalSeconds, TimeoutSeconds, WaitForCompletion } = propertiesOf(region);
      return [PollIntervalSeconds, TimeoutSeconds, WaitForCompletion];
    })).toEqual([
      ['30', '3300', 'true'],
      ['45', '3300', 'true'],
      ['60', '600', 'true'],
      ['10', '3300', 'false'],
      ['300', '3300', 'true'],
    ]);
  });

  test('changing a Region\'s pollInterval, timeout or waitForCompletion changes only its own properties, never its service token', () => {
    const synth = (props: Partial<RegionOptInProps>) => {
      const stack = newStack();
      const region = new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1', ...props });
      return { id: logicalIdOf(region), resources: Template.fromStack(stack).toJSON().Resources };
    };
    const before = synth({});
    const after = synth({ pollInterval: Duration.minutes(2), timeout: Duration.minutes(10), waitForCompletion: false });

    expect(after.id).toBe(before.id);
    expect(after.resources[after.id]).toEqual({
      ...before.resources[before.id],
      // The ServiceTimeout follows the timeout (10 minutes, then the last step's margin).
      Properties: { ...before.resources[before.id].Properties, PollIntervalSeconds: '120', TimeoutSeconds: '600', WaitForCompletion: 'false', ServiceTimeout: '900' },
    });
    // The function, the waiter and the policies are the same resources with the same properties.
    const others = (resources: Record<string, unknown>, id: string) => Object.fromEntries(Object.entries(resources).filter(([key]) => key !== id));
    expect(others(after.resources, after.id)).toEqual(others(before.resources, before.id));
  });

  test('getOrCreate returns the stack\'s one provider, from any construct of the stack', () => {
    const stack = newStack();
    const region = new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1' });
    const provider = RegionOptInProvider.getOrCreate(stack);
    expect(RegionOptInProvider.getOrCreate(region)).toBe(provider);
    expect(RegionOptInProvider.getOrCreate(new Construct(stack, 'Nested'))).toBe(provider);
    expect(provider.node.path).toBe('Stack/RegionOptInProvider');
  });

  test('each stack of an app has its own provider and waiter', () => {
    const app = new App();
    const first = new Stack(app, 'First', { env: ENV });
    const second = new Stack(app, 'Second', { env: ENV });
    new RegionOptIn(first, 'CapeTown', { regionName: 'af-south-1' });
    new RegionOptIn(second, 'HongKong', { regionName: 'ap-east-1' });
    expect(RegionOptInProvider.getOrCreate(first)).not.toBe(RegionOptInProvider.getOrCreate(second));
    for (const stack of [first, second]) {
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::Lambda::Function', 1);
      template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    }
  });

  test('the log group keeps logs for a year by default, or for the logRetention given to getOrCreate before the first Region', () => {
    const byDefault = Template.fromStack(stackWith10Regions());
    byDefault.resourceCountIs('AWS::Logs::LogGroup', 1);
    byDefault.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });

    const stack = newStack();
    RegionOptInProvider.getOrCreate(stack, { logRetention: RetentionDays.ONE_MONTH });
    new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1' });
    new RegionOptIn(stack, 'HongKong', { regionName: 'ap-east-1', pollInterval: Duration.seconds(45) });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test.each<[string, RegionOptInProviderProps]>([
    ['logRetention', { logRetention: RetentionDays.ONE_MONTH }],
    ['empty props', {}],
  ])('getOrCreate with %s after the stack declares a Region is an error', (_case, props) => {
    const stack = newStack();
    new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1' });
    expectExactError(() => RegionOptInProvider.getOrCreate(stack, props), PROVIDER_EXISTS_MESSAGE);
  });

  test('getOrCreate with props a second time is an error too, even when the first call created the provider', () => {
    const stack = newStack();
    RegionOptInProvider.getOrCreate(stack, { logRetention: RetentionDays.ONE_MONTH });
    expectExactError(() => RegionOptInProvider.getOrCreate(stack, { logRetention: RetentionDays.ONE_WEEK }), PROVIDER_EXISTS_MESSAGE);
  });
});

describe('the waiter', () => {
  test('is one Standard state machine whose definition is waiterDefinition() in the stack\'s partition, the same whatever the Regions\' poll intervals', () => {
    const definitionOf = (stack: Stack) => {
      const [, machine] = onlyResource(Template.fromStack(stack), 'AWS::StepFunctions::StateMachine');
      expect(machine.StateMachineType).toBe('STANDARD');
      // The one token of the definition is the partition, in the task's resource.
      const [separator, parts] = machine.DefinitionString['Fn::Join'];
      return JSON.parse((parts as unknown[]).map(part => (typeof part === 'string' ? part : (expect(part).toEqual({ Ref: 'AWS::Partition' }), 'aws-cn'))).join(separator));
    };
    expect(definitionOf(stackWith10Regions())).toEqual(waiterDefinition('aws-cn'));
    expect(definitionOf(stackWith10Regions({ pollInterval: Duration.seconds(45) }))).toEqual(waiterDefinition('aws-cn'));
  });

  test('waits between steps for the PollSeconds of the state, which the function sets from the Region\'s pollInterval', () => {
    const definition = waiterDefinition('aws') as { States: Record<string, Record<string, unknown>> };
    const waits = Object.values(definition.States).filter((state) => state.Type === 'Wait');
    expect(waits).toEqual([{ Type: 'Wait', SecondsPath: '$.PollSeconds', Next: 'Step' }]);
  });

  test('neither logs nor traces its executions: their data would hold the CloudFormation request', () => {
    const template = Template.fromStack(stackWith10Regions());
    template.allResourcesProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.absent(),
      TracingConfiguration: Match.absent(),
    });
  });

  test('the function knows the state machine from WAITER_STATE_MACHINE_ARN and may start its executions, and nothing else of Step Functions', () => {
    const template = Template.fromStack(stackWith10Regions());
    const [, fn] = onlyResource(template, 'AWS::Lambda::Function');
    expect(fn.Environment).toEqual({
      Variables: { [WAITER_ARN_ENV]: { Ref: stateMachineId(template) }, [STACK_ID_ENV]: { Ref: 'AWS::StackId' } },
    });
    expect(allStatements(template).filter((s) => asArray(s.Action).some((a) => a.startsWith('states:'))))
      .toEqual([startExecutionStatement(template), describeExecutionStatement(template)]);
  });

  test('the state machine\'s role may invoke only the function it serves (and its versions and aliases), through its own InvokePolicy', () => {
    const stack = stackWith10Regions();
    const template = Template.fromStack(stack);
    const [, machine] = onlyResource(template, 'AWS::StepFunctions::StateMachine');
    const role = machine.RoleArn['Fn::GetAtt'][0];
    const fnArn = { 'Fn::GetAtt': [handlerId(template), 'Arn'] };

    const [invokePolicy, policy] = onlyResource(template, 'AWS::IAM::Policy', { Roles: [{ Ref: role }] });
    expect(invokePolicy).toBe(invokePolicyId(stack));
    expect(policy.PolicyDocument.Statement).toEqual([{
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: [fnArn, { 'Fn::Join': ['', [fnArn, ':*']] }],
    }]);
    // The role has no other permission: no inline or managed policy.
    const roleProperties = template.toJSON().Resources[role].Properties;
    expect(roleProperties.Policies).toBeUndefined();
    expect(roleProperties.ManagedPolicyArns).toBeUndefined();
    expect(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: Match.arrayWith([{ Ref: role }]) } })).toEqual({});
    // And no other statement of the stack allows a Lambda action.
    expect(allStatements(template).filter((s) => asArray(s.Action).some((a) => a.startsWith('lambda:')))).toEqual([policy.PolicyDocument.Statement[0]]);
  });

  test('serves only the Regions\' function: the settings function of the same stack is neither invoked by it nor told of it', () => {
    const stack = newStack();
    new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1' });
    new AlternateContact(stack, 'Security', {
      type: AlternateContactType.SECURITY, name: 'Security Team', title: 'Security', emailAddress: 'security@example.com', phoneNumber: '+1 206-555-0100',
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);

    const [settingsId, settings] = onlyResource(template, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp('alternate contacts') });
    const [regionsId] = onlyResource(template, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp('Region opt-in') });
    expect(settings.Environment).toEqual({ Variables: { [STACK_ID_ENV]: { Ref: 'AWS::StackId' } } });
    const policy = template.toJSON().Resources[invokePolicyId(stack)].Properties;
    expect(JSON.stringify(policy.PolicyDocument)).not.toContain(settingsId);
    expect(JSON.stringify(policy.PolicyDocument)).toContain(regionsId);
  });

  test('every Region waits for the Account Management policy and the InvokePolicy, and the function for its role\'s DefaultPolicy', () => {
    const stack = stackWith10Regions();
    const template = Template.fromStack(stack);
    const policy = Object.keys(template.findResources('AWS::IAM::ManagedPolicy'));
    expect(policy).toHaveLength(1);

    const resources = Object.values(template.findResources(CUSTOM_RESOURCE_TYPE));
    expect(resources).toHaveLength(10);
    for (const resource of resources) expect([...resource.DependsOn].sort()).toEqual([...policy, invokePolicyId(stack)].sort());
    // The Regions reference the function (their service token), which waits for the removal, stack-read and StartExecution grants.
    const fn = template.toJSON().Resources[handlerId(template)];
    const role = fn.Properties.Role['Fn::GetAtt'][0];
    const [defaultPolicy] = onlyResource(template, 'AWS::IAM::Policy', { Roles: [{ Ref: role }] });
    expect([...fn.DependsOn].sort()).toEqual([defaultPolicy, role].sort());
  });
});

describe('the custom resources', () => {
  function stackWithRegions(): Stack {
    const stack = newStack();
    new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1' });
    new RegionOptIn(stack, 'MemberHongKong', {
      regionName: 'ap-east-1',
      accountId: MEMBER_A,
      enabled: false,
      waitForCompletion: false,
      timeout: Duration.minutes(20),
      pollInterval: Duration.seconds(90),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return stack;
  }

  function serviceToken(template: Template): unknown {
    return { 'Fn::GetAtt': [handlerId(template), 'Arn'] };
  }

  test('the custom resource type is the contract\'s RESOURCE_TYPES.regionOptIn, which the handler reads too', () => {
    expect(RESOURCE_TYPES.regionOptIn).toBe(CUSTOM_RESOURCE_TYPE);
  });

  test('a Region with the defaults is enabled, waited for every 30 seconds for at most 55 minutes, and retained on removal', () => {
    const template = Template.fromStack(stackWithRegions());
    template.hasResource(CUSTOM_RESOURCE_TYPE, {
      Properties: {
        ServiceToken: serviceToken(template),
        AccountId: Match.absent(),
        RegionName: 'af-south-1',
        Enabled: 'true',
        WaitForCompletion: 'true',
        TimeoutSeconds: '3300',
        PollIntervalSeconds: '30',
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('a member account\'s Region carries its accountId, flags, timeout and poll interval as strings, and is deleted with DESTROY', () => {
    const template = Template.fromStack(stackWithRegions());
    template.hasResource(CUSTOM_RESOURCE_TYPE, {
      Properties: {
        ServiceToken: serviceToken(template),
        AccountId: MEMBER_A,
        RegionName: 'ap-east-1',
        Enabled: 'false',
        WaitForCompletion: 'false',
        TimeoutSeconds: '1200',
        PollIntervalSeconds: '90',
      },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
  });

  test('the custom resources hold the service token and the contract\'s properties, nothing else', () => {
    const template = Template.fromStack(stackWithRegions());
    const keys = Object.values(template.findResources(CUSTOM_RESOURCE_TYPE)).map((resource) => Object.keys(resource.Properties).sort());
    const common = ['Enabled', 'PollIntervalSeconds', 'RegionName', 'ServiceTimeout', 'ServiceToken', 'TimeoutSeconds', 'WaitForCompletion'];
    expect(sortByJson(keys)).toEqual(sortByJson([common, ['AccountId', ...common]]));
  });

  test('grants beyond one policy\'s character budget spread over two policies, each within IAM\'s limit, and every custom resource waits for both', () => {
    // The estimate: 70 accounts x 2 Regions x 50 characters + 2 (actions, Region) pairs x 260 = 7,520 > 5,600; one
    // policy holds (5,600 - 520) / 100 = 50 of the accounts.
    const stack = newStack();
    const accounts = Array.from({ length: 70 }, (_, i) => String(200000000000 + i));
    const regions = ['af-south-1', 'ap-east-1'];
    for (const accountId of accounts) {
      for (const regionName of regions) new RegionOptIn(stack, `${accountId}-${regionName}`, { regionName, accountId });
    }
    const template = Template.fromStack(stack);

    const policies = Object.keys(template.findResources('AWS::IAM::ManagedPolicy'));
    expect(policies).toHaveLength(2);
    expectPoliciesWithinIamLimits(template);
    const resources = Object.values(template.findResources(CUSTOM_RESOURCE_TYPE));
    expect(resources).toHaveLength(140);
    for (const resource of resources) expect(resource.DependsOn).toEqual(expect.arrayContaining(policies));
    expect(effectivePermissions(template, CONDITION_KEY)).toEqual(permissions(accounts.map((accountId) =>
      [memberArn(accountId), { [ENABLE]: regions, [GET]: regions }])));
    expectCompactPolicies(template, CONDITION_KEY);
    // Accounts that enable the same Regions share one statement in each policy.
    for (const policy of Object.values(template.findResources('AWS::IAM::ManagedPolicy'))) {
      expect(policy.Properties.PolicyDocument.Statement).toHaveLength(1);
    }
  });

  test('attrOptStatus is the custom resource\'s OptStatus attribute', () => {
    const stack = newStack();
    const region = new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1' });
    new CfnOutput(stack, 'CapeTownStatus', { value: region.attrOptStatus });
    const template = Template.fromStack(stack);

    const resource = Object.keys(template.findResources(CUSTOM_RESOURCE_TYPE));
    expect(resource).toHaveLength(1);
    template.hasOutput('CapeTownStatus', { Value: { 'Fn::GetAtt': [resource[0], 'OptStatus'] } });
    expect(region.regionName).toBe('af-south-1');
  });
});

describe('the Account Management policy', () => {
  test('10 enabled Regions with RETAIN allow GetRegionOptStatus and EnableRegion on exactly the declared Regions and accounts', () => {
    const template = Template.fromStack(stackWith10Regions());

    expect(effectivePermissions(template, CONDITION_KEY)).toEqual(permissions([
      [standaloneArn(), { [ENABLE]: STANDALONE_REGIONS, [GET]: STANDALONE_REGIONS }],
      [memberArn(MEMBER_A), { [ENABLE]: MEMBER_REGIONS, [GET]: MEMBER_REGIONS }],
      [memberArn(MEMBER_B), { [ENABLE]: MEMBER_REGIONS, [GET]: MEMBER_REGIONS }],
    ]));
    expectCompactPolicies(template, CONDITION_KEY);
    // At most one statement per (actions, Region) pair: four Regions, one set of actions.
    expect(accountApiStatements(template).length).toBeLessThanOrEqual(STANDALONE_REGIONS.length);
  });

  test('the Account Management policy allows DisableRegion only for Regions declared disabled, never EnableRegion with it', () => {
    const stack = newStack();
    new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1' });
    new RegionOptIn(stack, 'AHongKong', { regionName: 'ap-east-1', accountId: MEMBER_A, removalPolicy: RemovalPolicy.DESTROY });
    new RegionOptIn(stack, 'ABahrain', { regionName: 'me-south-1', accountId: MEMBER_A, enabled: false });
    new RegionOptIn(stack, 'BHongKong', { regionName: 'ap-east-1', accountId: MEMBER_B, removalPolicy: RemovalPolicy.DESTROY });
    new RegionOptIn(stack, 'BTelAviv', { regionName: 'il-central-1', accountId: MEMBER_B });
    new RegionOptIn(stack, 'BMilan', { regionName: 'eu-south-1', accountId: MEMBER_B, enabled: false, removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);

    // RemovalPolicy.DESTROY adds nothing here: the removal statement of the handler role's DefaultPolicy covers it.
    expect(effectivePermissions(template, CONDITION_KEY)).toEqual(permissions([
      [standaloneArn(), { [ENABLE]: ['af-south-1'], [GET]: ['af-south-1'] }],
      [memberArn(MEMBER_A), { [ENABLE]: ['ap-east-1'], [DISABLE]: ['me-south-1'], [GET]: ['ap-east-1', 'me-south-1'] }],
      [memberArn(MEMBER_B), {
        [ENABLE]: ['ap-east-1', 'il-central-1'],
        [DISABLE]: ['eu-south-1'],
        [GET]: ['ap-east-1', 'eu-south-1', 'il-central-1'],
      }],
    ]));
    expectCompactPolicies(template, CONDITION_KEY);
    const statements = accountApiStatements(template);
    // Five (actions, Region) pairs: Enable and Get of af-south-1, ap-east-1 and il-central-1; Disable and Get of
    // me-south-1 and eu-south-1.
    expect(statements.length).toBeLessThanOrEqual(5);
    for (const statement of statements) {
      expect([...asArray(statement.Action)].sort()).toEqual(asArray(statement.Action).includes(DISABLE) ? [DISABLE, GET] : [ENABLE, GET]);
    }
  });

  test('40 accounts each enabling a different set of Regions keep every policy within IAM\'s 6,144 characters', () => {
    // Before the character budget, the one policy of these 40 accounts had a statement per account: 9,690 characters
    // (9,970 in aws-us-gov).
    const stack = newStack();
    const regions = ['af-south-1', 'ap-east-1', 'eu-south-1', 'il-central-1', 'me-central-1', 'me-south-1'];
    const expected: Array<[unknown, Record<string, string[]>]> = [];
    for (let i = 0; i < 40; i++) {
      const accountId = String(200000000000 + i);
      // The Regions of the bits of i + 1: 40 different non-empty sets.
      const enabled = regions.filter((_region, bit) => Math.floor((i + 1) / 2 ** bit) % 2 === 1);
      for (const regionName of enabled) new RegionOptIn(stack, `${accountId}-${regionName}`, { regionName, accountId });
      expected.push([memberArn(accountId), { [ENABLE]: enabled, [GET]: enabled }]);
    }
    const template = Template.fromStack(stack);

    expectPoliciesWithinIamLimits(template);
    expect(effectivePermissions(template, CONDITION_KEY)).toEqual(permissions(expected));
    expectCompactPolicies(template, CONDITION_KEY);
    const policies = Object.keys(template.findResources('AWS::IAM::ManagedPolicy'));
    for (const resource of Object.values(template.findResources(CUSTOM_RESOURCE_TYPE))) {
      expect(resource.DependsOn).toEqual(expect.arrayContaining(policies));
    }
  });

  test('RemovalPolicy.DESTROY leaves the Account Management policy as RETAIN has it', () => {
    const policyWith = (removalPolicy: RemovalPolicy) => {
      const stack = newStack();
      new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1', removalPolicy });
      new RegionOptIn(stack, 'MemberHongKong', { regionName: 'ap-east-1', accountId: MEMBER_A, removalPolicy });
      new RegionOptIn(stack, 'MemberBahrain', { regionName: 'me-south-1', accountId: MEMBER_A, enabled: false, removalPolicy });
      return accountApiStatements(Template.fromStack(stack));
    };
    const retained = policyWith(RemovalPolicy.RETAIN);
    expectStatements(retained, [
      regionStatement([ENABLE, GET], ['af-south-1'], [standaloneArn()]),
      regionStatement([ENABLE, GET], ['ap-east-1'], [memberArn(MEMBER_A)]),
      regionStatement([DISABLE, GET], ['me-south-1'], [memberArn(MEMBER_A)]),
    ]);
    expect(policyWith(RemovalPolicy.DESTROY)).toEqual(retained);
  });

  test('an accountId equal to the stack\'s account is allowed only on the standalone ARN', () => {
    const stack = newStack();
    new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1', accountId: STACK_ACCOUNT });
    expectStatements(accountApiStatements(Template.fromStack(stack)), [
      regionStatement([ENABLE, GET], ['af-south-1'], [standaloneArn(STACK_ACCOUNT)]),
    ]);
  });

  test('in an environment-agnostic stack an accountId is allowed on both its organizations ARN and the standalone ARN', () => {
    const stack = new Stack(new App(), 'Agnostic');
    new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1', accountId: MEMBER_A });
    expectStatements(accountApiStatements(Template.fromStack(stack)), [
      regionStatement([ENABLE, GET], ['af-south-1'], [memberArn(MEMBER_A), standaloneArn()]),
    ]);
  });

  test('the function may read its own stack only: DescribeStackResource, DescribeStacks and ListStackResources on AWS::StackId, once', () => {
    const cloudformation = allStatements(Template.fromStack(stackWith10Regions()))
      .filter((s) => asArray(s.Action).some((a) => a.startsWith('cloudformation:')));
    expect(cloudformation).toEqual([STACK_READ_STATEMENT]);
  });

  test('organizations:DescribeAccount is the only Organizations action, allowed once, on member-account ARNs only', () => {
    for (const stack of [stackWith10Regions(), new Stack(new App(), 'Agnostic')]) {
      new RegionOptIn(stack, 'Milan', { regionName: 'eu-south-1', accountId: MEMBER_B, enabled: false, removalPolicy: RemovalPolicy.DESTROY });
      const organizations = allStatements(Template.fromStack(stack)).filter((s) => asArray(s.Action).some((a) => a.startsWith('organizations:')));
      expect(organizations).toEqual([DESCRIBE_ACCOUNT_STATEMENT]);
    }
  });

  test('no statement allows anything on every resource (*)', () => {
    for (const stack of [stackWith10Regions(), new Stack(new App(), 'Agnostic')]) {
      new RegionOptIn(stack, 'Milan', { regionName: 'eu-south-1', accountId: MEMBER_B, enabled: false, removalPolicy: RemovalPolicy.DESTROY });
      expectNothingOnEveryResource(allStatements(Template.fromStack(stack)));
    }
  });

  test('no statement allows an account action on every resource', () => {
    const stack = new Stack(new App(), 'Agnostic');
    new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1', removalPolicy: RemovalPolicy.DESTROY });
    new RegionOptIn(stack, 'MemberCapeTown', { regionName: 'af-south-1', accountId: MEMBER_A, enabled: false });
    const template = Template.fromStack(stack);
    const accountStatements = allStatements(template).filter((s) => asArray(s.Action).some((a) => a.startsWith('account:')));

    expectNoAccountActionOnEverything(accountStatements);
    // Every account action is in the Account Management policy, except the removal statement: one, in the handler
    // role's DefaultPolicy.
    expect(accountStatements).toHaveLength(accountApiStatements(template).length + 1);
    expect(handlerRoleDefaultPolicy(template).filter((s) => asArray(s.Action).some((a) => a.startsWith('account:')))).toEqual([REMOVAL_STATEMENT]);
  });

  test('only the removal statement names every member account (o-*/*), and it allows only the removal actions', () => {
    const stack = new Stack(new App(), 'Agnostic');
    new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1', removalPolicy: RemovalPolicy.DESTROY });
    new RegionOptIn(stack, 'MemberHongKong', { regionName: 'ap-east-1', accountId: MEMBER_A, removalPolicy: RemovalPolicy.DESTROY });
    new RegionOptIn(stack, 'MemberBahrain', { regionName: 'me-south-1', accountId: MEMBER_B, enabled: false });
    const withAnyMember = allStatements(Template.fromStack(stack))
      .filter((s) => asArray(s.Resource).some((r) => JSON.stringify(r) === JSON.stringify(ANY_MEMBER_ARN)));

    expect(withAnyMember).toEqual([REMOVAL_STATEMENT]);
    expect([...asArray(withAnyMember[0].Action)].sort()).toEqual([DISABLE, GET]);
    expect(asArray(withAnyMember[0].Action)).not.toContain(ENABLE);
    expect(withAnyMember[0].Condition).toBeUndefined();
  });

  test.each<[string, (stack: Stack) => void]>([
    ['only the provider', (stack) => { RegionOptInProvider.getOrCreate(stack); }],
    ['only enabled, retained Regions', (stack) => {
      new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1' });
      new RegionOptIn(stack, 'MemberHongKong', { regionName: 'ap-east-1', accountId: MEMBER_A });
    }],
    ['a disabled Region', (stack) => {
      new RegionOptIn(stack, 'MemberBahrain', { regionName: 'me-south-1', accountId: MEMBER_A, enabled: false });
    }],
    ['Regions with RemovalPolicy.DESTROY', (stack) => {
      new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1', removalPolicy: RemovalPolicy.DESTROY });
      new RegionOptIn(stack, 'MemberHongKong', { regionName: 'ap-east-1', accountId: MEMBER_A, removalPolicy: RemovalPolicy.DESTROY });
    }],
  ])('with %s the function role\'s DefaultPolicy is exactly the removal statement, the stack reads, DescribeAccount and StartExecution', (_, declare) => {
    for (const stack of [newStack(), new Stack(new App(), 'Agnostic')]) {
      declare(stack);
      const template = Template.fromStack(stack);
      expect(handlerRoleDefaultPolicy(template)).toEqual(providerStatements(template));
    }
  });

  test('Regions with different pollIntervals share one role, whose DefaultPolicy holds each statement once', () => {
    const stack = newStack();
    new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1' });
    new RegionOptIn(stack, 'HongKong', { regionName: 'ap-east-1', pollInterval: Duration.seconds(70) });
    new RegionOptIn(stack, 'Bahrain', { regionName: 'me-south-1', pollInterval: Duration.minutes(5), accountId: MEMBER_A });
    const template = Template.fromStack(stack);
    // The function's role and the state machine's.
    template.resourceCountIs('AWS::IAM::Role', 2);
    expect(handlerRoleDefaultPolicy(template)).toEqual(providerStatements(template));
  });
});

describe('RegionOptIn.onStatusChange', () => {
  const SOURCE = { 'source': ['aws.account'], 'detail-type': ['Region Opt-In Status Change'] };

  function ruleOf(stack: Stack): Record<string, any> {
    const rules = Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(1);
    return rules[0].Properties;
  }

  test('without filters the rule matches every Region Opt-In Status Change event and has no detail', () => {
    const stack = newStack();
    RegionOptIn.onStatusChange(stack, 'Rule');
    const rule = ruleOf(stack);
    expect(rule.EventPattern).toEqual(SOURCE);
    expect(rule.Description).toBe('Region Opt-In Status Change events from AWS Account Management');
    expect(rule.Targets).toBeUndefined();
  });

  test('empty filter lists are the same as none', () => {
    const stack = newStack();
    RegionOptIn.onStatusChange(stack, 'Rule', { statuses: [], regionNames: [], accountIds: [] });
    expect(ruleOf(stack).EventPattern).toEqual(SOURCE);
  });

  test('the rule filters the detail on exactly the statuses, Regions and accounts given', () => {
    const stack = newStack();
    RegionOptIn.onStatusChange(stack, 'Rule', {
      statuses: [RegionOptStatus.ENABLED, RegionOptStatus.DISABLED],
      regionNames: ['af-south-1', 'ap-east-1'],
      accountIds: [MEMBER_A],
      description: 'Opt-in Regions of the workload account',
    });
    const rule = ruleOf(stack);
    expect(rule.EventPattern).toEqual({
      ...SOURCE,
      detail: { status: ['ENABLED', 'DISABLED'], regionName: ['af-south-1', 'ap-east-1'], accountId: [MEMBER_A] },
    });
    expect(rule.Description).toBe('Opt-in Regions of the workload account');
  });

  test.each<[string, Record<string, string[]>, Record<string, string[]>]>([
    ['statuses', { statuses: [RegionOptStatus.ENABLING] }, { status: ['ENABLING'] }],
    ['regionNames', { regionNames: ['me-south-1'] }, { regionName: ['me-south-1'] }],
    ['accountIds', { accountIds: [MEMBER_B] }, { accountId: [MEMBER_B] }],
  ])('with only %s the detail filters on that field alone', (_case, props, detail) => {
    const stack = newStack();
    RegionOptIn.onStatusChange(stack, 'Rule', props);
    expect(ruleOf(stack).EventPattern).toEqual({ ...SOURCE, detail });
  });

  test('the targets given are attached to the rule', () => {
    const stack = newStack();
    const topic = new Topic(stack, 'RegionNews');
    RegionOptIn.onStatusChange(stack, 'Rule', { statuses: [RegionOptStatus.ENABLED], targets: [new SnsTopic(topic)] });
    const topicId = logicalIdOf(topic);

    expect(ruleOf(stack).Targets).toEqual([{ Arn: { Ref: topicId }, Id: 'Target0' }]);
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 'sns:Publish',
          Principal: { Service: 'events.amazonaws.com' },
          Resource: { Ref: topicId },
        })]),
      },
    });
  });

  test('in an eu-west-1 stack the rule comes with a warning that the events arrive only in us-east-1', () => {
    const stack = new Stack(new App(), 'Stack', { env: { ...ENV, region: 'eu-west-1' } });
    RegionOptIn.onStatusChange(stack, 'Rule');
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/Stack/Rule', EVENTS_WARNING('eu-west-1'));
    expect(annotations.findWarning('*', Match.anyValue()).map((w) => [w.id, w.entry.data])).toEqual([
      ['/Stack/Rule', EVENTS_WARNING('eu-west-1')],
    ]);
    // The rule is still made as asked.
    expect(ruleOf(stack).EventPattern).toEqual(SOURCE);
  });

  test('the warning is on the rule, so acknowledging its id on the stack beforehand removes it', () => {
    const stack = new Stack(new App(), 'Stack', { env: { region: 'eu-west-1' } });
    CoreAnnotations.of(stack).acknowledgeWarning(EVENTS_WARNING_ID);
    RegionOptIn.onStatusChange(new Construct(stack, 'Events'), 'Rule');
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test.each(['cn-north-1', 'us-gov-west-1'])('a stack in %s, a partition without us-east-1, gets no warning', (region) => {
    const stack = new Stack(new App(), 'Stack', { env: { region } });
    RegionOptIn.onStatusChange(stack, 'Rule');
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test.each<[string, () => Stack]>([
    ['a us-east-1 stack', newStack],
    ['an environment-agnostic stack', () => new Stack(new App(), 'Agnostic')],
    ['a stack whose account alone is known', () => new Stack(new App(), 'AccountOnly', { env: { account: STACK_ACCOUNT } })],
  ])('in %s the rule comes with no warning', (_, makeStack) => {
    const stack = makeStack();
    RegionOptIn.onStatusChange(stack, 'Rule', { statuses: [RegionOptStatus.ENABLED] });
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('Region Opt-In Status Change'));
  });

  test('a rule alone declares no Region and creates no provider and no waiter', () => {
    const stack = newStack();
    RegionOptIn.onStatusChange(stack, 'Rule');
    const template = Template.fromStack(stack);
    template.resourceCountIs(CUSTOM_RESOURCE_TYPE, 0);
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
  });
});

describe('cdk-nag AwsSolutions checks', () => {

  const ACKNOWLEDGED: Acknowledged[] = [
    {
      rule: 'AwsSolutions-IAM4',
      finding: 'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      path: 'Stack/RegionOptInProvider/Handler/ServiceRole/Resource',
      reason: 'AWSLambdaBasicExecutionRole only lets the function create and write to its own CloudWatch log streams',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: /^Resource::arn:<AWS::Partition>:account::\*:account\/o-\*\/\d{12}$/,
      path: 'Stack/RegionOptInProvider/AccountApiPolicy/Part1',
      reason: 'organizations-mode calls are authorized against account::<management account>:account/o-<org>/<member>; '
        + 'the management account and organization ids are unknown at synth, the ARN is pinned to the member account '
        + 'id and the Region actions are narrowed by account:TargetRegion to the declared Regions',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: 'Resource::arn:<AWS::Partition>:account::*:account/o-*/*',
      path: 'Stack/RegionOptInProvider/Handler/ServiceRole/DefaultPolicy/Resource',
      reason: 'removal runs in CloudFormation\'s cleanup phase, after the policies were updated to the new declarations, '
        + 'so it cannot be narrowed to the declared accounts (the grant would be gone when the Delete runs); the '
        + 'statement allows only the removal actions account:GetRegionOptStatus and account:DisableRegion',
    },
    ...describeAccountAcknowledgment('Stack/RegionOptInProvider/Handler/ServiceRole/DefaultPolicy/Resource'),
    {
      rule: 'AwsSolutions-IAM5',
      finding: /^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<AccountManagementWaiterStateMachine[0-9A-F]{8}\.Name>:\*$/,
      path: 'Stack/RegionOptInProvider/Handler/ServiceRole/DefaultPolicy/Resource',
      reason: 'the executions of the stack\'s own waiter, named at deploy time after their requests: the function reads '
        + '(DescribeExecution) an execution whose end the waiter\'s rule reports, to confirm it before answering for it, '
        + 'and may do nothing else to executions, nor anything to another state machine\'s',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: /^Resource::<RegionOptInProviderHandler[0-9A-F]{8}\.Arn>:\*$/,
      path: 'Stack/AccountManagementWaiter/InvokePolicy/Resource',
      reason: 'the waiter\'s state machine invokes the function that started the execution by the ARN it was invoked '
        + 'with (its invokedFunctionArn, which may carry a version or alias qualifier), so it may invoke the function it '
        + 'serves and its versions and aliases (<fn arn>:*), nothing else; the policy holds only lambda:InvokeFunction',
    },
    {
      rule: 'AwsSolutions-L1',
      finding: '',
      path: 'Stack/RegionOptInProvider/Handler/Resource',
      reason: 'the design fixes Node.js 22 for the handlers (bundled with esbuild for node22)',
    },
    {
      rule: 'AwsSolutions-SF1',
      finding: '',
      path: 'Stack/AccountManagementWaiter/StateMachine/Resource',
      reason: 'the waiter\'s logging is off on purpose: its execution data hold the CloudFormation request (with its '
        + 'pre-signed ResponseURL and the resource properties), which must not reach a log group; the function logs '
        + 'every step itself, without them',
    },
    {
      rule: 'AwsSolutions-SF2',
      finding: '',
      path: 'Stack/AccountManagementWaiter/StateMachine/Resource',
      reason: 'the waiter is a loop of one Lambda task and a Wait state; X-Ray tracing adds nothing that the '
        + 'execution history and the function\'s log of every step do not show',
    },
  ];

  function stackWithRegions(): Stack {
    const stack = newStack();
    new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1' });
    new RegionOptIn(stack, 'MemberHongKong', { regionName: 'ap-east-1', accountId: MEMBER_A, removalPolicy: RemovalPolicy.DESTROY });
    new RegionOptIn(stack, 'MemberBahrain', { regionName: 'me-south-1', accountId: MEMBER_B, enabled: false });
    return stack;
  }

  test('every acknowledged finding has a reason', () => {
    for (const entry of ACKNOWLEDGED) expect(entry.reason.length).toBeGreaterThan(20);
  });

  test('every finding on a stack with standalone and member-account Regions, one with DESTROY, is acknowledged', () => {
    const findings = nagFindings(stackWithRegions());
    expect(findings.length).toBeGreaterThan(0);
    expect(unacknowledged(findings, ACKNOWLEDGED)).toEqual([]);
  });

  test('every acknowledged finding still occurs, so no acknowledgement is stale', () => {
    const findings = nagFindings(stackWithRegions());
    expect(stale(findings, ACKNOWLEDGED)).toEqual([]);
  });
});

test('one account with many Regions stays in one policy instead of leaving empty ones', () => {
  const stack = new Stack(new App(), 'Stack', { env: { account: '111111111111', region: 'us-east-1' } });
  const regions = ['af-south-1', 'ap-east-1', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-7',
    'ca-west-1', 'eu-south-1', 'eu-south-2', 'eu-central-2', 'il-central-1', 'me-south-1', 'me-central-1', 'mx-central-1',
    'ap-southeast-6', 'ap-east-2', 'eu-west-4', 'us-west-3', 'sa-west-1', 'ap-northeast-4', 'eu-north-2'];
  regions.forEach(regionName => new RegionOptIn(stack, regionName, { regionName, accountId: '222222222222' }));
  const policies = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy');
  expect(Object.keys(policies)).toHaveLength(1);
  const values = Object.values(policies)[0].Properties.PolicyDocument.Statement
    .flatMap((s: any) => s.Condition['ForAnyValue:StringEquals']['account:TargetRegion']);
  expect([...values].sort()).toEqual([...regions].sort());
});
