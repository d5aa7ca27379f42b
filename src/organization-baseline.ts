import { CustomResource, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { AlternateContacts } from './account-baseline';
import { OrganizationBaselineProperties, RESOURCE_TYPES } from './contract';
import { PrimaryContactDetails } from './primary-contact';
import { acceptOrganizationEvents, addMemberFootprint, memberRoleName } from './private/member-footprint';
import { OrganizationBaselineProvider } from './private/organization-baseline-provider';
import {
  claimExplicitAccounts, validateBaseline, validateOverridesTargeted, validateSize, validateTargets,
} from './private/organization-baseline-validation';
import { BASELINE_SERVICE_TIMEOUT } from './private/service-timeouts';

/**
 * What a deploy of an `OrganizationBaseline` waits for before it completes. What it does not wait for
 * goes on in the reconciler's execution (`attrExecutionArn`), whose end is announced by an event.
 */
export enum DeployWaitsFor {
  /** Every targeted account's alternate contacts, primary contact and name (and the pruning of undeclared contacts). */
  CONTACTS = 'CONTACTS',
  /** Everything, the opt-in Regions' transitions included (which can take hours). */
  EVERYTHING = 'EVERYTHING',
  /** Nothing: the deploy completes as soon as the generation has started. */
  NOTHING = 'NOTHING',
}

/**
 * Which failed accounts fail the deploy of an `OrganizationBaseline`. A failed account is always
 * reported (the log, the generation's "Failed" event); the others are done either way.
 */
export enum FailDeployOn {
  /**
   * Accounts the baseline names: those in `accountIds` and those with an override. An account reached
   * only through an OU or `allAccounts` (one with a denying service control policy, say) is reported,
   * and the deploy goes on: one account does not roll back the organization.
   */
  LISTED_ACCOUNTS = 'LISTED_ACCOUNTS',
  /** Any targeted account. */
  ANY_ACCOUNT = 'ANY_ACCOUNT',
  /** None: failed accounts are only reported. */
  NO_ACCOUNT = 'NO_ACCOUNT',
}

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

  /**
   * The primary contact of this account, instead of the baseline's.
   *
   * @default - the baseline's
   */
  readonly primaryContact?: PrimaryContactDetails;

  /**
   * The account's name, 1-50 printable ASCII characters other than `<` and `>`.
   *
   * @default - the name is left as it is
   */
  readonly accountName?: string;
}

/**
 * Where an `OrganizationBaseline`'s member footprint goes, and what its role is called.
 */
export interface MemberFootprintOptions {
  /**
   * The OUs whose accounts (nested OUs included) get the footprint; the organization's root id (such as
   * "r-ab12") for every account. Needed when the baseline targets `allAccounts` or `accountIds`: a
   * StackSet deploys to OUs (narrowed to `accountIds` when the baseline lists only accounts).
   *
   * @default - the baseline's `organizationalUnitIds`
   */
  readonly organizationalUnitIds?: string[];

  /**
   * The name of the role put in each member account.
   *
   * @default - `AccountSettingsMember-` and the baseline's id
   */
  readonly roleName?: string;

  /**
   * Create the StackSet as the organization's CloudFormation delegated administrator (the stack is
   * deployed in that account) rather than as the management account.
   *
   * @default false
   */
  readonly asDelegatedAdmin?: boolean;
}

/**
 * Properties of an `OrganizationBaseline`.
 */
export interface OrganizationBaselineProps {
  /**
   * Accounts to apply the baseline to. An account that is not (or no longer) an active member of the
   * organization is skipped and reported, not failed.
   *
   * @default - none besides those of `organizationalUnitIds` and `allAccounts`
   */
  readonly accountIds?: string[];

  /**
   * Organizational units whose active accounts (nested OUs included) get the baseline, resolved at
   * deploy time through AWS Organizations.
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
   * The primary contact every targeted account gets (one company address for many accounts);
   * `overrides` give accounts their own.
   *
   * @default - none
   */
  readonly primaryContact?: PrimaryContactDetails;

  /**
   * Opt-in Regions to enable in every targeted account. The reconciler requests the transitions as
   * fast as the service's in-progress limits allow, and waits for them for as long as they take.
   *
   * @default - none
   */
  readonly enabledRegions?: string[];

  /**
   * Per-account settings that replace the baseline's: alternate contacts, primary contact, name.
   *
   * @default - none
   */
  readonly overrides?: AccountOverride[];

  /**
   * What a deploy waits for. A deploy waits at most 55 minutes (CloudFormation waits an hour): a
   * generation that takes longer completes the deploy then, with `attrContactsConverged` "false", and
   * goes on.
   *
   * @default DeployWaitsFor.CONTACTS
   */
  readonly deployWaitsFor?: DeployWaitsFor;

  /**
   * Which failed accounts fail the deploy (and so roll it back). A rollback puts back only what the
   * failed deploy wrote, account by account.
   *
   * @default FailDeployOn.LISTED_ACCOUNTS
   */
  readonly failDeployOn?: FailDeployOn;

  /**
   * Delete what the baseline no longer declares: the alternate contact types dropped from it (in the
   * accounts it still targets), and the baseline's alternate contacts of accounts that left its
   * targets. Primary contacts, names and Regions are left as they are (the API cannot delete the first
   * two; Regions are never disabled by a baseline).
   *
   * @default false
   */
  readonly pruneUndeclared?: boolean;

  /**
   * Apply the baseline to accounts as they join its targets: created in the organization (AWS
   * Organizations CreateAccount, AWS Control Tower account factory) or moved into a targeted OU. The
   * stack must be deployed in us-east-1, where these events arrive. Invited accounts are covered by
   * `reconcileSchedule`: their acceptance is logged in the invited account.
   *
   * @default false
   */
  readonly coverNewAccounts?: boolean;

  /**
   * Undo, within about a minute, a change made outside the stack (console, CLI, another tool) to what the
   * baseline declares for an account: the Account Management API's write, as CloudTrail records it, starts
   * a run of the baseline for that one account, which reads its settings and writes back only what differs.
   * The stack's own functions' writes start nothing. Needs a CloudTrail trail logging management events in
   * the management account, and the stack in us-east-1 (where the events arrive) or the events forwarded to
   * its Region. Changes made from within member accounts are seen with `memberFootprint` (which forwards them) and an
   * organization trail.
   *
   * @default false - hand changes last until `reconcileSchedule` or the next deploy
   */
  readonly restoreHandChanges?: boolean;

  /**
   * Ship a small footprint to the targeted member accounts, through a service-managed StackSet with
   * automatic deployment: a role that only this stack's reconciler may assume (from this organization),
   * allowed only the Account API actions the baseline declares on that account, and, with
   * `restoreHandChanges`, a rule that forwards the account's Account API writes to this stack's event
   * bus (which then accepts events from the organization's accounts). The reconciler then calls as each
   * member, so that each account's calls count against its own quotas, and hand changes made inside
   * members are undone too. Accounts the StackSet has not reached yet are handled from the stack's
   * account. Nothing that runs code or holds data is deployed into members; removing the option removes
   * the footprint from every account. The stack's account must be the management account (or, with
   * `asDelegatedAdmin`, a CloudFormation delegated administrator), and the StackSets' trusted access enabled.
   *
   * @default - none: every call is made from the stack's account
   */
  readonly memberFootprint?: MemberFootprintOptions;

  /**
   * Reconcile the baseline on a schedule, so that changes made by hand are corrected (e.g.
   * `events.Schedule.rate(Duration.hours(12))`). A run is skipped while the baseline's generation is
   * still converging.
   *
   * @default - no scheduled reconciliation
   */
  readonly reconcileSchedule?: events.Schedule;

  /**
   * Delete the baseline's alternate contacts from the targeted accounts when the baseline is removed
   * (not when it is renamed, its targets change, or a deploy is rolled back).
   *
   * @default false - removing the baseline leaves every setting in place
   */
  readonly removeAlternateContactsOnDelete?: boolean;

  /**
   * A customer-managed KMS key to encrypt the stack's store of baseline generations with (it holds the
   * declared contacts). Only the stack's organization-baseline function is granted its use. The
   * OrganizationBaselines of a stack share one store: those that set a key must set the same one.
   *
   * @default - the store is encrypted with S3-managed keys (SSE-S3), unless another OrganizationBaseline of the stack sets a key
   */
  readonly storeEncryptionKey?: kms.IKey;
}

/**
 * One declaration of alternate contacts, primary contacts, names and opt-in Regions for many accounts
 * of an organization: explicit accounts, organizational units or the whole organization, minus
 * exclusions, with per-account overrides.
 *
 * It is desired state, converged by a reconciler: each deploy stores a new generation of the baseline
 * (its values encrypted in the stack's S3 bucket, never in a workflow's input, a rule or a log) and
 * starts an execution of the stack's Step Functions state machine, which supersedes the generation
 * before, reads each account's settings and writes only what differs, paced under the service's
 * quotas, and waits for Region transitions for as long as they take. The deploy waits for what
 * `deployWaitsFor` says; what goes on after it is visible in the execution (`attrExecutionArn`) and
 * announced by an EventBridge event when the generation converges or fails. Accounts that fail do not
 * stop the others. The management account is handled in standalone mode.
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
  /** The reconciler's execution that converges the generation of the last deploy. */
  public readonly attrExecutionArn: string;

  /** The generation of the last deploy. */
  public readonly attrGeneration: string;

  /**
   * "true" when every targeted account's contacts had converged when the deploy completed, "false"
   * when the deploy did not wait for them (`DeployWaitsFor.NOTHING`, a rollback) or stopped waiting
   * at 55 minutes.
   */
  public readonly attrContactsConverged: string;

  /** The function that handles the stack's organization baselines: their deploys, their reconciler's steps, their rules. */
  public readonly handler: lambda.IFunction;

  /**
   * The id the reconciler knows this baseline by (stable for the construct's path): it names the
   * baseline's stored generations and executions, and is the `BaselineId` dimension of its metrics.
   */
  public readonly baselineId: string;

  constructor(scope: Construct, id: string, props: OrganizationBaselineProps) {
    super(scope, id);
    const targets = validateTargets(props);
    const baseline = validateBaseline(props);
    validateOverridesTargeted(targets, baseline);
    validateSize(this, targets, baseline);
    claimExplicitAccounts(this, targets, baseline);

    const provider = OrganizationBaselineProvider.getOrCreate(this);
    provider.grant(targets, baseline);
    // Stable for the construct's path: names its stored generations and its executions.
    const baselineId = this.node.addr.slice(0, 16);
    this.baselineId = baselineId;
    const properties: OrganizationBaselineProperties = {
      BaselineId: baselineId,
      Store: provider.store.bucketName,
      Targets: Stack.of(this).toJsonString(targets),
      Baseline: Stack.of(this).toJsonString(baseline),
      DeployWaitsFor: props.deployWaitsFor ?? DeployWaitsFor.CONTACTS,
      FailDeployOn: props.failDeployOn ?? FailDeployOn.LISTED_ACCOUNTS,
      PruneUndeclared: props.pruneUndeclared ? 'true' : 'false',
      RemoveOnDelete: props.removeAlternateContactsOnDelete ? 'true' : 'false',
      CoverNewAccounts: props.coverNewAccounts ? 'true' : 'false',
      // Absent unless set: stacks deployed before it existed are not updated by an upgrade.
      ...(props.restoreHandChanges ? { RestoreHandChanges: 'true' } : {}),
      ...(props.memberFootprint ? { MemberRole: memberRoleName({ baselineId, options: props.memberFootprint }) } : {}),
    };
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      serviceTimeout: BASELINE_SERVICE_TIMEOUT,
      resourceType: RESOURCE_TYPES.organizationBaseline,
      properties: { ...properties },
    });
    resource.node.addDependency(provider.dependable);
    this.handler = provider.handler;
    this.attrExecutionArn = resource.getAttString('ExecutionArn');
    this.attrGeneration = resource.getAttString('Generation');
    this.attrContactsConverged = resource.getAttString('ContactsConverged');

    if (props.memberFootprint) {
      const footprint = addMemberFootprint(this, {
        baselineId,
        options: props.memberFootprint,
        targets,
        baseline,
        restoreHandChanges: props.restoreHandChanges ?? false,
        reconcilerRole: provider.handler.role!,
      });
      // The roles exist (and allow what this deploy declares) before the reconciler uses them.
      resource.node.addDependency(footprint);
      if (props.restoreHandChanges) acceptOrganizationEvents(provider);
    }
    if (props.coverNewAccounts) provider.coverNewAccounts(this, targets);
    if (props.restoreHandChanges) provider.restoreHandChanges(this);
    if (props.reconcileSchedule) provider.schedule(this, baselineId, props.reconcileSchedule, resource);
    if (props.storeEncryptionKey) provider.encryptStoreWith(this, props.storeEncryptionKey);
  }
}

