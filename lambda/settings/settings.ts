import {
  AlternateContactType,
  DeleteAlternateContactCommand,
  PutAccountNameCommand,
  PutAlternateContactCommand,
  PutContactInformationCommand,
} from '@aws-sdk/client-account';
import { accountClient } from '../shared/clients';

/**
 * The ResourceProperties of the three synchronous settings, as CloudFormation delivers them: every
 * value a string, optional ones absent.
 */
export type SettingProperties = Readonly<Record<string, string | undefined>>;

/** One declared setting of one account, parsed from the ResourceProperties. */
export interface Setting {
  /** How logs and errors name it: never a value, only the kind and type ("SECURITY alternate contact"). */
  readonly description: string;
  /** The account it targets, when not the deploying account. */
  readonly accountId: string | undefined;
  /** The part of the physical id after the account: the same for the same setting of an account. */
  readonly idSuffix: string;
  readonly putOperation: string;
  /** Delete the setting, or undefined when the API cannot delete it (it stays as last written). */
  readonly remove?: {
    readonly operation: string;
    run(accountIdParameter: string | undefined): Promise<void>;
  };
  put(accountIdParameter: string | undefined): Promise<void>;
}

function required(properties: SettingProperties, name: string): string {
  const value = properties[name];
  if (value === undefined || value === '') throw new Error(`Missing resource property ${name}`);
  return value;
}

function alternateContact(properties: SettingProperties): Setting {
  const type = required(properties, 'AlternateContactType') as AlternateContactType;
  if (!Object.values(AlternateContactType).includes(type)) {
    throw new Error(`AlternateContactType must be one of ${Object.values(AlternateContactType).join(', ')}, got "${type}"`);
  }
  return {
    description: `${type} alternate contact`,
    accountId: properties.AccountId,
    idSuffix: `alternate-contact/${type}`,
    putOperation: 'PutAlternateContact',
    put: async (AccountId) => {
      await accountClient().send(new PutAlternateContactCommand({
        AccountId,
        AlternateContactType: type,
        Name: required(properties, 'Name'),
        Title: required(properties, 'Title'),
        EmailAddress: required(properties, 'EmailAddress'),
        PhoneNumber: required(properties, 'PhoneNumber'),
      }));
    },
    remove: {
      operation: 'DeleteAlternateContact',
      run: async (AccountId) => {
        await accountClient().send(new DeleteAlternateContactCommand({ AccountId, AlternateContactType: type }));
      },
    },
  };
}

function primaryContact(properties: SettingProperties): Setting {
  return {
    description: 'primary contact',
    accountId: properties.AccountId,
    idSuffix: 'primary-contact',
    putOperation: 'PutContactInformation',
    put: async (AccountId) => {
      await accountClient().send(new PutContactInformationCommand({
        AccountId,
        ContactInformation: {
          FullName: required(properties, 'FullName'),
          AddressLine1: required(properties, 'AddressLine1'),
          AddressLine2: properties.AddressLine2,
          AddressLine3: properties.AddressLine3,
          City: required(properties, 'City'),
          CompanyName: properties.CompanyName,
          CountryCode: required(properties, 'CountryCode'),
          DistrictOrCounty: properties.DistrictOrCounty,
          PhoneNumber: required(properties, 'PhoneNumber'),
          PostalCode: required(properties, 'PostalCode'),
          StateOrRegion: properties.StateOrRegion,
          WebsiteUrl: properties.WebsiteUrl,
        },
      }));
    },
  };
}

function accountName(properties: SettingProperties): Setting {
  return {
    description: 'account name',
    accountId: properties.AccountId,
    idSuffix: 'account-name',
    putOperation: 'PutAccountName',
    put: async (AccountId) => {
      await accountClient().send(new PutAccountNameCommand({ AccountId, AccountName: required(properties, 'AccountName') }));
    },
  };
}

const PARSERS: Record<string, (properties: SettingProperties) => Setting> = {
  AlternateContact: alternateContact,
  PrimaryContact: primaryContact,
  AccountName: accountName,
};

/** The one place where ResourceProperties are read. */
export function parseSetting(properties: SettingProperties): Setting {
  const kind = properties.Setting ?? '';
  const parse = PARSERS[kind];
  if (!parse) throw new Error(`Unknown setting "${kind}"; expected one of ${Object.keys(PARSERS).join(', ')}`);
  return parse(properties);
}
