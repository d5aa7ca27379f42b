import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AccountName, AccountSettingsProvider, AlternateContact, AlternateContactType, PrimaryContact } from '../src';
import {
  MEMBER_ACCOUNT, SECURITY_CONTACT, BILLING_CONTACT, PRIMARY_CONTACT, ALL_TYPES, CONDITION_KEY, CUSTOM_RESOURCE_TYPES, logicalIdOf,
  expectAlternateContactStatement, alternateContactStatement, newStack,
} from './constructs-support';
import {
  accountApiStatements, allStatements, asArray, effectivePermissions, expectCompactPolicies, expectPoliciesWithinIamLimits, memberArn,
  permissions,
} from './iam';
import { Acknowledged, describeAccountAcknowledgment, nagFindings, stale, unacknowledged } from './nag';
import { RESOURCE_TYPES, WAITER_ARN_ENV } from '../src/contract';

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
