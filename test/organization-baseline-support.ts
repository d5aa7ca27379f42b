/*
 * What the construct tests of OrganizationBaseline share: the messages, actions and statements they expect, and the
 * helpers that read a synthesized stack (organization-baseline-*.test.ts). The reconciler itself is tested in
 * organization-lifecycle*.test.ts.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { AlternateContactDetails, OrganizationBaseline, OrganizationBaselineProps, PrimaryContactDetails } from '../src';
import { constructAt, logicalIdAt, logicalIdOf, onlyResource } from './fixtures';
import { asArray, Statement } from './iam';
import { RESOURCE_TYPES } from '../src/contract';

export const TYPE = RESOURCE_TYPES.organizationBaseline;
export const PROVIDER = 'OrganizationBaselineProvider';
export const NO_TARGETS_MESSAGE = 'An OrganizationBaseline needs targets: `accountIds`, `organizationalUnitIds` or `allAccounts: true`';
export const NOTHING_TO_APPLY_MESSAGE =
  'An OrganizationBaseline needs something to apply: `alternateContacts`, `primaryContact`, `enabledRegions` or `overrides`';
export const OU_MESSAGE = (value: string) => `\`organizationalUnitIds\` must hold OU ids such as "ou-ab12-cd34ef56", got "${value}"`;
export const DUPLICATE_OVERRIDE_MESSAGE = (account: string) => `\`overrides\` holds account ${account} twice; declare one override per account`;
export const EXCLUDED_OVERRIDE_MESSAGE = (account: string) =>
  `\`overrides\` holds account ${account}, which \`excludeAccountIds\` excludes; remove the override or the exclusion`;
export const UNLISTED_OVERRIDE_MESSAGE = (account: string) =>
  `\`overrides\` holds account ${account}, which is not in \`accountIds\`; an override applies only to an account the baseline targets`;
export const ACCOUNT_NAME_ALLOWED = 'printable ASCII characters other than < and >';
export const NEW_ACCOUNT_WARNING_ID = 'cdk-account-management:new-account-events';
export const NEW_ACCOUNT_WARNING = (region: string) =>
  `AWS Organizations and Control Tower events arrive in us-east-1; coverNewAccounts in ${region} never sees them [ack: ${NEW_ACCOUNT_WARNING_ID}]`;
/**
 * Account ARNs a stack's handler role lists one by one (explicit accounts, not excluded, x account statements, plus the
 * accounts that overrides name) before it grants every member account.
 */
export const MAX_LISTED_ARNS = 60;
export const RECONCILE = Schedule.rate(Duration.hours(12));

export const CONTACT_ACTIONS = ['account:GetAlternateContact', 'account:PutAlternateContact'];
export const PRIMARY_ACTIONS = ['account:GetContactInformation', 'account:PutContactInformation'];
export const NAME_ACTIONS = ['account:GetAccountInformation', 'account:PutAccountName'];
export const REGION_ACTIONS = ['account:EnableRegion', 'account:GetRegionOptStatus'];

// ---------------------------------------------------------------------------------------------------------------------
// Helpers

/** The account statements of one baseline, on `resources`. */
export function contactStatement(resources: unknown[], types: string[]): Statement {
  return { Effect: 'Allow', Action: CONTACT_ACTIONS, Resource: resources, Condition: { 'ForAnyValue:StringEquals': { 'account:AlternateContactTypes': types } } };
}
export function primaryStatement(resources: unknown[]): Statement {
  return { Effect: 'Allow', Action: PRIMARY_ACTIONS, Resource: resources };
}
export function nameStatement(resources: unknown[]): Statement {
  return { Effect: 'Allow', Action: NAME_ACTIONS, Resource: resources };
}
export function regionStatement(resources: unknown[], regions: string[]): Statement {
  return { Effect: 'Allow', Action: REGION_ACTIONS, Resource: resources, Condition: { 'ForAnyValue:StringEquals': { 'account:TargetRegion': regions } } };
}

/** The statements of the provider's AccountApiPolicy (the grants that follow the baselines' props), in their order. */
export function accountApiStatements(stack: Stack): Statement[] {
  return Template.fromStack(stack).toJSON().Resources[logicalIdAt(stack, `${PROVIDER}/AccountApiPolicy`)].Properties.PolicyDocument.Statement;
}

/**
 * Expects the AccountApiPolicy to hold exactly `expected`, in this order (one baseline's after another's), each statement's
 * resources in order too (the deploying account first), its actions in any order.
 */
export function expectAccountApiStatements(stack: Stack, expected: Statement[]): void {
  const sortedActions = (statement: Statement) => ({ ...statement, Action: [...asArray(statement.Action)].sort() });
  expect(accountApiStatements(stack).map(sortedActions)).toEqual(expected.map(sortedActions));
}

/** The logical id of the provider's function, which must exist once. */
export function handlerId(template: Template): string {
  const found = Object.keys(template.findResources('AWS::Lambda::Function', {
    Properties: { Description: Match.stringLikeRegexp('^cdk-account-management: organization baselines') },
  }));
  expect(found).toHaveLength(1);
  return found[0];
}

export function handlerArn(template: Template): unknown {
  return { 'Fn::GetAtt': [handlerId(template), 'Arn'] };
}

/** The logical id of the role the provider's function runs as. */
export function handlerRoleId(template: Template): string {
  return template.toJSON().Resources[handlerId(template)].Properties.Role['Fn::GetAtt'][0];
}

/** The statements of the handler role's DefaultPolicy (the provider's own grants). */
export function handlerDefaultStatements(stack: Stack): Statement[] {
  return Template.fromStack(stack).toJSON().Resources[logicalIdAt(stack, `${PROVIDER}/Handler/ServiceRole/DefaultPolicy`)].Properties.PolicyDocument.Statement;
}

export function storeId(stack: Stack): string {
  return logicalIdAt(stack, `${PROVIDER}/Store`);
}

export function stateMachineId(stack: Stack): string {
  return logicalIdAt(stack, 'AccountManagementWaiter/StateMachine');
}

/** Functions of the Provider framework (aws-cdk-lib custom-resources), which no construct of this library should add. */
export function frameworkFunctions(template: Template): Record<string, unknown> {
  return template.findResources('AWS::Lambda::Function', { Properties: { Handler: Match.stringLikeRegexp('^framework\\.') } });
}

/** An alternate contact's fields as the construct renders them into the Baseline property. */
export function rendered(details: AlternateContactDetails): Record<string, string> {
  return { Name: details.name, Title: details.title, EmailAddress: details.emailAddress, PhoneNumber: details.phoneNumber };
}

/** A primary contact's fields as the construct renders them (fields left out are absent from the JSON). */
export function renderedPrimary(details: PrimaryContactDetails): Record<string, string> {
  const fields: Record<string, string | undefined> = {
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
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** The Targets the construct serializes. */
export function targetsOf(props: Partial<OrganizationBaselineProps>): Record<string, unknown> {
  return {
    accountIds: props.accountIds ?? [],
    organizationalUnitIds: props.organizationalUnitIds ?? [],
    allAccounts: props.allAccounts ?? false,
    excludeAccountIds: props.excludeAccountIds ?? [],
  };
}

/** The one custom resource of the template: its logical id, its properties, and its Targets and Baseline parsed. */
export function baselineResource(template: Template): { id: string; properties: Record<string, any>; targets: unknown; baseline: any } {
  const [id, properties] = onlyResource(template, TYPE);
  expect(typeof properties.Targets).toBe('string');
  expect(typeof properties.Baseline).toBe('string');
  return { id, properties, targets: JSON.parse(properties.Targets), baseline: JSON.parse(properties.Baseline) };
}

/** The properties of the custom resource of `baseline`. */
export function propertiesOf(baseline: OrganizationBaseline): Record<string, any> {
  const stack = Stack.of(baseline);
  return Template.fromStack(stack).toJSON().Resources[logicalIdOf(baseline.node.findChild('Resource'))].Properties;
}

/**
 * The rules of the template that are children of the construct at `scope` (a baseline's id, or PROVIDER for the stack's
 * new-account rules), by their construct id (e.g. 'CreateAccountRule').
 */
export function rulesOf(stack: Stack, scope: string): Record<string, Record<string, any>> {
  const resources = Template.fromStack(stack).toJSON().Resources;
  return Object.fromEntries(constructAt(stack, scope).node.children
    .filter((child) => child instanceof Rule)
    .map((child) => [child.node.id, resources[logicalIdOf(child)].Properties]));
}

/** The ids of the resources `id` waits for: its DependsOn, and those its properties reference (Ref, Fn::GetAtt). */
export function dependenciesOf(template: Template, id: string): Set<string> {
  const resource = template.toJSON().Resources[id];
  // A parameter (Ref) waits for nothing.
  if (resource === undefined) return new Set();
  const found = new Set<string>(asArray<string>(resource.DependsOn));
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    const object = value as Record<string, unknown>;
    if (typeof object.Ref === 'string' && !object.Ref.startsWith('AWS::')) found.add(object.Ref);
    if (Array.isArray(object['Fn::GetAtt'])) found.add(object['Fn::GetAtt'][0] as string);
    Object.values(object).forEach(visit);
  };
  visit(resource.Properties);
  return found;
}

/**
 * Whether CloudFormation creates `dependency` before `id` and deletes it after: `id` waits for it, directly or through
 * other resources.
 */
export function waitsFor(template: Template, id: string, dependency: string): boolean {
  const seen = new Set<string>();
  const pending = [id];
  while (pending.length > 0) {
    for (const next of dependenciesOf(template, pending.pop()!)) {
      if (next === dependency) return true;
      if (!seen.has(next)) {
        seen.add(next);
        pending.push(next);
      }
    }
  }
  return false;
}

/**
 * A rule target's input as the handler receives it: the Input, or the InputTemplate with `<f1>` (the whole event) replaced
 * by `event`; the store bucket's Ref as "REF:<logical id>".
 */
export function inputOf(target: Record<string, any>, event: unknown = { detail: {} }): Record<string, unknown> {
  const joined = target.InputTransformer ? target.InputTransformer.InputTemplate : target.Input;
  const text = (joined['Fn::Join'][1] as unknown[]).map((part) => typeof part === 'string' ? part : `REF:${(part as { Ref: string }).Ref}`).join('');
  if (!target.InputTransformer) return JSON.parse(text);
  expect(target.InputTransformer.InputPathsMap).toEqual({ f1: '$' });
  expect(text.split('<f1>')).toHaveLength(2);
  return JSON.parse(text.replace('<f1>', JSON.stringify(event)));
}

/** Every string value of `details` at least `min` characters long (shorter ones, such as "US", occur in any template). */
export function valuesOf(details: object, min = 6): string[] {
  return Object.values(details).filter((value): value is string => typeof value === 'string' && value.length >= min);
}
