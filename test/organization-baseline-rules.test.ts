import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { OrganizationBaseline, OrganizationBaselineProps } from '../src';
import {
  accountRange, BILLING, constructAt, expectSameMembers, logicalIdAt, MEMBER_A, MEMBER_C, newStack, OPERATIONS, OU, PRIMARY_CONTACT, resourcesOf,
  SECURITY, SUBSIDIARY_CONTACT,
} from './fixtures';
import { handlerArn, inputOf, NEW_ACCOUNT_WARNING, propertiesOf, PROVIDER, RECONCILE, rulesOf, storeId } from './organization-baseline-support';
import { BaselineTrigger } from '../src/contract';

/* The synthesized side of OrganizationBaseline: the rules of coverNewAccounts and reconcileSchedule. */

describe('coverNewAccounts', () => {
  const PROPS: OrganizationBaselineProps = {
    organizationalUnitIds: [OU],
    excludeAccountIds: [MEMBER_C],
    alternateContacts: { security: SECURITY },
    primaryContact: PRIMARY_CONTACT,
    enabledRegions: ['af-south-1'],
    overrides: [{ accountId: MEMBER_A, alternateContacts: { security: OPERATIONS }, accountName: 'workload-a' }],
    coverNewAccounts: true,
  };

  const PATTERNS: Record<string, Record<string, unknown>> = {
    CreateAccountRule: {
      source: ['aws.organizations'],
      detail: { eventName: ['CreateAccountResult'], serviceEventDetails: { createAccountStatus: { state: ['SUCCEEDED'] } } },
    },
    ControlTowerRule: {
      source: ['aws.controltower'],
      detail: { eventName: ['CreateManagedAccount'], serviceEventDetails: { createManagedAccountStatus: { state: ['SUCCEEDED'] } } },
    },
    MoveAccountRule: {
      'source': ['aws.organizations'],
      'detail-type': ['AWS API Call via CloudTrail'],
      'detail': { eventName: ['MoveAccount'], errorCode: [{ exists: false }] },
    },
  };
  const EVENT_NAMES: Record<string, string> = { CreateAccountRule: 'CreateAccountResult', ControlTowerRule: 'CreateManagedAccount', MoveAccountRule: 'MoveAccount' };

  test('a baseline that targets OUs gets the stack\'s three rules: accounts created (Organizations, Control Tower) and moved between OUs', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', PROPS);
    const rules = rulesOf(stack, PROVIDER);
    expect(Object.keys(rules).sort()).toEqual(['ControlTowerRule', 'CreateAccountRule', 'MoveAccountRule']);
    for (const [id, rule] of Object.entries(rules)) {
      expect(rule.EventPattern).toEqual(PATTERNS[id]);
      expect(rule.Description).toBe(`cdk-account-management: apply the stack's organization baselines to accounts from ${EVENT_NAMES[id]}`);
      expect(rule.State).toBe('ENABLED');
    }
    // They are the stack's (children of the provider), not the baseline's.
    expect(rulesOf(stack, 'Baseline')).toEqual({});
    expect(Object.keys(rules).map((id) => constructAt(stack, `${PROVIDER}/${id}`).node.path).sort())
      .toEqual(['Stack/OrganizationBaselineProvider/ControlTowerRule', 'Stack/OrganizationBaselineProvider/CreateAccountRule',
        'Stack/OrganizationBaselineProvider/MoveAccountRule']);
  });

  test.each<[string, Partial<OrganizationBaselineProps>]>([
    ['explicit accounts', { accountIds: [MEMBER_A], organizationalUnitIds: undefined }],
    ['allAccounts', { allAccounts: true, organizationalUnitIds: undefined }],
  ])('a baseline of %s, which no move can join, gets no MoveAccount rule', (_case, targets) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { ...PROPS, ...targets });
    expect(Object.keys(rulesOf(stack, PROVIDER)).sort()).toEqual(['ControlTowerRule', 'CreateAccountRule']);
  });

  test('each rule invokes the provider\'s function, retried 4 times, with the trigger, the store and the whole event: no baseline\'s id, never a value', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', PROPS);
    const template = Template.fromStack(stack);
    const event = { 'detail-type': 'AWS Service Event via CloudTrail', 'detail': { eventName: 'CreateAccountResult' } };
    const rules = Object.values(rulesOf(stack, PROVIDER));
    expect(rules).toHaveLength(3);
    for (const rule of rules) {
      expect(rule.Targets).toHaveLength(1);
      const [target] = rule.Targets;
      expect(target.Arn).toEqual(handlerArn(template));
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 4 });
      const expected: BaselineTrigger = { Trigger: 'new-account', Store: `REF:${storeId(stack)}`, Event: event };
      expect(inputOf(target, event)).toEqual(expected);
      expect(inputOf(target, event)).not.toHaveProperty('BaselineId');
      // The whole input: the trigger, the store's name, the event; nothing the baselines declare.
      expect(target.InputTransformer).toEqual({
        InputPathsMap: { f1: '$' },
        InputTemplate: { 'Fn::Join': ['', ['{"Trigger":"new-account","Store":"', { Ref: storeId(stack) }, '","Event":<f1>}']] },
      });
    }
  });

  test('the rules are the same whichever baselines made them, and however many', () => {
    const rulesOfStack = (...baselines: Array<[string, OrganizationBaselineProps]>) => {
      const stack = newStack();
      for (const [id, props] of baselines) new OrganizationBaseline(stack, id, props);
      return rulesOf(stack, PROVIDER);
    };
    const one = rulesOfStack(['Baseline', PROPS]);
    expect(rulesOfStack(['Other', { ...PROPS, overrides: undefined, enabledRegions: undefined }])).toEqual(one);
    expect(rulesOfStack(
      ['Accounts', { accountIds: [MEMBER_A], alternateContacts: { billing: BILLING }, coverNewAccounts: true }],
      ['Baseline', PROPS],
      ['Everyone', { allAccounts: true, enabledRegions: ['ap-east-1'], coverNewAccounts: true }],
    )).toEqual(one);
  });

  test('N covering baselines make the rules and their permissions once: 3 at most, whatever N', () => {
    const stack = newStack();
    for (let i = 0; i < 10; i++) {
      new OrganizationBaseline(stack, `Baseline${i}`, { ...PROPS, overrides: undefined, organizationalUnitIds: [`ou-ab12-cd34ef5${i}`] });
    }
    const template = Template.fromStack(stack);
    // +1: the waiter's rule on executions that end unsuccessfully (the function is its target too).
    template.resourceCountIs('AWS::Events::Rule', 3 + 1);
    template.resourceCountIs('AWS::Lambda::Permission', 3 + 1);
    expect(Object.keys(rulesOf(stack, PROVIDER)).sort()).toEqual(['ControlTowerRule', 'CreateAccountRule', 'MoveAccountRule']);
    for (let i = 0; i < 10; i++) expect(rulesOf(stack, `Baseline${i}`)).toEqual({});
  });

  test('the MoveAccount rule comes with the first covering baseline that targets OUs, not before, and once', () => {
    const stack = newStack();
    // Read from the construct tree: the stack is synthesized once, at the end.
    const ruleIds = () => constructAt(stack, PROVIDER).node.children.filter((child) => child instanceof Rule).map((child) => child.node.id).sort();
    new OrganizationBaseline(stack, 'Accounts', { accountIds: [MEMBER_A], alternateContacts: { security: SECURITY }, coverNewAccounts: true });
    expect(ruleIds()).toEqual(['ControlTowerRule', 'CreateAccountRule']);
    // An OU baseline that does not cover new accounts adds nothing.
    new OrganizationBaseline(stack, 'Quiet', { organizationalUnitIds: [OU], alternateContacts: { billing: BILLING } });
    expect(ruleIds()).toEqual(['ControlTowerRule', 'CreateAccountRule']);
    new OrganizationBaseline(stack, 'Unit', { organizationalUnitIds: [OU], enabledRegions: ['af-south-1'], coverNewAccounts: true });
    expect(ruleIds()).toEqual(['ControlTowerRule', 'CreateAccountRule', 'MoveAccountRule']);
    new OrganizationBaseline(stack, 'OtherUnit', { organizationalUnitIds: ['ou-ab12-cd34ef57'], primaryContact: PRIMARY_CONTACT, coverNewAccounts: true });
    expect(ruleIds()).toEqual(['ControlTowerRule', 'CreateAccountRule', 'MoveAccountRule']);
    // +1: the waiter's rule on executions that end unsuccessfully (the function is its target too).
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 3 + 1);
  });

  test('the function may be invoked by each rule, and by nothing else', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', PROPS);
    const template = Template.fromStack(stack);
    const ruleIds = resourcesOf(template, 'AWS::Events::Rule').map(([id]) => id);
    // +1: the waiter's rule on executions that end unsuccessfully (the function is its target too).
    expect(ruleIds).toHaveLength(3 + 1);
    expectSameMembers(resourcesOf(template, 'AWS::Lambda::Permission').map(([, p]) => p), ruleIds.map((id) => ({
      Action: 'lambda:InvokeFunction', FunctionName: handlerArn(template), Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [id, 'Arn'] },
    })));
  });

  test('without coverNewAccounts there is no rule and no permission', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { ...PROPS, coverNewAccounts: undefined });
    // +1: the waiter's rule on executions that end unsuccessfully (the function is its target too).
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 0 + 1);
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Permission', 0 + 1);
  });

  test('in an eu-west-1 stack each baseline with coverNewAccounts warns on itself, once, that the events arrive only in us-east-1', () => {
    const stack = newStack('eu-west-1');
    new OrganizationBaseline(stack, 'First', PROPS);
    new OrganizationBaseline(stack, 'Second', { ...PROPS, overrides: undefined });
    new OrganizationBaseline(stack, 'Quiet', { ...PROPS, overrides: undefined, coverNewAccounts: false });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => [w.id, w.entry.data]);
    expectSameMembers(warnings, [['/Stack/First', NEW_ACCOUNT_WARNING('eu-west-1')], ['/Stack/Second', NEW_ACCOUNT_WARNING('eu-west-1')]]);
    // The stack's rules are still made, once.
    // +1: the waiter's rule on executions that end unsuccessfully (the function is its target too).
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 3 + 1);
  });

  test.each<[string, () => Stack, boolean | undefined]>([
    ['a us-east-1 stack with coverNewAccounts', () => newStack(), true],
    ['a cn-north-1 stack with coverNewAccounts', () => newStack('cn-north-1'), true],
    ['a us-gov-west-1 stack with coverNewAccounts', () => newStack('us-gov-west-1'), true],
    ['an environment-agnostic stack with coverNewAccounts', () => new Stack(new App(), 'Agnostic'), true],
    ['an eu-west-1 stack without coverNewAccounts', () => newStack('eu-west-1'), undefined],
  ])('%s gets no warning', (_case, makeStack, coverNewAccounts) => {
    const stack = makeStack();
    new OrganizationBaseline(stack, 'Baseline', { ...PROPS, coverNewAccounts });
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('reconcileSchedule', () => {
  const PROPS: OrganizationBaselineProps = {
    allAccounts: true,
    alternateContacts: { billing: BILLING },
    primaryContact: PRIMARY_CONTACT,
    enabledRegions: ['ap-east-1'],
    reconcileSchedule: RECONCILE,
  };

  test('a scheduled rule invokes the provider\'s function with the trigger, the baseline\'s id and the store: never a value', () => {
    const stack = newStack();
    const baseline = new OrganizationBaseline(stack, 'Baseline', PROPS);
    const template = Template.fromStack(stack);
    const rules = rulesOf(stack, 'Baseline');
    expect(Object.keys(rules)).toEqual(['Reconcile']);
    const rule = rules.Reconcile;

    expect(rule.ScheduleExpression).toBe('rate(12 hours)');
    expect(rule.EventPattern).toBeUndefined();
    expect(rule.Description).toBe('cdk-account-management: reconcile the organization baseline');
    expect(rule.Targets).toHaveLength(1);
    expect(rule.Targets[0].Arn).toEqual(handlerArn(template));
    const expected: BaselineTrigger = {
      Trigger: 'schedule',
      BaselineId: propertiesOf(baseline).BaselineId,
      Store: `REF:${storeId(stack)}`,
      Resource: { StackId: 'REF:AWS::StackId', LogicalResourceId: logicalIdAt(stack, 'Baseline/Resource') },
    };
    expect(inputOf(rule.Targets[0])).toEqual(expected);
  });

  test('a cron schedule is kept as given', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { ...PROPS, reconcileSchedule: Schedule.cron({ minute: '0', hour: '3' }) });
    expect(rulesOf(stack, 'Baseline').Reconcile.ScheduleExpression).toBe('cron(0 3 * * ? *)');
  });

  test('with coverNewAccounts too, both kinds of rule are made: the baseline\'s schedule, the stack\'s new-account rules', () => {
    const both = newStack();
    new OrganizationBaseline(both, 'Baseline', { ...PROPS, coverNewAccounts: true });
    expect(Object.keys(rulesOf(both, 'Baseline'))).toEqual(['Reconcile']);
    expect(Object.keys(rulesOf(both, PROVIDER)).sort()).toEqual(['ControlTowerRule', 'CreateAccountRule']);
    // +1: the waiter's rule on executions that end unsuccessfully (the function is its target too).
    Template.fromStack(both).resourceCountIs('AWS::Events::Rule', 3 + 1);
  });

  test('without reconcileSchedule there is no scheduled rule', () => {
    const none = newStack();
    new OrganizationBaseline(none, 'Baseline', { ...PROPS, reconcileSchedule: undefined, coverNewAccounts: true });
    expect(rulesOf(none, 'Baseline')).toEqual({});
    expect(resourcesOf(Template.fromStack(none), 'AWS::Events::Rule').filter(([, rule]) => rule.ScheduleExpression !== undefined)).toEqual([]);
  });

  test('each baseline with a schedule has its own scheduled rule, naming it', () => {
    const stack = newStack();
    const baselines = ['First', 'Second'].map((id) => new OrganizationBaseline(stack, id, { ...PROPS, coverNewAccounts: true }));
    baselines.forEach((baseline) => {
      const rules = rulesOf(stack, baseline.node.id);
      expect(Object.keys(rules)).toEqual(['Reconcile']);
      const expected: BaselineTrigger = {
        Trigger: 'schedule',
        BaselineId: propertiesOf(baseline).BaselineId,
        Store: `REF:${storeId(stack)}`,
        Resource: { StackId: 'REF:AWS::StackId', LogicalResourceId: logicalIdAt(stack, `${baseline.node.id}/Resource`) },
      };
      expect(inputOf(rules.Reconcile.Targets[0])).toEqual(expected);
    });
    expect(propertiesOf(baselines[0]).BaselineId).not.toBe(propertiesOf(baselines[1]).BaselineId);
    // Two schedules and the stack's two new-account rules.
    // +1: the waiter's rule on executions that end unsuccessfully (the function is its target too).
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 4 + 1);
  });

  test('a large baseline makes rule inputs no larger than a small one\'s: the values never travel in them', () => {
    const inputs = (overrides: number) => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', {
        ...PROPS,
        coverNewAccounts: true,
        overrides: accountRange(200000000000, overrides)
          .map((accountId) => ({ accountId, alternateContacts: { security: SECURITY }, primaryContact: SUBSIDIARY_CONTACT })),
      });
      const rules = [...Object.values(rulesOf(stack, 'Baseline')), ...Object.values(rulesOf(stack, PROVIDER))];
      expect(rules).toHaveLength(3);
      return rules.map((rule) => JSON.stringify(rule.Targets));
    };
    expect(inputs(500)).toEqual(inputs(1));
  });
});
