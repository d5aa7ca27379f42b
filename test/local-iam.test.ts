/*
 * The local IAM's policy evaluation, which the local STS (trust policies) and Account API (a session's
 * inline policies) rely on: an explicit Deny wins, nothing allowed is denied, and actions, resources,
 * principals and the condition operators match as IAM's do.
 */
import { evaluatePolicies, PolicyRequest, PolicyStatement } from '../local';

const ROLE = 'arn:aws:iam::111111111111:role/reconciler';
const RESOURCE = 'arn:aws:account::222222222222:account';

function decide(statements: PolicyStatement[], request: Partial<PolicyRequest> = {}) {
  return evaluatePolicies([{ Version: '2012-10-17', Statement: statements }], { action: 'account:PutAlternateContact', resource: RESOURCE, context: {}, ...request });
}

const allow = (more: Partial<PolicyStatement> = {}): PolicyStatement => ({ Effect: 'Allow', Action: 'account:PutAlternateContact', Resource: '*', ...more });

test('nothing allowed is denied implicitly; an explicit Deny wins over an Allow', () => {
  expect(decide([])).toBe('implicitDeny');
  expect(decide([allow()])).toBe('allow');
  expect(decide([allow(), { Effect: 'Deny', Action: 'account:*', Resource: '*' }])).toBe('explicitDeny');
});

test('actions match case-insensitively with wildcards; NotAction matches every other action; resources match with wildcards', () => {
  expect(decide([allow({ Action: 'Account:Put*' })])).toBe('allow');
  expect(decide([allow({ Action: 'account:Get*' })])).toBe('implicitDeny');
  expect(decide([allow({ Action: undefined, NotAction: 'account:Get*' })])).toBe('allow');
  expect(decide([allow({ Action: undefined, NotAction: ['account:Put?lternateContact'] })])).toBe('implicitDeny');
  expect(decide([allow({ Resource: 'arn:aws:account::*:account' })])).toBe('allow');
  expect(decide([allow({ Resource: 'arn:aws:account::333333333333:account' })])).toBe('implicitDeny');
  expect(decide([allow({ Resource: undefined })])).toBe('implicitDeny');
});

describe('trust policies', () => {
  const trust = (principal: unknown, condition?: PolicyStatement['Condition']): PolicyStatement =>
    ({ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', Condition: condition });
  const caller = { arns: ['arn:aws:sts::111111111111:assumed-role/reconciler/fn', ROLE], accountId: '111111111111' };
  const request = (context: PolicyRequest['context'] = {}): Partial<PolicyRequest> => ({ action: 'sts:AssumeRole', resource: undefined, principal: caller, context });

  test('a principal is named by its ARN, its account\'s root, its account id or *', () => {
    for (const principal of [{ AWS: ROLE }, { AWS: 'arn:aws:iam::111111111111:root' }, { AWS: ['999999999999', '111111111111'] }, '*', { AWS: '*' }]) {
      expect(decide([trust(principal)], request())).toBe('allow');
    }
    for (const principal of [{ AWS: 'arn:aws:iam::111111111111:role/other' }, { AWS: '999999999999' }, { Service: 'lambda.amazonaws.com' }]) {
      expect(decide([trust(principal)], request())).toBe('implicitDeny');
    }
  });

  test('ArnEquals, ArnLike and StringLike on aws:PrincipalArn', () => {
    const ctx = request({ 'aws:PrincipalArn': ROLE });
    expect(decide([trust('*', { ArnEquals: { 'aws:PrincipalArn': ROLE } })], ctx)).toBe('allow');
    expect(decide([trust('*', { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/recon*' } })], ctx)).toBe('allow');
    // ArnLike's wildcard stays within its part of the ARN; StringLike's spans the whole string.
    expect(decide([trust('*', { ArnLike: { 'aws:PrincipalArn': 'arn:aws:*:role/reconciler' } })], ctx)).toBe('implicitDeny');
    expect(decide([trust('*', { StringLike: { 'aws:PrincipalArn': 'arn:aws:*:role/reconciler' } })], ctx)).toBe('allow');
    expect(decide([trust('*', { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/other' } })], ctx)).toBe('implicitDeny');
  });

  test('policy variables resolve from the context; an absent one, or an absent key, fails the condition', () => {
    const sameOrg = { StringEquals: { 'aws:PrincipalOrgID': '${aws:ResourceOrgID}' } };
    expect(decide([trust('*', sameOrg)], request({ 'aws:PrincipalOrgID': 'o-exampleorgid', 'aws:ResourceOrgID': 'o-exampleorgid' }))).toBe('allow');
    expect(decide([trust('*', sameOrg)], request({ 'aws:PrincipalOrgID': 'o-exampleorgid' }))).toBe('implicitDeny');
    expect(decide([trust('*', sameOrg)], request({ 'aws:ResourceOrgID': 'o-exampleorgid' }))).toBe('implicitDeny');
    const ownAccount = { StringEquals: { 'aws:PrincipalArn': 'arn:aws:iam::${aws:PrincipalAccount}:role/reconciler' } };
    expect(decide([trust('*', ownAccount)], request({ 'aws:PrincipalArn': ROLE, 'aws:PrincipalAccount': '111111111111' }))).toBe('allow');
    expect(decide([trust('*', ownAccount)], request({ 'aws:PrincipalArn': ROLE, 'aws:PrincipalAccount': '999999999999' }))).toBe('implicitDeny');
  });
});

describe('set operators and IfExists on the Account API\'s condition keys', () => {
  const types = (...values: string[]): Partial<PolicyRequest> => ({ context: { 'account:AlternateContactTypes': values } });
  const only = (operator: string) => [allow({ Condition: { [operator]: { 'account:AlternateContactTypes': ['SECURITY', 'OPERATIONS'] } } })];

  test('ForAllValues: every value is listed (and a request without the key passes); ForAnyValue: one is', () => {
    expect(decide(only('ForAllValues:StringEquals'), types('SECURITY'))).toBe('allow');
    expect(decide(only('ForAllValues:StringEquals'), types('SECURITY', 'BILLING'))).toBe('implicitDeny');
    expect(decide(only('ForAllValues:StringEquals'), {})).toBe('allow');
    expect(decide(only('ForAnyValue:StringEquals'), types('SECURITY', 'BILLING'))).toBe('allow');
    expect(decide(only('ForAnyValue:StringEquals'), types('BILLING'))).toBe('implicitDeny');
    expect(decide(only('ForAnyValue:StringEquals'), {})).toBe('implicitDeny');
  });

  test('StringEquals needs the key unless IfExists; keys are case-insensitive, values are not', () => {
    const region = (operator: string) => [allow({ Condition: { [operator]: { 'account:TargetRegion': 'af-south-1' } } })];
    expect(decide(region('StringEquals'), { context: { 'Account:targetRegion': 'af-south-1' } })).toBe('allow');
    expect(decide(region('StringEquals'), { context: { 'account:TargetRegion': 'AF-SOUTH-1' } })).toBe('implicitDeny');
    expect(decide(region('StringEquals'), {})).toBe('implicitDeny');
    expect(decide(region('StringEqualsIfExists'), {})).toBe('allow');
    expect(decide(region('StringEqualsIfExists'), { context: { 'account:TargetRegion': 'me-south-1' } })).toBe('implicitDeny');
    expect(decide([{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotEquals: { 'account:TargetRegion': 'af-south-1' } } }, allow()],
      { context: { 'account:TargetRegion': 'me-south-1' } })).toBe('explicitDeny');
  });
});
