import { Template } from 'aws-cdk-lib/assertions';

/*
 * Reading the Account Management policies of a synthesized stack as IAM would: what they allow per
 * account and action, whether they are as compact as their accounts allow, and their size.
 */

/** The deploying account of the stacks these helpers read. */
const STACK_ACCOUNT = '111111111111';

/** A policy statement as the template holds it. */
export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The ARN the handler's calls without AccountId are authorized against (the deploying account, or `account`). */
export function standaloneArn(account?: string): unknown {
  return account === undefined
    ? { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':account::', { Ref: 'AWS::AccountId' }, ':account']] }
    : { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:account::${account}:account`]] };
}

/** The ARN the handler's calls with AccountId (organizations mode) are authorized against. */
export function memberArn(account: string): unknown {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:account::*:account/o-*/${account}`]] };
}

/** Every member account of any organization: for the removal actions, and targets resolved at deploy time. */
export const ANY_MEMBER_ARN = memberArn('*');

/** Every member account of any organization as AWS Organizations names it (DescribeAccount is authorized against it). */
export const ANY_ORGANIZATIONS_ACCOUNT_ARN = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':organizations::*:account/o-*/*']] };

/** Every organizational unit of any organization as AWS Organizations names it (ListParents walks up through them). */
export const ANY_ORGANIZATIONAL_UNIT_ARN = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':organizations::*:ou/o-*/ou-*']] };

/**
 * What every handler role may read of its own stack (to tell a setting that lives on in another resource from a removed
 * one, a rollback from a deploy, and whether CloudFormation still waits for a request): these actions on the stack's
 * own id, nothing else.
 */
export const STACK_READ_STATEMENT: Statement = {
  Effect: 'Allow',
  Action: [
    'cloudformation:DescribeStackEvents', 'cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks',
    'cloudformation:GetTemplate', 'cloudformation:ListStackResources',
  ],
  Resource: { Ref: 'AWS::StackId' },
};

/**
 * What every handler role may ask AWS Organizations (whether an account is still a member, and whether a baseline of the
 * stack targets it through an OU): DescribeAccount and ListParents of member accounts and OUs.
 */
export const DESCRIBE_ACCOUNT_STATEMENT: Statement = {
  Effect: 'Allow',
  Action: ['organizations:DescribeAccount', 'organizations:ListParents'],
  Resource: [ANY_ORGANIZATIONS_ACCOUNT_ARN, ANY_ORGANIZATIONAL_UNIT_ARN],
};

/** Every statement of every IAM policy in the template (policies, managed policies and roles' inline policies). */
export function allStatements(template: Template): Statement[] {
  const statements: Statement[] = [];
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const policy of Object.values(template.findResources(type))) {
      statements.push(...policy.Properties.PolicyDocument.Statement);
    }
  }
  for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
    for (const inline of role.Properties.Policies ?? []) statements.push(...inline.PolicyDocument.Statement);
  }
  return statements;
}

/** The statements of the handlers' Account Management policies (managed policies, parts of one). */
export function accountApiStatements(template: Template): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
  expect(policies.length).toBeGreaterThanOrEqual(1);
  return policies.flatMap(policy => policy.Properties.PolicyDocument.Statement);
}

/** In EffectivePermissions, what an action allowed without a condition is allowed for. */
export const NO_CONDITION = '(no condition)';

/**
 * What Account Management policies allow, whatever their statements: account ARN (the JSON of the resource) →
 * action → the sorted values of the condition key the action is allowed for, or [NO_CONDITION].
 */
export type EffectivePermissions = Record<string, Record<string, string[]>>;

/**
 * The values of `conditionKey` that `statement` is narrowed to, or [NO_CONDITION] without a condition; fails on
 * any other condition (another operator or key, or several), which EffectivePermissions could not describe.
 */
export function conditionValuesOf(statement: Statement, conditionKey: string): string[] {
  if (statement.Condition === undefined) return [NO_CONDITION];
  expect(Object.keys(statement.Condition)).toEqual(['ForAnyValue:StringEquals']);
  const byKey = statement.Condition['ForAnyValue:StringEquals'];
  expect(Object.keys(byKey)).toEqual([conditionKey]);
  const values = asArray(byKey[conditionKey]);
  expect(values.length).toBeGreaterThan(0);
  for (const value of values) expect(typeof value).toBe('string');
  return values as string[];
}

/** What `statements` allow, per account ARN and action; every statement must be an Allow of Action on Resource. */
export function permissionsOf(statements: Statement[], conditionKey: string): EffectivePermissions {
  const byAccount = new Map<string, Map<string, Set<string>>>();
  for (const statement of statements) {
    expect(statement.Effect).toBe('Allow');
    expect(statement.NotAction).toBeUndefined();
    expect(statement.NotResource).toBeUndefined();
    const values = conditionValuesOf(statement, conditionKey);
    const resources = asArray(statement.Resource);
    expect(resources.length).toBeGreaterThan(0);
    for (const resource of resources) {
      const account = JSON.stringify(resource);
      const byAction = byAccount.get(account) ?? new Map<string, Set<string>>();
      byAccount.set(account, byAction);
      for (const action of asArray(statement.Action)) {
        const allowed = byAction.get(action) ?? new Set<string>();
        byAction.set(action, allowed);
        for (const value of values) allowed.add(value);
      }
    }
  }
  return Object.fromEntries([...byAccount].map(([account, byAction]) =>
    [account, Object.fromEntries([...byAction].map(([action, values]) => [action, [...values].sort()]))]));
}

/** What all the AWS::IAM::ManagedPolicy statements of `template` allow together. */
export function effectivePermissions(template: Template, conditionKey: string): EffectivePermissions {
  return permissionsOf(accountApiStatements(template), conditionKey);
}

/** The EffectivePermissions of `accounts`: each ARN with the values each of its actions is allowed for. */
export function permissions(accounts: Array<[arn: unknown, actions: Record<string, string[]>]>): EffectivePermissions {
  const result: EffectivePermissions = {};
  for (const [arn, actions] of accounts) {
    const account = JSON.stringify(arn);
    if (result[account]) throw new Error(`${account} is listed twice`);
    result[account] = Object.fromEntries(Object.entries(actions).map(([action, values]) => [action, [...new Set(values)].sort()]));
  }
  return result;
}

/**
 * Expects each managed policy to be as compact as its accounts allow: each (actions, condition value) pair in one
 * statement of the policy, so no more statements than pairs; no two statements of the same actions listing the same
 * accounts (they would be one); accounts with the same permissions in the policy listed by the same statements. And
 * each ARN in one policy only (an account's statements stay in one policy), which holds in a stack whose account is
 * known, where each account has one ARN.
 */
export function expectCompactPolicies(template: Template, conditionKey: string): void {
  const problems: string[] = [];
  const policyOf = new Map<string, string>();
  const policies = Object.entries(template.findResources('AWS::IAM::ManagedPolicy'));
  expect(policies.length).toBeGreaterThanOrEqual(1);
  for (const [policy, resource] of policies) {
    const statements: Statement[] = resource.Properties.PolicyDocument.Statement;
    const statementsOfPair = new Map<string, number[]>();
    const statementOfListing = new Map<string, number>();
    const statementsOfAccount = new Map<string, number[]>();
    statements.forEach((statement, index) => {
      const actions = [...asArray(statement.Action)].sort().join(',');
      for (const value of conditionValuesOf(statement, conditionKey)) {
        const pair = `${actions} ${value}`;
        statementsOfPair.set(pair, [...(statementsOfPair.get(pair) ?? []), index]);
      }
      const accounts = [...new Set(asArray(statement.Resource).map((r) => JSON.stringify(r)))].sort();
      const listing = `${actions} on ${accounts.join(' ')}`;
      const same = statementOfListing.get(listing);
      if (same !== undefined) problems.push(`${policy}: statements ${same} and ${index} both allow ${listing}`);
      statementOfListing.set(listing, index);
      for (const account of accounts) statementsOfAccount.set(account, [...(statementsOfAccount.get(account) ?? []), index]);
    });
    for (const [pair, indexes] of statementsOfPair) {
      if (indexes.length > 1) problems.push(`${policy}: statements ${indexes.join(', ')} all allow ${pair}`);
    }
    if (statements.length > statementsOfPair.size) {
      problems.push(`${policy}: ${statements.length} statements for ${statementsOfPair.size} (actions, value) pairs`);
    }
    const firstWithPermissions = new Map<string, string>();
    for (const [account, actions] of Object.entries(permissionsOf(statements, conditionKey))) {
      const key = JSON.stringify(Object.entries(actions).sort());
      const first = firstWithPermissions.get(key) ?? account;
      firstWithPermissions.set(key, first);
      const listedBy = JSON.stringify(statementsOfAccount.get(account));
      const firstListedBy = JSON.stringify(statementsOfAccount.get(first));
      if (listedBy !== firstListedBy) {
        problems.push(`${policy}: ${account} and ${first} have the same permissions but are listed by statements ${listedBy} and ${firstListedBy}`);
      }
      const other = policyOf.get(account);
      if (other !== undefined) problems.push(`${account} is listed by both ${other} and ${policy}`);
      policyOf.set(account, policy);
    }
  }
  expect(problems).toEqual([]);
}

/**
 * `value` (a policy document) as IAM sees it: the partition, the deploying account and Fn::Join resolved.
 */
export function resolved(value: unknown, partition: string): unknown {
  if (Array.isArray(value)) return value.map((item) => resolved(item, partition));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) {
    if (object.Ref === 'AWS::Partition') return partition;
    if (object.Ref === 'AWS::AccountId') return STACK_ACCOUNT;
    throw new Error(`cannot resolve ${JSON.stringify(object)}`);
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => resolved(part, partition)).join(separator);
  }
  return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, resolved(item, partition)]));
}

/**
 * The size IAM counts of each managed policy: its document as JSON without whitespace, tokens resolved, in the
 * aws partition or in aws-us-gov (the partition with the longest name), whichever is larger.
 */
export function resolvedSizes(template: Template): number[] {
  return Object.values(template.findResources('AWS::IAM::ManagedPolicy')).map((policy) => Math.max(
    ...['aws', 'aws-us-gov'].map((partition) => JSON.stringify(resolved(policy.Properties.PolicyDocument, partition)).length),
  ));
}

/** Expects every managed policy within IAM's 6,144 characters, and at most the 9 a role can attach besides its own. */
export function expectPoliciesWithinIamLimits(template: Template): number[] {
  const sizes = resolvedSizes(template);
  expect(sizes.length).toBeGreaterThanOrEqual(1);
  expect(sizes.length).toBeLessThanOrEqual(9);
  for (const size of sizes) expect(size).toBeLessThan(6144);
  return sizes;
}

/** Expects no statement of `statements` to allow an account action on every resource or every action. */
export function expectNoAccountActionOnEverything(statements: Statement[]): void {
  expect(statements.length).toBeGreaterThan(0);
  for (const statement of statements) {
    expect(statement.NotResource).toBeUndefined();
    expect(asArray(statement.Action)).not.toContain('account:*');
    expect(asArray(statement.Action)).not.toContain('*');
    expect(asArray(statement.Resource)).not.toContain('*');
    expect(asArray(statement.Resource).length).toBeGreaterThan(0);
  }
}

/** Expects no statement of `statements` to allow anything on every resource ('*'). */
export function expectNothingOnEveryResource(statements: Statement[]): void {
  expect(statements.length).toBeGreaterThan(0);
  expect(statements.filter((statement) => statement.NotResource !== undefined || asArray(statement.Resource).includes('*'))).toEqual([]);
}

/** The statements of `template` that allow an action of `service` (e.g. 'account', 's3'). */
export function serviceStatements(template: Template, service: string): Statement[] {
  return allStatements(template).filter((s) => asArray(s.Action).some((a) => a.startsWith(`${service}:`)));
}

function sortedByJson<T>(values: T[]): T[] {
  return [...values].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** `statement` with its actions, resources and condition values sorted, so that statements compare by content. */
export function normalizedStatement(statement: Statement): Statement {
  const condition = statement.Condition && Object.fromEntries(Object.entries(statement.Condition).map(([operator, keys]) => [operator,
    Object.fromEntries(Object.entries(keys).map(([key, values]) => [key, Array.isArray(values) ? [...values].sort() : values]))]));
  // The keys in one order too, so that statements also sort by content.
  const { Effect, Action, Resource, Condition, ...others } = statement;
  return {
    Effect,
    Action: [...asArray(Action)].sort(),
    Resource: sortedByJson(asArray(Resource)),
    ...(Condition ? { Condition: condition } : {}),
    ...Object.fromEntries(Object.entries(others).sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** Expects `actual` to be exactly the `expected` statements, in any order (and each statement's actions and resources in any order). */
export function expectStatements(actual: Statement[], expected: Statement[]): void {
  expect(sortedByJson(actual.map(normalizedStatement))).toEqual(sortedByJson(expected.map(normalizedStatement)));
}

/** IAM's limit on the inline policies of one role, together, in characters without whitespace. */
export const ROLE_INLINE_POLICIES_LIMIT = 10240;

/**
 * The characters IAM counts against the inline policies of the role `roleId` (its AWS::IAM::Policy documents and its
 * own Policies), each reference replaced by the longest value it can take: the aws-us-gov partition and Region, the
 * deploying account, and generated names as long as their service allows (S3 buckets 63, functions 64, state
 * machines 80 characters).
 */
export function roleInlinePoliciesSize(template: Template, roleId: string): number {
  const resources: Record<string, { Type: string; Properties?: any }> = template.toJSON().Resources;
  const partition = 'aws-us-gov';
  const region = 'us-gov-west-1';
  const prefix = (service: string) => `arn:${partition}:${service}:${region}:${STACK_ACCOUNT}:`;
  const nameOf = (id: string) => {
    const lengths: Record<string, number> = { 'AWS::S3::Bucket': 63, 'AWS::Lambda::Function': 64, 'AWS::StepFunctions::StateMachine': 80 };
    const length = lengths[resources[id]?.Type];
    if (length === undefined) throw new Error(`no generated name for ${id}`);
    return 'n'.repeat(length);
  };
  const arnOf = (id: string) => {
    const type = resources[id].Type;
    if (type === 'AWS::S3::Bucket') return `arn:${partition}:s3:::${nameOf(id)}`;
    if (type === 'AWS::Lambda::Function') return `${prefix('lambda')}function:${nameOf(id)}`;
    if (type === 'AWS::StepFunctions::StateMachine') return `${prefix('states')}stateMachine:${nameOf(id)}`;
    throw new Error(`no ARN for ${id} (${type})`);
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const object = value as Record<string, any>;
    if ('Ref' in object) {
      const ref = String(object.Ref);
      if (ref === 'AWS::Partition') return partition;
      if (ref === 'AWS::Region') return region;
      if (ref === 'AWS::AccountId') return STACK_ACCOUNT;
      if (ref === 'AWS::StackId') return `${prefix('cloudformation')}stack/${'s'.repeat(128)}/${'0'.repeat(36)}`;
      return resources[ref].Type === 'AWS::StepFunctions::StateMachine' ? arnOf(ref) : nameOf(ref);
    }
    if ('Fn::GetAtt' in object) {
      const [id, attribute] = object['Fn::GetAtt'] as [string, string];
      return attribute === 'Arn' ? arnOf(id) : nameOf(id);
    }
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => String(resolve(part))).join(separator);
    }
    return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, resolve(inner)]));
  };
  const documents = [
    ...Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => asArray(policy.Properties.Roles).some((role: any) => role.Ref === roleId))
      .map((policy) => policy.Properties.PolicyDocument),
    ...(resources[roleId].Properties?.Policies ?? []).map((inline: any) => inline.PolicyDocument),
  ];
  expect(documents.length).toBeGreaterThan(0);
  return documents.reduce((total, document) => total + JSON.stringify(resolve(document)).length, 0);
}
