import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AlternateContactProps, AlternateContactType, PrimaryContactProps } from '../src';
import { ANY_MEMBER_ARN, asArray, standaloneArn, Statement } from './iam';

/*
 * What the construct tests (constructs.test.ts, constructs-policy.test.ts) share: the stack's environment, the contacts
 * they declare, and helpers that read the handler's policies.
 */

export const STACK_ACCOUNT = '111111111111';
export const MEMBER_ACCOUNT = '222222222222';
export const ENV = { account: STACK_ACCOUNT, region: 'us-east-1' };

export const SECURITY_CONTACT: AlternateContactProps = {
  type: AlternateContactType.SECURITY,
  name: 'Security Team',
  title: 'Security Operations Lead',
  emailAddress: 'security@example.com',
  phoneNumber: '+1 206-555-0100',
};

export const BILLING_CONTACT: AlternateContactProps = {
  type: AlternateContactType.BILLING,
  name: 'Finance Department',
  title: 'Accounts Payable Manager',
  emailAddress: 'billing@example.com',
  phoneNumber: '+1 206-555-0111',
};

export const PRIMARY_CONTACT: PrimaryContactProps = {
  fullName: 'Cloud Platform Team',
  companyName: 'Example Corp',
  addressLine1: '410 Terry Ave N',
  addressLine2: 'Floor 12, Suite 1200',
  city: 'Seattle',
  stateOrRegion: 'WA',
  postalCode: '98109',
  countryCode: 'US',
  phoneNumber: '+1 206-555-0199',
  websiteUrl: 'https://cloud-platform.example.com',
};

export const ALL_TYPES = [AlternateContactType.BILLING, AlternateContactType.OPERATIONS, AlternateContactType.SECURITY];
/** What the Account Management policy grants per contact; removal is granted by the handler role's DefaultPolicy. */
export const ALTERNATE_CONTACT_ACTIONS = ['account:PutAlternateContact'];
/** The removal actions of the contacts provider (a Delete reads the contact first): granted on every account, whatever the stack declares. */
// With the AccountState read that tells a suspended account from a denied call.
export const REMOVAL_ACTIONS = ['account:DeleteAlternateContact', 'account:GetAlternateContact', 'account:GetAccountInformation'];
/** The condition key that narrows PutAlternateContact to the declared contact types. */
export const CONDITION_KEY = 'account:AlternateContactTypes';
export const CUSTOM_RESOURCE_TYPES = ['Custom::AccountAlternateContact', 'Custom::AccountPrimaryContact', 'Custom::AccountName'];

// ---------------------------------------------------------------------------------------------------------------------
// Helpers

/** The removal statement: the removal actions on the deploying account and every member account, without a condition. */
export const REMOVAL_STATEMENT: Statement = {
  Effect: 'Allow',
  Action: REMOVAL_ACTIONS,
  Resource: [standaloneArn(), ANY_MEMBER_ARN],
};

/** The logical id of the one resource of `type` whose properties match `props`. */
export function logicalIdOf(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const found = Object.keys(template.findResources(type, { Properties: props }));
  expect(found).toHaveLength(1);
  return found[0];
}

/** The statements of the DefaultPolicy (AWS::IAM::Policy) of the role the handler runs as, which must exist once. */
export function handlerDefaultPolicyStatements(template: Template): Statement[] {
  const handler = logicalIdOf(template, 'AWS::Lambda::Function', { Handler: 'index.handler' });
  const role = template.toJSON().Resources[handler].Properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }));
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement;
}

/** The statements that allow any of `actions`. */
export function statementsWithActions(statements: Statement[], actions: string[]): Statement[] {
  return statements.filter((s) => asArray(s.Action).some((a) => actions.includes(a)));
}

/** Expects `statement` to allow the alternate-contact actions for exactly `types` on exactly `resources`. */
export function expectAlternateContactStatement(statement: Statement, types: string[], resources: unknown[]): void {
  expect(statement.Effect).toBe('Allow');
  expect([...asArray(statement.Action)].sort()).toEqual(ALTERNATE_CONTACT_ACTIONS);
  expect(statement.Condition).toEqual({
    'ForAnyValue:StringEquals': { 'account:AlternateContactTypes': [...types].sort() },
  });
  expectSameMembers(asArray(statement.Resource), resources);
}

export function expectSameMembers(actual: unknown[], expected: unknown[]): void {
  expect(actual).toHaveLength(expected.length);
  expect(actual).toEqual(expect.arrayContaining(expected));
}

/** The alternate-contact statement whose condition lists exactly `types`. */
export function alternateContactStatement(statements: Statement[], types: string[]): Statement {
  const sorted = [...types].sort();
  const found = statementsWithActions(statements, ALTERNATE_CONTACT_ACTIONS).filter((s) =>
    JSON.stringify(s.Condition?.['ForAnyValue:StringEquals']?.['account:AlternateContactTypes']) === JSON.stringify(sorted));
  expect(found).toHaveLength(1);
  return found[0];
}

export function newStack(): Stack {
  return new Stack(new App(), 'Stack', { env: ENV });
}

/** A stack whose account and Region are known only at deploy time. */
export function newEnvironmentAgnosticStack(): Stack {
  return new Stack(new App(), 'Stack');
}

// ---------------------------------------------------------------------------------------------------------------------
