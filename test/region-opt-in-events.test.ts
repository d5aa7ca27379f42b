import { Annotations as CoreAnnotations, App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { RegionOptIn, RegionOptStatus } from '../src';
import {
  CUSTOM_RESOURCE_TYPE, ENV, EVENTS_WARNING, EVENTS_WARNING_ID, logicalIdOf, MEMBER_A, MEMBER_B, newStack, STACK_ACCOUNT,
} from './region-opt-in-support';

/* RegionOptIn.onStatusChange: its rule, filters, targets and warning. */

describe('RegionOptIn.onStatusChange', () => {
  const SOURCE = { 'source': ['aws.account'], 'detail-type': ['Region Opt-In Status Change'] };

  function ruleOf(stack: Stack): Record<string, any> {
    const rules = Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(1);
    return rules[0].Properties;
  }

  test('without filters the rule matches every Region Opt-In Status Change event and has no detail', () => {
    const stack = newStack();
    RegionOptIn.onStatusChange(stack, 'Rule');
    const rule = ruleOf(stack);
    expect(rule.EventPattern).toEqual(SOURCE);
    expect(rule.Description).toBe('Region Opt-In Status Change events from AWS Account Management');
    expect(rule.Targets).toBeUndefined();
  });

  test('empty filter lists are the same as none', () => {
    const stack = newStack();
    RegionOptIn.onStatusChange(stack, 'Rule', { statuses: [], regionNames: [], accountIds: [] });
    expect(ruleOf(stack).EventPattern).toEqual(SOURCE);
  });

  test('the rule filters the detail on exactly the statuses, Regions and accounts given', () => {
    const stack = newStack();
    RegionOptIn.onStatusChange(stack, 'Rule', {
      statuses: [RegionOptStatus.ENABLED, RegionOptStatus.DISABLED],
      regionNames: ['af-south-1', 'ap-east-1'],
      accountIds: [MEMBER_A],
      description: 'Opt-in Regions of the workload account',
    });
    const rule = ruleOf(stack);
    expect(rule.EventPattern).toEqual({
      ...SOURCE,
      detail: { status: ['ENABLED', 'DISABLED'], regionName: ['af-south-1', 'ap-east-1'], accountId: [MEMBER_A] },
    });
    expect(rule.Description).toBe('Opt-in Regions of the workload account');
  });

  test.each<[string, Record<string, string[]>, Record<string, string[]>]>([
    ['statuses', { statuses: [RegionOptStatus.ENABLING] }, { status: ['ENABLING'] }],
    ['regionNames', { regionNames: ['me-south-1'] }, { regionName: ['me-south-1'] }],
    ['accountIds', { accountIds: [MEMBER_B] }, { accountId: [MEMBER_B] }],
  ])('with only %s the detail filters on that field alone', (_case, props, detail) => {
    const stack = newStack();
    RegionOptIn.onStatusChange(stack, 'Rule', props);
    expect(ruleOf(stack).EventPattern).toEqual({ ...SOURCE, detail });
  });

  test('the targets given are attached to the rule', () => {
    const stack = newStack();
    const topic = new Topic(stack, 'RegionNews');
    RegionOptIn.onStatusChange(stack, 'Rule', { statuses: [RegionOptStatus.ENABLED], targets: [new SnsTopic(topic)] });
    const topicId = logicalIdOf(topic);

    expect(ruleOf(stack).Targets).toEqual([{ Arn: { Ref: topicId }, Id: 'Target0' }]);
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 'sns:Publish',
          Principal: { Service: 'events.amazonaws.com' },
          Resource: { Ref: topicId },
        })]),
      },
    });
  });

  test('in an eu-west-1 stack the rule comes with a warning that the events arrive only in us-east-1', () => {
    const stack = new Stack(new App(), 'Stack', { env: { ...ENV, region: 'eu-west-1' } });
    RegionOptIn.onStatusChange(stack, 'Rule');
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/Stack/Rule', EVENTS_WARNING('eu-west-1'));
    expect(annotations.findWarning('*', Match.anyValue()).map((w) => [w.id, w.entry.data])).toEqual([
      ['/Stack/Rule', EVENTS_WARNING('eu-west-1')],
    ]);
    // The rule is still made as asked.
    expect(ruleOf(stack).EventPattern).toEqual(SOURCE);
  });

  test('the warning is on the rule, so acknowledging its id on the stack beforehand removes it', () => {
    const stack = new Stack(new App(), 'Stack', { env: { region: 'eu-west-1' } });
    CoreAnnotations.of(stack).acknowledgeWarning(EVENTS_WARNING_ID);
    RegionOptIn.onStatusChange(new Construct(stack, 'Events'), 'Rule');
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test.each(['cn-north-1', 'us-gov-west-1'])('a stack in %s, a partition without us-east-1, gets no warning', (region) => {
    const stack = new Stack(new App(), 'Stack', { env: { region } });
    RegionOptIn.onStatusChange(stack, 'Rule');
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test.each<[string, () => Stack]>([
    ['a us-east-1 stack', newStack],
    ['an environment-agnostic stack', () => new Stack(new App(), 'Agnostic')],
    ['a stack whose account alone is known', () => new Stack(new App(), 'AccountOnly', { env: { account: STACK_ACCOUNT } })],
  ])('in %s the rule comes with no warning', (_, makeStack) => {
    const stack = makeStack();
    RegionOptIn.onStatusChange(stack, 'Rule', { statuses: [RegionOptStatus.ENABLED] });
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('Region Opt-In Status Change'));
  });

  test('a rule alone declares no Region and creates no provider and no waiter', () => {
    const stack = newStack();
    RegionOptIn.onStatusChange(stack, 'Rule');
    const template = Template.fromStack(stack);
    template.resourceCountIs(CUSTOM_RESOURCE_TYPE, 0);
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
  });
});
