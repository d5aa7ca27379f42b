import { CfnResource, CustomResource, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PACING_METADATA, PacingMetadata, RESTORE_HAND_CHANGES_ENV } from './contract';
import { AccountApiPolicy, AccountGrant } from './private/account-api-policy';
import { addHandChangeRule, warnUnlessHandChangesArrive } from './private/hand-changes';
import { createHandlerFunction, grantStackReads } from './private/handler-function';
import { SETTING_SERVICE_TIMEOUT } from './private/service-timeouts';

/** The read that comes before a write when a hand change is undone. */
const READ_ACTIONS: Record<string, string> = {
  'account:PutAlternateContact': 'account:GetAlternateContact',
  'account:PutContactInformation': 'account:GetContactInformation',
  'account:PutAccountName': 'account:GetAccountInformation',
};

/**
 * Properties of the per-stack provider behind the contact and account-name constructs.
 */
export interface AccountSettingsProviderProps {
  /**
   * How long the handler's logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Undo, within about a minute, a change made outside the stack (console, CLI, another tool) to an
   * alternate contact, primary contact or account name that the stack declares: the Account Management
   * API's write, as CloudTrail records it, has the function read the setting and put the declared values
   * back if the account differs (while the stack is not being deployed). The stack's own functions' writes
   * start nothing. Needs a CloudTrail trail logging management events in the account that made the change,
   * and the stack in us-east-1 (where the events arrive) or the events forwarded to its Region.
   *
   * @default false - a hand change lasts until the setting's next change in the stack
   */
  readonly restoreHandChanges?: boolean;
}

/**
 * The custom-resource provider behind `AlternateContact`, `PrimaryContact`, `AccountName` and
 * `AccountInformation` (a read): one Lambda function per stack, however many settings the stack
 * declares. Its function is the resources' service token: CloudFormation invokes it with each request,
 * and it answers CloudFormation itself. Each setting is written (or read) by one synchronous API call,
 * retried under the service's quotas for as long as the function may run (15 minutes), since
 * CloudFormation starts all the stack's settings at once.
 *
 * Its handler role may call only the actions the stack's settings need, on the accounts they target.
 * Call `getOrCreate` with properties before declaring the first setting to choose the log retention.
 */
export class AccountSettingsProvider extends Construct {
  /**
   * The stack's provider, created on first use.
   *
   * @param scope any construct of the stack
   * @param props applies only when the provider is created by this call; passing them when the stack
   * already has its provider (made by an earlier call or by the first setting declared) is an error
   */
  public static getOrCreate(scope: Construct, props?: AccountSettingsProviderProps): AccountSettingsProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(AccountSettingsProvider.ID) as AccountSettingsProvider | undefined;
    if (existing && props) {
      throw new Error(`AccountSettingsProvider.getOrCreate(): the provider of stack ${stack.node.path} already exists; pass its props before the stack declares its first setting`);
    }
    return existing ?? new AccountSettingsProvider(stack, AccountSettingsProvider.ID, props);
  }

  private static readonly ID = 'AccountSettingsProvider';

  /** The service token for the custom resources. */
  public readonly serviceToken: string;

  /** The handler that calls the Account Management API. */
  public readonly handler: lambda.IFunction;

  private readonly policy: AccountApiPolicy;
  private readonly restoresHandChanges: boolean;
  /** The ranks given to the stack's settings, by the operation that writes them. */
  private readonly paced = new Map<string, number[]>();

  private constructor(scope: Construct, id: string, props: AccountSettingsProviderProps = {}) {
    super(scope, id);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const handler = createHandlerFunction(this, 'Handler', {
      bundle: 'settings',
      handler: 'handler',
      description: 'cdk-account-management: alternate contacts, primary contact and account name',
      timeout: Duration.minutes(15),
      logRetention,
    });
    this.policy = new AccountApiPolicy(this, 'AccountApiPolicy', handler.role!);
    // GetAccountInformation: the AccountState read that tells a suspended account from a denied call.
    grantStackReads(handler.role!, ['account:DeleteAlternateContact', 'account:GetAlternateContact', 'account:GetAccountInformation']);
    this.handler = handler;
    this.serviceToken = handler.functionArn;
    this.restoresHandChanges = props.restoreHandChanges ?? false;
    if (this.restoresHandChanges) {
      warnUnlessHandChangesArrive(this);
      // The function acts on a hand change only where its stack opted in, whoever invokes it with one.
      handler.addEnvironment(RESTORE_HAND_CHANGES_ENV, 'true');
      addHandChangeRule(this, handler, { Trigger: 'hand-change' });
    }
  }

  /**
   * Lets the handler make the calls one setting needs.
   * @internal
   */
  public _grant(grant: AccountGrant): void {
    // Undoing a hand change reads the setting first, to write only when the account differs.
    const reads = this.restoresHandChanges ? grant.actions.map(action => READ_ACTIONS[action]).filter((a): a is string => a !== undefined) : [];
    this.policy.grant({ ...grant, actions: [...grant.actions, ...reads] });
  }

  /**
   * Gives the setting's resource its place among the stack's settings that `operation` writes: the order
   * they are declared in, which is the template's, in which CloudFormation starts them (so the slots run
   * in about the order the requests start). Its handler computes from it when to call.
   * @internal
   */
  public _pace(resource: CustomResource, operation: string): void {
    const siblings = this.paced.get(operation) ?? [];
    const rank = siblings.length;
    siblings.push(rank);
    this.paced.set(operation, siblings);
    (resource.node.defaultChild as CfnResource).addMetadata(PACING_METADATA, Lazy.any({
      produce: (): PacingMetadata => ({ Operation: operation, Rank: rank, Of: siblings.length }),
    }));
  }

  /**
   * A setting's custom resource, served by the handler, which must not run before the handler's permissions exist.
   * @internal
   */
  public _resource(scope: Construct, resourceType: string, properties: object, removalPolicy?: RemovalPolicy): CustomResource {
    const resource = new CustomResource(scope, 'Resource', {
      serviceToken: this.serviceToken,
      serviceTimeout: SETTING_SERVICE_TIMEOUT,
      resourceType,
      removalPolicy,
      properties: { ...properties },
    });
    resource.node.addDependency(this.policy);
    return resource;
  }
}
