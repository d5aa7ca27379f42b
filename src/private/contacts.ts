import type { AlternateContacts } from '../account-baseline';
import { AlternateContactDetails, AlternateContactType } from '../alternate-contact';
import type { AlternateContactFields, AlternateContactsByType, BaselineDocument, PrimaryContactFields } from '../contract';
import type { PrimaryContactDetails } from '../primary-contact';

/** The declared alternate contacts, by type. */
export function alternateContactsByType(contacts: AlternateContacts | undefined): Array<[AlternateContactType, AlternateContactDetails]> {
  const byType: Array<[AlternateContactType, AlternateContactDetails | undefined]> = [
    [AlternateContactType.BILLING, contacts?.billing],
    [AlternateContactType.OPERATIONS, contacts?.operations],
    [AlternateContactType.SECURITY, contacts?.security],
  ];
  return byType.filter((entry): entry is [AlternateContactType, AlternateContactDetails] => entry[1] !== undefined);
}


/** An alternate contact's fields as PutAlternateContact (and the handlers) name them. */
export function renderAlternateContact(details: AlternateContactDetails): AlternateContactFields {
  return { Name: details.name, Title: details.title, EmailAddress: details.emailAddress, PhoneNumber: details.phoneNumber };
}

/** The declared alternate contacts, by type, as PutAlternateContact names their fields. */
export function renderAlternateContacts(contacts: AlternateContacts | undefined): AlternateContactsByType {
  return Object.fromEntries(alternateContactsByType(contacts).map(([type, details]) => [type, renderAlternateContact(details)]));
}

/** A primary contact's fields as PutContactInformation (and the handlers) name them. */
export function renderPrimaryContact(details: PrimaryContactDetails): PrimaryContactFields {
  return {
    FullName: details.fullName,
    AddressLine1: details.addressLine1,
    AddressLine2: details.addressLine2,
    AddressLine3: details.addressLine3,
    City: details.city,
    CompanyName: details.companyName,
    CountryCode: details.countryCode,
    DistrictOrCounty: details.districtOrCounty,
    PhoneNumber: details.phoneNumber,
    PostalCode: details.postalCode,
    StateOrRegion: details.stateOrRegion,
    WebsiteUrl: details.websiteUrl,
  };
}

/** What an organization baseline declares anywhere (its own values or an override's): the IAM it needs follows from it. */
export function baselineDeclares(baseline: BaselineDocument): {
  readonly types: string[];
  readonly primary: boolean;
  readonly namedAccounts: string[];
} {
  const overrides = Object.values(baseline.overrides);
  const overridden = overrides.flatMap(o => Object.keys(o.alternateContacts ?? {}));
  return {
    types: [...new Set([...Object.keys(baseline.alternateContacts), ...overridden])].sort(),
    primary: baseline.primaryContact !== undefined || overrides.some(o => o.primaryContact),
    namedAccounts: Object.keys(baseline.overrides).filter(id => baseline.overrides[id].accountName !== undefined),
  };
}
