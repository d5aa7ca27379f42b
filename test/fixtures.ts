import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { AlternateContactDetails, PrimaryContactDetails } from '../src';

/*
 * What the construct tests of AccountBaseline and OrganizationBaseline share: the accounts and contact
 * details they declare, the stacks they declare them in, the messages they expect, and small readers of
 * a synthesized template.
 */

/** The account every stack of these tests deploys to. */
export const STACK_ACCOUNT = '111111111111';
export const MEMBER_A = '222222222222';
export const MEMBER_B = '333333333333';
export const MEMBER_C = '444444444444';
export const MEMBER_D = '555555555555';
export const OU = 'ou-ab12-cd34ef56';
export const ENV = { account: STACK_ACCOUNT, region: 'us-east-1' };

export const SECURITY: AlternateContactDetails = {
  name: 'Security Team',
  title: 'Security Operations Lead',
  emailAddress: 'security@example.com',
  phoneNumber: '+1 206-555-0100',
};
export const BILLING: AlternateContactDetails = {
  name: 'Finance Department',
  title: 'Accounts Payable Manager',
  emailAddress: 'billing@example.com',
  phoneNumber: '+1 206-555-0111',
};
export const OPERATIONS: AlternateContactDetails = {
  name: 'Platform Operations',
  title: 'On-call Lead',
  emailAddress: 'ops@example.com',
  phoneNumber: '+1 206-555-0122',
};
export const PRIMARY_CONTACT: PrimaryContactDetails = {
  fullName: 'Cloud Platform Team',
  companyName: 'Example Corp',
  addressLine1: '410 Terry Ave N',
  city: 'Seattle',
  stateOrRegion: 'WA',
  postalCode: '98109',
  countryCode: 'US',
  phoneNumber: '+1 206-555-0199',
};
/** Another company address, every optional field given, for the overrides. */
export const SUBSIDIARY_CONTACT: PrimaryContactDetails = {
  fullName: 'Example Labs Platform',
  companyName: 'Example Labs GmbH',
  addressLine1: 'Unter den Linden 1',
  addressLine2: 'Building B',
  addressLine3: 'Floor 4',
  city: 'Berlin',
  districtOrCounty: 'Mitte',
  stateOrRegion: 'Berlin',
  postalCode: '10117',
  countryCode: 'DE',
  phoneNumber: '+49 30 5555 0100',
  websiteUrl: 'https://labs.example.com',
};

// ---------------------------------------------------------------------------------------------------------------------
// Messages

export const EMAIL_ALLOWED = 'an e-mail address (letters, digits and +=.#|!&-_ before the @, a domain with a dot after it)';
export const PATTERN_MESSAGE = (property: string, allowed: string, value: string): string => `\`${property}\` must be ${allowed}, got "${value}"`;
export const LENGTH_MESSAGE = (property: string, min: number, max: number, value: string): string =>
  `\`${property}\` must be ${min}-${max} characters, got ${value.length}: "${value}"`;
export const ACCOUNT_ID_MESSAGE = (property: string, value: string): string => PATTERN_MESSAGE(property, 'a 12-digit AWS account id', value);
/** Two constructs of one app that declare the same setting of the same account. */
export const DUPLICATE_MESSAGE = (setting: string, account: string, holder: string, again: string): string =>
  `The ${setting} of ${account} is already declared by ${holder}; declare each setting of an account once (${again} declares it again)`;

// ---------------------------------------------------------------------------------------------------------------------
// Stacks and templates

/** A stack of a new app, in STACK_ACCOUNT and `region`. */
export function newStack(region = 'us-east-1'): Stack {
  return new Stack(new App(), 'Stack', { env: { ...ENV, region } });
}

/** Asserts that `fn` throws an Error whose message is exactly `message` (`toThrow(string)` would accept a part of it). */
export function expectExactError(fn: () => unknown, message: string): void {
  expect(fn).toThrow(new Error(message));
}

export function sortByJson<T>(values: T[]): T[] {
  return [...values].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** Expects the same members, in any order. */
export function expectSameMembers(actual: unknown[], expected: unknown[]): void {
  expect(sortByJson(actual)).toEqual(sortByJson(expected));
}

/** The logical ids and properties of the resources of `type`. */
export function resourcesOf(template: Template, type: string): Array<[string, Record<string, any>]> {
  return Object.entries(template.findResources(type)).map(([id, resource]) => [id, resource.Properties ?? {}]);
}

/** The one resource of `type`: its logical id and properties. */
export function onlyResource(template: Template, type: string): [string, Record<string, any>] {
  const found = resourcesOf(template, type);
  expect(found).toHaveLength(1);
  return found[0];
}

/** The logical id of the L1 resource of `construct` (the construct itself, or its default child). */
export function logicalIdOf(construct: IConstruct): string {
  const element = (construct instanceof CfnElement ? construct : construct.node.defaultChild) as CfnElement;
  return Stack.of(element).getLogicalId(element);
}

/** The construct at `path` (e.g. 'OrganizationBaselineProvider/AccountApiPolicy') under `stack`, which must exist. */
export function constructAt(stack: Stack, path: string): IConstruct {
  let construct: IConstruct = stack;
  for (const id of path.split('/')) construct = construct.node.findChild(id);
  return construct;
}

/** The logical id of the L1 resource of the construct at `path` (e.g. 'OrganizationBaselineProvider/AccountApiPolicy') under `stack`. */
export function logicalIdAt(stack: Stack, path: string): string {
  return logicalIdOf(constructAt(stack, path));
}

/** `count` account ids from `first` onward. */
export function accountRange(first: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(first + i));
}
