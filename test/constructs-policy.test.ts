/* The Account Management policy the stacks grant: what each declaration allows, and within IAM's limits. */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AccountName, AccountSettingsProvider, AlternateContact, AlternateContactType, PrimaryContact } from '../src';
import {
  STACK_ACCOUNT, MEMBER_ACCOUNT, SECURITY_CONTACT, BILLING_CONTACT, PRIMARY_CONTACT, ALL_TYPES, REMOVAL_ACTIONS, CONDITION_KEY,
  CUSTOM_RESOURCE_TYPES, REMOVAL_STATEMENT, handlerDefaultPolicyStatements, statementsWithActions, expectAlternateContactStatement,
  expectSameMembers, newStack, newEnvironmentAgnosticStack,
} from './constructs-support';
import {
  accountApiStatements, allStatements, ANY_MEMBER_ARN, asArray, DESCRIBE_ACCOUNT_STATEMENT, effectivePermissions, expectCompactPolicies,
  expectNoAccountActionOnEverything, expectNothingOnEveryResource, expectPoliciesWithinIamLimits, memberArn, NO_CONDITION, permissions,
  STACK_READ_STATEMENT, standaloneArn,
} from './iam';

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
