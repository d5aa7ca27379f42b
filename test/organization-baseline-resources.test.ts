import * as path from 'path';
import { App, Duration, NestedStack, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import {
  AccountBaseline, AlternateContact, AlternateContactType, DeployWaitsFor, FailDeployOn, OrganizationBaseline, OrganizationBaselineProps,
  PrimaryContact, RegionOptIn,
} from '../src';
import {
  accountRange, BILLING, logicalIdAt, MEMBER_A, MEMBER_B, MEMBER_C, MEMBER_D, newStack, onlyResource, OPERATIONS, OU, PRIMARY_CONTACT, resourcesOf,
  SECURITY, STACK_ACCOUNT, SUBSIDIARY_CONTACT,
} from './fixtures';
import { expectStatements } from './iam';
import {
  baselineResource, frameworkFunctions, handlerArn, handlerId, propertiesOf, PROVIDER, RECONCILE, rendered, renderedPrimary, stateMachineId, storeId,
  targetsOf, TYPE, valuesOf, waitsFor,
} from './organization-baseline-support';
import {
  StoreCleanupProperties, OrganizationBaselineAttributes, OrganizationBaselineProperties, RESOURCE_TYPES, STACK_ID_ENV, WAITER_ARN_ENV,
} from '../src/contract';
import { waiterDefinition } from '../src/private/waiter';

/* The synthesized side of OrganizationBaseline: its custom resource, and the stack's provider (one function, the store bucket, the shared waiter). */

describe('the custom resource', () => {
  const EVERYTHING: OrganizationBaselineProps = {
    accountIds: [MEMBER_A],
    organizationalUnitIds: [OU],
    excludeAccountIds: [MEMBER_C],
    alternateContacts: { billing: BILLING, operations: OPERATIONS, security: SECURITY },
    primaryContact: PRIMARY_CONTACT,
    enabledRegions: ['af-south-1', 'ap-east-1'],
    overrides: [
      { accountId: MEMBER_A, alternateContacts: { security: OPERATIONS } },
      { accountId: MEMBER_B, alternateContacts: { billing: SECURITY, operations: BILLING }, primaryContact: SUBSIDIARY_CONTACT, accountName: 'workload-b' },
      // An override of nothing, of an account the OU covers (MEMBER_C, excluded, cannot have one).
      { accountId: MEMBER_D },
    ],
  };

  test('has exactly the contract\'s properties: the baseline\'s id, the store, Targets and Baseline as JSON, and the options as strings', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', EVERYTHING);
    const { properties, targets, baseline } = baselineResource(Template.fromStack(stack));
    const names: Array<keyof OrganizationBaselineProperties | 'ServiceToken' | 'ServiceTimeout'> = [
      'Baseline', 'BaselineId', 'CoverNewAccounts', 'DeployWaitsFor', 'FailDeployOn', 'PruneUndeclared', 'RemoveOnDelete', 'ServiceTimeout', 'ServiceToken',
      'Store', 'Targets',
    ];

    expect(Object.keys(properties).sort()).toEqual(names);
    expect(properties.ServiceToken).toEqual(handlerArn(Template.fromStack(stack)));
    expect(properties.ServiceTimeout).toBe('3600');
    expect(properties.Store).toEqual({ Ref: storeId(stack) });
    expect(properties.BaselineId).toMatch(/^[0-9a-f]{16}$/);
    expect([properties.DeployWaitsFor, properties.FailDeployOn, properties.PruneUndeclared, properties.RemoveOnDelete, properties.CoverNewAccounts])
      .toEqual(['CONTACTS', 'LISTED_ACCOUNTS', 'false', 'false', 'false']);
    expect(targets).toEqual({ accountIds: [MEMBER_A], organizationalUnitIds: [OU], allAccounts: false, excludeAccountIds: [MEMBER_C] });
    expect(baseline).toEqual({
      alternateContacts: {
        BILLING: { Name: 'Finance Department', Title: 'Accounts Payable Manager', EmailAddress: 'billing@example.com', PhoneNumber: '+1 206-555-0111' },
        OPERATIONS: { Name: 'Platform Operations', Title: 'On-call Lead', EmailAddress: 'ops@example.com', PhoneNumber: '+1 206-555-0122' },
        SECURITY: { Name: 'Security Team', Title: 'Security Operations Lead', EmailAddress: 'security@example.com', PhoneNumber: '+1 206-555-0100' },
      },
      primaryContact: {
        FullName: 'Cloud Platform Team',
        CompanyName: 'Example Corp',
        AddressLine1: '410 Terry Ave N',
        City: 'Seattle',
        StateOrRegion: 'WA',
        PostalCode: '98109',
        CountryCode: 'US',
        PhoneNumber: '+1 206-555-0199',
      },
      enabledRegions: ['af-south-1', 'ap-east-1'],
      overrides: {
        [MEMBER_A]: { alternateContacts: { SECURITY: rendered(OPERATIONS) } },
        [MEMBER_B]: {
          alternateContacts: { BILLING: rendered(SECURITY), OPERATIONS: rendered(BILLING) },
          primaryContact: renderedPrimary(SUBSIDIARY_CONTACT),
          accountName: 'workload-b',
        },
        [MEMBER_D]: {},
      },
    });
  });

  test('300 accounts are one custom resource, whose Targets list them all, besides the stack\'s store cleanup', () => {
    const stack = newStack();
    const accountIds = accountRange(200000000000, 300);
    new OrganizationBaseline(stack, 'Baseline', { accountIds, alternateContacts: { security: SECURITY } });
    const template = Template.fromStack(stack);
    template.resourceCountIs(TYPE, 1);
    expect(baselineResource(template).targets).toEqual(targetsOf({ accountIds }));
    template.resourceCountIs(RESOURCE_TYPES.baselineStore, 1);
    const others = Object.values(RESOURCE_TYPES).filter((t) => t !== TYPE && t !== RESOURCE_TYPES.baselineStore);
    for (const type of others) template.resourceCountIs(type, 0);
  });

  test.each<[string, DeployWaitsFor | undefined, string]>([
    ['CONTACTS by default', undefined, 'CONTACTS'],
    ['CONTACTS', DeployWaitsFor.CONTACTS, 'CONTACTS'],
    ['EVERYTHING', DeployWaitsFor.EVERYTHING, 'EVERYTHING'],
    ['NOTHING', DeployWaitsFor.NOTHING, 'NOTHING'],
  ])('DeployWaitsFor is %s', (_case, deployWaitsFor, expected) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY }, deployWaitsFor });
    expect(baselineResource(Template.fromStack(stack)).properties.DeployWaitsFor).toBe(expected);
  });

  test.each<[string, FailDeployOn | undefined, string]>([
    ['LISTED_ACCOUNTS by default', undefined, 'LISTED_ACCOUNTS'],
    ['ANY_ACCOUNT', FailDeployOn.ANY_ACCOUNT, 'ANY_ACCOUNT'],
    ['NO_ACCOUNT', FailDeployOn.NO_ACCOUNT, 'NO_ACCOUNT'],
  ])('FailDeployOn is %s', (_case, failDeployOn, expected) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY }, failDeployOn });
    expect(baselineResource(Template.fromStack(stack)).properties.FailDeployOn).toBe(expected);
  });

  test.each<[string, boolean | undefined, string]>([
    ['"false" by default', undefined, 'false'],
    ['"false" when set to false', false, 'false'],
    ['"true" when set to true', true, 'true'],
  ])('CoverNewAccounts is %s', (_case, coverNewAccounts, expected) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY }, coverNewAccounts });
    expect(baselineResource(Template.fromStack(stack)).properties.CoverNewAccounts).toBe(expected);
  });

  test.each<[string, Partial<OrganizationBaselineProps>, [string, string]]>([
    ['"false" and "false" by default', {}, ['false', 'false']],
    ['"false" and "false" when set to false', { pruneUndeclared: false, removeAlternateContactsOnDelete: false }, ['false', 'false']],
    ['"true" with pruneUndeclared', { pruneUndeclared: true }, ['true', 'false']],
    ['"true" with removeAlternateContactsOnDelete', { removeAlternateContactsOnDelete: true }, ['false', 'true']],
  ])('PruneUndeclared and RemoveOnDelete are %s', (_case, props, expected) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY }, ...props });
    const { properties } = baselineResource(Template.fromStack(stack));
    expect([properties.PruneUndeclared, properties.RemoveOnDelete]).toEqual(expected);
  });

  test('BaselineId follows the construct\'s path: the same in another app and after a change of props, another for another path', () => {
    const DEFAULT: OrganizationBaselineProps = { allAccounts: true, alternateContacts: { security: SECURITY } };
    const idOf = (id: string, props: OrganizationBaselineProps = DEFAULT, scope?: (stack: Stack) => Construct) => {
      const stack = newStack();
      return propertiesOf(new OrganizationBaseline(scope ? scope(stack) : stack, id, props)).BaselineId;
    };
    const first = idOf('Baseline');
    expect(idOf('Baseline')).toBe(first);
    expect(idOf('Baseline', { accountIds: [MEMBER_A], enabledRegions: ['af-south-1'], deployWaitsFor: DeployWaitsFor.NOTHING })).toBe(first);
    expect(idOf('Renamed')).not.toBe(first);
    expect(idOf('Baseline', undefined, (stack) => new Construct(stack, 'Moved'))).not.toBe(first);

    const stack = newStack();
    const baselines = ['First', 'Second'].map((id) => new OrganizationBaseline(stack, id, { allAccounts: true, enabledRegions: ['af-south-1'] }));
    const ids = baselines.map((baseline) => propertiesOf(baseline).BaselineId);
    expect(ids[0]).not.toBe(ids[1]);
  });

  test('attrExecutionArn, attrGeneration and attrContactsConverged are the contract\'s attributes', () => {
    const stack = newStack();
    const baseline = new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY } });
    const { id } = baselineResource(Template.fromStack(stack));
    const attributes: Record<keyof OrganizationBaselineAttributes, string> = {
      ExecutionArn: baseline.attrExecutionArn,
      Generation: baseline.attrGeneration,
      ContactsConverged: baseline.attrContactsConverged,
    };
    for (const [name, token] of Object.entries(attributes)) expect(stack.resolve(token)).toEqual({ 'Fn::GetAtt': [id, name] });
  });

  test('waits for the handler\'s Account Management policy, the waiter\'s permission to invoke the handler and the store\'s cleanup', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { accountIds: [MEMBER_A], alternateContacts: { security: SECURITY } });
    const resource = Object.values(Template.fromStack(stack).findResources(TYPE))[0];
    expect([...resource.DependsOn].sort()).toEqual([
      logicalIdAt(stack, 'AccountManagementWaiter/InvokePolicy'), logicalIdAt(stack, `${PROVIDER}/AccountApiPolicy`), logicalIdAt(stack, `${PROVIDER}/StoreCleanup`),
    ].sort());
  });

  test('no contact value is in the template but in the custom resource\'s Baseline: not in a rule, a variable or a policy', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { ...EVERYTHING, coverNewAccounts: true, reconcileSchedule: RECONCILE });
    const resources = Template.fromStack(stack).toJSON().Resources;
    const { id, baseline } = baselineResource(Template.fromStack(stack));
    const values = [SECURITY, BILLING, OPERATIONS, PRIMARY_CONTACT, SUBSIDIARY_CONTACT].flatMap((details) => valuesOf(details)).concat('workload-b');
    expect(values.length).toBeGreaterThan(20);
    // They are in the Baseline…
    for (const value of values) expect(JSON.stringify(baseline)).toContain(JSON.stringify(value).slice(1, -1));
    // …and nowhere else.
    const withoutBaseline = { ...resources, [id]: { ...resources[id], Properties: { ...resources[id].Properties, Baseline: '(removed)' } } };
    const text = JSON.stringify(withoutBaseline);
    expect(values.filter((value) => text.includes(JSON.stringify(value).slice(1, -1)))).toEqual([]);
  });

  test('the handler is the provider\'s function', () => {
    const stack = newStack();
    const baseline = new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY } });
    expect(stack.resolve(baseline.handler.functionArn)).toEqual(handlerArn(Template.fromStack(stack)));
  });
});

describe('the per-stack provider', () => {
  function stackWithTwoBaselines(): { stack: Stack; first: OrganizationBaseline; second: OrganizationBaseline } {
    const stack = newStack();
    const first = new OrganizationBaseline(stack, 'Workloads', { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY }, coverNewAccounts: true });
    const second = new OrganizationBaseline(stack, 'Sandbox', { accountIds: [MEMBER_A], enabledRegions: ['af-south-1'], reconcileSchedule: RECONCILE });
    return { stack, first, second };
  }

  test('two baselines share one function, one store, one store cleanup and one waiter, with no Provider framework function', () => {
    const { stack, first, second } = stackWithTwoBaselines();
    const template = Template.fromStack(stack);

    template.resourceCountIs(TYPE, 2);
    template.resourceCountIs(RESOURCE_TYPES.baselineStore, 1);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    // The function's role and the state machine's.
    template.resourceCountIs('AWS::IAM::Role', 2);
    expect(frameworkFunctions(template)).toEqual({});
    expect(resourcesOf(template, TYPE).map(([, p]) => p.ServiceToken)).toEqual([handlerArn(template), handlerArn(template)]);
    expect(resourcesOf(template, TYPE).map(([, p]) => p.Store)).toEqual([{ Ref: storeId(stack) }, { Ref: storeId(stack) }]);
    expect(first.handler).toBe(second.handler);
    expect(stack.node.findChild(PROVIDER).node.path).toBe('Stack/OrganizationBaselineProvider');
  });

  test('the function: handler index.handler of the organization bundle, Node.js 22 on arm64, 15 minutes, the waiter\'s ARN, JSON logs at INFO kept a year', () => {
    const { stack } = stackWithTwoBaselines();
    const template = Template.fromStack(stack);
    const fn = template.toJSON().Resources[handlerId(template)];
    expect(fn.Properties).toEqual(expect.objectContaining({
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 900,
      Description: 'cdk-account-management: organization baselines (deploys, reconciler steps, new accounts, schedule)',
      Environment: {
        Variables: { [WAITER_ARN_ENV]: { Ref: stateMachineId(stack) }, [STACK_ID_ENV]: { Ref: 'AWS::StackId' } },
      },
    }));
    const bundle = new Asset(new Stack(), 'Bundle', { path: path.join(__dirname, '..', 'assets', 'lambda', 'organization', 'index') });
    expect(fn.Properties.Code.S3Key).toBe(`${bundle.assetHash}.zip`);
    expect(fn.Properties.LoggingConfig).toEqual({
      LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN', LogGroup: { Ref: onlyResource(template, 'AWS::Logs::LogGroup')[0] },
    });
    expect(onlyResource(template, 'AWS::Logs::LogGroup')[1].RetentionInDays).toBe(365);
  });

  test('the store\'s cleanup: one Custom::AccountBaselineStore of the provider, with exactly the contract\'s properties: the function\'s ARN and the bucket\'s name', () => {
    const { stack } = stackWithTwoBaselines();
    const template = Template.fromStack(stack);
    const [id, properties] = onlyResource(template, RESOURCE_TYPES.baselineStore);
    expect(id).toBe(logicalIdAt(stack, `${PROVIDER}/StoreCleanup`));
    const names: Array<keyof StoreCleanupProperties | 'ServiceToken' | 'ServiceTimeout'> = ['ServiceTimeout', 'ServiceToken', 'Store'];
    expect(Object.keys(properties).sort()).toEqual(names);
    expect(properties).toEqual({ ServiceToken: handlerArn(template), ServiceTimeout: '1800', Store: { Ref: storeId(stack) } });
  });

  test('on the stack\'s deletion the baselines go first, then the cleanup empties the store, then the bucket and the function\'s permissions', () => {
    const { stack } = stackWithTwoBaselines();
    const template = Template.fromStack(stack);
    const cleanup = logicalIdAt(stack, `${PROVIDER}/StoreCleanup`);
    const role = logicalIdAt(stack, `${PROVIDER}/Handler/ServiceRole`);
    const defaultPolicy = logicalIdAt(stack, `${PROVIDER}/Handler/ServiceRole/DefaultPolicy`);
    const needed = [storeId(stack), handlerId(template), role, defaultPolicy];
    // The cleanup waits for the function's role and its grants (the store's among them), and for the bucket whose name it
    // holds and the function it calls: CloudFormation deletes it before them…
    expect([...template.toJSON().Resources[cleanup].DependsOn].sort()).toEqual([defaultPolicy, role].sort());
    for (const id of needed) {
      expect(waitsFor(template, cleanup, id)).toBe(true);
      expect(waitsFor(template, id, cleanup)).toBe(false);
    }
    // …and after every baseline, which waits for it.
    const baselines = resourcesOf(template, TYPE).map(([id]) => id);
    expect(baselines).toHaveLength(2);
    for (const baseline of baselines) {
      expect(waitsFor(template, baseline, cleanup)).toBe(true);
      expect(waitsFor(template, cleanup, baseline)).toBe(false);
    }
  });

  test('the waiter is the stack\'s one Standard state machine, whose definition is waiterDefinition(), and it may invoke the function only', () => {
    const { stack } = stackWithTwoBaselines();
    const template = Template.fromStack(stack);
    const [, machine] = onlyResource(template, 'AWS::StepFunctions::StateMachine');
    expect(machine.StateMachineType).toBe('STANDARD');
    expect(machine.DefinitionString).toEqual(stack.resolve(stack.toJsonString(waiterDefinition())));
    const invoke = template.toJSON().Resources[logicalIdAt(stack, 'AccountManagementWaiter/InvokePolicy')].Properties;
    expect(invoke.Roles).toEqual([{ Ref: logicalIdAt(stack, 'AccountManagementWaiter/StateMachine/Role') }]);
    expect(invoke.PolicyDocument.Statement).toEqual([{
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: [handlerArn(template), { 'Fn::Join': ['', [handlerArn(template), ':*']] }],
    }]);
  });

  test('each stack of an app has its own provider, store and waiter; a nested stack has its own too', () => {
    const app = new App();
    const stacks = ['First', 'Second'].map((id) => new Stack(app, id, { env: { account: STACK_ACCOUNT, region: 'us-east-1' } }));
    const nested = new NestedStack(stacks[0], 'Nested');
    for (const stack of [...stacks, nested]) new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY } });
    for (const stack of [...stacks, nested]) {
      const template = Template.fromStack(stack);
      template.resourceCountIs(TYPE, 1);
      template.resourceCountIs('AWS::Lambda::Function', 1);
      template.resourceCountIs('AWS::S3::Bucket', 1);
      template.resourceCountIs(RESOURCE_TYPES.baselineStore, 1);
      template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    }
    expect(stacks[0].node.findChild(PROVIDER)).not.toBe(stacks[1].node.findChild(PROVIDER));
  });
});

describe('a stack that uses every construct', () => {
  function stackWithEveryConstruct(): Stack {
    const stack = newStack();
    new AlternateContact(stack, 'Security', { ...SECURITY, type: AlternateContactType.SECURITY });
    new PrimaryContact(stack, 'Primary', PRIMARY_CONTACT);
    new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1' });
    new RegionOptIn(stack, 'MemberHongKong', { regionName: 'ap-east-1', accountId: MEMBER_A, pollInterval: Duration.seconds(45) });
    new AccountBaseline(stack, 'Member', { accountId: MEMBER_A, alternateContacts: { billing: BILLING }, accountName: 'workload-a', enabledRegions: ['me-south-1'] });
    new OrganizationBaseline(stack, 'Organization', {
      accountIds: [MEMBER_B],
      organizationalUnitIds: [OU],
      alternateContacts: { operations: OPERATIONS },
      enabledRegions: ['il-central-1'],
      coverNewAccounts: true,
      reconcileSchedule: RECONCILE,
    });
    return stack;
  }

  test('has 3 Lambda functions (one per provider) and 1 state machine, with 4 roles and 3 log groups, and no Provider framework function', () => {
    const template = Template.fromStack(stackWithEveryConstruct());
    template.resourceCountIs('AWS::Lambda::Function', 3);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs('AWS::IAM::Role', 4);
    template.resourceCountIs('AWS::Logs::LogGroup', 3);
    expect(frameworkFunctions(template)).toEqual({});
    expect(resourcesOf(template, 'AWS::Lambda::Function').map(([, fn]) => fn.Handler)).toEqual(['index.handler', 'index.handler', 'index.handler']);
  });

  test('the Region and organization functions share the one waiter: both know its ARN, and it may invoke both', () => {
    const stack = stackWithEveryConstruct();
    const template = Template.fromStack(stack);
    const functionOf = (provider: string) => logicalIdAt(stack, `${provider}/Handler`);
    const region = functionOf('RegionOptInProvider');
    const organization = functionOf(PROVIDER);
    const settings = functionOf('AccountSettingsProvider');
    const resources = template.toJSON().Resources;

    for (const id of [region, organization]) {
      expect(resources[id].Properties.Environment.Variables[WAITER_ARN_ENV]).toEqual({ Ref: stateMachineId(stack) });
    }
    expect(resources[settings].Properties.Environment?.Variables?.[WAITER_ARN_ENV]).toBeUndefined();
    const invoke = resources[logicalIdAt(stack, 'AccountManagementWaiter/InvokePolicy')].Properties.PolicyDocument.Statement;
    expectStatements(invoke, [region, organization].map((id) => ({
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: [{ 'Fn::GetAtt': [id, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, ':*']] }],
    })));
  });
});
