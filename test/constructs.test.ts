import * as fs from 'fs';
import * as path from 'path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  AccountName,
  AccountSettingsProvider,
  AlternateContact,
  AlternateContactProps,
  AlternateContactType,
  PrimaryContact,
  PrimaryContactProps,
} from '../src';
import {
  accountApiStatements, allStatements, ANY_MEMBER_ARN, asArray, DESCRIBE_ACCOUNT_STATEMENT, effectivePermissions, expectCompactPolicies,
  expectNoAccountActionOnEverything, expectNothingOnEveryResource, expectPoliciesWithinIamLimits, memberArn, NO_CONDITION, permissions,
  STACK_READ_STATEMENT, standaloneArn, Statement,
} from './iam';
import { Acknowledged, describeAccountAcknowledgment, nagFindings, stale, unacknowledged } from './nag';
import { RESOURCE_TYPES, WAITER_ARN_ENV } from '../src/contract';

const STACK_ACCOUNT = '111111111111';
const MEMBER_ACCOUNT = '222222222222';
const ENV = { account: STACK_ACCOUNT, region: 'us-east-1' };

const SECURITY_CONTACT: AlternateContactProps = {
  type: AlternateContactType.SECURITY,
  name: 'Security Team',
  title: 'Security Operations Lead',
  emailAddress: 'security@example.com',
  phoneNumber: '+1 206-555-0100',
};

const BILLING_CONTACT: AlternateContactProps = {
  type: AlternateContactType.BILLING,
  name: 'Finance Department',
  title: 'Accounts Payable Manager',
  emailAddress: 'billing@example.com',
  phoneNumber: '+1 206-555-0111',
};

const PRIMARY_CONTACT: PrimaryContactProps = {
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

const ALL_TYPES = [AlternateContactType.BILLING, AlternateContactType.OPERATIONS, AlternateContactType.SECURITY];
/** What the Account Management policy grants per contact; removal is granted by the handler role's DefaultPolicy. */
const ALTERNATE_CONTACT_ACTIONS = ['account:PutAlternateContact'];
/** The removal actions of the contacts provider (a Delete reads the contact first): granted on every account, whatever the stack declares. */
const REMOVAL_ACTIONS = ['account:DeleteAlternateContact', 'account:GetAlternateContact'];
/** The condition key that narrows PutAlternateContact to the declared contact types. */
const CONDITION_KEY = 'account:AlternateContactTypes';
const CUSTOM_RESOURCE_TYPES = ['Custom::AccountAlternateContact', 'Custom::AccountPrimaryContact', 'Custom::AccountName'];

// ---------------------------------------------------------------------------------------------------------------------
// Helpers

/** The removal statement: the removal actions on the deploying account and every member account, without a condition. */
const REMOVAL_STATEMENT: Statement = {
  Effect: 'Allow',
  Action: REMOVAL_ACTIONS,
  Resource: [standaloneArn(), ANY_MEMBER_ARN],
};

/** The logical id of the one resource of `type` whose properties match `props`. */
function logicalIdOf(template: Template, type: string, props: Record<string, unknown> = {}): string {
  const found = Object.keys(template.findResources(type, { Properties: props }));
  expect(found).toHaveLength(1);
  return found[0];
}

/** The statements of the DefaultPolicy (AWS::IAM::Policy) of the role the handler runs as, which must exist once. */
function handlerDefaultPolicyStatements(template: Template): Statement[] {
  const handler = logicalIdOf(template, 'AWS::Lambda::Function', { Handler: 'index.handler' });
  const role = template.toJSON().Resources[handler].Properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }));
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement;
}

/** The statements that allow any of `actions`. */
function statementsWithActions(statements: Statement[], actions: string[]): Statement[] {
  return statements.filter((s) => asArray(s.Action).some((a) => actions.includes(a)));
}

/** Expects `statement` to allow the alternate-contact actions for exactly `types` on exactly `resources`. */
function expectAlternateContactStatement(statement: Statement, types: string[], resources: unknown[]): void {
  expect(statement.Effect).toBe('Allow');
  expect([...asArray(statement.Action)].sort()).toEqual(ALTERNATE_CONTACT_ACTIONS);
  expect(statement.Condition).toEqual({
    'ForAnyValue:StringEquals': { 'account:AlternateContactTypes': [...types].sort() },
  });
  expectSameMembers(asArray(statement.Resource), resources);
}

function expectSameMembers(actual: unknown[], expected: unknown[]): void {
  expect(actual).toHaveLength(expected.length);
  expect(actual).toEqual(expect.arrayContaining(expected));
}

/** The alternate-contact statement whose condition lists exactly `types`. */
function alternateContactStatement(statements: Statement[], types: string[]): Statement {
  const sorted = [...types].sort();
  const found = statementsWithActions(statements, ALTERNATE_CONTACT_ACTIONS).filter((s) =>
    JSON.stringify(s.Condition?.['ForAnyValue:StringEquals']?.['account:AlternateContactTypes']) === JSON.stringify(sorted));
  expect(found).toHaveLength(1);
  return found[0];
}

function newStack(): Stack {
  return new Stack(new App(), 'Stack', { env: ENV });
}

/** A stack whose account and Region are known only at deploy time. */
function newEnvironmentAgnosticStack(): Stack {
  return new Stack(new App(), 'Stack');
}

// ---------------------------------------------------------------------------------------------------------------------

describe('the per-stack provider', () => {
  /** 33 accounts with all three contact types and one with SECURITY only: 100 contacts in 34 accounts. */
  function stackWith100Contacts(): { stack: Stack; accounts: string[] } {
    const stack = newStack();
    const accounts = Array.from({ length: 34 }, (_, i) => `2000000000${String(i).padStart(2, '0')}`);
    let count = 0;
    accounts.forEach((accountId, i) => {
      const types = i < 33 ? ALL_TYPES : [AlternateContactType.SECURITY];
      for (const type of types) {
        new AlternateContact(stack, `${accountId}${type}`, { ...SECURITY_CONTACT, type, accountId });
        count++;
      }
    });
    expect(count).toBe(100);
    return { stack, accounts };
  }

  test('100 alternate contacts in 34 accounts share one function, one role and one log group, and no waiter', () => {
    const { stack } = stackWith100Contacts();
    const template = Template.fromStack(stack);

    template.resourceCountIs('Custom::AccountAlternateContact', 100);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    logicalIdOf(template, 'AWS::Lambda::Function', { Handler: 'index.handler' });
  });

  test('the function is every setting\'s service token: no Provider framework function stands between CloudFormation and it', () => {
    const stack = newStack();
    new AlternateContact(stack, 'Security', SECURITY_CONTACT);
    new AlternateContact(stack, 'MemberBilling', { ...BILLING_CONTACT, accountId: MEMBER_ACCOUNT });
    new PrimaryContact(stack, 'PrimaryContact', PRIMARY_CONTACT);
    new AccountName(stack, 'Name', { accountName: 'workload-prod' });
    const template = Template.fromStack(stack);
    const handler = logicalIdOf(template, 'AWS::Lambda::Function', { Handler: 'index.handler' });

    const tokens = CUSTOM_RESOURCE_TYPES.flatMap((type) => Object.values(template.findResources(type)).map((r) => r.Properties.ServiceToken));
    expect(tokens).toEqual(Array(4).fill({ 'Fn::GetAtt': [handler, 'Arn'] }));
    expect(stack.resolve(AccountSettingsProvider.getOrCreate(stack).serviceToken)).toEqual({ 'Fn::GetAtt': [handler, 'Arn'] });
    expect(stack.resolve(AccountSettingsProvider.getOrCreate(stack).handler.functionArn)).toEqual({ 'Fn::GetAtt': [handler, 'Arn'] });
    // The Provider framework's functions would log every request with its ResourceProperties, which hold the contacts.
    expect(template.findResources('AWS::Lambda::Function', { Properties: { Handler: Match.stringLikeRegexp('^framework\\.') } })).toEqual({});
  });

  test('the function runs Node.js 22 on arm64 for up to 15 minutes and logs JSON at INFO', () => {
    const template = Template.fromStack(stackWith100Contacts().stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 900,
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' }),
    });
  });

  test('the function is not served by a waiter: each setting is written in one invocation', () => {
    const stack = newStack();
    new AlternateContact(stack, 'Security', SECURITY_CONTACT);
    new AccountName(stack, 'Name', { accountName: 'workload-prod' });
    const template = Template.fromStack(stack);
    const handler = logicalIdOf(template, 'AWS::Lambda::Function', { Handler: 'index.handler' });

    expect(template.toJSON().Resources[handler].Properties.Environment?.Variables?.[WAITER_ARN_ENV]).toBeUndefined();
    expect(allStatements(template).filter((s) => asArray(s.Action).some((a) => a.startsWith('states:') || a.startsWith('lambda:'))))
      .toEqual([]);
  });

  test('the policies allow each of the 34 accounts exactly its contact types, in at most one statement per type and policy', () => {
    const { stack, accounts } = stackWith100Contacts();
    const template = Template.fromStack(stack);

    expect(effectivePermissions(template, CONDITION_KEY)).toEqual(permissions(accounts.map((accountId, i) =>
      [memberArn(accountId), { 'account:PutAlternateContact': i < 33 ? ALL_TYPES : ['SECURITY'] }])));
    expectCompactPolicies(template, CONDITION_KEY);
    const policies = Object.keys(template.findResources('AWS::IAM::ManagedPolicy')).length;
    expect(accountApiStatements(template).length).toBeLessThanOrEqual(ALL_TYPES.length * policies);
    expectPoliciesWithinIamLimits(template);
  });

  test('32 accounts with all three contact types, as many as one policy holds, share one statement with the three types', () => {
    // The estimate of the policy: 32 accounts x 3 types x 50 characters + 3 (actions, type) pairs x 260 = 5,580 <= 5,600.
    const stack = newStack();
    const accounts = Array.from({ length: 32 }, (_, i) => String(200000000000 + i));
    for (const accountId of accounts) {
      for (const type of ALL_TYPES) new AlternateContact(stack, `${accountId}${type}`, { ...SECURITY_CONTACT, type, accountId });
    }
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
    const statements = accountApiStatements(template);
    expect(statements).toHaveLength(1);
    expectAlternateContactStatement(alternateContactStatement(statements, ALL_TYPES), ALL_TYPES, accounts.map(memberArn));
    expectPoliciesWithinIamLimits(template);
  });

  test('the function logs into its own log group, kept for a year by default', () => {
    const stack = newStack();
    new AlternateContact(stack, 'Security', SECURITY_CONTACT);
    const template = Template.fromStack(stack);
    const logGroup = logicalIdOf(template, 'AWS::Logs::LogGroup', { RetentionInDays: 365 });
    const handler = logicalIdOf(template, 'AWS::Lambda::Function', { Handler: 'index.handler' });
    expect(template.toJSON().Resources[handler].Properties.LoggingConfig.LogGroup).toEqual({ Ref: logGroup });
  });

  test('the log group follows the logRetention given to getOrCreate before the first setting', () => {
    const stack = newStack();
    AccountSettingsProvider.getOrCreate(stack, { logRetention: RetentionDays.ONE_MONTH });
    new AlternateContact(stack, 'Security', SECURITY_CONTACT);
    new AccountName(stack, 'Name', { accountName: 'workload-prod' });
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::Lambda::Function', 1);
    const logGroup = logicalIdOf(template, 'AWS::Logs::LogGroup', { RetentionInDays: 30 });
    const handler = logicalIdOf(template, 'AWS::Lambda::Function', { Handler: 'index.handler' });
    expect(template.toJSON().Resources[handler].Properties.LoggingConfig.LogGroup).toEqual({ Ref: logGroup });
  });

  test('getOrCreate returns the existing provider of the stack', () => {
    const stack = newStack();
    const contact = new AlternateContact(stack, 'Security', SECURITY_CONTACT);
    expect(AccountSettingsProvider.getOrCreate(contact)).toBe(AccountSettingsProvider.getOrCreate(stack));
  });

  test.each<[string, { logRetention?: RetentionDays }]>([
    ['logRetention', { logRetention: RetentionDays.ONE_MONTH }],
    ['empty props', {}],
  ])('getOrCreate with %s after the stack declares a setting is an error', (_case, props) => {
    const stack = newStack();
    new AlternateContact(stack, 'Security', SECURITY_CONTACT);
    expect(() => AccountSettingsProvider.getOrCreate(stack, props))
      .toThrow(new Error('AccountSettingsProvider.getOrCreate(): the provider of stack Stack already exists; pass its props before the stack declares its first setting'));
  });

  test('getOrCreate with props a second time is an error too, even when the first call created the provider', () => {
    const stack = newStack();
    AccountSettingsProvider.getOrCreate(stack, { logRetention: RetentionDays.ONE_MONTH });
    expect(() => AccountSettingsProvider.getOrCreate(stack, { logRetention: RetentionDays.ONE_WEEK }))
      .toThrow(new Error('AccountSettingsProvider.getOrCreate(): the provider of stack Stack already exists; pass its props before the stack declares its first setting'));
  });
});

describe('the custom resources', () => {
  function stackWithAllSettings(): Template {
    const stack = newStack();
    new AlternateContact(stack, 'Security', SECURITY_CONTACT);
    new AlternateContact(stack, 'MemberBilling', { ...BILLING_CONTACT, accountId: MEMBER_ACCOUNT, removalPolicy: RemovalPolicy.RETAIN });
    new PrimaryContact(stack, 'PrimaryContact', { ...PRIMARY_CONTACT, accountId: MEMBER_ACCOUNT });
    new AccountName(stack, 'Name', { accountName: 'workload-prod' });
    return Template.fromStack(stack);
  }

  function serviceToken(template: Template): unknown {
    return { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::Lambda::Function', { Handler: 'index.handler' }), 'Arn'] };
  }

  test('the custom resource types are the contract\'s RESOURCE_TYPES, which the handler reads too', () => {
    expect([RESOURCE_TYPES.alternateContact, RESOURCE_TYPES.primaryContact, RESOURCE_TYPES.accountName]).toEqual(CUSTOM_RESOURCE_TYPES);
  });

  test('an alternate contact is a Custom::AccountAlternateContact with its properties, deleted on removal by default', () => {
    const template = stackWithAllSettings();
    template.hasResource('Custom::AccountAlternateContact', {
      Properties: {
        ServiceToken: serviceToken(template),
        Setting: 'AlternateContact',
        AccountId: Match.absent(),
        AlternateContactType: 'SECURITY',
        Name: 'Security Team',
        Title: 'Security Operations Lead',
        EmailAddress: 'security@example.com',
        PhoneNumber: '+1 206-555-0100',
      },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
  });

  test('an alternate contact with RemovalPolicy.RETAIN is retained', () => {
    const template = stackWithAllSettings();
    template.hasResource('Custom::AccountAlternateContact', {
      Properties: {
        ServiceToken: serviceToken(template),
        Setting: 'AlternateContact',
        AccountId: MEMBER_ACCOUNT,
        AlternateContactType: 'BILLING',
        Name: 'Finance Department',
        Title: 'Accounts Payable Manager',
        EmailAddress: 'billing@example.com',
        PhoneNumber: '+1 206-555-0111',
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('a primary contact is a Custom::AccountPrimaryContact with every ContactInformation field', () => {
    const template = stackWithAllSettings();
    template.resourceCountIs('Custom::AccountPrimaryContact', 1);
    template.hasResourceProperties('Custom::AccountPrimaryContact', {
      ServiceToken: serviceToken(template),
      Setting: 'PrimaryContact',
      AccountId: MEMBER_ACCOUNT,
      FullName: 'Cloud Platform Team',
      CompanyName: 'Example Corp',
      AddressLine1: '410 Terry Ave N',
      AddressLine2: 'Floor 12, Suite 1200',
      AddressLine3: Match.absent(),
      City: 'Seattle',
      StateOrRegion: 'WA',
      PostalCode: '98109',
      CountryCode: 'US',
      DistrictOrCounty: Match.absent(),
      PhoneNumber: '+1 206-555-0199',
      WebsiteUrl: 'https://cloud-platform.example.com',
    });
  });

  test('an account name is a Custom::AccountName for the deploying account when accountId is omitted', () => {
    const template = stackWithAllSettings();
    template.resourceCountIs('Custom::AccountName', 1);
    template.hasResourceProperties('Custom::AccountName', {
      ServiceToken: serviceToken(template),
      Setting: 'AccountName',
      AccountId: Match.absent(),
      AccountName: 'workload-prod',
    });
  });

  test('every custom resource waits for the handler\'s Account Management policy, and the handler for its role\'s DefaultPolicy', () => {
    const template = stackWithAllSettings();
    const policy = logicalIdOf(template, 'AWS::IAM::ManagedPolicy');
    let count = 0;
    for (const type of CUSTOM_RESOURCE_TYPES) {
      for (const resource of Object.values(template.findResources(type))) {
        expect(resource.DependsOn).toEqual([policy]);
        count++;
      }
    }
    expect(count).toBe(4);
    // The custom resources reference the function (their service token), which waits for the removal and stack-read grants.
    const handler = logicalIdOf(template, 'AWS::Lambda::Function', { Handler: 'index.handler' });
    const role = template.toJSON().Resources[handler].Properties.Role['Fn::GetAtt'][0];
    const defaultPolicy = logicalIdOf(template, 'AWS::IAM::Policy', { Roles: [{ Ref: role }] });
    expect([...template.toJSON().Resources[handler].DependsOn].sort()).toEqual([defaultPolicy, role].sort());
  });
});

describe('the Account Management policy', () => {
  test('a standalone contact is allowed only on the deploying account\'s ARN, for its own type', () => {
    const stack = newStack();
    new AlternateContact(stack, 'Security', SECURITY_CONTACT);
    const statements = accountApiStatements(Template.fromStack(stack));
    expect(statements).toHaveLength(1);
    expectAlternateContactStatement(statements[0], ['SECURITY'], [standaloneArn()]);
  });

  test('a member account\'s contact is allowed only on that account\'s organizations ARN', () => {
    const stack = newStack();
    new AlternateContact(stack, 'MemberSecurity', { ...SECURITY_CONTACT, accountId: MEMBER_ACCOUNT });
    const statements = accountApiStatements(Template.fromStack(stack));
    expect(statements).toHaveLength(1);
    expectAlternateContactStatement(statements[0], ['SECURITY'], [memberArn(MEMBER_ACCOUNT)]);
  });

  test('an accountId equal to the stack\'s account is allowed only on the standalone ARN', () => {
    const stack = newStack();
    new AlternateContact(stack, 'Security', { ...SECURITY_CONTACT, accountId: STACK_ACCOUNT });
    const statements = accountApiStatements(Template.fromStack(stack));
    expect(statements).toHaveLength(1);
    expectAlternateContactStatement(statements[0], ['SECURITY'], [standaloneArn(STACK_ACCOUNT)]);
  });

  test('in an environment-agnostic stack an accountId is allowed on both its organizations ARN and the standalone ARN', () => {
    const stack = newEnvironmentAgnosticStack();
    new AlternateContact(stack, 'MemberSecurity', { ...SECURITY_CONTACT, accountId: MEMBER_ACCOUNT });
    const statements = accountApiStatements(Template.fromStack(stack));
    expect(statements).toHaveLength(1);
    expectAlternateContactStatement(statements[0], ['SECURITY'], [memberArn(MEMBER_ACCOUNT), standaloneArn()]);
  });

  test('accounts that declare the same contact types are listed by the same statements: one statement per contact type', () => {
    const stack = newStack();
    // Declared in different orders: the statements depend on the set of types, not on the order.
    for (const type of [AlternateContactType.SECURITY, AlternateContactType.BILLING]) {
      new AlternateContact(stack, `A${type}`, { ...SECURITY_CONTACT, type, accountId: '222222222222' });
    }
    for (const type of [AlternateContactType.BILLING, AlternateContactType.SECURITY]) {
      new AlternateContact(stack, `B${type}`, { ...SECURITY_CONTACT, type, accountId: '333333333333' });
    }
    new AlternateContact(stack, 'CSECURITY', { ...SECURITY_CONTACT, accountId: '444444444444' });
    const template = Template.fromStack(stack);

    expect(effectivePermissions(template, CONDITION_KEY)).toEqual(permissions([
      [memberArn('222222222222'), { 'account:PutAlternateContact': ['BILLING', 'SECURITY'] }],
      [memberArn('333333333333'), { 'account:PutAlternateContact': ['BILLING', 'SECURITY'] }],
      [memberArn('444444444444'), { 'account:PutAlternateContact': ['SECURITY'] }],
    ]));
    expectCompactPolicies(template, CONDITION_KEY);
    // Two (actions, type) pairs: (PutAlternateContact, BILLING) and (PutAlternateContact, SECURITY).
    const statements = accountApiStatements(template);
    expect(statements).toHaveLength(2);
    const listing = (account: string) => statements.flatMap((statement, index) =>
      asArray(statement.Resource).some((r) => JSON.stringify(r) === JSON.stringify(memberArn(account))) ? [index] : []);
    expect(listing('222222222222')).toEqual([0, 1]);
    expect(listing('333333333333')).toEqual([0, 1]);
    expect(listing('444444444444')).toHaveLength(1);
  });

  test('PutContactInformation and PutAccountName are allowed without a condition on the declared accounts only', () => {
    const stack = newStack();
    new PrimaryContact(stack, 'PrimaryContact', PRIMARY_CONTACT);
    new PrimaryContact(stack, 'MemberPrimaryContact', { ...PRIMARY_CONTACT, accountId: MEMBER_ACCOUNT });
    new AccountName(stack, 'MemberName', { accountName: 'workload-prod', accountId: MEMBER_ACCOUNT });
    const statements = accountApiStatements(Template.fromStack(stack));

    const contactInformation = statementsWithActions(statements, ['account:PutContactInformation']);
    const accountName = statementsWithActions(statements, ['account:PutAccountName']);
    expect(statements).toHaveLength(2);
    expect(contactInformation).toHaveLength(1);
    expect(accountName).toHaveLength(1);
    expect(contactInformation[0]).toEqual({ Effect: 'Allow', Action: 'account:PutContactInformation', Resource: expect.anything() });
    expectSameMembers(asArray(contactInformation[0].Resource), [standaloneArn(), memberArn(MEMBER_ACCOUNT)]);
    expect(accountName[0]).toEqual({ Effect: 'Allow', Action: 'account:PutAccountName', Resource: memberArn(MEMBER_ACCOUNT) });
  });

  test('no statement allows an account action on every resource', () => {
    const stack = newEnvironmentAgnosticStack();
    for (const type of ALL_TYPES) {
      new AlternateContact(stack, `Standalone${type}`, { ...SECURITY_CONTACT, type });
      new AlternateContact(stack, `Member${type}`, { ...SECURITY_CONTACT, type, accountId: MEMBER_ACCOUNT });
    }
    new PrimaryContact(stack, 'PrimaryContact', PRIMARY_CONTACT);
    new AccountName(stack, 'MemberName', { accountName: 'workload-prod', accountId: MEMBER_ACCOUNT });
    const template = Template.fromStack(stack);
    const statements = allStatements(template);

    const accountStatements = statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('account:')));
    expectNoAccountActionOnEverything(accountStatements);
    // Every account action is in the Account Management policy, except the removal statement: one, in the handler
    // role's DefaultPolicy.
    expect(accountStatements).toHaveLength(accountApiStatements(template).length + 1);
    expect(handlerDefaultPolicyStatements(template).filter((s) => asArray(s.Action).some((a) => a.startsWith('account:'))))
      .toEqual([REMOVAL_STATEMENT]);
  });

  test('only the removal statement names every member account (o-*/*), and it allows only the removal actions', () => {
    const stack = newEnvironmentAgnosticStack();
    for (const type of ALL_TYPES) {
      new AlternateContact(stack, `Standalone${type}`, { ...SECURITY_CONTACT, type });
      new AlternateContact(stack, `Member${type}`, { ...SECURITY_CONTACT, type, accountId: MEMBER_ACCOUNT });
    }
    new PrimaryContact(stack, 'MemberPrimaryContact', { ...PRIMARY_CONTACT, accountId: MEMBER_ACCOUNT });
    new AccountName(stack, 'MemberName', { accountName: 'workload-prod', accountId: MEMBER_ACCOUNT });
    const withAnyMember = allStatements(Template.fromStack(stack))
      .filter((s) => asArray(s.Resource).some((r) => JSON.stringify(r) === JSON.stringify(ANY_MEMBER_ARN)));

    expect(withAnyMember).toEqual([REMOVAL_STATEMENT]);
    expect(asArray(withAnyMember[0].Action)).toEqual(REMOVAL_ACTIONS);
    expectSameMembers(asArray(withAnyMember[0].Resource), [standaloneArn(), ANY_MEMBER_ARN]);
    expect(withAnyMember[0].Condition).toBeUndefined();
  });

  test('no Account Management policy statement allows the removal actions: a declared contact only gets PutAlternateContact', () => {
    const stack = newStack();
    new AlternateContact(stack, 'Security', SECURITY_CONTACT);
    new AlternateContact(stack, 'MemberBilling', { ...BILLING_CONTACT, accountId: MEMBER_ACCOUNT });
    const statements = accountApiStatements(Template.fromStack(stack));
    expect(statements).toHaveLength(2);
    expect(statementsWithActions(statements, REMOVAL_ACTIONS)).toEqual([]);
    expect(statements.map((s) => s.Action)).toEqual(['account:PutAlternateContact', 'account:PutAlternateContact']);
  });

  test.each<[string, (stack: Stack) => void]>([
    ['only the provider', (stack) => { AccountSettingsProvider.getOrCreate(stack); }],
    ['no alternate contact', (stack) => {
      new PrimaryContact(stack, 'PrimaryContact', PRIMARY_CONTACT);
      new AccountName(stack, 'Name', { accountName: 'workload-prod' });
    }],
    ['only retained alternate contacts', (stack) => {
      new AlternateContact(stack, 'Security', { ...SECURITY_CONTACT, removalPolicy: RemovalPolicy.RETAIN });
      new AlternateContact(stack, 'MemberBilling', { ...BILLING_CONTACT, accountId: MEMBER_ACCOUNT, removalPolicy: RemovalPolicy.RETAIN });
    }],
    ['standalone and member alternate contacts', (stack) => {
      new AlternateContact(stack, 'Security', SECURITY_CONTACT);
      new AlternateContact(stack, 'MemberSecurity', { ...SECURITY_CONTACT, accountId: MEMBER_ACCOUNT });
      new AlternateContact(stack, 'MemberBilling', { ...BILLING_CONTACT, accountId: MEMBER_ACCOUNT });
    }],
  ])('with %s the handler role\'s DefaultPolicy is exactly the removal statement, the stack reads and DescribeAccount', (_, declare) => {
    for (const stack of [newStack(), newEnvironmentAgnosticStack()]) {
      declare(stack);
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::IAM::Policy', 1); // the handler role's, the stack's only inline policy
      expect(handlerDefaultPolicyStatements(template)).toEqual([REMOVAL_STATEMENT, STACK_READ_STATEMENT, DESCRIBE_ACCOUNT_STATEMENT]);
    }
  });

  /** A stack with every setting, standalone and for a member account. */
  function stackWithEverySetting(stack: Stack): Stack {
    new AlternateContact(stack, 'Security', SECURITY_CONTACT);
    new AlternateContact(stack, 'MemberSecurity', { ...SECURITY_CONTACT, accountId: MEMBER_ACCOUNT });
    new PrimaryContact(stack, 'PrimaryContact', PRIMARY_CONTACT);
    new AccountName(stack, 'MemberName', { accountName: 'workload-prod', accountId: MEMBER_ACCOUNT });
    return stack;
  }

  test('the handler may read its own stack only: DescribeStackResource, DescribeStacks and ListStackResources on AWS::StackId, once', () => {
    const cloudformation = allStatements(Template.fromStack(stackWithEverySetting(newStack())))
      .filter((s) => asArray(s.Action).some((a) => a.startsWith('cloudformation:')));
    expect(cloudformation).toEqual([STACK_READ_STATEMENT]);
  });

  test('organizations:DescribeAccount is the only Organizations action, allowed once, on member-account ARNs only', () => {
    for (const stack of [newStack(), newEnvironmentAgnosticStack()]) {
      const organizations = allStatements(Template.fromStack(stackWithEverySetting(stack)))
        .filter((s) => asArray(s.Action).some((a) => a.startsWith('organizations:')));
      expect(organizations).toEqual([DESCRIBE_ACCOUNT_STATEMENT]);
    }
  });

  test('no statement allows anything on every resource (*)', () => {
    for (const stack of [newStack(), newEnvironmentAgnosticStack()]) {
      expectNothingOnEveryResource(allStatements(Template.fromStack(stackWithEverySetting(stack))));
    }
  });
});

describe('cdk-nag AwsSolutions checks', () => {

  const ACKNOWLEDGED: Acknowledged[] = [
    {
      rule: 'AwsSolutions-IAM4',
      finding: 'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      path: 'Stack/AccountSettingsProvider/Handler/ServiceRole/Resource',
      reason: 'AWSLambdaBasicExecutionRole only lets the handler create and write to its own CloudWatch log streams',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: `Resource::arn:<AWS::Partition>:account::*:account/o-*/${MEMBER_ACCOUNT}`,
      path: 'Stack/AccountSettingsProvider/AccountApiPolicy/Part1',
      reason: 'organizations-mode calls are authorized against account::<management account>:account/o-<org>/<member>; '
        + 'the management account and organization ids are unknown at synth, the ARN is pinned to the member account '
        + 'id and the contact actions are narrowed by account:AlternateContactTypes',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: 'Resource::arn:<AWS::Partition>:account::*:account/o-*/*',
      path: 'Stack/AccountSettingsProvider/Handler/ServiceRole/DefaultPolicy/Resource',
      reason: 'removal runs in CloudFormation\'s cleanup phase, after the policies were updated to the new declarations, '
        + 'so it cannot be narrowed to the declared accounts (the grant would be gone when the Delete runs); the '
        + 'statement allows only the removal action account:DeleteAlternateContact',
    },
    ...describeAccountAcknowledgment('Stack/AccountSettingsProvider/Handler/ServiceRole/DefaultPolicy/Resource'),
    {
      rule: 'AwsSolutions-L1',
      finding: '',
      path: 'Stack/AccountSettingsProvider/Handler/Resource',
      reason: 'the design fixes Node.js 22 for the handler (bundled with esbuild for node22)',
    },
  ];

  function stackWithEverySetting(): Stack {
    const stack = newStack();
    new AlternateContact(stack, 'Security', SECURITY_CONTACT);
    new AlternateContact(stack, 'MemberSecurity', { ...SECURITY_CONTACT, accountId: MEMBER_ACCOUNT });
    new AlternateContact(stack, 'MemberBilling', { ...BILLING_CONTACT, accountId: MEMBER_ACCOUNT });
    new PrimaryContact(stack, 'PrimaryContact', PRIMARY_CONTACT);
    new PrimaryContact(stack, 'MemberPrimaryContact', { ...PRIMARY_CONTACT, accountId: MEMBER_ACCOUNT });
    new AccountName(stack, 'Name', { accountName: 'management' });
    new AccountName(stack, 'MemberName', { accountName: 'workload-prod', accountId: MEMBER_ACCOUNT });
    return stack;
  }

  test('every acknowledged finding has a reason', () => {
    for (const entry of ACKNOWLEDGED) expect(entry.reason.length).toBeGreaterThan(20);
  });

  test('every finding on a stack with all three constructs, standalone and for a member account, is acknowledged', () => {
    const findings = nagFindings(stackWithEverySetting());
    expect(findings.length).toBeGreaterThan(0);
    expect(unacknowledged(findings, ACKNOWLEDGED)).toEqual([]);
  });

  test('every acknowledged finding still occurs, so no acknowledgement is stale', () => {
    const findings = nagFindings(stackWithEverySetting());
    expect(stale(findings, ACKNOWLEDGED)).toEqual([]);
  });
});

describe('contact values in the template', () => {
  const CONTACT_VALUES = [
    SECURITY_CONTACT.name, SECURITY_CONTACT.title, SECURITY_CONTACT.emailAddress, SECURITY_CONTACT.phoneNumber,
    BILLING_CONTACT.name, BILLING_CONTACT.title, BILLING_CONTACT.emailAddress, BILLING_CONTACT.phoneNumber,
    PRIMARY_CONTACT.fullName, PRIMARY_CONTACT.companyName!, PRIMARY_CONTACT.addressLine1, PRIMARY_CONTACT.addressLine2!,
    PRIMARY_CONTACT.phoneNumber, PRIMARY_CONTACT.websiteUrl!,
  ];

  function template(): Record<string, any> {
    const stack = newStack();
    new AlternateContact(stack, 'Security', SECURITY_CONTACT);
    new AlternateContact(stack, 'MemberBilling', { ...BILLING_CONTACT, accountId: MEMBER_ACCOUNT });
    new PrimaryContact(stack, 'PrimaryContact', PRIMARY_CONTACT);
    return Template.fromStack(stack).toJSON();
  }

  test('appear in the custom resources\' properties', () => {
    const json = template();
    const customResourceProperties = JSON.stringify(Object.values<any>(json.Resources)
      .filter((resource) => CUSTOM_RESOURCE_TYPES.includes(resource.Type))
      .map((resource) => resource.Properties));
    for (const value of CONTACT_VALUES) expect(customResourceProperties).toContain(JSON.stringify(value).slice(1, -1));
  });

  test('appear nowhere else: not in function environments, descriptions, policies, outputs or metadata', () => {
    const json = template();
    const rest = {
      ...json,
      Resources: Object.fromEntries(Object.entries<any>(json.Resources).map(([id, resource]) =>
        [id, CUSTOM_RESOURCE_TYPES.includes(resource.Type) ? { ...resource, Properties: undefined } : resource])),
    };
    const text = JSON.stringify(rest);
    const leaked = CONTACT_VALUES.filter((value) => text.includes(JSON.stringify(value).slice(1, -1)));
    expect(leaked).toEqual([]);
  });
});

describe('policy size', () => {
  const CONTACT = { name: 'n', title: 't', emailAddress: 'a@example.com', phoneNumber: '1' };
  const PRIMARY = { fullName: 'n', addressLine1: 'a', city: 'c', countryCode: 'FR', phoneNumber: '+33 1', postalCode: '75001' };

  /** Expects every custom resource of the stack to wait for every managed policy. */
  function expectEveryCustomResourceWaitsForEveryPolicy(template: Template): void {
    const policies = Object.keys(template.findResources('AWS::IAM::ManagedPolicy'));
    let count = 0;
    for (const type of CUSTOM_RESOURCE_TYPES) {
      for (const resource of Object.values(template.findResources(type))) {
        expect(resource.DependsOn).toEqual(expect.arrayContaining(policies));
        count++;
      }
    }
    expect(count).toBeGreaterThan(0);
  }

  test.each([
    ['a SECURITY contact for 300 member accounts', 300, [AlternateContactType.SECURITY], false],
    ['all three contacts and the primary contact for 98 member accounts', 98, Object.values(AlternateContactType), true],
  ])('%s keeps every policy within the 6,144 characters of a managed policy', (_, accounts, types, primary) => {
    const stack = new Stack(new App(), 'Stack', { env: { account: '111111111111', region: 'us-east-1' } });
    const expected: Array<[unknown, Record<string, string[]>]> = [];
    for (let i = 0; i < accounts; i++) {
      const accountId = String(200000000000 + i);
      for (const type of types) {
        new AlternateContact(stack, `${accountId}-${type}`, { accountId, type, ...CONTACT });
      }
      if (primary) {
        new PrimaryContact(stack, `${accountId}-primary`, { accountId, ...PRIMARY });
      }
      expected.push([memberArn(accountId), {
        'account:PutAlternateContact': types,
        ...(primary ? { 'account:PutContactInformation': [NO_CONDITION] } : {}),
      }]);
    }
    const template = Template.fromStack(stack);

    const sizes = expectPoliciesWithinIamLimits(template);
    expect(sizes.length).toBeGreaterThan(1);
    expect(effectivePermissions(template, CONDITION_KEY)).toEqual(permissions(expected));
    expectCompactPolicies(template, CONDITION_KEY);
    expectEveryCustomResourceWaitsForEveryPolicy(template);
  });

  test('40 accounts declaring different sets of contact types, and each its primary contact and name, keep every policy within 6,144 characters', () => {
    // Before the character budget, a policy listed up to 100 account ARNs in a statement per set of types: 6,596
    // characters in aws-us-gov (5,903 in aws).
    const stack = new Stack(new App(), 'Stack', { env: { account: '111111111111', region: 'us-east-1' } });
    const expected: Array<[unknown, Record<string, string[]>]> = [];
    for (let i = 0; i < 40; i++) {
      const accountId = String(200000000000 + i);
      // The seven non-empty sets of contact types in turn.
      const types = ALL_TYPES.filter((_type, bit) => Math.floor(((i % 7) + 1) / 2 ** bit) % 2 === 1);
      for (const type of types) new AlternateContact(stack, `${accountId}-${type}`, { accountId, type, ...CONTACT });
      new PrimaryContact(stack, `${accountId}-primary`, { accountId, ...PRIMARY });
      new AccountName(stack, `${accountId}-name`, { accountId, accountName: `workload-${i}` });
      expected.push([memberArn(accountId), {
        'account:PutAlternateContact': types,
        'account:PutContactInformation': [NO_CONDITION],
        'account:PutAccountName': [NO_CONDITION],
      }]);
    }
    const template = Template.fromStack(stack);

    expectPoliciesWithinIamLimits(template);
    expect(effectivePermissions(template, CONDITION_KEY)).toEqual(permissions(expected));
    expectCompactPolicies(template, CONDITION_KEY);
    expectEveryCustomResourceWaitsForEveryPolicy(template);
  });
});

describe('stack traces in the logs are readable without source maps', () => {
  test.each(['settings', 'region', 'organization'])('the %s bundle is unminified and names no source map: functions keep their names, each module under its path', bundle => {
    const code = fs.readFileSync(path.join(__dirname, '..', 'assets', 'lambda', bundle, 'index', 'index.js'), 'utf8');
    expect(code).not.toContain('//# sourceMappingURL=');
    expect(code).toContain(`\n// lambda/${bundle}/index.ts\n`);
    expect(code).toMatch(/^async function handler\(/m);
  });

  test('the functions do not enable source maps (NODE_OPTIONS), which would cost each cold start and find no map', () => {
    const stack = new Stack(new App(), 'Maps', { env: ENV });
    new AlternateContact(stack, 'Security', SECURITY_CONTACT);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { NODE_OPTIONS: Match.absent() } } });
  });
});
