import { Aws, CfnResource, CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, DependencyGroup, IDependable } from 'constructs';
import { baselineDeclares } from './contacts';
import { warnUnlessUsEast1 } from './events';
import { addHandChangeRule, warnUnlessHandChangesArrive } from './hand-changes';
import { createHandlerFunction, grantStackReads } from './handler-function';
import { onlyRoleTouchesObjects } from './response-store';
import { SETTING_SERVICE_TIMEOUT } from './service-timeouts';
import { Waiter } from './waiter';
import { BaselineDocument, BaselineTrigger, RESOURCE_TYPES, StoreCleanupProperties, STORE_EXPIRY, STORE_EXPIRY_TAG, TargetSpec } from '../contract';

/** Account ARNs the handler role's inline policy lists one by one (about 46 characters each). */
const MAX_LISTED_ARNS = 60;

interface NewAccountEvent {
  readonly id: string;
  readonly source: string;
  readonly detailType?: string;
  readonly eventName: string;
  readonly filter?: Record<string, unknown>;
  /** Needed only by baselines that target OUs (an account moved into one). */
  readonly ouOnly?: boolean;
}

/**
 * The events of an account joining a baseline's targets. An accepted invitation is logged in the
 * invited account, not in the management account: invited accounts are covered by the schedule.
 */
const NEW_ACCOUNT_EVENTS: NewAccountEvent[] = [
  { id: 'CreateAccountRule', source: 'aws.organizations', eventName: 'CreateAccountResult', filter: { serviceEventDetails: { createAccountStatus: { state: ['SUCCEEDED'] } } } },
  { id: 'ControlTowerRule', source: 'aws.controltower', eventName: 'CreateManagedAccount', filter: { serviceEventDetails: { createManagedAccountStatus: { state: ['SUCCEEDED'] } } } },
  // A MoveAccount call that failed (denied, or a wrong OU) is logged too, with an errorCode: it moved nothing.
  { id: 'MoveAccountRule', source: 'aws.organizations', detailType: 'AWS API Call via CloudTrail', eventName: 'MoveAccount', filter: { errorCode: [{ exists: false }] }, ouOnly: true },
];

/**
 * The per-stack provider of organization baselines: one function (their custom resources' service
 * token, the reconciler's task, their rules' target), the bucket where their generations are stored,
 * and the stack's waiter, which runs the reconciler.
 */
export class OrganizationBaselineProvider extends Construct {
  public static getOrCreate(scope: Construct): OrganizationBaselineProvider {
    const stack = Stack.of(scope);
    const id = 'OrganizationBaselineProvider';
    return stack.node.tryFindChild(id) as OrganizationBaselineProvider ?? new OrganizationBaselineProvider(stack, id);
  }

  public readonly serviceToken: string;
  public readonly handler: lambda.Function;
  /** Where each baseline's generations are stored (encrypted at rest, SSL only, never public). */
  public readonly store: s3.Bucket;
  private readonly policy: iam.Policy;
  private readonly waiter: Waiter;
  /** Empties the store before CloudFormation deletes it (the baselines, which depend on it, are deleted first). */
  private readonly storeCleanup: CustomResource;
  private storeKey?: { readonly key: kms.IKey; readonly by: string };
  private listedArns = 0;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.store = new s3.Bucket(this, 'Store', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Each baseline deletes what it stored when it is removed, so the bucket is empty by then.
      removalPolicy: RemovalPolicy.DESTROY,
      // By tag: the expiring objects are under each baseline's prefix, beside those that must stay.
      lifecycleRules: Object.entries(STORE_EXPIRY).map(([kind, { days }]) => ({
        id: `expire-${kind}s`, tagFilters: { [STORE_EXPIRY_TAG]: kind }, expiration: Duration.days(days),
      })),
    });
    this.handler = createHandlerFunction(this, 'Handler', {
      bundle: 'organization',
      handler: 'handler',
      description: 'cdk-account-management: organization baselines (deploys, reconciler steps, new accounts, schedule)',
      timeout: Duration.minutes(15),
      logRetention: logs.RetentionDays.ONE_YEAR,
    });
    const role = this.handler.role!;
    this.policy = new iam.Policy(this, 'AccountApiPolicy', { roles: [role] });
    // Removal (pruneUndeclared, removeAlternateContactsOnDelete) is granted for as long as the provider
    // exists: CloudFormation updates the policies before the Delete of a removed baseline runs. The
    // AccountState read tells a suspended member (skipped) from one that denies the call (failed).
    grantStackReads(role, ['account:DeleteAlternateContact', 'account:GetAlternateContact', 'account:GetAccountInformation']);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      // PutObjectTagging: the expiring objects are tagged as they are put.
      actions: ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject'],
      resources: [this.store.arnForObjects('baselines/*')],
    }));
    // The store is the reconciler's alone.
    onlyRoleTouchesObjects(this.store, role, 'OnlyTheReconcilerTouchesObjects');
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.store.bucketArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      // Organizations reads: ListAccounts takes no resource, and the others' ARNs name the management
      // account and the organization, unknown at synth.
      actions: ['organizations:ListAccounts', 'organizations:ListAccountsForParent', 'organizations:ListChildren', 'organizations:ListParents'],
      resources: ['*'],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['events:PutEvents'],
      resources: [`arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/default`],
    }));
    this.waiter = Waiter.of(this);
    this.waiter.serve(this.handler, { controlExecutions: true });
    this.serviceToken = this.handler.functionArn;
    const cleanup: StoreCleanupProperties = { Store: this.store.bucketName };
    this.storeCleanup = new CustomResource(this, 'StoreCleanup', {
      serviceToken: this.serviceToken,
      serviceTimeout: SETTING_SERVICE_TIMEOUT,
      resourceType: RESOURCE_TYPES.baselineStore,
      properties: { ...cleanup },
    });
    this.storeCleanup.node.addDependency(role);
  }

  /**
   * Encrypts the store with a customer-managed key, granted to the function only (every baseline of the
   * stack shares the store: they must name the same key).
   */
  public encryptStoreWith(baseline: Construct, key: kms.IKey): void {
    if (this.storeKey) {
      if (this.storeKey.key !== key) {
        throw new Error(`\`storeEncryptionKey\` of ${baseline.node.path} is ${key.node.path}, but ${this.storeKey.by} gave the stack's store `
          + `${this.storeKey.key.node.path}: the OrganizationBaselines of a stack share one store, give them the same key (or only one of them a key)`);
      }
      return;
    }
    this.storeKey = { key, by: baseline.node.path };
    (this.store.node.defaultChild as s3.CfnBucket).bucketEncryption = {
      serverSideEncryptionConfiguration: [{
        serverSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: key.keyArn },
        // One data key per bucket for a while, instead of a KMS call per object.
        bucketKeyEnabled: true,
      }],
    };
    // What S3 asks KMS for on the function's behalf: a data key to put an object, its decryption to get one.
    key.grant(this.handler.role!, 'kms:Decrypt', 'kms:GenerateDataKey');
  }

  /**
   * What a baseline's custom resource waits for: the handler's permissions, the waiter's permission to
   * call it, and the store's cleanup (so that the stack's deletion empties the store after the baselines).
   */
  public get dependable(): IDependable {
    return new DependencyGroup(this.policy, this.waiter.dependable, this.storeCleanup);
  }

  /**
   * What one baseline needs: its contact types, primary contact, names and Regions on its accounts.
   * Explicit accounts are listed one by one up to MAX_LISTED_ARNS per stack (IAM allows 10,240
   * characters of inline policy per role); beyond, and for accounts resolved at deploy time, every
   * member account, still narrowed by the contact-type and Region conditions.
   */
  public grant(spec: TargetSpec, baseline: BaselineDocument): void {
    const { types, primary, namedAccounts } = baselineDeclares(baseline);
    const regions = baseline.enabledRegions;
    const named = namedAccounts.filter(id => !spec.excludeAccountIds.includes(id));
    const accounts = spec.accountIds.filter(id => !spec.excludeAccountIds.includes(id));
    const statements = (types.length > 0 ? 1 : 0) + (primary ? 1 : 0) + (regions.length > 0 ? 1 : 0);
    const resolvedAtDeploy = spec.allAccounts || spec.organizationalUnitIds.length > 0;
    const listed = (resolvedAtDeploy ? 0 : accounts.length * statements) + named.length;
    const overBudget = this.listedArns + listed > MAX_LISTED_ARNS;
    const anyMember = resolvedAtDeploy || overBudget;
    if (!overBudget) this.listedArns += listed;
    const resources = [standaloneArn(), ...(anyMember ? [memberArn('*')] : accounts.map(memberArn))];
    if (types.length > 0) {
      this.policy.addStatements(new iam.PolicyStatement({
        actions: ['account:GetAlternateContact', 'account:PutAlternateContact'],
        resources,
        conditions: { 'ForAnyValue:StringEquals': { 'account:AlternateContactTypes': types } },
      }));
    }
    if (primary) {
      this.policy.addStatements(new iam.PolicyStatement({ actions: ['account:GetContactInformation', 'account:PutContactInformation'], resources }));
    }
    if (named.length > 0) {
      // Names only where an override declares one (every member account beyond the listing's budget).
      const nameArns = overBudget ? [memberArn('*')] : named.map(memberArn);
      this.policy.addStatements(new iam.PolicyStatement({
        actions: ['account:GetAccountInformation', 'account:PutAccountName'],
        resources: [standaloneArn(), ...nameArns],
      }));
    }
    if (regions.length > 0) {
      this.policy.addStatements(new iam.PolicyStatement({
        actions: ['account:GetRegionOptStatus', 'account:EnableRegion'],
        resources,
        conditions: { 'ForAnyValue:StringEquals': { 'account:TargetRegion': regions } },
      }));
    }
  }

  /**
   * The stack's rules for accounts that join (one set, whatever the number of baselines: their input
   * names the store, and the function applies every baseline that covers new accounts).
   */
  public coverNewAccounts(baseline: Construct, spec: TargetSpec): void {
    warnUnlessUsEast1(baseline, 'cdk-account-management:new-account-events',
      'AWS Organizations and Control Tower events arrive in us-east-1; coverNewAccounts in %REGION% never sees them');
    const trigger: BaselineTrigger = { Trigger: 'new-account', Store: this.store.bucketName };
    for (const event of NEW_ACCOUNT_EVENTS) {
      if ((event.ouOnly && spec.organizationalUnitIds.length === 0) || this.node.tryFindChild(event.id)) continue;
      new events.Rule(this, event.id, {
        description: `cdk-account-management: apply the stack's organization baselines to accounts from ${event.eventName}`,
        eventPattern: {
          source: [event.source],
          detailType: event.detailType ? [event.detailType] : undefined,
          detail: { eventName: [event.eventName], ...event.filter },
        },
        targets: [new eventTargets.LambdaFunction(this.handler, {
          event: events.RuleTargetInput.fromObject({ ...trigger, Event: events.EventField.fromPath('$') }),
          retryAttempts: 4,
        })],
      });
    }
  }

  /** The stack's rule for hand changes (one, whatever the number of baselines that restore them). */
  public restoreHandChanges(baseline: Construct): void {
    warnUnlessHandChangesArrive(baseline);
    const trigger: BaselineTrigger = { Trigger: 'hand-change', Store: this.store.bucketName };
    if (!this.node.tryFindChild('HandChangeRule')) addHandChangeRule(this, this.handler, { ...trigger });
  }

  /** The baseline's scheduled reconciliation. */
  public schedule(baseline: Construct, baselineId: string, schedule: events.Schedule, resource: CustomResource): void {
    const logicalId = Stack.of(baseline).getLogicalId(resource.node.defaultChild as CfnResource);
    const trigger: BaselineTrigger = {
      Trigger: 'schedule',
      BaselineId: baselineId,
      Store: this.store.bucketName,
      Resource: { StackId: Aws.STACK_ID, LogicalResourceId: logicalId },
    };
    new events.Rule(baseline, 'Reconcile', {
      description: 'cdk-account-management: reconcile the organization baseline',
      schedule,
      targets: [new eventTargets.LambdaFunction(this.handler, { event: events.RuleTargetInput.fromObject(trigger) })],
    });
  }
}

function standaloneArn(): string {
  return `arn:${Aws.PARTITION}:account::${Aws.ACCOUNT_ID}:account`;
}

function memberArn(accountId: string): string {
  return `arn:${Aws.PARTITION}:account::*:account/o-*/${accountId}`;
}
