import { RemovalPolicy, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AccountName } from './account-name';
import { AlternateContact, AlternateContactDetails } from './alternate-contact';
import { PrimaryContact, PrimaryContactDetails } from './primary-contact';
import { alternateContactsByType } from './private/contacts';
import { RegionOptIn } from './region-opt-in';
import { validateAlternateContactDetails, validatePrimaryContactDetails, validateRegionName } from './validation';

/**
 * The three alternate contacts of an account; each is optional.
 */
export interface AlternateContacts {
  /**
   * The billing contact.
   *
   * @default - not declared
   */
  readonly billing?: AlternateContactDetails;

  /**
   * The operations contact.
   *
   * @default - not declared
   */
  readonly operations?: AlternateContactDetails;

  /**
   * The security contact.
   *
   * @default - not declared
   */
  readonly security?: AlternateContactDetails;
}

/**
 * Properties of an `AccountBaseline`.
 */
export interface AccountBaselineProps {
  /**
   * The 12-digit id of the account (organizations mode).
   *
   * @default - the account the stack deploys to (standalone mode)
   */
  readonly accountId?: string;

  /**
   * The account's alternate contacts.
   *
   * @default - none declared
   */
  readonly alternateContacts?: AlternateContacts;

  /**
   * What happens to the alternate contacts when they are removed from the baseline.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly alternateContactRemovalPolicy?: RemovalPolicy;

  /**
   * The account's primary contact information.
   *
   * @default - not declared
   */
  readonly primaryContact?: PrimaryContactDetails;

  /**
   * The account's name.
   *
   * @default - not declared
   */
  readonly accountName?: string;

  /**
   * Opt-in Regions to enable.
   *
   * @default - none
   */
  readonly enabledRegions?: string[];

  /**
   * Opt-in Regions to disable.
   *
   * @default - none
   */
  readonly disabledRegions?: string[];
}

/**
 * All the settings of one account in one declaration: its alternate contacts, primary contact, name
 * and opt-in Regions, each made by the construct of that setting (so each behaves as documented
 * there). Every setting is optional.
 *
 * @example
 * import { AccountBaseline } from 'cdk-account-management';
 *
 * new AccountBaseline(this, 'Prod', {
 *   accountId: '222222222222',
 *   accountName: 'workload-prod',
 *   alternateContacts: {
 *     security: { name: 'SOC', title: 'Security', emailAddress: 'soc@example.com', phoneNumber: '+1 206-555-0103' },
 *   },
 *   enabledRegions: ['af-south-1'],
 * });
 */
export class AccountBaseline extends Construct {
  /** The alternate contacts, by type. */
  public readonly alternateContacts: AlternateContact[] = [];

  /** The primary contact, if declared. */
  public readonly primaryContact?: PrimaryContact;

  /** The account name, if declared. */
  public readonly accountName?: AccountName;

  /** The Regions, enabled and disabled. */
  public readonly regions: RegionOptIn[] = [];

  constructor(scope: Construct, id: string, props: AccountBaselineProps) {
    super(scope, id);
    const accountId = props.accountId;
    for (const [type, details] of alternateContactsByType(props.alternateContacts)) {
      validateAlternateContactDetails(details, `alternateContacts.${type.toLowerCase()}.`);
      this.alternateContacts.push(new AlternateContact(this, `AlternateContact${type}`, {
        ...details, type, accountId, removalPolicy: props.alternateContactRemovalPolicy,
      }));
    }
    if (props.primaryContact) {
      validatePrimaryContactDetails(props.primaryContact, 'primaryContact.');
      this.primaryContact = new PrimaryContact(this, 'PrimaryContact', { ...props.primaryContact, accountId });
    }
    if (props.accountName !== undefined) {
      this.accountName = new AccountName(this, 'AccountName', { accountName: props.accountName, accountId });
    }
    validateRegionLists(props.enabledRegions ?? [], props.disabledRegions ?? []);
    for (const [regions, enabled] of [[props.enabledRegions ?? [], true], [props.disabledRegions ?? [], false]] as const) {
      for (const regionName of regions) {
        const regionId = Token.isUnresolved(regionName) ? `Region${this.regions.length}` : `Region-${regionName}`;
        this.regions.push(new RegionOptIn(this, regionId, { regionName, enabled, accountId }));
      }
    }
  }
}

/** Each Region once, in one list: a Region cannot be both enabled and disabled. */
function validateRegionLists(enabledRegions: string[], disabledRegions: string[]): void {
  enabledRegions.forEach(region => validateRegionName('enabledRegions', region));
  disabledRegions.forEach(region => validateRegionName('disabledRegions', region));
  const seen = new Map<string, string>();
  for (const [property, regions] of [['enabledRegions', enabledRegions], ['disabledRegions', disabledRegions]] as const) {
    for (const region of regions) {
      if (Token.isUnresolved(region)) continue;
      const earlier = seen.get(region);
      if (earlier) {
        throw new Error(`\`${property}\` holds "${region}", which \`${earlier}\` already holds; list each Region once, in one of the two`);
      }
      seen.set(region, property);
    }
  }
}
