/*
 * The contract between the constructs and the handlers: the resource types, the names and types of the
 * properties that the constructs write into their custom resources and the handlers read, and the
 * attributes the handlers return. Both sides import this module (it has no CDK import, so that the
 * handlers' bundles can), so the compiler holds them together.
 *
 * CloudFormation delivers every property as a string: booleans are "true" / "false", numbers are
 * decimal strings, and optional properties are absent.
 */

/** The custom resource types, one per kind of setting. */
export const RESOURCE_TYPES = {
  alternateContact: 'Custom::AccountAlternateContact',
  primaryContact: 'Custom::AccountPrimaryContact',
  accountName: 'Custom::AccountName',
  /** Reads an account's name, creation date and state (GetAccountInformation); writes nothing. */
  accountInformation: 'Custom::AccountInformation',
  regionOptIn: 'Custom::AccountRegionOptIn',
  organizationBaseline: 'Custom::AccountOrganizationBaseline',
  /** Empties the stack's store of organization baseline generations before CloudFormation deletes it. */
  baselineStore: 'Custom::AccountBaselineStore',
  /** Empties the bucket where RegionOptIn requests' ResponseURLs wait, before CloudFormation deletes it. */
  regionResponseStore: 'Custom::AccountRegionResponseStore',
} as const;

/** A boolean as CloudFormation delivers it. */
export type BooleanString = 'true' | 'false';

/** What every setting's properties hold. */
export interface TargetProperties {
  /** The 12-digit account; absent for the deploying account (standalone mode). */
  readonly AccountId?: string;
}

/** An alternate contact's values, named as PutAlternateContact names them. */
export interface AlternateContactFields {
  readonly Name: string;
  readonly Title: string;
  readonly EmailAddress: string;
  readonly PhoneNumber: string;
}

export interface AlternateContactProperties extends TargetProperties, AlternateContactFields {
  readonly Setting: 'AlternateContact';
  /** BILLING, OPERATIONS or SECURITY. */
  readonly AlternateContactType: string;
}

/** The primary contact's values, named as PutContactInformation names them. */
export interface PrimaryContactFields {
  readonly FullName: string;
  readonly AddressLine1: string;
  readonly AddressLine2?: string;
  readonly AddressLine3?: string;
  readonly City: string;
  readonly CompanyName?: string;
  readonly CountryCode: string;
  readonly DistrictOrCounty?: string;
  readonly PhoneNumber: string;
  readonly PostalCode: string;
  readonly StateOrRegion?: string;
  readonly WebsiteUrl?: string;
}

export interface PrimaryContactProperties extends TargetProperties, PrimaryContactFields {
  readonly Setting: 'PrimaryContact';
}

export interface AccountNameProperties extends TargetProperties {
  readonly Setting: 'AccountName';
  readonly AccountName: string;
}

/** The properties of the settings written by one synchronous call, told apart by `Setting`. */
export type SettingProperties = AlternateContactProperties | PrimaryContactProperties | AccountNameProperties;

/** The attributes of a setting's resource. */
export interface SettingAttributes {
  /** The account whose setting it is, as the handler resolved it. */
  readonly AccountId: string;
}

export interface AccountInformationProperties extends TargetProperties {
  /** Any value; a change of it makes CloudFormation send an Update, which reads the account again. */
  readonly RefreshToken?: string;
}

/** The attributes of an account information resource, named as GetAccountInformation names them. */
export interface AccountInformationAttributes extends SettingAttributes {
  readonly AccountName: string;
  /** ISO 8601, e.g. 2020-01-01T00:00:00.000Z. */
  readonly AccountCreatedDate: string;
  /** PENDING_ACTIVATION, ACTIVE, SUSPENDED or CLOSED. */
  readonly AccountState: string;
}

export interface RegionOptInProperties extends TargetProperties {
  readonly RegionName: string;
  readonly Enabled: BooleanString;
  readonly WaitForCompletion: BooleanString;
  /** How long to wait for the transition, in seconds. */
  readonly TimeoutSeconds: string;
  /** How often to read the Region's status while waiting, in seconds. */
  readonly PollIntervalSeconds: string;
}

export interface RegionOptInAttributes {
  /** The Region's status when the resource completed, or UNCHANGED when nothing was asked of it. */
  readonly OptStatus: string;
}

/**
 * The Metadata key under which a setting's custom resource carries its place among the stack's settings
 * that the same operation writes: every request of a deploy that creates the stack computes the same
 * schedule from it, without reading the others (a Metadata change alone makes no request).
 */
export const PACING_METADATA = 'cdk-account-management:Pacing';

/** What PACING_METADATA holds: the operation, the resource's rank among its settings (the template's order), and how many there are. */
export interface PacingMetadata {
  readonly Operation: string;
  readonly Rank: number;
  readonly Of: number;
}

/** The environment variable that tells a function the ARN of the stack's waiter state machine. */
export const WAITER_ARN_ENV = 'WAITER_STATE_MACHINE_ARN';

/** The environment variable that tells a function the id of the stack it belongs to: it serves that stack's requests only. */
export const STACK_ID_ENV = 'CDK_ACCOUNT_MANAGEMENT_STACK_ID';

/** The environment variable that says a settings function's stack restores hand changes (`restoreHandChanges`): "true". */
export const RESTORE_HAND_CHANGES_ENV = 'CDK_ACCOUNT_MANAGEMENT_RESTORE_HAND_CHANGES';

/** The environment variable that names the bucket where the function keeps the ResponseURLs its waiter answers. */
export const RESPONSE_STORE_ENV = 'CDK_ACCOUNT_MANAGEMENT_RESPONSE_STORE';

/**
 * The environment variable that lets a function answer a ResponseURL starting with its value besides
 * CloudFormation's S3 endpoints: set only by the local services' deployment engine (local/), never by the constructs.
 */
export const LOCAL_RESPONSE_URL_ENV = 'CDK_ACCOUNT_MANAGEMENT_LOCAL_RESPONSE_URL';

/**
 * The errors a waiter execution ends with when a step failed: `reported` once the function has answered
 * (nothing more to say), `unreported` when the report failed too (the execution's end is then answered
 * from outside it, like any other failed, timed-out or stopped execution).
 */
export const WAITER_FAILURES = { reported: 'StepFailed', unreported: 'ReportFailed' } as const;

/** Which accounts an organization baseline applies to. */
export interface TargetSpec {
  /** These accounts, as given (an account that is not an active member is skipped and reported). */
  readonly accountIds: string[];
  /** The active accounts under these organizational units, nested OUs included. */
  readonly organizationalUnitIds: string[];
  /** Every active account of the organization. */
  readonly allAccounts: boolean;
  /** Never these accounts, whatever else the spec says. */
  readonly excludeAccountIds: string[];
}

/** BILLING, OPERATIONS or SECURITY. */
export type ContactTypeName = 'BILLING' | 'OPERATIONS' | 'SECURITY';

/** Alternate contacts by type. */
export type AlternateContactsByType = Partial<Record<ContactTypeName, AlternateContactFields>>;

/** What an organization baseline declares for one account, replacing the baseline's. */
export interface AccountOverrideDocument {
  readonly alternateContacts?: AlternateContactsByType;
  readonly primaryContact?: PrimaryContactFields;
  readonly accountName?: string;
}

/**
 * The values an organization baseline declares. They travel to the reconciler by reference: stored
 * once per generation (encrypted), never in an execution's input, a rule's input or a log.
 */
export interface BaselineDocument {
  readonly alternateContacts: AlternateContactsByType;
  readonly primaryContact?: PrimaryContactFields;
  readonly enabledRegions: string[];
  /** By account id. */
  readonly overrides: Record<string, AccountOverrideDocument>;
}

/** What a deploy of an organization baseline waits for. */
export type DeployWaitsForName = 'CONTACTS' | 'EVERYTHING' | 'NOTHING';

/** Which failed accounts fail a deploy of an organization baseline. */
export type FailDeployOnName = 'LISTED_ACCOUNTS' | 'ANY_ACCOUNT' | 'NO_ACCOUNT';

export interface OrganizationBaselineProperties {
  /** Stable for the construct: names its stored generations and its executions. */
  readonly BaselineId: string;
  /** The bucket where the generations are stored. */
  readonly Store: string;
  /** JSON of a TargetSpec. */
  readonly Targets: string;
  /** JSON of a BaselineDocument. */
  readonly Baseline: string;
  readonly DeployWaitsFor: DeployWaitsForName;
  /** Absent in stacks of earlier versions: LISTED_ACCOUNTS. */
  readonly FailDeployOn?: FailDeployOnName;
  readonly PruneUndeclared: BooleanString;
  readonly RemoveOnDelete: BooleanString;
  /** Whether accounts that join the targets get the baseline (from the stack's new-account rules). */
  readonly CoverNewAccounts: BooleanString;
  /** Whether hand changes of what it declares are undone (from the stack's hand-change rule); absent: no. */
  readonly RestoreHandChanges?: BooleanString;
  /**
   * The role the baseline's member footprint puts in each targeted account (its name, the same in every
   * account); absent: no footprint, every call is made from the stack's account.
   */
  readonly MemberRole?: string;
}

/** Where the (global) Account API's and Organizations' CloudTrail events reach EventBridge, in the commercial partition. */
export const ACCOUNT_EVENTS_REGION = 'us-east-1';

/** The session name the reconciler gives its sessions of member roles (CloudTrail names it). */
export const MEMBER_ROLE_SESSION = 'cdk-account-management';

/** What IAM allows as a role's name (the member role's is checked at synth and again by the handler). */
export const ROLE_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;

/** A bucket of the stack that its function empties when CloudFormation deletes the resource (the stack's deletion). */
export interface StoreCleanupProperties {
  /** The bucket to empty when the stack deletes it. */
  readonly Store: string;
}

export interface OrganizationBaselineAttributes {
  /** The execution of the reconciler that converges this generation. */
  readonly ExecutionArn: string;
  readonly Generation: string;
  /** Whether every targeted account's contacts had converged when the deploy completed. */
  readonly ContactsConverged: BooleanString;
}

/** The input of the rules that start a baseline's reconciler: names, never values. */
export interface BaselineTrigger {
  readonly Trigger: 'new-account' | 'schedule' | 'hand-change';
  /** The baseline (a schedule's); absent for the stack's new-account rules: every baseline that covers new accounts. */
  readonly BaselineId?: string;
  readonly Store: string;
  /** The EventBridge event (new accounts). */
  readonly Event?: unknown;
  /** The baseline's custom resource (a schedule's): a store found emptied is reported while the stack declares it. */
  readonly Resource?: { readonly StackId: string; readonly LogicalResourceId: string };
  /** A hand change's: the roles of the stack's functions, whose writes are the stack's own (never undone). */
  readonly Ignore?: string[];
}

/** The input of a stack's rule that hands its single-setting function the Account API's writes (CloudTrail records). */
export interface SettingsHandChangeTrigger {
  readonly Trigger: 'hand-change';
  /** The roles of the stack's functions, whose writes are the stack's own (never undone). */
  readonly Ignore: string[];
  /** The EventBridge event ("AWS API Call via CloudTrail"). */
  readonly Event: unknown;
}

/**
 * The Account API's writes whose CloudTrail records start the undoing of a hand change: those that change what
 * a stack declares (a contact, the primary contact, the name). Region transitions are not undone.
 */
export const HAND_CHANGE_EVENT_NAMES = ['PutAlternateContact', 'DeleteAlternateContact', 'PutContactInformation', 'PutAccountName'] as const;

/**
 * How many bytes an organization baseline's Targets and Baseline properties may take together: an Update
 * sends the old and the new properties to the function in one asynchronous Lambda event (at most 1 MB).
 */
export const MAX_BASELINE_PROPERTY_BYTES = 450_000;

/** The source and detail types of the events an organization baseline sends to the default event bus. */
export const BASELINE_EVENTS = {
  source: 'cdk-account-management',
  converged: 'Organization Baseline Generation Converged',
  failed: 'Organization Baseline Generation Failed',
  /** A change made by hand (outside the stack) to what the stack declares was put back. */
  handChangeUndone: 'Account Management Hand Change Undone',
} as const;

/**
 * The organization baselines' store objects that expire, by their key under baselines/<BaselineId>/: the
 * function puts them with the tag `STORE_EXPIRY_TAG`=kind, and the store's lifecycle rules delete each
 * kind after its days. Every other object (current.json, the generations, applied.json) is put without
 * the tag, so no rule can expire it.
 */
export const STORE_EXPIRY_TAG = 'expiry';
export const STORE_EXPIRY = {
  /** A step's lease (writing/): deleted when the step ends; left only by a step whose function died. */
  lease: { prefix: 'writing/', days: 1 },
  /** What a run resolved (runs/): read by its steps, which end within days (Region transitions included). */
  run: { prefix: 'runs/', days: 30 },
  /** What accounts held before a deploy wrote (priors/): read by that deploy's rollback. */
  prior: { prefix: 'priors/', days: 30 },
} as const;

/**
 * The CloudWatch metrics the handlers publish in their log lines (embedded metric format), and that
 * `AccountManagementMonitoring` charts and alarms on: one namespace, a baseline's metrics per baseline
 * (`BaselineId`) and per baseline and generation (`BaselineId`, `Generation`), the settings' per kind (`Setting`).
 */
export const METRICS = {
  namespace: 'CdkAccountManagement',
  dimensions: { baseline: 'BaselineId', generation: 'Generation', setting: 'Setting' },
  /** On each step of a run: where the run is (gauges: the last value is the run's). */
  step: {
    accountsDone: 'AccountsDone',
    accountsTotal: 'AccountsTotal',
    applied: 'Applied',
    unchanged: 'Unchanged',
    skipped: 'Skipped',
    failed: 'Failed',
    regionsInTransition: 'RegionsInTransition',
    generationAgeSeconds: 'GenerationAgeSeconds',
    /** Counts of the step alone (summed over time). */
    throttledCalls: 'ThrottledCalls',
    driftUndone: 'DriftUndone',
  },
  /** On the end of a run: 1 for the one that happened, 0 for the other. */
  end: { generationConverged: 'GenerationConverged', generationFailed: 'GenerationFailed' },
  /** On each put of a single setting (contacts, name), per `Setting` ("SECURITY alternate contact", "account name"…): 1 each. */
  settings: { written: 'SettingsWritten', failed: 'SettingsFailed' },
} as const;
