import { App, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AlternateContact, AlternateContactType, RegionOptIn, RegionOptInProps, RegionOptInProvider, RegionOptInProviderProps } from '../src';
import { allStatements, asArray, effectivePermissions, expectCompactPolicies, expectPoliciesWithinIamLimits, memberArn, permissions } from './iam';
import {
  CONDITION_KEY, CUSTOM_RESOURCE_TYPE, describeExecutionStatement, ENABLE, ENV, expectExactError, frameworkFunctions, GET, handlerId, invokePolicyId,
  logicalIdOf, MEMBER_A, newStack, onlyResource, PROVIDER_EXISTS_MESSAGE, sortByJson, stackWith10Regions, startExecutionStatement, stateMachineId,
} from './region-opt-in-support';
import { RESOURCE_TYPES, RESPONSE_STORE_ENV, STACK_ID_ENV, WAITER_ARN_ENV } from '../src/contract';
import { waiterDefinition } from '../src/private/waiter';

/* RegionOptIn: the stack's provider, its waiter and the custom resources. */

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
      Variables: {
        [WAITER_ARN_ENV]: { Ref: stateMachineId(template) },
        [STACK_ID_ENV]: { Ref: 'AWS::StackId' },
        [RESPONSE_STORE_ENV]: { Ref: onlyResource(template, 'AWS::S3::Bucket')[0] },
      },
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
    // And the response store's cleanup, so that the stack's deletion empties the store after every Region's Delete.
    const [cleanup] = onlyResource(template, RESOURCE_TYPES.regionResponseStore);
    for (const resource of resources) expect([...resource.DependsOn].sort()).toEqual([...policy, invokePolicyId(stack), cleanup].sort());
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
