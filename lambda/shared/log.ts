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
