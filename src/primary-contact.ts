import { Construct } from 'constructs';
import { AccountSettingsProvider } from './account-settings-provider';
import { PrimaryContactProperties, RESOURCE_TYPES } from './contract';
import { renderPrimaryContact } from './private/contacts';
import { claimSetting } from './private/setting-claims';
import { validateAccountId, validatePrimaryContactDetails } from './validation';

/**
 * An account's primary contact information: the values PutContactInformation writes.
 */
export interface PrimaryContactDetails {
  /**
   * The full name of the primary contact, 1-50 characters.
   */
  readonly fullName: string;

  /**
   * The first line of the address, 1-60 characters.
   */
  readonly addressLine1: string;

  /**
   * The second line of the address, 1-60 characters.
   *
   * @default - none
   */
  readonly addressLine2?: string;

  /**
   * The third line of the address, 1-60 characters.
   *
   * @default - none
   */
  readonly addressLine3?: string;

  /**
   * The city, 1-50 characters.
   */
  readonly city: string;

  /**
   * The company name, 1-50 characters.
   *
   * @default - none
   */
  readonly companyName?: string;

  /**
   * The ISO-3166 two-letter country code, in capitals (e.g. `US`).
   */
  readonly countryCode: string;

  /**
   * The district or county, 1-50 characters.
   *
   * @default - none
   */
  readonly districtOrCounty?: string;

  /**
   * The phone number, 1-20 characters: a `+` and the country code, then digits, spaces and `-()`
   * (e.g. `+1 206-555-0100`).
   */
  readonly phoneNumber: string;

  /**
   * The postal code, 1-20 characters.
   */
  readonly postalCode: string;

  /**
   * The state or region, 1-50 characters; required when `countryCode` is US, CA, GB, DE, JP, IN or BR.
   *
   * @default - none
   */
  readonly stateOrRegion?: string;

  /**
   * The website URL, 1-256 characters.
   *
   * @default - none
   */
  readonly websiteUrl?: string;

}

/**
 * Properties of a `PrimaryContact`.
 */
export interface PrimaryContactProps extends PrimaryContactDetails {
  /**
   * The 12-digit id of the account whose primary contact this is (organizations mode).
   *
   * @default - the account the stack deploys to (standalone mode)
   */
  readonly accountId?: string;
}

/**
 * The primary contact information of an AWS account.
 *
 * Creating or updating the resource writes the contact information (PutContactInformation). An account
 * always has a primary contact and the API cannot delete it: removing the resource leaves the contact
 * information as it was last written.
 *
 * @example
 * import { PrimaryContact } from 'cdk-account-management';
 *
 * new PrimaryContact(this, 'PrimaryContact', {
 *   fullName: 'Cloud Platform Team',
 *   companyName: 'Example Corp',
 *   addressLine1: '410 Terry Ave N',
 *   city: 'Seattle',
 *   stateOrRegion: 'WA',
 *   postalCode: '98109',
 *   countryCode: 'US',
 *   phoneNumber: '+1 206-555-0100',
 * });
 */
export class PrimaryContact extends Construct {
  /** The account id the contact belongs to, as resolved by the handler. */
  public readonly attrAccountId: string;

  constructor(scope: Construct, id: string, props: PrimaryContactProps) {
    super(scope, id);
    validateAccountId('accountId', props.accountId);
    validatePrimaryContactDetails(props);
    claimSetting(this, 'primary contact', props.accountId);

    const provider = AccountSettingsProvider.getOrCreate(this);
    provider._grant({ accountId: props.accountId, actions: ['account:PutContactInformation'] });

    const properties: PrimaryContactProperties = { Setting: 'PrimaryContact', AccountId: props.accountId, ...renderPrimaryContact(props) };
    const resource = provider._resource(this, RESOURCE_TYPES.primaryContact, properties);
    provider._pace(resource, 'PutContactInformation');
    this.attrAccountId = resource.getAttString('AccountId');
  }
}
