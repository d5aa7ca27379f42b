import { METRICS } from '../../src/contract';

/**
 * The only fields a handler may log. Contact values (names, e-mails, phones, addresses) have no field
 * here, so they cannot reach a log line by accident; a setting is named by its kind and type only.
 */
export interface LogFields {
  readonly requestType?: string;
  readonly setting: string;
  readonly accountId?: string;
  readonly operation?: string;
  readonly outcome: string;
  readonly physicalResourceId?: string;
  readonly error?: string;
  readonly status?: string;
  /** The primary contact's phone VerificationStatus (PENDING, UNVERIFIED…): a status, never the number. */
  readonly phoneVerification?: string;
  /** Who made a change (an IAM or STS ARN, as CloudTrail names them). */
  readonly actor?: string;
}

/**
 * Logs one object: with the functions' JSON log format, Lambda writes it as the `message` of the log
 * event, an object whose fields CloudWatch Logs Insights can query (`filter message.outcome = "failed"`).
 */
export function log(fields: LogFields): void {
  console.info(Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)));
}

/** What a log line carries as CloudWatch metrics: counts only, named by dimensions that say what they are about (never a value). */
export interface LineMetrics {
  /** Each dimension's value, by its name. */
  readonly dimensions: Partial<Record<string, string>>;
  /** The sets of dimension names each metric is published for. */
  readonly dimensionSets: string[][];
  readonly counts: Partial<Record<string, number>>;
  /** Metrics in seconds rather than counts. */
  readonly seconds?: Partial<Record<string, number>>;
}

/**
 * Logs `fields` as `log` does, with `metrics` in CloudWatch's embedded metric format, so that publishing
 * them costs no call: CloudWatch Logs extracts the metrics from the `_aws` member at the log event's
 * root. With the functions' JSON log format, Lambda nests what `console` writes under `message`, so the
 * line goes to stdout as it is, shaped like Lambda's own lines (the fields under `message`).
 */
export function logWithMetrics(fields: LogFields, metrics: LineMetrics): void {
  const defined = <T>(record: Partial<Record<string, T>> | undefined) =>
    Object.entries(record ?? {}).filter(([, value]) => value !== undefined) as Array<[string, T]>;
  const line = {
    timestamp: new Date().toISOString(),
    level: 'INFO',
    message: Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)),
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{
        Namespace: METRICS.namespace,
        Dimensions: metrics.dimensionSets,
        Metrics: [
          ...defined(metrics.counts).map(([name]) => ({ Name: name, Unit: 'Count' })),
          ...defined(metrics.seconds).map(([name]) => ({ Name: name, Unit: 'Seconds' })),
        ],
      }],
    },
    ...Object.fromEntries(defined(metrics.dimensions)),
    ...Object.fromEntries([...defined(metrics.counts), ...defined(metrics.seconds)]),
  };
  // Lambda sets AWS_LAMBDA_LOG_FORMAT; elsewhere (the local Lambda of the tests) the console is the log.
  if (process.env.AWS_LAMBDA_LOG_FORMAT === 'JSON') process.stdout.write(`${JSON.stringify(line)}\n`);
  else console.info(line);
}
