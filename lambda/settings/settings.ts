import { AccountClient, AlternateContactType, GetAccountInformationCommand, GetContactInformationCommand } from '@aws-sdk/client-account';
import type { AccountNameProperties, AlternateContactProperties, PrimaryContactProperties, SettingProperties } from '../../src/contract';
import {
  deleteAlternateContactIfHolds, getAlternateContact, holdsContact, holdsPrimaryContact, notFoundAsUndefined, putAccountName, putAlternateContact,
  putContactInformation,
} from '../shared/account-api';
import type { Declared } from '../shared/declarations';
import { Target } from '../shared/target';

/** One declared setting of one account, parsed from the ResourceProperties. */
export interface Setting {
  /** How logs and errors name it: never a value, only the kind and type ("SECURITY alternate contact"). */
  readonly description: string;
  /** The account it targets, when not the deploying account. */
  readonly accountId: string | undefined;
  /** The part of the physical id after the account: the same for the same setting of an account. */
  readonly idSuffix: string;
  readonly putOperation: string;
  /**
   * Delete the setting while it still holds the declared values, or undefined when the API cannot delete
   * it (it stays as last written).
   */
  readonly remove?: {
    readonly operation: string;
    /** What another resource of the stack would declare if the setting moved there. */
    declared(accountId: string): Declared;
    run(client: AccountClient, target: Target): Promise<'deleted' | 'already gone' | 'changed'>;
  };
  put(client: AccountClient, target: Target): Promise<void>;
  /** Whether the account holds the declared values (read with the setting's Get call). */
  holds(client: AccountClient, target: Target): Promise<boolean>;
}

type Properties = Readonly<Record<string, unknown>>;

function required(properties: Properties, name: string): string {
  const value = properties[name];
  if (typeof value !== 'string' || value === '') throw new Error(`Missing resource property ${name}`);
  return value;
}

function optional(properties: Properties, name: string): string | undefined {
  const value = properties[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function alternateContact(properties: Properties): Setting {
  const type = required(properties, 'AlternateContactType') as AlternateContactType;
  if (!Object.values(AlternateContactType).includes(type)) {
    throw new Error(`AlternateContactType must be one of ${Object.values(AlternateContactType).join(', ')}, got "${type}"`);
  }
  const fields = {
    Name: required(properties, 'Name'),
    Title: required(properties, 'Title'),
    EmailAddress: required(properties, 'EmailAddress'),
    PhoneNumber: required(properties, 'PhoneNumber'),
  } satisfies Omit<AlternateContactProperties, 'Setting' | 'AlternateContactType'>;
  return {
    description: `${type} alternate contact`,
    accountId: optional(properties, 'AccountId'),
    idSuffix: `alternate-contact/${type}`,
    putOperation: 'PutAlternateContact',
    put: (client, target) => putAlternateContact(client, target, type, fields),
    holds: async (client, target) => holdsContact(await getAlternateContact(client, target, type), fields),
    remove: {
      operation: 'DeleteAlternateContact',
      declared: accountId => ({ accountId, contactType: type }),
      run: (client, target) => deleteAlternateContactIfHolds(client, target, type, fields),
    },
  };
}

function primaryContact(properties: Properties): Setting {
  const fields = {
    FullName: required(properties, 'FullName'),
    AddressLine1: required(properties, 'AddressLine1'),
    AddressLine2: optional(properties, 'AddressLine2'),
    AddressLine3: optional(properties, 'AddressLine3'),
    City: required(properties, 'City'),
    CompanyName: optional(properties, 'CompanyName'),
    CountryCode: required(properties, 'CountryCode'),
    DistrictOrCounty: optional(properties, 'DistrictOrCounty'),
    PhoneNumber: required(properties, 'PhoneNumber'),
    PostalCode: required(properties, 'PostalCode'),
    StateOrRegion: optional(properties, 'StateOrRegion'),
    WebsiteUrl: optional(properties, 'WebsiteUrl'),
  } satisfies Omit<PrimaryContactProperties, 'Setting'>;
  return {
    description: 'primary contact',
    accountId: optional(properties, 'AccountId'),
    idSuffix: 'primary-contact',
    putOperation: 'PutContactInformation',
    put: (client, target) => putContactInformation(client, target, fields),
    holds: async (client, target) => {
      const current = await client.send(new GetContactInformationCommand({ AccountId: target.accountIdParameter }))
        .then(answer => answer.ContactInformation, notFoundAsUndefined);
      return holdsPrimaryContact(current, fields);
    },
  };
}

function accountName(properties: Properties): Setting {
  const name: AccountNameProperties['AccountName'] = required(properties, 'AccountName');
  return {
    description: 'account name',
    accountId: optional(properties, 'AccountId'),
    idSuffix: 'account-name',
    putOperation: 'PutAccountName',
    put: (client, target) => putAccountName(client, target, name),
    holds: async (client, target) => {
      const information = await client.send(new GetAccountInformationCommand({ AccountId: target.accountIdParameter }));
      return information.AccountName === name;
    },
  };
}


const PARSERS: Record<SettingProperties['Setting'], (properties: Properties) => Setting> = {
  AlternateContact: alternateContact,
  PrimaryContact: primaryContact,
  AccountName: accountName,
};

/** The one place where ResourceProperties are read. */
export function parseSetting(properties: Properties): Setting {
  const kind = String(properties.Setting ?? '');
  const parse = PARSERS[kind as SettingProperties['Setting']];
  if (!parse) throw new Error(`Unknown setting "${kind}"; expected one of ${Object.keys(PARSERS).join(', ')}`);
  return parse(properties);
}
