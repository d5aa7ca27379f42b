import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AccountSettingsProvider } from './account-settings-provider';
import { METRICS } from './contract';
import { OrganizationBaseline } from './organization-baseline';
import { baselineMetric, baselineWidgets, functionWidget, pathInStack, settingsWidget, waiterWidget } from './private/monitoring-widgets';
import { OrganizationBaselineProvider } from './private/organization-baseline-provider';
import { Waiter } from './private/waiter';
import { RegionOptInProvider } from './region-opt-in-provider';

/**
 * Properties of `AccountManagementMonitoring`.
 */
export interface AccountManagementMonitoringProps {
  /**
   * The SNS topic the alarms notify (when they go into alarm and when they are OK again).
   *
   * @default - a topic is created (encrypted with a key of its own, SSL only), unless `alarmActions` are given
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * What the alarms do instead of notifying a topic (e.g. an incident manager's response plan).
   * Give `alarmTopic` or `alarmActions`, not both.
   *
   * @default - the alarms notify `alarmTopic`
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];

  /**
   * How long a baseline's run must have had failed accounts, on every step, before the "accounts failing"
   * alarm tells a person: a multiple of 15 minutes, from 15 minutes to 24 hours.
   *
   * @default Duration.hours(1)
   */
  readonly failingAccountsPeriod?: Duration;

  /**
   * How many accounts a baseline's scheduled runs may put back in a day (a value changed by hand or by
   * another tool since the baseline wrote it) before the "drift undone" alarm tells a person: someone
   * keeps changing what the baseline declares. A whole number, at least 1.
   *
   * @default 3
   */
  readonly driftUndoneThreshold?: number;

  /**
   * Also alarm when the waiter's executions are stopped. A newer generation of a baseline stops the
   * execution of the one it supersedes, so this alarm also fires on deploys that supersede an unfinished run.
   *
   * @default false - only failed and timed-out executions alarm; stopped ones are on the dashboard
   */
  readonly alarmOnStoppedExecutions?: boolean;

  /**
   * The dashboard's name: letters, digits, "-" and "_", at most 255 characters.
   *
   * @default - a name that CloudFormation makes
   */
  readonly dashboardName?: string;

  /**
   * The organization baselines to chart and alarm on, all in this construct's stack.
   *
   * @default - every `OrganizationBaseline` of the stack when this construct is created (create it after them)
   */
  readonly baselines?: OrganizationBaseline[];
}

/** The steps' metrics are published at least every 15 minutes while a run goes on (a step ends within about 5). */
const FAILING_PERIOD_UNIT = Duration.minutes(15);
/** Periods of an alarm's evaluation may add up to a day at most. */
const MAX_EVALUATED = Duration.hours(24);

/**
 * A CloudWatch dashboard and alarms for a stack's account settings, one line away: the progress of
 * each `OrganizationBaseline` (accounts done of total, applied, unchanged, skipped, failed, throttled
 * calls, Regions in transition, the generation's age, ends and drift undone), the stack's waiter's
 * executions and its functions' errors and durations; and alarms for what needs a person.
 *
 * The alarms, each treating missing data as not breaching (no run, nothing to alarm on):
 * - per baseline, a generation failed (an account, a Region, or the run as a whole);
 * - per baseline, accounts failing on every step for longer than `failingAccountsPeriod`;
 * - per baseline, more than `driftUndoneThreshold` hand changes undone in a day;
 * - for the stack's waiter, an execution failed or timed out (or was stopped, with `alarmOnStoppedExecutions`).
 *
 * The baselines' metrics come from their reconciler's log lines (CloudWatch's embedded metric format,
 * namespace `CdkAccountManagement`, dimension `BaselineId`): publishing them costs no API call.
 *
 * @example
 * import * as sns from 'aws-cdk-lib/aws-sns';
 * import { AccountManagementMonitoring } from 'cdk-account-management';
 *
 * declare const oncall: sns.ITopic;
 * new AccountManagementMonitoring(this, 'Monitoring', { alarmTopic: oncall });
 */
export class AccountManagementMonitoring extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  /** The topic the alarms notify: the one given or created; undefined when `alarmActions` were given. */
  public readonly alarmTopic?: sns.ITopic;

  /** The alarms, for whoever wants to add actions or composite alarms of their own. */
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: AccountManagementMonitoringProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    validateActions(props);
    const failingPeriods = validateFailingAccountsPeriod(props.failingAccountsPeriod);
    const driftThreshold = validateDriftUndoneThreshold(props.driftUndoneThreshold);
    validateDashboardName(props.dashboardName);
    // Those of nested stacks are left out: their metrics and alarms belong to a monitoring of that stack.
    const baselines = props.baselines ?? stack.node.findAll()
      .filter((c): c is OrganizationBaseline => c instanceof OrganizationBaseline && Stack.of(c) === stack);
    for (const baseline of baselines) {
      if (Stack.of(baseline) !== stack) {
        throw new Error(`\`baselines\` must be OrganizationBaselines of the stack ${stack.node.path}, got ${baseline.node.path} of ${Stack.of(baseline).node.path}`);
      }
    }
    const waiter = Waiter.find(this);
    const functions = handlersOf(stack);
    if (baselines.length === 0 && !waiter && functions.length === 0) {
      throw new Error(`AccountManagementMonitoring found nothing to monitor in the stack ${stack.node.path}: create it after the stack's `
        + 'account settings and OrganizationBaselines (or pass `baselines`)');
    }

    this.alarmTopic = props.alarmActions ? undefined : props.alarmTopic ?? this.createTopic();
    const actions = props.alarmActions ?? [new cloudwatchActions.SnsAction(this.alarmTopic!)];
    const alarm = (parent: Construct, alarmId: string, alarmProps: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(parent, alarmId, { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...alarmProps });
      created.addAlarmAction(...actions);
      created.addOkAction(...actions);
      this.alarms.push(created);
      return created;
    };

    const rows: cloudwatch.IWidget[][] = [];
    for (const baseline of baselines) {
      const path = pathInStack(baseline, stack);
      const at = new Construct(this, path.replace(/\//g, '-'));
      alarm(at, 'GenerationFailed', {
        alarmDescription: `A generation of the organization baseline ${path} failed (an account, a Region or the run): its "Generation Failed" event `
          + 'and its function\'s log say which and why',
        metric: baselineMetric(baseline.baselineId, METRICS.end.generationFailed, cloudwatch.Stats.SUM),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
      alarm(at, 'AccountsFailing', {
        alarmDescription: `The organization baseline ${path} has had failed accounts for ${props.failingAccountsPeriod?.toHumanString() ?? '1 hour'}: `
          + 'its function\'s log has a line per failed account, with why',
        metric: baselineMetric(baseline.baselineId, METRICS.step.failed, cloudwatch.Stats.MAXIMUM, FAILING_PERIOD_UNIT),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: failingPeriods,
        datapointsToAlarm: failingPeriods,
      });
      alarm(at, 'DriftUndone', {
        alarmDescription: `The organization baseline ${path} put back at least ${driftThreshold} value(s) changed by hand (or by another tool) in a day: `
          + 'someone keeps changing what the baseline declares',
        metric: baselineMetric(baseline.baselineId, METRICS.step.driftUndone, cloudwatch.Stats.SUM, Duration.days(1)),
        threshold: driftThreshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
      rows.push(baselineWidgets(path, baseline.baselineId));
    }

    const stackRow: cloudwatch.IWidget[] = [];
    if (waiter) {
      const sm = waiter.stateMachine;
      const options = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
      const ended: Record<string, cloudwatch.IMetric> = { failed: sm.metricFailed(options), timedOut: sm.metricTimedOut(options) };
      if (props.alarmOnStoppedExecutions) ended.stopped = sm.metricAborted(options);
      const how = props.alarmOnStoppedExecutions ? 'failed, timed out or was stopped' : 'failed or timed out';
      alarm(this, 'WaiterExecutionsFailed', {
        alarmDescription: `An execution of the stack's waiter (an organization baseline's run or a Region's transition) ${how}: `
          + 'its history and the function\'s log say why',
        metric: new cloudwatch.MathExpression({ expression: Object.keys(ended).join(' + '), usingMetrics: ended, period: Duration.minutes(5), label: 'unsuccessful executions' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
      stackRow.push(waiterWidget(sm));
    }
    if (stack.node.children.some(c => c instanceof AccountSettingsProvider)) stackRow.push(settingsWidget());
    for (const [title, fn] of functions) stackRow.push(functionWidget(title, fn));

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      widgets: [
        [
          new cloudwatch.TextWidget({ markdown: `## cdk-account-management: ${stack.stackName}`, width: 24, height: 1 }),
          ...this.alarms.length > 0 ? [new cloudwatch.AlarmStatusWidget({ title: 'What needs a person', alarms: this.alarms, width: 24 })] : [],
        ],
        ...rows,
        stackRow,
      ],
    });
  }

  /** A topic of its own for the alarms: encrypted with a key that CloudWatch may use, reachable over SSL only. */
  private createTopic(): sns.ITopic {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'cdk-account-management: encrypts the alarm topic of AccountManagementMonitoring',
      enableKeyRotation: true,
      // It encrypts only notifications on their way through the topic: nothing needs it once the stack is gone.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch publishes the alarms' notifications, so it encrypts them with this key.
    key.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
    }));
    return new sns.Topic(this, 'AlarmTopic', { displayName: 'cdk-account-management alarms', masterKey: key, enforceSSL: true });
  }
}

/** The stack's handler functions, each with its dashboard title. */
function handlersOf(stack: Stack): Array<[string, lambda.IFunction]> {
  const found: Array<[string, lambda.IFunction]> = [];
  for (const child of stack.node.children) {
    if (child instanceof OrganizationBaselineProvider) found.push(['Organization baselines\' function', child.handler]);
    if (child instanceof AccountSettingsProvider) found.push(['Settings function (contacts, names)', child.handler]);
    if (child instanceof RegionOptInProvider) found.push(['Region opt-in function', child.handler]);
  }
  return found;
}

function validateActions(props: AccountManagementMonitoringProps): void {
  if (props.alarmTopic && props.alarmActions) {
    throw new Error(`Give \`alarmTopic\` or \`alarmActions\`, not both: got the topic ${props.alarmTopic.node.path} and ${props.alarmActions.length} action(s)`);
  }
  if (props.alarmActions && props.alarmActions.length === 0) {
    throw new Error('`alarmActions` must hold at least one action, got none: leave it out to notify `alarmTopic` (or a topic created for the alarms)');
  }
}

/** The number of 15-minute periods the "accounts failing" alarm evaluates. */
function validateFailingAccountsPeriod(period: Duration | undefined): number {
  if (period === undefined) return Duration.hours(1).toSeconds() / FAILING_PERIOD_UNIT.toSeconds();
  // The alarm's number of periods is fixed at synth: a duration known only at deploy time cannot make it.
  if (period.isUnresolved()) throw new Error('`failingAccountsPeriod` must be known at synth time (a multiple of 15 minutes), got a token');
  const seconds = period.toSeconds();
  const unit = FAILING_PERIOD_UNIT.toSeconds();
  if (seconds % unit !== 0 || seconds < unit || seconds > MAX_EVALUATED.toSeconds()) {
    throw new Error(`\`failingAccountsPeriod\` must be a multiple of 15 minutes from 15 minutes to 24 hours, got ${period.toHumanString()}`);
  }
  return seconds / unit;
}

function validateDriftUndoneThreshold(threshold: number | undefined): number {
  if (threshold === undefined || Token.isUnresolved(threshold)) return threshold ?? 3;
  if (!Number.isInteger(threshold) || threshold < 1) {
    throw new Error(`\`driftUndoneThreshold\` must be a whole number of at least 1, got ${threshold}`);
  }
  return threshold;
}

function validateDashboardName(name: string | undefined): void {
  if (name === undefined || Token.isUnresolved(name)) return;
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(name)) {
    throw new Error(`\`dashboardName\` must be 1-255 letters, digits, "-" and "_", got "${name}"`);
  }
}
