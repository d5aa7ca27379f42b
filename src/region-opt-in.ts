import { CustomResource, Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { RegionOptInProperties, RESOURCE_TYPES } from './contract';
import { warnUnlessUsEast1 } from './private/events';
import { regionServiceTimeout } from './private/service-timeouts';
import { claimSetting } from './private/setting-claims';
import { RegionOptInProvider } from './region-opt-in-provider';
import { validateAccountId, validateRegionName, validateRemovalPolicy } from './validation';

/**
 * The opt-in status of a Region, as GetRegionOptStatus and the "Region Opt-In Status Change" events
 * report it.
 */
export enum RegionOptStatus {
  /** The Region is enabled. */
  ENABLED = 'ENABLED',
  /** The Region is being enabled. */
  ENABLING = 'ENABLING',
  /** The Region is being disabled. */
  DISABLING = 'DISABLING',
  /** The Region is disabled. */
  DISABLED = 'DISABLED',
  /** The Region is enabled by default (introduced before March 20, 2019) and cannot be disabled. */
  ENABLED_BY_DEFAULT = 'ENABLED_BY_DEFAULT',
}

/** Regions introduced before March 20, 2019 (see RegionOptIn.REGIONS_ENABLED_BY_DEFAULT). */
const ENABLED_BY_DEFAULT: string[] = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
  'ap-south-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-southeast-1', 'ap-southeast-2',
  'ca-central-1', 'eu-central-1', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-north-1', 'sa-east-1',
];

const DEFAULT_TIMEOUT = Duration.minutes(55);
const MAX_TIMEOUT = Duration.minutes(55);
const DEFAULT_POLL_INTERVAL = Duration.seconds(30);
const MIN_POLL_INTERVAL = Duration.seconds(10);
const MAX_POLL_INTERVAL = Duration.minutes(5);

/**
 * Properties of a `RegionOptIn`.
 */
export interface RegionOptInProps {
  /**
   * The Region code, e.g. `af-south-1`.
   */
  readonly regionName: string;

  /**
   * Whether the Region is enabled (opted in) or disabled (opted out).
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * The 12-digit id of the account whose Region this is (organizations mode).
   *
   * @default - the account the stack deploys to (standalone mode)
   */
  readonly accountId?: string;

  /**
   * Whether the resource completes only when the transition has ended (the status is ENABLED or
   * DISABLED), or as soon as it has started (ENABLING or DISABLING). Changing it is an ordinary update.
   *
   * @default true
   */
  readonly waitForCompletion?: boolean;

  /**
   * How often the status is read while a transition is in progress; the deploy notices the end of a
   * transition at most this long after it happens. 10 seconds to 5 minutes.
   *
   * Most transitions take a few minutes: 30 seconds adds little to that, and costs one
   * GetRegionOptStatus call (quota: 5 per second), one DescribeStackResource call, one Lambda invocation
   * and two Step Functions state transitions per poll. Changing it is an ordinary update.
   *
   * @default Duration.seconds(30)
   */
  readonly pollInterval?: Duration;

  /**
   * How long to wait for the transition before the resource fails with a message that it is still
   * in progress. The next deploy then waits for the same transition again; it does not request it
   * again. At most 55 minutes: CloudFormation waits at most one hour for a custom resource, and the
   * handler needs the rest to report in time. Changing it is an ordinary update.
   *
   * @default Duration.minutes(55)
   */
  readonly timeout?: Duration;

  /**
   * What happens to the Region when this resource is removed from the stack or replaced by one for
   * another account or Region: RETAIN leaves it as it is, DESTROY disables it (and waits for that,
   * if `waitForCompletion`).
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Properties of a rule for "Region Opt-In Status Change" events.
 */
export interface RegionOptInStatusChangeRuleProps {
  /**
   * Only these statuses.
   *
   * @default - every status
   */
  readonly statuses?: RegionOptStatus[];

  /**
   * Only these Regions.
   *
   * @default - every Region
   */
  readonly regionNames?: string[];

  /**
   * Only these accounts.
   *
   * @default - every account
   */
  readonly accountIds?: string[];

  /**
   * Where the events go.
   *
   * @default - none; add them with `rule.addTarget()`
   */
  readonly targets?: events.IRuleTarget[];

  /**
   * The rule's description.
   *
   * @default - a description naming what the rule matches
   */
  readonly description?: string;
}

/**
 * Whether an opt-in Region is enabled in an AWS account.
 *
 * The handler reads the Region's status first and calls EnableRegion or DisableRegion only when the
 * status differs from what is declared. The deploy then waits, polling every `pollInterval`, until the
 * transition has ended (minutes for most accounts, sometimes hours): ENABLING is waited on, never
 * requested again; a Region that is DISABLING is waited on until DISABLED and then enabled. When
 * the account or the organization already has as many transitions in progress as the service allows,
 * the request is made again at a later poll instead of failing. A request is made only while
 * CloudFormation still waits for it: once a failure elsewhere has cancelled the deploy, the waiter stops.
 *
 * @example
 * import { RegionOptIn } from 'cdk-account-management';
 *
 * new RegionOptIn(this, 'CapeTown', { regionName: 'af-south-1' });
 */
export class RegionOptIn extends Construct {
  /**
   * Regions introduced before March 20, 2019: enabled by default in every account, and impossible to
   * enable or disable.
   */
  public static readonly REGIONS_ENABLED_BY_DEFAULT: string[] = [...ENABLED_BY_DEFAULT];

  /**
   * A rule for the "Region Opt-In Status Change" events that the service sends to the calling
   * account's default event bus in us-east-1 when a transition starts and when it ends.
   */
  public static onStatusChange(scope: Construct, id: string, props: RegionOptInStatusChangeRuleProps = {}): events.Rule {
    const detail: Record<string, string[]> = {};
    if (props.statuses?.length) detail.status = props.statuses;
    if (props.regionNames?.length) detail.regionName = props.regionNames;
    if (props.accountIds?.length) detail.accountId = props.accountIds;
    const rule = new events.Rule(scope, id, {
      description: props.description ?? 'Region Opt-In Status Change events from AWS Account Management',
      eventPattern: {
        source: ['aws.account'],
        detailType: ['Region Opt-In Status Change'],
        detail: Object.keys(detail).length > 0 ? detail : undefined,
      },
      targets: props.targets,
    });
    warnUnlessUsEast1(rule, 'cdk-account-management:region-opt-in-events',
      'Region Opt-In Status Change events arrive only in us-east-1; a rule in %REGION% never matches');
    return rule;
  }

  /**
   * The Region's status when the resource completed: ENABLED, DISABLED or ENABLED_BY_DEFAULT, or
   * ENABLING / DISABLING when `waitForCompletion` is false.
   */
  public readonly attrOptStatus: string;

  /** The Region code. */
  public readonly regionName: string;

  constructor(scope: Construct, id: string, props: RegionOptInProps) {
    super(scope, id);
    const enabled = props.enabled ?? true;
    const timeout = props.timeout ?? DEFAULT_TIMEOUT;
    const pollInterval = props.pollInterval ?? DEFAULT_POLL_INTERVAL;
    validateAccountId('accountId', props.accountId);
    validateRegionName('regionName', props.regionName);
    validateRemovalPolicy('removalPolicy', props.removalPolicy);
    validateTimeout(timeout);
    validatePollInterval(pollInterval);
    if (!enabled && !Token.isUnresolved(props.regionName) && ENABLED_BY_DEFAULT.includes(props.regionName)) {
      throw new Error(`\`regionName\` "${props.regionName}" is enabled by default and cannot be disabled (\`enabled: false\`); only opt-in Regions (introduced after March 20, 2019) can be`);
    }

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const provider = RegionOptInProvider.getOrCreate(this);
    if (!Token.isUnresolved(props.regionName)) claimSetting(this, `Region ${props.regionName}`, props.accountId);
    provider._grant({
      accountId: props.accountId,
      actions: [
        'account:GetRegionOptStatus',
        ...(enabled ? ['account:EnableRegion'] : []),
        ...(enabled ? [] : ['account:DisableRegion']),
      ],
      conditionKey: 'account:TargetRegion',
      conditionValue: props.regionName,
    });

    const properties: RegionOptInProperties = {
      AccountId: props.accountId,
      RegionName: props.regionName,
      Enabled: enabled ? 'true' : 'false',
      WaitForCompletion: props.waitForCompletion ?? true ? 'true' : 'false',
      TimeoutSeconds: String(timeout.toSeconds()),
      PollIntervalSeconds: String(pollInterval.toSeconds()),
    };
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      serviceTimeout: regionServiceTimeout(timeout),
      resourceType: RESOURCE_TYPES.regionOptIn,
      removalPolicy,
      properties: { ...properties },
    });
    resource.node.addDependency(provider._policyDependency);
    this.regionName = props.regionName;
    this.attrOptStatus = resource.getAttString('OptStatus');
  }
}

function validatePollInterval(pollInterval: Duration): void {
  if (Token.isUnresolved(pollInterval.toSeconds())) return;
  const seconds = pollInterval.toSeconds();
  if (seconds < MIN_POLL_INTERVAL.toSeconds() || seconds > MAX_POLL_INTERVAL.toSeconds()) {
    throw new Error(`\`pollInterval\` must be between 10 seconds and 5 minutes, got ${pollInterval.toHumanString()}`);
  }
}

function validateTimeout(timeout: Duration): void {
  if (Token.isUnresolved(timeout.toSeconds())) return;
  if (timeout.toSeconds() < 60 || timeout.toSeconds() > MAX_TIMEOUT.toSeconds()) {
    throw new Error(`\`timeout\` must be between 1 minute and 55 minutes (CloudFormation waits at most one hour for a custom resource), got ${timeout.toHumanString()}`);
  }
}
