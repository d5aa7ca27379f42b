import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, DependencyGroup, IDependable } from 'constructs';
import { AccountApiPolicy, AccountGrant } from './private/account-api-policy';
import { createHandlerFunction, createProvider, grantRemoval } from './private/handler-function';

/**
 * Properties of a `RegionOptInProvider`.
 */
export interface RegionOptInProviderProps {
  /**
   * How often the waiter asks for the Region's status while a transition is in progress. The deploy
   * notices the end of a transition at most this long after it happens.
   *
   * @default Duration.seconds(30)
   */
  readonly pollInterval?: Duration;

  /**
   * How long the handlers' and the provider framework's logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

const DEFAULT_POLL_INTERVAL = Duration.seconds(30);
const MIN_POLL_INTERVAL = Duration.seconds(10);
const MAX_POLL_INTERVAL = Duration.minutes(5);

/**
 * The custom-resource provider behind `RegionOptIn`: an onEvent handler that reads the Region's status
 * and starts a transition only when one is needed, and an isComplete handler that the provider
 * framework's waiter calls every `pollInterval` until the transition has ended.
 *
 * One per stack and poll interval, however many Regions the stack declares.
 */
export class RegionOptInProvider extends Construct {
  /**
   * The stack's provider for `props.pollInterval`, created on first use.
   *
   * @param scope any construct of the stack
   * @param props `logRetention` applies only when the provider is created by this call
   */
  public static getOrCreate(scope: Construct, props: RegionOptInProviderProps = {}): RegionOptInProvider {
    const stack = Stack.of(scope);
    const pollInterval = props.pollInterval ?? DEFAULT_POLL_INTERVAL;
    validatePollInterval(pollInterval);
    const id = pollInterval.toSeconds() === DEFAULT_POLL_INTERVAL.toSeconds()
      ? 'RegionOptInProvider'
      : `RegionOptInProvider${pollInterval.toSeconds()}s`;
    const existing = stack.node.tryFindChild(id) as RegionOptInProvider | undefined;
    if (existing && props.logRetention !== undefined) {
      throw new Error(`RegionOptInProvider.getOrCreate(): the provider of stack ${stack.node.path} already exists; pass logRetention before the stack declares its first Region`);
    }
    return existing ?? new RegionOptInProvider(stack, id, pollInterval, props.logRetention ?? logs.RetentionDays.ONE_YEAR);
  }

  /** The service token for the custom resources. */
  public readonly serviceToken: string;

  /** The handler that starts transitions. */
  public readonly onEventHandler: lambda.IFunction;

  /** The handler that the waiter polls. */
  public readonly isCompleteHandler: lambda.IFunction;

  /** How often the waiter polls. */
  public readonly pollInterval: Duration;

  private readonly policy: AccountApiPolicy;
  private readonly role: iam.IRole;

  private constructor(scope: Construct, id: string, pollInterval: Duration, logRetention: logs.RetentionDays) {
    super(scope, id);
    this.pollInterval = pollInterval;
    this.role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
    });
    this.policy = new AccountApiPolicy(this, 'AccountApiPolicy', this.role);
    grantRemoval(this.role, ['account:GetRegionOptStatus', 'account:DisableRegion']);
    const handler = (name: string, exported: string, description: string) => createHandlerFunction(this, name, {
      bundle: 'region',
      handler: exported,
      description,
      timeout: Duration.minutes(2),
      logRetention,
      role: this.role,
    });
    this.onEventHandler = handler('OnEvent', 'onEvent', 'cdk-account-management: starts Region opt-in transitions');
    this.isCompleteHandler = handler('IsComplete', 'isComplete', 'cdk-account-management: waits for Region opt-in transitions');
    this.serviceToken = createProvider(this, {
      onEventHandler: this.onEventHandler,
      isCompleteHandler: this.isCompleteHandler,
      queryInterval: pollInterval,
      logRetention,
    });
  }

  /**
   * Lets the handlers make the calls one Region needs.
   * @internal
   */
  public _grant(grant: AccountGrant): void {
    this.policy.grant(grant);
  }

  /**
   * The custom resources must not run before the handlers' permissions exist.
   * @internal
   */
  public get _policyDependency(): IDependable {
    return new DependencyGroup(this.policy, this.role);
  }
}

function validatePollInterval(pollInterval: Duration): void {
  if (Token.isUnresolved(pollInterval.toSeconds())) {
    throw new Error('`pollInterval` must be known at synth time (it is written into the waiter state machine), got a token');
  }
  const seconds = pollInterval.toSeconds();
  if (seconds < MIN_POLL_INTERVAL.toSeconds() || seconds > MAX_POLL_INTERVAL.toSeconds()) {
    throw new Error(`\`pollInterval\` must be between 10 seconds and 5 minutes, got ${pollInterval.toHumanString()}`);
  }
}
