import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { METRICS } from '../contract';

/*
 * The metrics and widgets of AccountManagementMonitoring's dashboard: one row per organization baseline
 * (from the metrics its reconciler writes into its log lines) and the stack's waiter and functions
 * (from what Step Functions and Lambda publish themselves).
 */

/** The dashboard's graphs' period: a reconciler step ends at most about five minutes after the one before. */
export const GRAPH_PERIOD = Duration.minutes(5);

/** A metric of one baseline (all its generations: the `BaselineId` dimension alone). */
export function baselineMetric(baselineId: string, metricName: string, statistic: string, period: Duration = GRAPH_PERIOD): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS.namespace,
    metricName,
    dimensionsMap: { [METRICS.dimensions.baseline]: baselineId },
    statistic,
    period,
  });
}

/** The four graphs of a baseline's row, under a title that names its construct. */
export function baselineWidgets(title: string, baselineId: string): cloudwatch.IWidget[] {
  const step = METRICS.step;
  const gauge = (name: string, label: string) => baselineMetric(baselineId, name, cloudwatch.Stats.MAXIMUM).with({ label });
  const sum = (name: string, label: string) => baselineMetric(baselineId, name, cloudwatch.Stats.SUM).with({ label });
  return [
    new cloudwatch.TextWidget({ markdown: `### Organization baseline ${title}`, width: 24, height: 1 }),
    new cloudwatch.GraphWidget({
      title: 'Progress (accounts done of total)',
      left: [gauge(step.accountsDone, 'done'), gauge(step.accountsTotal, 'total')],
      leftYAxis: { min: 0 },
      width: 6,
    }),
    new cloudwatch.GraphWidget({
      title: 'Accounts: applied, unchanged, skipped, failed',
      left: [gauge(step.applied, 'applied'), gauge(step.unchanged, 'unchanged'), gauge(step.skipped, 'skipped'), gauge(step.failed, 'failed')],
      leftYAxis: { min: 0 },
      width: 6,
    }),
    new cloudwatch.GraphWidget({
      title: 'Throttled calls, Regions in transition',
      left: [sum(step.throttledCalls, 'throttled calls')],
      right: [gauge(step.regionsInTransition, 'Regions in transition')],
      leftYAxis: { min: 0 },
      rightYAxis: { min: 0 },
      width: 6,
    }),
    new cloudwatch.GraphWidget({
      title: 'Generation age, ends and drift undone',
      left: [gauge(step.generationAgeSeconds, 'age (seconds)')],
      right: [sum(METRICS.end.generationConverged, 'converged'), sum(METRICS.end.generationFailed, 'failed'), sum(step.driftUndone, 'drift undone')],
      leftYAxis: { min: 0 },
      rightYAxis: { min: 0 },
      width: 6,
    }),
  ];
}

/** The waiter's executions, by how they ended. */
export function waiterWidget(stateMachine: sfn.IStateMachine): cloudwatch.IWidget {
  const options = { period: GRAPH_PERIOD, statistic: cloudwatch.Stats.SUM };
  return new cloudwatch.GraphWidget({
    title: 'Waiter executions (reconciler runs, Region transitions)',
    left: [
      stateMachine.metricStarted({ ...options, label: 'started' }),
      stateMachine.metricSucceeded({ ...options, label: 'succeeded' }),
      stateMachine.metricFailed({ ...options, label: 'failed' }),
      stateMachine.metricAborted({ ...options, label: 'stopped' }),
      stateMachine.metricTimedOut({ ...options, label: 'timed out' }),
    ],
    leftYAxis: { min: 0 },
    width: 8,
  });
}

/** The single settings' puts (contacts, names), written and failed, each kind of setting a line of its own. */
export function settingsWidget(): cloudwatch.IWidget {
  const search = (metricName: string, label: string) => new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS.namespace},${METRICS.dimensions.setting}} MetricName="${metricName}"', 'Sum', ${GRAPH_PERIOD.toSeconds()})`,
    usingMetrics: {},
    period: GRAPH_PERIOD,
    label,
  });
  return new cloudwatch.GraphWidget({
    title: 'Settings written and failed, by kind',
    left: [search(METRICS.settings.written, 'written'), search(METRICS.settings.failed, 'failed')],
    leftYAxis: { min: 0 },
    width: 8,
  });
}

/** One handler function: its errors and throttles, and how long its invocations take. */
export function functionWidget(title: string, fn: lambda.IFunction): cloudwatch.IWidget {
  const options = { period: GRAPH_PERIOD };
  return new cloudwatch.GraphWidget({
    title,
    left: [
      fn.metricErrors({ ...options, statistic: cloudwatch.Stats.SUM, label: 'errors' }),
      fn.metricThrottles({ ...options, statistic: cloudwatch.Stats.SUM, label: 'throttles' }),
    ],
    right: [
      fn.metricDuration({ ...options, statistic: cloudwatch.Stats.p(99), label: 'duration p99 (ms)' }),
      fn.metricDuration({ ...options, statistic: cloudwatch.Stats.MAXIMUM, label: 'duration max (ms)' }),
    ],
    leftYAxis: { min: 0 },
    rightYAxis: { min: 0 },
    width: 8,
  });
}

/** A construct's path below its stack: how the dashboard and the alarms name it. */
export function pathInStack(construct: { node: { path: string } }, stack: Stack): string {
  const prefix = `${stack.node.path}/`;
  return construct.node.path.startsWith(prefix) ? construct.node.path.slice(prefix.length) : construct.node.path;
}
