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
  regionOptIn: 'Custom::AccountRegionOptIn',
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

/** The environment variable that tells a function the ARN of the stack's waiter state machine. */
export const WAITER_ARN_ENV = 'WAITER_STATE_MACHINE_ARN';
