import { RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AccountSettingsProvider } from './account-settings-provider';
import { AlternateContactProperties, RESOURCE_TYPES } from './contract';
import { renderAlternateContact } from './private/contacts';
import { claimSetting } from './private/setting-claims';
import { validateAccountId, validateAlternateContactDetails, validateRemovalPolicy } from './validation';

/**
 * The kinds of alternate contact an AWS account has, one of each at most.
 */
export enum AlternateContactType {
  /** Receives billing communications. */
  BILLING = 'BILLING',
  /** Receives operations communications. */
  OPERATIONS = 'OPERATIONS',
  /** Receives security communications. */
  SECURITY = 'SECURITY',
}

/**
 * Who an alternate contact is: the values PutAlternateContact writes.
 */
export interface AlternateContactDetails {
  /**
   * The contact's name, 1-64 characters.
   */
  readonly name: string;

  /**
   * The contact's title, 1-50 characters.
   */
  readonly title: string;

  /**
   * The contact's e-mail address, up to 254 characters; a distribution list is a good choice.
   */
  readonly emailAddress: string;

  /**
   * The contact's phone number, 1-25 characters: digits, spaces and `+-()`.
   */
  readonly phoneNumber: string;
}

/**
 * Properties of an `AlternateContact`.
 */
export interface AlternateContactProps extends AlternateContactDetails {
  /**
   * Which of the account's alternate contacts this is.
   */
  readonly type: AlternateContactType;

  /**
   * The 12-digit id of the account whose contact this is. Set it to manage a member account of your
   * organization (organizations mode: deploy from the management account or the Account Management
   * delegated administrator, with trusted access for account.amazonaws.com enabled).
   *
   * @default - the account the stack deploys to (standalone mode)
   */
  readonly accountId?: string;

  /**
   * What happens to the contact when this resource is removed from the stack or replaced by one for
   * another account or contact type: DESTROY deletes it from the account, RETAIN leaves it.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * One alternate contact (billing, operations or security) of an AWS account.
 *
 * Creating or updating the resource writes the contact (PutAlternateContact); changing `accountId` or
 * `type` replaces the resource, and the old account's contact is then deleted. Removing the resource
 * deletes the contact unless `removalPolicy` is RETAIN. Renaming the construct keeps the contact.
 *
 * @example
 * import { AlternateContact, AlternateContactType } from 'cdk-account-management';
 *
 * new AlternateContact(this, 'Security', {
 *   type: AlternateContactType.SECURITY,
 *   name: 'Security Team',
 *   title: 'Security',
 *   emailAddress: 'security@example.com',
 *   phoneNumber: '+1 206-555-0100',
 * });
 */
export class AlternateContact extends Construct {
  /** The account id the contact belongs to, as resolved by the handler. */
  public readonly attrAccountId: string;

  constructor(scope: Construct, id: string, props: AlternateContactProps) {
    super(scope, id);
    validateAccountId('accountId', props.accountId);
    validateAlternateContactDetails(props);
    validateRemovalPolicy('removalPolicy', props.removalPolicy);
    if (!Object.values(AlternateContactType).includes(props.type)) {
      throw new Error(`\`type\` must be one of ${Object.values(AlternateContactType).join(', ')}, got "${props.type}"`);
    }
    claimSetting(this, `${props.type.toLowerCase()} alternate contact`, props.accountId);

    const provider = AccountSettingsProvider.getOrCreate(this);
    provider._grant({
      accountId: props.accountId,
      actions: ['account:PutAlternateContact'],
      conditionKey: 'account:AlternateContactTypes',
      conditionValue: props.type,
    });

    const properties: AlternateContactProperties = {
      Setting: 'AlternateContact',
      AccountId: props.accountId,
      AlternateContactType: props.type,
      ...renderAlternateContact(props),
    };
    const resource = provider._resource(this, RESOURCE_TYPES.alternateContact, properties, props.removalPolicy ?? RemovalPolicy.DESTROY);
    provider._pace(resource, 'PutAlternateContact');
    this.attrAccountId = resource.getAttString('AccountId');
  }
}
