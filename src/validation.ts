import { RemovalPolicy, Token } from 'aws-cdk-lib';
import type { AlternateContactDetails } from './alternate-contact';
import type { PrimaryContactDetails } from './primary-contact';

/*
 * Synth-time checks with the Account Management API's own constraints (see the reference's data types).
 * Every check skips values that are tokens (resolved only at deploy time) and throws a message that names
 * the property, shows the value received and says what is allowed.
 */

/** The API's e-mail pattern (AlternateContact.EmailAddress). */
const EMAIL = /^[\s]*[\w+=.#|!&-]+@[\w.-]+\.[\w]+[\s]*$/;
/** AlternateContact.PhoneNumber. */
const ALTERNATE_CONTACT_PHONE = /^[\s0-9()+-]+$/;
/** ContactInformation.PhoneNumber: a leading + and the country code. */
const PRIMARY_CONTACT_PHONE = /^[+][\s0-9()-]+$/;
/** PutAccountName.AccountName: printable ASCII except < and >. */
const ACCOUNT_NAME = /^[ -;=?-~]+$/;
const ACCOUNT_ID = /^\d{12}$/;
const COUNTRY_CODE = /^[A-Z]{2}$/;
/** A Region code such as af-south-1, ap-southeast-4, us-gov-west-1 or eu-isoe-west-1. */
const REGION_CODE = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** Countries whose address needs a state or region (ContactInformation.StateOrRegion). */
export const COUNTRIES_REQUIRING_STATE = ['US', 'CA', 'GB', 'DE', 'JP', 'IN', 'BR'];

function isUnresolved(value: string | undefined): value is undefined {
  return value === undefined || Token.isUnresolved(value);
}

/** Checks a required or optional string's length. */
export function validateLength(property: string, value: string | undefined, min: number, max: number): void {
  if (isUnresolved(value)) return;
  if (value.length < min || value.length > max) {
    throw new Error(`\`${property}\` must be ${min}-${max} characters, got ${value.length}: "${value}"`);
  }
}

function validatePattern(property: string, value: string | undefined, pattern: RegExp, allowed: string): void {
  if (isUnresolved(value)) return;
  if (!pattern.test(value)) {
    throw new Error(`\`${property}\` must be ${allowed}, got "${value}"`);
  }
}

export function validateAccountId(property: string, accountId: string | undefined): void {
  validatePattern(property, accountId, ACCOUNT_ID, 'a 12-digit AWS account id');
}

export function validateEmailAddress(property: string, email: string | undefined): void {
  validateLength(property, email, 1, 254);
  validatePattern(property, email, EMAIL,
    'an e-mail address (letters, digits and +=.#|!&-_ before the @, a domain with a dot after it)');
}

export function validateAlternateContactPhone(property: string, phone: string | undefined): void {
  validateLength(property, phone, 1, 25);
  validatePattern(property, phone, ALTERNATE_CONTACT_PHONE, 'digits, spaces and the characters +-() only');
}

export function validatePrimaryContactPhone(property: string, phone: string | undefined): void {
  validateLength(property, phone, 1, 20);
  validatePattern(property, phone, PRIMARY_CONTACT_PHONE,
    'a + and the country code followed by digits, spaces and the characters -() only (e.g. "+1 206-555-0100")');
}

export function validateCountryCode(property: string, countryCode: string | undefined): void {
  validatePattern(property, countryCode, COUNTRY_CODE, 'an ISO-3166 two-letter country code in capitals (e.g. "US")');
}

export function validateStateOrRegion(countryCode: string | undefined, stateOrRegion: string | undefined, prefix = ''): void {
  validateLength(`${prefix}stateOrRegion`, stateOrRegion, 1, 50);
  if (isUnresolved(countryCode) || stateOrRegion !== undefined) return;
  if (COUNTRIES_REQUIRING_STATE.includes(countryCode)) {
    throw new Error(`\`${prefix}stateOrRegion\` is required when \`${prefix}countryCode\` is one of ${COUNTRIES_REQUIRING_STATE.join(', ')}, `
      + `got countryCode "${countryCode}" and no stateOrRegion`);
  }
}

export function validateAccountName(property: string, name: string | undefined): void {
  validateLength(property, name, 1, 50);
  validatePattern(property, name, ACCOUNT_NAME, 'printable ASCII characters other than < and >');
}

export function validateRegionName(property: string, regionName: string | undefined): void {
  validateLength(property, regionName, 1, 50);
  validatePattern(property, regionName, REGION_CODE, 'a Region code such as "af-south-1"');
}

export function validateRemovalPolicy(property: string, policy: RemovalPolicy | undefined): void {
  if (policy === undefined || policy === RemovalPolicy.DESTROY || policy === RemovalPolicy.RETAIN) return;
  throw new Error(`\`${property}\` must be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN, got ${policy}`);
}

/** The fields of an alternate contact; `prefix` names where they sit (e.g. "alternateContacts.security."). */
export function validateAlternateContactDetails(details: AlternateContactDetails, prefix = ''): void {
  validateLength(`${prefix}name`, details.name, 1, 64);
  validateLength(`${prefix}title`, details.title, 1, 50);
  validateEmailAddress(`${prefix}emailAddress`, details.emailAddress);
  validateAlternateContactPhone(`${prefix}phoneNumber`, details.phoneNumber);
}

/** The fields of a primary contact; `prefix` names where they sit (e.g. "primaryContact."). */
export function validatePrimaryContactDetails(details: PrimaryContactDetails, prefix = ''): void {
  validateLength(`${prefix}fullName`, details.fullName, 1, 50);
  validateLength(`${prefix}addressLine1`, details.addressLine1, 1, 60);
  validateLength(`${prefix}addressLine2`, details.addressLine2, 1, 60);
  validateLength(`${prefix}addressLine3`, details.addressLine3, 1, 60);
  validateLength(`${prefix}city`, details.city, 1, 50);
  validateLength(`${prefix}companyName`, details.companyName, 1, 50);
  validateCountryCode(`${prefix}countryCode`, details.countryCode);
  validateLength(`${prefix}districtOrCounty`, details.districtOrCounty, 1, 50);
  validatePrimaryContactPhone(`${prefix}phoneNumber`, details.phoneNumber);
  validateLength(`${prefix}postalCode`, details.postalCode, 1, 20);
  validateStateOrRegion(details.countryCode, details.stateOrRegion, prefix);
  validateLength(`${prefix}websiteUrl`, details.websiteUrl, 1, 256);
}
