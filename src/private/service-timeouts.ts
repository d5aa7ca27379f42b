import { Duration, Token } from 'aws-cdk-lib';

/*
 * How long CloudFormation waits for each custom resource's answer (its ServiceTimeout): long enough for
 * every path of its handler to answer, short enough that an answer lost (a function that never ran) costs
 * minutes, not CloudFormation's default hour.
 */

/**
 * A single setting (and the baselines' store): the function answers within its 15 minutes; as long again
 * covers Lambda holding the request in its queue (throttled by the account's concurrency) while
 * CloudFormation starts hundreds of a stack's settings at once.
 */
export const SETTING_SERVICE_TIMEOUT = Duration.minutes(30);

/** An OrganizationBaseline: the reconciler answers by 55 minutes after the request; CloudFormation allows an hour at most. */
export const BASELINE_SERVICE_TIMEOUT = Duration.hours(1);

/** Beyond a RegionOptIn's `timeout`: the last step (the function's 2 minutes at most) and the waiter's own latency. */
const REGION_MARGIN = Duration.minutes(5);

/** A RegionOptIn: its `timeout` (counted from the request), then its last step; at most CloudFormation's hour. */
export function regionServiceTimeout(timeout: Duration): Duration {
  if (Token.isUnresolved(timeout.toSeconds())) return BASELINE_SERVICE_TIMEOUT;
  return Duration.seconds(Math.min(BASELINE_SERVICE_TIMEOUT.toSeconds(), timeout.toSeconds() + REGION_MARGIN.toSeconds()));
}
