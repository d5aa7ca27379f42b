/* What the construct tests of RegionOptIn share: the messages, actions and statements they expect, and the helpers that read a synthesized stack (region-opt-in-*.test.ts). */

import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { RegionOptIn, RegionOptInProps } from '../src';
import { ANY_MEMBER_ARN, asArray, DESCRIBE_ACCOUNT_STATEMENT, STACK_READ_STATEMENT, standaloneArn, Statement } from './iam';

export const STACK_ACCOUNT = '111111111111';
export const MEMBER_A = '222222222222';
export const MEMBER_B = '333333333333';
export const ENV = { account: STACK_ACCOUNT, region: 'us-east-1' };

export const CUSTOM_RESOURCE_TYPE = 'Custom::AccountRegionOptIn';
export const GET = 'account:GetRegionOptStatus';
export const ENABLE = 'account:EnableRegion';
export const DISABLE = 'account:DisableRegion';
/** The condition key that narrows the Region actions to the declared Regions. */
export const CONDITION_KEY = 'account:TargetRegion';
export const REGION_MESSAGE = 'a Region code such as "af-south-1"';
export const TIMEOUT_MESSAGE = (got: string) =>
  `\`timeout\` must be between 1 minute and 55 minutes (CloudFormation waits at most one hour for a custom resource), got ${got}`;
export const POLL_INTERVAL_MESSAGE = (got: string) => `\`pollInterval\` must be between 10 seconds and 5 minutes, got ${got}`;
export const PROVIDER_EXISTS_MESSAGE =
  'RegionOptInProvider.getOrCreate(): the provider of stack Stack already exists; pass its props before the stack declares its first Region';
export const EVENTS_WARNING_ID = 'cdk-account-management:region-opt-in-events';
export const EVENTS_WARNING = (region: string) =>
  `Region Opt-In Status Change events arrive only in us-east-1; a rule in ${region} never matches [ack: ${EVENTS_WARNING_ID}]`;
export const ENABLED_BY_DEFAULT_MESSAGE = (region: string) =>
  `\`regionName\` "${region}" is enabled by default and cannot be disabled (\`enabled: false\`); only opt-in Regions (introduced after March 20, 2019) can be`;
export const DUPLICATE_MESSAGE = (region: string, account: string, holder: string, again: string) =>
  `The Region ${region} of ${account} is already declared by ${holder}; declare each setting of an account once (${again} declares it again)`;

// ---------------------------------------------------------------------------------------------------------------------
// Helpers

export function newStack(): Stack {
  return new Stack(new App(), 'Stack', { env: ENV });
}

/** The logical id of the CloudFormation resource behind `construct` (the construct itself or its default child). */
export function logicalIdOf(construct: IConstruct): string {
  let element: IConstruct | undefined = construct;
  while (element && !CfnElement.isCfnElement(element)) element = element.node.defaultChild;
  if (!element) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(construct).getLogicalId(element as CfnElement);
}

/**
 * Asserts that `fn` throws an Error whose message is exactly `message` (`toThrow(string)` alone would
 * accept any message that contains it).
 */
export function expectExactError(fn: () => unknown, message: string): void {
  expect(fn).toThrow(new Error(message));
}

/** The removal actions of the Regions provider: granted on every account, whatever the stack declares. */
export const REMOVAL_ACTIONS = [GET, DISABLE];

/** The removal statement: the removal actions on the deploying account and every member account, without a condition. */
export const REMOVAL_STATEMENT: Statement = {
  Effect: 'Allow',
  Action: REMOVAL_ACTIONS,
  Resource: [standaloneArn(), ANY_MEMBER_ARN],
};

/** The Region statement the policy should hold: `actions` on exactly `resources`, for exactly `regions`. */
export function regionStatement(actions: string[], regions: string[], resources: unknown[]): Statement {
  return {
    Effect: 'Allow',
    Action: [...actions].sort(),
    Condition: { 'ForAnyValue:StringEquals': { 'account:TargetRegion': [...regions].sort() } },
    Resource: sortByJson(resources),
  };
}

export function sortByJson<T>(values: T[]): T[] {
  return [...values].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** A statement with its actions and resources as sorted arrays, so that statements compare by content. */
export function normalized(statement: Statement): Statement {
  return {
    ...statement,
    Action: [...asArray(statement.Action)].sort(),
    Resource: sortByJson(asArray(statement.Resource)),
  };
}

/** Expects the statements to be exactly `expected`, in any order. */
export function expectStatements(actual: Statement[], expected: Statement[]): void {
  expect(sortByJson(actual.map(normalized))).toEqual(sortByJson(expected));
}

/** The logical id and properties of the one resource of `type`, which must exist once. */
export function onlyResource(template: Template, type: string, props: Record<string, unknown> = {}): [string, Record<string, any>] {
  const found = Object.entries(template.findResources(type, { Properties: props }));
  expect(found).toHaveLength(1);
  return [found[0][0], found[0][1].Properties];
}

/** The logical id of the Regions' function (handler index.handler), which must exist once. */
export function handlerId(template: Template): string {
  return onlyResource(template, 'AWS::Lambda::Function', { Handler: 'index.handler' })[0];
}

/** The logical id of the waiter's state machine, which must exist once. */
export function stateMachineId(template: Template): string {
  return onlyResource(template, 'AWS::StepFunctions::StateMachine')[0];
}

/** The logical id of the waiter's InvokePolicy (the state machine role's permission to invoke the functions it serves). */
export function invokePolicyId(stack: Stack): string {
  return logicalIdOf(stack.node.findChild('AccountManagementWaiter').node.findChild('InvokePolicy'));
}

/** The functions the Provider framework would add (handlers named framework.*). */
export function frameworkFunctions(template: Template): Record<string, any> {
  return template.findResources('AWS::Lambda::Function', { Properties: { Handler: Match.stringLikeRegexp('^framework\\.') } });
}

/** The statements of the DefaultPolicy (AWS::IAM::Policy) of the role the Regions' function runs as, which must exist once. */
export function handlerRoleDefaultPolicy(template: Template): Statement[] {
  const role = template.toJSON().Resources[handlerId(template)].Properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }));
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement;
}

/** The function's permission to start executions of the stack's waiter, and nothing else of Step Functions. */
export function startExecutionStatement(template: Template): Statement {
  return { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: stateMachineId(template) } };
}

/** The function's permission to read its waiter's executions (it confirms an execution's end before answering for it). */
export function describeExecutionStatement(template: Template): Statement {
  return {
    Effect: 'Allow',
    Action: 'states:DescribeExecution',
    Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':execution:', { 'Fn::GetAtt': [stateMachineId(template), 'Name'] }, ':*']] },
  };
}

/** What the Regions' function role holds besides the Account Management policy, whatever the stack declares. */
export function providerStatements(template: Template): Statement[] {
  return [
    REMOVAL_STATEMENT, STACK_READ_STATEMENT, DESCRIBE_ACCOUNT_STATEMENT, ...responseStoreStatements(template),
    startExecutionStatement(template), describeExecutionStatement(template),
  ];
}

/** The response store: the objects under responses/ (the URLs), and listing the bucket (to empty it at the stack's deletion). */
export function responseStoreStatements(template: Template): Statement[] {
  const bucket = Object.keys(template.findResources('AWS::S3::Bucket'));
  expect(bucket).toHaveLength(1);
  const arn = { 'Fn::GetAtt': [bucket[0], 'Arn'] };
  return [
    { Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Effect: 'Allow', Resource: { 'Fn::Join': ['', [arn, '/responses/*']] } },
    { Action: 's3:ListBucket', Effect: 'Allow', Resource: arn },
  ];
}

/**
 * 10 Regions across 3 accounts: four for the deploying account (standalone), three for each of two
 * member accounts.
 */
export const STANDALONE_REGIONS = ['af-south-1', 'ap-east-1', 'eu-south-1', 'me-south-1'];
export const MEMBER_REGIONS = ['af-south-1', 'ap-east-1', 'me-south-1'];

export function stackWith10Regions(extra: Partial<RegionOptInProps> = {}): Stack {
  const stack = newStack();
  for (const regionName of STANDALONE_REGIONS) new RegionOptIn(stack, `Own-${regionName}`, { ...extra, regionName });
  for (const accountId of [MEMBER_A, MEMBER_B]) {
    for (const regionName of MEMBER_REGIONS) new RegionOptIn(stack, `${accountId}-${regionName}`, { ...extra, regionName, accountId });
  }
  return stack;
}
