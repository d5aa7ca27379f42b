import { App, Duration, NestedStack, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  AccountManagementMonitoring, AccountManagementMonitoringProps, AlternateContact, AlternateContactType, OrganizationBaseline, RegionOptIn,
} from '../src';
import { ENV, expectExactError, MEMBER_A, newStack, onlyResource, OU, resourcesOf, SECURITY } from './fixtures';
import { nagFindings } from './nag';
import { METRICS } from '../src/contract';

/* AccountManagementMonitoring synthesized: its dashboard, its alarms and their actions, cdk-nag, and its validation. */

interface Monitored {
  readonly stack: Stack;
  readonly baseline: OrganizationBaseline;
  readonly template: Template;
}

/** A stack with an organization baseline, a contact and a Region, monitored with `props` (and a topic of the stack's, unless told). */
function monitored(props: AccountManagementMonitoringProps = {}, topic = true): Monitored {
  const stack = newStack();
  const baseline = new OrganizationBaseline(stack, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY } });
  new AlternateContact(stack, 'Security', { accountId: MEMBER_A, type: AlternateContactType.SECURITY, ...SECURITY });
  new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1' });
  const alarmTopic = topic && !props.alarmActions ? new sns.Topic(stack, 'Oncall', { enforceSSL: true }) : undefined;
  new AccountManagementMonitoring(stack, 'Monitoring', { alarmTopic, ...props });
  return { stack, baseline, template: Template.fromStack(stack) };
}

/** The alarm whose logical id starts with the id of its construct, e.g. 'GenerationFailed'. */
function alarmNamed(template: Template, id: string): Record<string, any> {
  const found = resourcesOf(template, 'AWS::CloudWatch::Alarm').filter(([logicalId]) => logicalId.includes(id));
  expect(found).toHaveLength(1);
  return found[0][1];
}

function dashboardBody(template: Template): string {
  return JSON.stringify(onlyResource(template, 'AWS::CloudWatch::Dashboard')[1].DashboardBody);
}

describe('the alarms', () => {
  test('one line adds, per baseline, generation failed, accounts failing and drift undone, and the waiter\'s failed executions', () => {
    const { template } = monitored();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
  });

  test('each baseline alarm reads the metric the reconciler writes, named by the BaselineId the baseline\'s custom resource carries', () => {
    const { template, baseline } = monitored();
    const [, resource] = onlyResource(template, 'Custom::AccountOrganizationBaseline');
    expect(resource.BaselineId).toBe(baseline.baselineId);
    const dimensions = [{ Name: METRICS.dimensions.baseline, Value: baseline.baselineId }];
    expect(alarmNamed(template, 'GenerationFailed')).toMatchObject({
      Namespace: METRICS.namespace,
      MetricName: METRICS.end.generationFailed,
      Dimensions: dimensions,
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(alarmNamed(template, 'AccountsFailing')).toMatchObject({
      Namespace: METRICS.namespace,
      MetricName: METRICS.step.failed,
      Dimensions: dimensions,
      Statistic: 'Maximum',
      Period: 900,
      EvaluationPeriods: 4,
      DatapointsToAlarm: 4,
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(alarmNamed(template, 'DriftUndone')).toMatchObject({
      Namespace: METRICS.namespace,
      MetricName: METRICS.step.driftUndone,
      Dimensions: dimensions,
      Statistic: 'Sum',
      Period: 86400,
      EvaluationPeriods: 1,
      Threshold: 3,
      TreatMissingData: 'notBreaching',
    });
  });

  test('failingAccountsPeriod and driftUndoneThreshold set how long and how many', () => {
    const { template } = monitored({ failingAccountsPeriod: Duration.hours(2), driftUndoneThreshold: 10 });
    expect(alarmNamed(template, 'AccountsFailing')).toMatchObject({ Period: 900, EvaluationPeriods: 8, DatapointsToAlarm: 8 });
    expect(alarmNamed(template, 'DriftUndone')).toMatchObject({ Threshold: 10 });
  });

  test('the waiter alarm adds the state machine\'s failed and timed-out executions, and its stopped ones only when asked', () => {
    const metricNames = (props: AccountManagementMonitoringProps) => {
      const { template } = monitored(props);
      const alarm = alarmNamed(template, 'WaiterExecutionsFailed');
      const [, stateMachine] = resourcesOf(template, 'AWS::StepFunctions::StateMachine')[0];
      expect(stateMachine).toBeDefined();
      for (const m of alarm.Metrics.filter((q: any) => q.MetricStat)) {
        expect(m.MetricStat.Metric.Namespace).toBe('AWS/States');
        expect(m.MetricStat.Metric.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: { Ref: expect.stringMatching(/^AccountManagementWaiterStateMachine/) } }]);
      }
      return alarm.Metrics.filter((q: any) => q.MetricStat).map((q: any) => q.MetricStat.Metric.MetricName).sort();
    };
    expect(metricNames({})).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
    expect(metricNames({ alarmOnStoppedExecutions: true })).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
  });

  test('every alarm notifies the given topic, in alarm and when OK again', () => {
    const { template, stack } = monitored();
    const topic = { Ref: stack.getLogicalId(stack.node.findChild('Oncall').node.defaultChild as sns.CfnTopic) };
    template.resourceCountIs('AWS::SNS::Topic', 1);
    for (const [, alarm] of resourcesOf(template, 'AWS::CloudWatch::Alarm')) {
      expect(alarm.AlarmActions).toEqual([topic]);
      expect(alarm.OKActions).toEqual([topic]);
    }
  });

  test('without a topic or actions, a topic encrypted with a key of its own is made, which CloudWatch may use', () => {
    const { template } = monitored({}, false);
    const [topicId, topic] = onlyResource(template, 'AWS::SNS::Topic');
    const [keyId] = onlyResource(template, 'AWS::KMS::Key');
    // Nothing stays encrypted with it: the README's "what a deleted stack leaves behind" holds.
    expect(template.findResources('AWS::KMS::Key')[keyId]).toMatchObject({ DeletionPolicy: 'Delete', Properties: { PendingWindowInDays: 7 } });
    expect(topic.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
    for (const [, alarm] of resourcesOf(template, 'AWS::CloudWatch::Alarm')) expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
  });

  test('with alarmActions, the alarms do those and no topic is made', () => {
    const stack = new Stack(new App(), 'Other', { env: ENV });
    const action: cloudwatch.IAlarmAction = { bind: () => ({ alarmActionArn: 'arn:aws:ssm-incidents::111111111111:response-plan/oncall' }) };
    new OrganizationBaseline(stack, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY } });
    const monitoring = new AccountManagementMonitoring(stack, 'Monitoring', { alarmActions: [action] });
    const template = Template.fromStack(stack);
    expect(monitoring.alarmTopic).toBeUndefined();
    template.resourceCountIs('AWS::SNS::Topic', 0);
    for (const [, alarm] of resourcesOf(template, 'AWS::CloudWatch::Alarm')) {
      expect(alarm.AlarmActions).toEqual(['arn:aws:ssm-incidents::111111111111:response-plan/oncall']);
    }
  });
});

describe('the dashboard', () => {
  test('charts each baseline\'s progress, outcomes, throttling, Regions, age, ends and drift, by its BaselineId', () => {
    const { template, baseline } = monitored({ dashboardName: 'account-settings' });
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'account-settings' });
    const body = dashboardBody(template);
    for (const title of ['Progress (accounts done of total)', 'Accounts: applied, unchanged, skipped, failed', 'Throttled calls, Regions in transition',
      'Generation age, ends and drift undone', 'Organization baseline Baseline']) {
      expect(body).toContain(title);
    }
    for (const name of [...Object.values(METRICS.step), ...Object.values(METRICS.end)]) {
      expect(body).toContain(`[\\"${METRICS.namespace}\\",\\"${name}\\",\\"${METRICS.dimensions.baseline}\\",\\"${baseline.baselineId}\\"`);
    }
  });

  test('charts the waiter\'s executions and each handler function\'s errors and durations, and shows the alarms', () => {
    const { template } = monitored();
    const body = dashboardBody(template);
    for (const name of ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsAborted', 'ExecutionsTimedOut']) {
      expect(body).toContain(`[\\"AWS/States\\",\\"${name}\\"`);
    }
    for (const title of ['Organization baselines\' function', 'Settings function (contacts, names)', 'Region opt-in function', 'What needs a person']) {
      expect(body).toContain(title);
    }
    for (const name of Object.values(METRICS.settings)) {
      expect(body).toMatch(new RegExp(`SEARCH\\('\\{${METRICS.namespace},${METRICS.dimensions.setting}\\} MetricName=[\\\\"]+${name}[\\\\"]+', 'Sum', 300\\)`));
    }
    expect(body.match(/\\"AWS\/Lambda\\",\\"Errors\\"/g)).toHaveLength(3);
    expect(body.match(/\\"AWS\/Lambda\\",\\"Duration\\"/g)).toHaveLength(6);
  });
});

describe('cdk-nag AwsSolutions checks', () => {
  test.each([
    ['with a topic of its own', false],
    ['with a given topic', true],
  ])('nothing the monitoring adds has a finding, %s', (_case, topic) => {
    const { stack } = monitored({}, topic);
    const findings = nagFindings(stack);
    expect(findings.length).toBeGreaterThan(0); // the baseline's own, acknowledged in organization-baseline-nag.test.ts
    expect(findings.filter(f => f.path.startsWith('Stack/Monitoring/') || f.path.startsWith('Stack/Oncall/'))).toEqual([]);
  });
});

describe('validation', () => {
  const topic = (stack: Stack) => new sns.Topic(stack, 'Topic');
  const action: cloudwatch.IAlarmAction = { bind: () => ({ alarmActionArn: 'arn:aws:sns:us-east-1:111111111111:oncall' }) };

  test.each<[string, (stack: Stack) => AccountManagementMonitoringProps, string]>([
    ['both a topic and actions', s => ({ alarmTopic: topic(s), alarmActions: [action] }),
      'Give `alarmTopic` or `alarmActions`, not both: got the topic Stack/Topic and 1 action(s)'],
    ['no actions', () => ({ alarmActions: [] }),
      '`alarmActions` must hold at least one action, got none: leave it out to notify `alarmTopic` (or a topic created for the alarms)'],
    ['a period that is not a multiple of 15 minutes', () => ({ failingAccountsPeriod: Duration.minutes(20) }),
      '`failingAccountsPeriod` must be a multiple of 15 minutes from 15 minutes to 24 hours, got 20 minutes'],
    ['a period longer than a day', () => ({ failingAccountsPeriod: Duration.hours(25) }),
      '`failingAccountsPeriod` must be a multiple of 15 minutes from 15 minutes to 24 hours, got 1 day 1 hour'],
    ['a threshold of 0', () => ({ driftUndoneThreshold: 0 }), '`driftUndoneThreshold` must be a whole number of at least 1, got 0'],
    ['a fractional threshold', () => ({ driftUndoneThreshold: 1.5 }), '`driftUndoneThreshold` must be a whole number of at least 1, got 1.5'],
    ['a dashboard name with a space', () => ({ dashboardName: 'account settings' }),
      '`dashboardName` must be 1-255 letters, digits, "-" and "_", got "account settings"'],
  ])('%s is an error that says what is allowed', (_case, props, message) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY } });
    expectExactError(() => new AccountManagementMonitoring(stack, 'Monitoring', props(stack)), message);
  });

  test('a stack with nothing to monitor yet is an error that says to create it after the settings', () => {
    const stack = newStack();
    expectExactError(() => new AccountManagementMonitoring(stack, 'Monitoring'),
      'AccountManagementMonitoring found nothing to monitor in the stack Stack: create it after the stack\'s account settings and '
      + 'OrganizationBaselines (or pass `baselines`)');
  });

  test('a baseline of a nested stack is left to a monitoring of that stack', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY } });
    const nested = new NestedStack(stack, 'Nested');
    const inner = new OrganizationBaseline(nested, 'Inner', { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY } });
    new AccountManagementMonitoring(stack, 'Monitoring');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    expect(dashboardBody(template)).not.toContain(inner.baselineId);
  });

  test('a baseline of another stack is an error that names both stacks', () => {
    const app = new App();
    const other = new Stack(app, 'Other', { env: ENV });
    const baseline = new OrganizationBaseline(other, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY } });
    const stack = new Stack(app, 'Stack', { env: ENV });
    expectExactError(() => new AccountManagementMonitoring(stack, 'Monitoring', { baselines: [baseline] }),
      '`baselines` must be OrganizationBaselines of the stack Stack, got Other/Baseline of Other');
  });
});
