import type { AlternateContacts } from '../account-baseline';
import { AlternateContactDetails, AlternateContactType } from '../alternate-contact';
import type { AlternateContactFields } from '../contract';

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
