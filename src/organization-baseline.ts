import { Aws, CustomResource, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { AlternateContacts } from './account-baseline';
import { AlternateContactType } from './alternate-contact';
import { alternateContactsByType, renderAlternateContact } from './private/contacts';
import { warnUnlessUsEast1 } from './private/events';
import { createHandlerFunction, createProvider, grantStackReads } from './private/handler-function';
import { claimSetting } from './private/setting-claims';
import { validateAccountId, validateAlternateContactDetails, validateRegionName } from './validation';

/**
 * Settings of one account that replace the baseline's.
 */
export interface AccountOverride {
  /**
   * The account the override is for.
   */
  readonly accountId: string;

  /**
   * Alternate contacts that replace the baseline's of the same type for this account.
   *
   * @default - the baseline's
   */
  readonly alternateContacts?: AlternateContacts;
}

/**
 * Properties of an `OrganizationBaseline`.
 */
export interface OrganizationBaselineProps {
  /**
   * Accounts to apply the baseline to.
   *
   * @default - none besides those of `organizationalUnitIds` and `allAccounts`
   */
  readonly accountIds?: string[];

  /**
   * Organizational units whose accounts (nested OUs included) get the baseline, resolved at deploy
   * time through AWS Organizations.
   *
   * @default - none
   */
  readonly organizationalUnitIds?: string[];

  /**
   * Apply the baseline to every active account of the organization, resolved at deploy time.
   *
   * @default false
   */
  readonly allAccounts?: boolean;

  /**
   * Accounts left untouched even when the targets above cover them.
   *
   * @default - none
   */
  readonly excludeAccountIds?: string[];

  /**
   * The alternate contacts every targeted account gets.
   *
   * @default - none
   */
  readonly alternateContacts?: AlternateContacts;

  /**
   * Opt-in Regions to enable in every targeted account. The transitions are requested, not waited on:
   * the service allows 20 in progress per organization, so a large organization needs longer than a
   * deploy may last; Regions that cannot be requested yet are counted in `attrRegionsPending` and
   * requested by a later deploy or by the scheduled reconciliation.
   *
   * @default - none
   */
  readonly enabledRegions?: string[];

  /**
   * Per-account settings that replace the baseline's.
   *
   * @default - none
   */
  readonly overrides?: AccountOverride[];

  /**
   * Apply the baseline to accounts when they are created in the organization (AWS Organizations
   * CreateAccount results, AWS Control Tower account factory), from EventBridge rules. The stack must be
   * deployed in us-east-1, where these events arrive. Invited accounts are not covered: their
   * acceptance is logged in the invited account; `reconcileSchedule` covers them.
   *
   * @default false
   */
  readonly coverNewAccounts?: boolean;

  /**
   * Re-apply the baseline on a schedule, so that changes made by hand are corrected (e.g.
   * `events.Schedule.rate(Duration.hours(12))`); the outcome is logged.
   *
   * @default - no scheduled reconciliation
   */
  readonly reconcileSchedule?: events.Schedule;

  /**
   * Delete the baseline's alternate contacts from the targeted accounts when the baseline is removed
   * (not when it is renamed, its targets change, or a deploy is rolled back). An update does not
   * remove: accounts that leave the targets and contact types dropped from the baseline keep what
   * they had.
   *
   * @default false - removing the baseline leaves every setting in place
   */
  readonly removeAlternateContactsOnDelete?: boolean;
}

/** EventBridge rule targets take at most 8,192 characters of input. */
const MAX_EVENT_INPUT = 8000;
/** Account ARNs the handler role's inline policy lists one by one (about 46 characters each). */
const MAX_LISTED_ARNS = 60;

/**
 * One declaration of alternate contacts and opt-in Regions for many accounts of an organization:
 * explicit accounts, organizational units or the whole organization, minus exclusions, with
 * per-account overrides.
 *
 * It is one custom resource, whatever the number of accounts: its handler reads each account's
 * settings first and writes only what differs, paces its calls under the service's quotas, and works
 * in passes of at most ten minutes that resume where the last one stopped, so that 1,000 accounts
 * finish within CloudFormation's hour. An account that fails does not stop the others: the resource
 * fails after every other account has been done, naming the failed accounts and why. The management
 * account is handled in standalone mode.
 *
 * @example
 * import { OrganizationBaseline } from 'cdk-account-management';
 *
 * new OrganizationBaseline(this, 'Baseline', {
 *   allAccounts: true,
 *   excludeAccountIds: ['999999999999'],
 *   alternateContacts: {
 *     security: { name: 'SOC', title: 'Security', emailAddress: 'soc@example.com', phoneNumber: '+1 206-555-0103' },
 *   },
 *   coverNewAccounts: true,
 * });
 */
export class OrganizationBaseline extends Construct {
  /** Accounts where at least one setting was written. */
  public readonly attrApplied: string;

  /** Accounts that already matched the baseline. */
  public readonly attrUnchanged: string;

  /** Accounts with a Region that could not be requested yet (the service's in-progress limits). */
  public readonly attrRegionsPending: string;

  /**
   * The function that applies the baseline during deploys (the waiter's isComplete handler); the
   * new-account and scheduled paths run the same code in functions of their own.
   */
  public readonly handler: lambda.IFunction;

  constructor(scope: Construct, id: string, props: OrganizationBaselineProps) {
    super(scope, id);
    const targetSpec = validateTargets(props);
    const contacts = alternateContactsByType(props.alternateContacts);
    contacts.forEach(([type, details]) => validateAlternateContactDetails(details, `alternateContacts.${type.toLowerCase()}.`));
    (props.enabledRegions ?? []).forEach(region => validateRegionName('enabledRegions', region));
    const overrides: Record<string, Record<string, unknown>> = {};
    for (const override of props.overrides ?? []) {
      validateAccountId('overrides.accountId', override.accountId);
      if (override.accountId in overrides) {
        throw new Error(`\`overrides\` holds account ${override.accountId} twice; declare one override per account`);
      }
      const byType = alternateContactsByType(override.alternateContacts);
      byType.forEach(([type, details]) => validateAlternateContactDetails(details, `overrides[${override.accountId}].alternateContacts.${type.toLowerCase()}.`));
      overrides[override.accountId] = Object.fromEntries(byType.map(([type, d]) => [type, renderAlternateContact(d)]));
    }
    const baseline = {
      alternateContacts: Object.fromEntries(contacts.map(([type, d]) => [type, renderAlternateContact(d)])),
      enabledRegions: props.enabledRegions ?? [],
      overrides,
    };
    const declaredTypes = new Set<AlternateContactType>([
      ...contacts.map(([type]) => type),
      ...(props.overrides ?? []).flatMap(o => alternateContactsByType(o.alternateContacts).map(([type]) => type)),
    ]);

    // Explicit accounts are known at synth: the same setting declared elsewhere in the app is an error.
    for (const accountId of targetSpec.accountIds) {
      if (Token.isUnresolved(accountId) || targetSpec.excludeAccountIds.includes(accountId)) continue;
      const overridden = alternateContactsByType(props.overrides?.find(o => o.accountId === accountId)?.alternateContacts).map(([type]) => type);
      for (const type of new Set([...contacts.map(([t]) => t), ...overridden])) claimSetting(this, `${type.toLowerCase()} alternate contact`, accountId);
      for (const region of props.enabledRegions ?? []) claimSetting(this, `Region ${region}`, accountId);
    }
    if (declaredTypes.size === 0 && (props.enabledRegions ?? []).length === 0) {
      throw new Error('An OrganizationBaseline needs something to apply: `alternateContacts`, `overrides` or `enabledRegions`');
    }

    const stack = Stack.of(this);
    const provider = OrganizationBaselineProvider.getOrCreate(this);
    const progress = progressParameter(this, 'Progress', 'where the organization baseline\'s last pass stopped');
    provider.grant(targetSpec, [...declaredTypes], props.enabledRegions ?? []);

    const resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::AccountOrganizationBaseline',
      properties: {
        Targets: stack.toJsonString(targetSpec),
        Baseline: stack.toJsonString(baseline),
        RemoveOnDelete: String(props.removeAlternateContactsOnDelete ?? false),
        ProgressParameter: progress.parameterName,
      },
    });
    resource.node.addDependency(provider.policy);
    this.handler = provider.handler;
    this.attrApplied = resource.getAttString('Applied');
    this.attrUnchanged = resource.getAttString('Unchanged');
    this.attrRegionsPending = resource.getAttString('RegionsPending');

    /** The rule input; `known` stands for `extra` as it will be delivered, to measure it at synth. */
    const input = (extra: Record<string, unknown>, known: Record<string, unknown>) => {
      const delivered = JSON.stringify({ ...known, targets: targetSpec, baseline });
      const size = delivered.length;
      if (!Token.isUnresolved(delivered) && size > MAX_EVENT_INPUT) {
        throw new Error(`The baseline is ${size} characters as an EventBridge input, more than the ${MAX_EVENT_INPUT} allowed for coverNewAccounts and reconcileSchedule; declare fewer overrides`);
      }
      return events.RuleTargetInput.fromObject({ ...extra, targets: targetSpec, baseline });
    };
    if (props.coverNewAccounts) {
      warnUnlessUsEast1(this, 'cdk-account-management:new-account-events',
        'AWS Organizations and Control Tower events arrive in us-east-1; coverNewAccounts in %REGION% never sees them');
      for (const [ruleId, source, eventName, path, state] of NEW_ACCOUNT_EVENTS) {
        new events.Rule(this, ruleId, {
          description: `cdk-account-management: apply the organization baseline to accounts from ${eventName}`,
          eventPattern: {
            source: [source],
            detail: { eventName: [eventName], ...(state ? { serviceEventDetails: state } : {}) },
          },
          targets: [new targets.LambdaFunction(provider.accountEventFunction, {
            event: input({ accountId: events.EventField.fromPath(path) }, { accountId: '123456789012' }),
            retryAttempts: 4,
          })],
        });
      }
    }
    if (props.reconcileSchedule) {
      const reconcileProgress = progressParameter(this, 'ReconcileProgress', 'where the scheduled reconciliation\'s last pass stopped');
      new events.Rule(this, 'Reconcile', {
        description: 'cdk-account-management: re-apply the organization baseline',
        schedule: props.reconcileSchedule,
        targets: [new targets.LambdaFunction(provider.scheduleFunction, {
          event: input({ progressParameter: reconcileProgress.parameterName }, { progressParameter: parameterNameOf(this, 'ReconcileProgress') }),
        })],
      });
    }
  }
}

/**
 * The events of an account being created: rule id, source, eventName, path of the account id, success
 * filter. An accepted invitation is logged in the invited account, not in the management account:
 * invited accounts are covered by the scheduled reconciliation.
 */
const NEW_ACCOUNT_EVENTS: Array<[string, string, string, string, Record<string, unknown> | undefined]> = [
  ['CreateAccountRule', 'aws.organizations', 'CreateAccountResult', '$.detail.serviceEventDetails.createAccountStatus.accountId',
    { createAccountStatus: { state: ['SUCCEEDED'] } }],
  ['ControlTowerRule', 'aws.controltower', 'CreateManagedAccount', '$.detail.serviceEventDetails.createManagedAccountStatus.account.accountId',
    { createManagedAccountStatus: { state: ['SUCCEEDED'] } }],
];

/** SSM parameters live under this prefix, so that the handler's grant outlives any one baseline. */
const PARAMETER_PREFIX = 'cdk-account-management';

/**
 * Unique per construct and top-level stack name (the unique name starts with it), so that two
 * deployments of one app under other stack names do not clash; concrete in nested stacks too.
 */
function parameterNameOf(scope: Construct, id: string): string {
  return `/${PARAMETER_PREFIX}/${Names.uniqueResourceName(scope, { maxLength: 120 })}/${id}`;
}

function progressParameter(scope: Construct, id: string, what: string): ssm.StringParameter {
  return new ssm.StringParameter(scope, id, {
    parameterName: parameterNameOf(scope, id),
    description: `cdk-account-management: ${what} (no contact values)`,
    stringValue: '{}',
  });
}

interface TargetSpec {
  readonly accountIds: string[];
  readonly organizationalUnitIds: string[];
  readonly allAccounts: boolean;
  readonly excludeAccountIds: string[];
}

function validateTargets(props: OrganizationBaselineProps): TargetSpec {
  (props.accountIds ?? []).forEach(id => validateAccountId('accountIds', id));
  (props.excludeAccountIds ?? []).forEach(id => validateAccountId('excludeAccountIds', id));
  for (const ou of props.organizationalUnitIds ?? []) {
    if (!Token.isUnresolved(ou) && !/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/.test(ou)) {
      throw new Error(`\`organizationalUnitIds\` must hold OU ids such as "ou-ab12-cd34ef56", got "${ou}"`);
    }
  }
  if (!props.accountIds?.length && !props.organizationalUnitIds?.length && !props.allAccounts) {
    throw new Error('An OrganizationBaseline needs targets: `accountIds`, `organizationalUnitIds` or `allAccounts: true`');
  }
  return {
    accountIds: props.accountIds ?? [],
    organizationalUnitIds: props.organizationalUnitIds ?? [],
    allAccounts: props.allAccounts ?? false,
    excludeAccountIds: props.excludeAccountIds ?? [],
  };
}

/** The per-stack provider of organization baselines (with a waiter: the work spans several invocations). */
class OrganizationBaselineProvider extends Construct {
  public static getOrCreate(scope: Construct): OrganizationBaselineProvider {
    const stack = Stack.of(scope);
    const id = 'OrganizationBaselineProvider';
    return stack.node.tryFindChild(id) as OrganizationBaselineProvider ?? new OrganizationBaselineProvider(stack, id);
  }

  public readonly serviceToken: string;
  public readonly role: iam.Role;
  public readonly handler: lambda.Function;
  public readonly accountEventFunction: lambda.Function;
  public readonly scheduleFunction: lambda.Function;
  public readonly policy: iam.Policy;
  private listedArns = 0;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.role = new iam.Role(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
    });
    this.policy = new iam.Policy(this, 'AccountApiPolicy', { roles: [this.role] });
    // What a removal or a pass of any baseline of the stack needs, granted for as long as the provider
    // exists: CloudFormation updates the policies before the Delete of a removed baseline runs.
    grantStackReads(this.role, ['account:DeleteAlternateContact']);
    const stack = Stack.of(this);
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ssm:GetParameter', 'ssm:PutParameter'],
      resources: [`arn:${Aws.PARTITION}:ssm:${stack.region}:${stack.account}:parameter/${PARAMETER_PREFIX}/*`],
    }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      // Organizations reads: ListAccounts takes no resource, and the others' ARNs name the management
      // account and the organization, unknown at synth.
      actions: ['organizations:ListAccounts', 'organizations:ListAccountsForParent', 'organizations:ListChildren',
        'organizations:ListParents', 'organizations:DescribeAccount'],
      resources: ['*'],
    }));
    const fn = (name: string, exported: string, description: string) => createHandlerFunction(this, name, {
      bundle: 'organization',
      handler: exported,
      description,
      timeout: Duration.minutes(15),
      logRetention: logs.RetentionDays.ONE_YEAR,
      role: this.role,
    });
    const onEvent = fn('OnEvent', 'onEvent', 'cdk-account-management: organization baseline requests');
    this.handler = fn('IsComplete', 'isComplete', 'cdk-account-management: organization baseline passes');
    this.accountEventFunction = fn('AccountEvent', 'onAccountEvent', 'cdk-account-management: organization baseline for new accounts');
    this.scheduleFunction = fn('Reconcile', 'onSchedule', 'cdk-account-management: scheduled organization baseline');
    this.serviceToken = createProvider(this, {
      onEventHandler: onEvent,
      isCompleteHandler: this.handler,
      queryInterval: Duration.seconds(10),
      logRetention: logs.RetentionDays.ONE_YEAR,
    });
  }

  /**
   * What one baseline needs: its contact types and Regions on its accounts. Explicit accounts are
   * listed one by one up to MAX_LISTED_ARNS per stack (IAM allows 10,240 characters of inline policy
   * per role); beyond, and for accounts resolved at deploy time, every member account, still narrowed
   * by the contact-type and Region conditions.
   */
  public grant(spec: TargetSpec, types: string[], regions: string[]): void {
    const statements = (types.length > 0 ? 1 : 0) + (regions.length > 0 ? 1 : 0);
    const listed = spec.accountIds.length * statements;
    const anyMember = spec.allAccounts || spec.organizationalUnitIds.length > 0 || this.listedArns + listed > MAX_LISTED_ARNS;
    if (!anyMember) this.listedArns += listed;
    const resources = [
      `arn:${Aws.PARTITION}:account::${Aws.ACCOUNT_ID}:account`,
      ...(anyMember ? [`arn:${Aws.PARTITION}:account::*:account/o-*/*`] : spec.accountIds.map(id => `arn:${Aws.PARTITION}:account::*:account/o-*/${id}`)),
    ];
    if (types.length > 0) {
      this.policy.addStatements(new iam.PolicyStatement({
        actions: ['account:GetAlternateContact', 'account:PutAlternateContact'],
        resources,
        conditions: { 'ForAnyValue:StringEquals': { 'account:AlternateContactTypes': types } },
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
}
