import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, DependencyGroup, IDependable } from 'constructs';
import { RESOURCE_TYPES } from './contract';
import { AccountApiPolicy, AccountGrant } from './private/account-api-policy';
import { createHandlerFunction, grantStackReads } from './private/handler-function';
import { ResponseStore } from './private/response-store';
import { Waiter } from './private/waiter';

/**
 * Properties of a `RegionOptInProvider`.
 */
export interface RegionOptInProviderProps {
  /**
   * How long the handler's logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The custom-resource provider behind `RegionOptIn`: one Lambda function per stack, however many
 * Regions the stack declares, the stack's waiter (a Step Functions state machine), and a bucket where
 * the ResponseURLs of requests that wait are kept (only the function's role may touch its objects).
 *
 * The function is the resources' service token. It reads a Region's status and requests a transition
 * only when one is needed; when the deploy must wait for it, it starts an execution of the waiter,
 * which calls it again every `pollInterval` of that Region until the transition has ended. Poll
 * interval, timeout and `waitForCompletion` are properties of each resource, so changing them is an
 * ordinary update.
 */
export class RegionOptInProvider extends Construct {
  /**
   * The stack's provider, created on first use.
   *
   * @param scope any construct of the stack
   * @param props applies only when the provider is created by this call; passing them when the stack
   * already has its provider (made by an earlier call or by the first Region declared) is an error
   */
  public static getOrCreate(scope: Construct, props?: RegionOptInProviderProps): RegionOptInProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(RegionOptInProvider.ID) as RegionOptInProvider | undefined;
    if (existing && props) {
      throw new Error(`RegionOptInProvider.getOrCreate(): the provider of stack ${stack.node.path} already exists; pass its props before the stack declares its first Region`);
    }
    return existing ?? new RegionOptInProvider(stack, RegionOptInProvider.ID, props);
  }

  private static readonly ID = 'RegionOptInProvider';

  /** The service token for the custom resources. */
  public readonly serviceToken: string;

  /** The handler: it starts transitions, and the waiter calls it while they are in progress. */
  public readonly handler: lambda.IFunction;

  private readonly policy: AccountApiPolicy;
  private readonly waiter: Waiter;
  private readonly responses: ResponseStore;

  private constructor(scope: Construct, id: string, props: RegionOptInProviderProps = {}) {
    super(scope, id);
    const handler = createHandlerFunction(this, 'Handler', {
      bundle: 'region',
      handler: 'handler',
      description: 'cdk-account-management: Region opt-in transitions (requests and waiter steps)',
      timeout: Duration.minutes(2),
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
    });
    const role = handler.role as iam.Role;
    this.policy = new AccountApiPolicy(this, 'AccountApiPolicy', role);
    grantStackReads(role, ['account:GetRegionOptStatus', 'account:DisableRegion']);
    this.responses = new ResponseStore(this, 'ResponseStore', handler, RESOURCE_TYPES.regionResponseStore);
    this.waiter = Waiter.of(this);
    this.waiter.serve(handler);
    this.handler = handler;
    this.serviceToken = handler.functionArn;
  }

  /**
   * Lets the handler make the calls one Region needs.
   * @internal
   */
  public _grant(grant: AccountGrant): void {
    this.policy.grant(grant);
  }

  /**
   * The custom resources must not run before the handler's permissions exist, nor before the waiter may
   * call the handler; and the store of their answers' URLs must be emptied only after they are deleted.
   * @internal
   */
  public get _policyDependency(): IDependable {
    return new DependencyGroup(this.policy, this.waiter.dependable, this.responses.cleanup);
  }
}
