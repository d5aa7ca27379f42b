import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RegionOptIn, RegionOptInProvider } from '../src';
import {
  accountApiStatements, allStatements, ANY_MEMBER_ARN, asArray, DESCRIBE_ACCOUNT_STATEMENT, effectivePermissions, expectCompactPolicies,
  expectNoAccountActionOnEverything, expectNothingOnEveryResource, expectPoliciesWithinIamLimits, memberArn, permissions, STACK_READ_STATEMENT,
  standaloneArn,
} from './iam';
import {
  CONDITION_KEY, CUSTOM_RESOURCE_TYPE, DISABLE, ENABLE, expectStatements, GET, handlerRoleDefaultPolicy, MEMBER_A, MEMBER_B, MEMBER_REGIONS,
  newStack, providerStatements, regionStatement, REMOVAL_STATEMENT, STACK_ACCOUNT, stackWith10Regions, STANDALONE_REGIONS,
} from './region-opt-in-support';

/* RegionOptIn: the Account Management policy and the provider's other permissions. */

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
