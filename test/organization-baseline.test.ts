import * as path from 'path';
import { App, CfnParameter, Duration, NestedStack, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import {
  AccountBaseline,
  AccountName,
  AlternateContact,
  AlternateContactDetails,
  AlternateContactType,
  DeployWaitsFor,
  FailDeployOn,
  OrganizationBaseline,
  OrganizationBaselineProps,
  PrimaryContact,
  PrimaryContactDetails,
  RegionOptIn,
} from '../src';
import {
  ACCOUNT_ID_MESSAGE, accountRange, BILLING, constructAt, DUPLICATE_MESSAGE, EMAIL_ALLOWED, expectExactError, expectSameMembers, LENGTH_MESSAGE,
  logicalIdAt, logicalIdOf, MEMBER_A, MEMBER_B, MEMBER_C, MEMBER_D, newStack, onlyResource, OPERATIONS, OU, PATTERN_MESSAGE, PRIMARY_CONTACT,
  resourcesOf, SECURITY, STACK_ACCOUNT, SUBSIDIARY_CONTACT,
} from './fixtures';
import {
  allStatements, ANY_MEMBER_ARN, asArray, DESCRIBE_ACCOUNT_STATEMENT, expectNoAccountActionOnEverything, expectStatements, memberArn,
  ROLE_INLINE_POLICIES_LIMIT, roleInlinePoliciesSize, serviceStatements, STACK_READ_STATEMENT, standaloneArn, Statement,
} from './iam';
import {
  Acknowledged, basicExecutionRoleAcknowledgment, describeAccountAcknowledgment, nagFindings, stale, unacknowledged, waiterAcknowledgments,
} from './nag';
import {
  BaselineStoreProperties, BaselineTrigger, OrganizationBaselineAttributes, OrganizationBaselineProperties, RESOURCE_TYPES, STACK_ID_ENV,
  WAITER_ARN_ENV,
} from '../src/contract';
import { waiterDefinition } from '../src/private/waiter';

/*
 * The synthesized side of OrganizationBaseline: its validation and claims, its custom resource, the stack's provider
 * (one function, the store bucket, the shared waiter), its permissions, its rules and its cdk-nag findings. The
 * reconciler itself is tested in organization-lifecycle.test.ts.
 */

const TYPE = RESOURCE_TYPES.organizationBaseline;
const PROVIDER = 'OrganizationBaselineProvider';
const NO_TARGETS_MESSAGE = 'An OrganizationBaseline needs targets: `accountIds`, `organizationalUnitIds` or `allAccounts: true`';
const NOTHING_TO_APPLY_MESSAGE =
  'An OrganizationBaseline needs something to apply: `alternateContacts`, `primaryContact`, `enabledRegions` or `overrides`';
const OU_MESSAGE = (value: string) => `\`organizationalUnitIds\` must hold OU ids such as "ou-ab12-cd34ef56", got "${value}"`;
const DUPLICATE_OVERRIDE_MESSAGE = (account: string) => `\`overrides\` holds account ${account} twice; declare one override per account`;
const EXCLUDED_OVERRIDE_MESSAGE = (account: string) =>
  `\`overrides\` holds account ${account}, which \`excludeAccountIds\` excludes; remove the override or the exclusion`;
const UNLISTED_OVERRIDE_MESSAGE = (account: string) =>
  `\`overrides\` holds account ${account}, which is not in \`accountIds\`; an override applies only to an account the baseline targets`;
const ACCOUNT_NAME_ALLOWED = 'printable ASCII characters other than < and >';
const NEW_ACCOUNT_WARNING_ID = 'cdk-account-management:new-account-events';
const NEW_ACCOUNT_WARNING = (region: string) =>
  `AWS Organizations and Control Tower events arrive in us-east-1; coverNewAccounts in ${region} never sees them [ack: ${NEW_ACCOUNT_WARNING_ID}]`;
/**
 * Account ARNs a stack's handler role lists one by one (explicit accounts, not excluded, x account statements, plus the
 * accounts that overrides name) before it grants every member account.
 */
const MAX_LISTED_ARNS = 60;
const RECONCILE = Schedule.rate(Duration.hours(12));

const CONTACT_ACTIONS = ['account:GetAlternateContact', 'account:PutAlternateContact'];
const PRIMARY_ACTIONS = ['account:GetContactInformation', 'account:PutContactInformation'];
const NAME_ACTIONS = ['account:GetAccountInformation', 'account:PutAccountName'];
const REGION_ACTIONS = ['account:EnableRegion', 'account:GetRegionOptStatus'];

// ---------------------------------------------------------------------------------------------------------------------
// Helpers

/** The account statements of one baseline, on `resources`. */
function contactStatement(resources: unknown[], types: string[]): Statement {
  return { Effect: 'Allow', Action: CONTACT_ACTIONS, Resource: resources, Condition: { 'ForAnyValue:StringEquals': { 'account:AlternateContactTypes': types } } };
}
function primaryStatement(resources: unknown[]): Statement {
  return { Effect: 'Allow', Action: PRIMARY_ACTIONS, Resource: resources };
}
function nameStatement(resources: unknown[]): Statement {
  return { Effect: 'Allow', Action: NAME_ACTIONS, Resource: resources };
}
function regionStatement(resources: unknown[], regions: string[]): Statement {
  return { Effect: 'Allow', Action: REGION_ACTIONS, Resource: resources, Condition: { 'ForAnyValue:StringEquals': { 'account:TargetRegion': regions } } };
}

/** The statements of the provider's AccountApiPolicy (the grants that follow the baselines' props), in their order. */
function accountApiStatements(stack: Stack): Statement[] {
  return Template.fromStack(stack).toJSON().Resources[logicalIdAt(stack, `${PROVIDER}/AccountApiPolicy`)].Properties.PolicyDocument.Statement;
}

/**
 * Expects the AccountApiPolicy to hold exactly `expected`, in this order (one baseline's after another's), each statement's
 * resources in order too (the deploying account first), its actions in any order.
 */
function expectAccountApiStatements(stack: Stack, expected: Statement[]): void {
  const sortedActions = (statement: Statement) => ({ ...statement, Action: [...asArray(statement.Action)].sort() });
  expect(accountApiStatements(stack).map(sortedActions)).toEqual(expected.map(sortedActions));
}

/** The logical id of the provider's function, which must exist once. */
function handlerId(template: Template): string {
  const found = Object.keys(template.findResources('AWS::Lambda::Function', {
    Properties: { Description: Match.stringLikeRegexp('^cdk-account-management: organization baselines') },
  }));
  expect(found).toHaveLength(1);
  return found[0];
}

function handlerArn(template: Template): unknown {
  return { 'Fn::GetAtt': [handlerId(template), 'Arn'] };
}

/** The logical id of the role the provider's function runs as. */
function handlerRoleId(template: Template): string {
  return template.toJSON().Resources[handlerId(template)].Properties.Role['Fn::GetAtt'][0];
}

/** The statements of the handler role's DefaultPolicy (the provider's own grants). */
function handlerDefaultStatements(stack: Stack): Statement[] {
  return Template.fromStack(stack).toJSON().Resources[logicalIdAt(stack, `${PROVIDER}/Handler/ServiceRole/DefaultPolicy`)].Properties.PolicyDocument.Statement;
}

function storeId(stack: Stack): string {
  return logicalIdAt(stack, `${PROVIDER}/Store`);
}

function stateMachineId(stack: Stack): string {
  return logicalIdAt(stack, 'AccountManagementWaiter/StateMachine');
}

/** Functions of the Provider framework (aws-cdk-lib custom-resources), which no construct of this library should add. */
function frameworkFunctions(template: Template): Record<string, unknown> {
  return template.findResources('AWS::Lambda::Function', { Properties: { Handler: Match.stringLikeRegexp('^framework\\.') } });
}

/** An alternate contact's fields as the construct renders them into the Baseline property. */
function rendered(details: AlternateContactDetails): Record<string, string> {
  return { Name: details.name, Title: details.title, EmailAddress: details.emailAddress, PhoneNumber: details.phoneNumber };
}

/** A primary contact's fields as the construct renders them (fields left out are absent from the JSON). */
function renderedPrimary(details: PrimaryContactDetails): Record<string, string> {
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
function targetsOf(props: Partial<OrganizationBaselineProps>): Record<string, unknown> {
  return {
    accountIds: props.accountIds ?? [],
    organizationalUnitIds: props.organizationalUnitIds ?? [],
    allAccounts: props.allAccounts ?? false,
    excludeAccountIds: props.excludeAccountIds ?? [],
  };
}

/** The one custom resource of the template: its logical id, its properties, and its Targets and Baseline parsed. */
function baselineResource(template: Template): { id: string; properties: Record<string, any>; targets: unknown; baseline: any } {
  const [id, properties] = onlyResource(template, TYPE);
  expect(typeof properties.Targets).toBe('string');
  expect(typeof properties.Baseline).toBe('string');
  return { id, properties, targets: JSON.parse(properties.Targets), baseline: JSON.parse(properties.Baseline) };
}

/** The properties of the custom resource of `baseline`. */
function propertiesOf(baseline: OrganizationBaseline): Record<string, any> {
  const stack = Stack.of(baseline);
  return Template.fromStack(stack).toJSON().Resources[logicalIdOf(baseline.node.findChild('Resource'))].Properties;
}

/**
 * The rules of the template that are children of the construct at `scope` (a baseline's id, or PROVIDER for the stack's
 * new-account rules), by their construct id (e.g. 'CreateAccountRule').
 */
function rulesOf(stack: Stack, scope: string): Record<string, Record<string, any>> {
  const resources = Template.fromStack(stack).toJSON().Resources;
  return Object.fromEntries(constructAt(stack, scope).node.children
    .filter((child) => child instanceof Rule)
    .map((child) => [child.node.id, resources[logicalIdOf(child)].Properties]));
}

/** The ids of the resources `id` waits for: its DependsOn, and those its properties reference (Ref, Fn::GetAtt). */
function dependenciesOf(template: Template, id: string): Set<string> {
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
function waitsFor(template: Template, id: string, dependency: string): boolean {
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
function inputOf(target: Record<string, any>, event: unknown = { detail: {} }): Record<string, unknown> {
  const joined = target.InputTransformer ? target.InputTransformer.InputTemplate : target.Input;
  const text = (joined['Fn::Join'][1] as unknown[]).map((part) => typeof part === 'string' ? part : `REF:${(part as { Ref: string }).Ref}`).join('');
  if (!target.InputTransformer) return JSON.parse(text);
  expect(target.InputTransformer.InputPathsMap).toEqual({ f1: '$' });
  expect(text.split('<f1>')).toHaveLength(2);
  return JSON.parse(text.replace('<f1>', JSON.stringify(event)));
}

/** Every string value of `details` at least `min` characters long (shorter ones, such as "US", occur in any template). */
function valuesOf(details: object, min = 6): string[] {
  return Object.values(details).filter((value): value is string => typeof value === 'string' && value.length >= min);
}

// ---------------------------------------------------------------------------------------------------------------------

describe('validation', () => {
  // Lists every account the cases' overrides name, so that each rejected case has one fault only.
  const VALID: OrganizationBaselineProps = { accountIds: [MEMBER_A, MEMBER_B, MEMBER_C], alternateContacts: { security: SECURITY } };

  test.each<[string, OrganizationBaselineProps, string]>([
    ['no targets at all', { alternateContacts: { security: SECURITY } }, NO_TARGETS_MESSAGE],
    ['empty target lists and allAccounts false', { accountIds: [], organizationalUnitIds: [], allAccounts: false, alternateContacts: { security: SECURITY } },
      NO_TARGETS_MESSAGE],
    ['only exclusions', { excludeAccountIds: [MEMBER_A], alternateContacts: { security: SECURITY } }, NO_TARGETS_MESSAGE],
    ['an 11-digit id in accountIds', { ...VALID, accountIds: [MEMBER_A, '12345678901'] }, ACCOUNT_ID_MESSAGE('accountIds', '12345678901')],
    ['an id with dashes in excludeAccountIds', { ...VALID, allAccounts: true, excludeAccountIds: ['2222-2222-2222'] },
      ACCOUNT_ID_MESSAGE('excludeAccountIds', '2222-2222-2222')],
    ['a root id as OU', { ...VALID, organizationalUnitIds: ['r-ab12'] }, OU_MESSAGE('r-ab12')],
    ['an OU id in capitals', { ...VALID, organizationalUnitIds: ['OU-AB12-CD34EF56'] }, OU_MESSAGE('OU-AB12-CD34EF56')],
    ['an OU id with a short second part', { ...VALID, organizationalUnitIds: ['ou-ab12-cd34'] }, OU_MESSAGE('ou-ab12-cd34')],
    ['an OU id with something after it', { ...VALID, organizationalUnitIds: [`${OU}/child`] }, OU_MESSAGE(`${OU}/child`)],
    ['a bad e-mail in alternateContacts.security', { ...VALID, alternateContacts: { security: { ...SECURITY, emailAddress: 'soc.example.com' } } },
      PATTERN_MESSAGE('alternateContacts.security.emailAddress', EMAIL_ALLOWED, 'soc.example.com')],
    ['a bad phone number in alternateContacts.billing', { ...VALID, alternateContacts: { billing: { ...BILLING, phoneNumber: 'call us' } } },
      PATTERN_MESSAGE('alternateContacts.billing.phoneNumber', 'digits, spaces and the characters +-() only', 'call us')],
    ['a 51-character title in alternateContacts.operations', { ...VALID, alternateContacts: { operations: { ...OPERATIONS, title: 't'.repeat(51) } } },
      LENGTH_MESSAGE('alternateContacts.operations.title', 1, 50, 't'.repeat(51))],
    ['a primary contact phone number without its country code', { ...VALID, primaryContact: { ...PRIMARY_CONTACT, phoneNumber: '206-555-0199' } },
      PATTERN_MESSAGE('primaryContact.phoneNumber',
        'a + and the country code followed by digits, spaces and the characters -() only (e.g. "+1 206-555-0100")', '206-555-0199')],
    ['a primary contact country in lower case', { ...VALID, primaryContact: { ...PRIMARY_CONTACT, countryCode: 'us' } },
      PATTERN_MESSAGE('primaryContact.countryCode', 'an ISO-3166 two-letter country code in capitals (e.g. "US")', 'us')],
    ['a US primary contact without a state', { ...VALID, primaryContact: { ...PRIMARY_CONTACT, stateOrRegion: undefined } },
      '`primaryContact.stateOrRegion` is required when `primaryContact.countryCode` is one of US, CA, GB, DE, JP, IN, BR, '
      + 'got countryCode "US" and no stateOrRegion'],
    ['a bad Region in enabledRegions', { ...VALID, enabledRegions: ['af-south-1', 'mars'] },
      PATTERN_MESSAGE('enabledRegions', 'a Region code such as "af-south-1"', 'mars')],
    ['a bad overrides.accountId', { ...VALID, overrides: [{ accountId: 'prod', alternateContacts: { security: SECURITY } }] },
      ACCOUNT_ID_MESSAGE('overrides.accountId', 'prod')],
    ['a bad e-mail in an override', { ...VALID, overrides: [{ accountId: MEMBER_B, alternateContacts: { security: { ...SECURITY, emailAddress: 'soc@' } } }] },
      PATTERN_MESSAGE(`overrides[${MEMBER_B}].alternateContacts.security.emailAddress`, EMAIL_ALLOWED, 'soc@')],
    ['a 65-character name in an override', {
      ...VALID, overrides: [{ accountId: MEMBER_B, alternateContacts: { operations: { ...OPERATIONS, name: 'n'.repeat(65) } } }],
    }, LENGTH_MESSAGE(`overrides[${MEMBER_B}].alternateContacts.operations.name`, 1, 64, 'n'.repeat(65))],
    ['a German primary contact without a state in an override', {
      ...VALID, overrides: [{ accountId: MEMBER_B, primaryContact: { ...SUBSIDIARY_CONTACT, stateOrRegion: undefined } }],
    }, `\`overrides[${MEMBER_B}].primaryContact.stateOrRegion\` is required when \`overrides[${MEMBER_B}].primaryContact.countryCode\` `
      + 'is one of US, CA, GB, DE, JP, IN, BR, got countryCode "DE" and no stateOrRegion'],
    ['a 61-character address line in an override\'s primary contact', {
      ...VALID, overrides: [{ accountId: MEMBER_B, primaryContact: { ...SUBSIDIARY_CONTACT, addressLine2: 'a'.repeat(61) } }],
    }, LENGTH_MESSAGE(`overrides[${MEMBER_B}].primaryContact.addressLine2`, 1, 60, 'a'.repeat(61))],
    ['an account name with < in an override', { ...VALID, overrides: [{ accountId: MEMBER_B, accountName: 'prod<1>' }] },
      PATTERN_MESSAGE(`overrides[${MEMBER_B}].accountName`, ACCOUNT_NAME_ALLOWED, 'prod<1>')],
    ['a 51-character account name in an override', { ...VALID, overrides: [{ accountId: MEMBER_B, accountName: 'n'.repeat(51) }] },
      LENGTH_MESSAGE(`overrides[${MEMBER_B}].accountName`, 1, 50, 'n'.repeat(51))],
    ['an empty account name in an override', { ...VALID, overrides: [{ accountId: MEMBER_B, accountName: '' }] },
      LENGTH_MESSAGE(`overrides[${MEMBER_B}].accountName`, 1, 50, '')],
    ['an account overridden twice', {
      ...VALID,
      overrides: [
        { accountId: MEMBER_B, alternateContacts: { security: OPERATIONS } },
        { accountId: MEMBER_C, accountName: 'sandbox' },
        { accountId: MEMBER_B, primaryContact: SUBSIDIARY_CONTACT },
      ],
    }, DUPLICATE_OVERRIDE_MESSAGE(MEMBER_B)],
    ['an account overridden twice with the same override', {
      ...VALID, overrides: [{ accountId: MEMBER_C, accountName: 'sandbox' }, { accountId: MEMBER_C, accountName: 'sandbox' }],
    }, DUPLICATE_OVERRIDE_MESSAGE(MEMBER_C)],
    ['an override of an account that excludeAccountIds excludes', {
      allAccounts: true,
      excludeAccountIds: [MEMBER_B],
      alternateContacts: { security: SECURITY },
      overrides: [{ accountId: MEMBER_B, accountName: 'workload-b' }],
    }, EXCLUDED_OVERRIDE_MESSAGE(MEMBER_B)],
    ['an override of an account both listed and excluded', {
      accountIds: [MEMBER_A, MEMBER_B],
      excludeAccountIds: [MEMBER_B],
      alternateContacts: { security: SECURITY },
      overrides: [{ accountId: MEMBER_A, accountName: 'workload-a' }, { accountId: MEMBER_B, primaryContact: SUBSIDIARY_CONTACT }],
    }, EXCLUDED_OVERRIDE_MESSAGE(MEMBER_B)],
    ['an override of an account not in accountIds, when accountIds are the only targets', {
      accountIds: [MEMBER_A],
      alternateContacts: { security: SECURITY },
      overrides: [{ accountId: MEMBER_A, accountName: 'workload-a' }, { accountId: MEMBER_B, alternateContacts: { billing: BILLING } }],
    }, UNLISTED_OVERRIDE_MESSAGE(MEMBER_B)],
  ])('rejects %s', (_case, props, message) => {
    expectExactError(() => new OrganizationBaseline(newStack(), 'Baseline', props), message);
  });

  test.each<[string, OrganizationBaselineProps]>([
    ['allAccounts alone', { allAccounts: true, alternateContacts: { security: SECURITY } }],
    ['an OU alone', { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY } }],
    ['an OU id of 32 + 32 characters', { organizationalUnitIds: [`ou-${'a'.repeat(32)}-${'b'.repeat(32)}`], alternateContacts: { security: SECURITY } }],
    ['an OU id of 4 + 8 characters', { organizationalUnitIds: ['ou-a1b2-c3d4e5f6'], alternateContacts: { security: SECURITY } }],
    ['accounts, OUs and the whole organization together, with exclusions', {
      accountIds: [MEMBER_A],
      organizationalUnitIds: [OU],
      allAccounts: true,
      excludeAccountIds: [MEMBER_B],
      alternateContacts: { security: SECURITY },
    }],
    ['every setting and every kind of override', {
      ...VALID,
      alternateContacts: { billing: BILLING, operations: OPERATIONS, security: SECURITY },
      primaryContact: PRIMARY_CONTACT,
      enabledRegions: ['af-south-1', 'us-east-1'],
      overrides: [
        { accountId: MEMBER_B, alternateContacts: { billing: OPERATIONS } },
        { accountId: MEMBER_C, primaryContact: SUBSIDIARY_CONTACT, accountName: 'Sandbox: team #3 (EU)' },
      ],
    }],
    ['an override of an account not listed, under allAccounts', {
      accountIds: [MEMBER_A],
      allAccounts: true,
      alternateContacts: { security: SECURITY },
      overrides: [{ accountId: MEMBER_B, accountName: 'workload-b' }],
    }],
    ['an override of an account not listed, under an OU', {
      accountIds: [MEMBER_A],
      organizationalUnitIds: [OU],
      alternateContacts: { security: SECURITY },
      overrides: [{ accountId: MEMBER_B, accountName: 'workload-b' }],
    }],
  ])('accepts %s, and passes its targets to the custom resource as given', (_case, props) => {
    const stack = newStack();
    expect(() => new OrganizationBaseline(stack, 'Baseline', props)).not.toThrow();
    expect(baselineResource(Template.fromStack(stack)).targets).toEqual(targetsOf(props));
  });

  describe('something to apply', () => {
    test.each<[string, OrganizationBaselineProps]>([
      ['allAccounts only', { allAccounts: true }],
      ['an OU only', { organizationalUnitIds: [OU] }],
      ['accounts and exclusions only', { accountIds: [MEMBER_A, MEMBER_B], excludeAccountIds: [MEMBER_B] }],
      ['targets and every option, but nothing to apply', {
        allAccounts: true,
        coverNewAccounts: true,
        reconcileSchedule: RECONCILE,
        removeAlternateContactsOnDelete: true,
        pruneUndeclared: true,
        deployWaitsFor: DeployWaitsFor.EVERYTHING,
      }],
      ['empty alternateContacts and enabledRegions', { allAccounts: true, alternateContacts: {}, enabledRegions: [] }],
      ['an override of nothing', { allAccounts: true, overrides: [{ accountId: MEMBER_A }] }],
      ['an override whose alternateContacts is empty, with nothing else', { allAccounts: true, overrides: [{ accountId: MEMBER_A, alternateContacts: {} }] }],
      ['empty alternateContacts and overrides of empty alternateContacts', {
        accountIds: [MEMBER_A, MEMBER_B],
        alternateContacts: {},
        overrides: [{ accountId: MEMBER_A, alternateContacts: {} }, { accountId: MEMBER_B, alternateContacts: {} }],
      }],
      ['empty alternateContacts and an override of nothing', { accountIds: [MEMBER_A, MEMBER_B], alternateContacts: {}, overrides: [{ accountId: MEMBER_B }] }],
    ])('a baseline with %s is rejected', (_case, props) => {
      expectExactError(() => new OrganizationBaseline(newStack(), 'Baseline', props), NOTHING_TO_APPLY_MESSAGE);
    });

    test.each<[string, Partial<OrganizationBaselineProps>, Record<string, unknown>]>([
      ['only enabledRegions', { enabledRegions: ['af-south-1'] }, { alternateContacts: {}, enabledRegions: ['af-south-1'], overrides: {} }],
      ['only a primary contact', { primaryContact: PRIMARY_CONTACT },
        { alternateContacts: {}, primaryContact: renderedPrimary(PRIMARY_CONTACT), enabledRegions: [], overrides: {} }],
      ['only an override\'s contact', { overrides: [{ accountId: MEMBER_A, alternateContacts: { operations: OPERATIONS } }] },
        { alternateContacts: {}, enabledRegions: [], overrides: { [MEMBER_A]: { alternateContacts: { OPERATIONS: rendered(OPERATIONS) } } } }],
      ['only an override\'s primary contact', { overrides: [{ accountId: MEMBER_A, primaryContact: SUBSIDIARY_CONTACT }] },
        { alternateContacts: {}, enabledRegions: [], overrides: { [MEMBER_A]: { primaryContact: renderedPrimary(SUBSIDIARY_CONTACT) } } }],
      ['only an override\'s account name', { overrides: [{ accountId: MEMBER_A, accountName: 'workload-prod' }] },
        { alternateContacts: {}, enabledRegions: [], overrides: { [MEMBER_A]: { accountName: 'workload-prod' } } }],
      ['only an override with empty alternateContacts that names the account', { overrides: [{ accountId: MEMBER_A, alternateContacts: {}, accountName: 'workload-prod' }] },
        { alternateContacts: {}, enabledRegions: [], overrides: { [MEMBER_A]: { alternateContacts: {}, accountName: 'workload-prod' } } }],
    ])('a baseline with %s is accepted, and declares only that', (_case, props, expected) => {
      const stack = newStack();
      expect(() => new OrganizationBaseline(stack, 'Baseline', { accountIds: [MEMBER_A], ...props })).not.toThrow();
      expect(baselineResource(Template.fromStack(stack)).baseline).toEqual(expected);
    });

    test('targets are checked first: a baseline with neither targets nor anything to apply is rejected for its targets', () => {
      expectExactError(() => new OrganizationBaseline(newStack(), 'Baseline', {}), NO_TARGETS_MESSAGE);
    });
  });

  test('skips values that are tokens', () => {
    const stack = newStack();
    const token = (id: string) => new CfnParameter(stack, id).valueAsString;
    expect(() => new OrganizationBaseline(stack, 'Baseline', {
      accountIds: [token('AccountId')],
      organizationalUnitIds: [token('Ou')],
      excludeAccountIds: [token('Excluded')],
      enabledRegions: [token('Region')],
      alternateContacts: { security: { ...SECURITY, emailAddress: token('Email') } },
      primaryContact: { ...PRIMARY_CONTACT, countryCode: token('Country'), stateOrRegion: undefined, phoneNumber: token('Phone') },
      overrides: [{
        accountId: token('OverrideAccount'),
        alternateContacts: { billing: { ...BILLING, phoneNumber: token('BillingPhone') } },
        accountName: token('Name'),
      }],
    })).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('settings claimed across the app', () => {
  test.each<[string, (stack: Stack) => void, string, string, string]>([
    ['an alternate contact of an explicit account',
      (stack) => new AlternateContact(stack, 'Other', { ...SECURITY, type: AlternateContactType.SECURITY, accountId: MEMBER_A }),
      'security alternate contact', MEMBER_A, 'Stack/Other'],
    ['an alternate contact that only an override declares',
      (stack) => new AlternateContact(stack, 'Other', { ...OPERATIONS, type: AlternateContactType.OPERATIONS, accountId: MEMBER_B }),
      'operations alternate contact', MEMBER_B, 'Stack/Other'],
    ['the primary contact of an explicit account',
      (stack) => new PrimaryContact(stack, 'Other', { ...PRIMARY_CONTACT, accountId: MEMBER_A }), 'primary contact', MEMBER_A, 'Stack/Other'],
    ['the primary contact that only an override declares',
      (stack) => new PrimaryContact(stack, 'Other', { ...PRIMARY_CONTACT, accountId: MEMBER_C }), 'primary contact', MEMBER_C, 'Stack/Other'],
    ['the name of an explicit account that an override names',
      (stack) => new AccountName(stack, 'Other', { accountName: 'workload', accountId: MEMBER_B }), 'account name', MEMBER_B, 'Stack/Other'],
    ['a Region of an explicit account',
      (stack) => new RegionOptIn(stack, 'Other', { regionName: 'af-south-1', accountId: MEMBER_B }), 'Region af-south-1', MEMBER_B, 'Stack/Other'],
    ['a setting that an AccountBaseline declares too',
      (stack) => new AccountBaseline(stack, 'Other', { accountId: MEMBER_A, enabledRegions: ['af-south-1'] }),
      'Region af-south-1', MEMBER_A, 'Stack/Other/Region-af-south-1'],
    ['a setting that another OrganizationBaseline declares too',
      (stack) => new OrganizationBaseline(stack, 'Other', { allAccounts: true, accountIds: [MEMBER_C], alternateContacts: { security: SECURITY } }),
      'security alternate contact', MEMBER_C, 'Stack/Other'],
  ])('declaring %s after an OrganizationBaseline is an error that names both', (_case, declare, setting, account, again) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', {
      accountIds: [MEMBER_A, MEMBER_B, MEMBER_C],
      alternateContacts: { security: SECURITY },
      enabledRegions: ['af-south-1'],
      overrides: [
        { accountId: MEMBER_A, primaryContact: SUBSIDIARY_CONTACT },
        { accountId: MEMBER_B, alternateContacts: { operations: OPERATIONS }, accountName: 'workload-b' },
        { accountId: MEMBER_C, primaryContact: SUBSIDIARY_CONTACT },
      ],
    });
    expectExactError(() => declare(stack), DUPLICATE_MESSAGE(setting, `account ${account}`, 'Stack/Baseline', again));
  });

  test('only the settings declared for an account are claimed: an account without a primary contact or a name may get one elsewhere', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', {
      accountIds: [MEMBER_A, MEMBER_B],
      alternateContacts: { security: SECURITY },
      overrides: [{ accountId: MEMBER_A, primaryContact: SUBSIDIARY_CONTACT, accountName: 'workload-a' }],
    });
    expect(() => {
      new PrimaryContact(stack, 'Primary', { ...PRIMARY_CONTACT, accountId: MEMBER_B });
      new AccountName(stack, 'Name', { accountName: 'workload-b', accountId: MEMBER_B });
    }).not.toThrow();
  });

  describe('an override of an account that allAccounts or an OU covers without listing it', () => {
    const OVERRIDE = { accountId: MEMBER_A, alternateContacts: { operations: OPERATIONS }, primaryContact: SUBSIDIARY_CONTACT, accountName: 'workload-a' };

    test.each<[string, string, Partial<OrganizationBaselineProps>, (stack: Stack) => void, string]>([
      ['allAccounts', 'operations alternate contact', { allAccounts: true },
        (stack) => new AlternateContact(stack, 'Other', { ...OPERATIONS, type: AlternateContactType.OPERATIONS, accountId: MEMBER_A }), 'Stack/Other'],
      ['allAccounts', 'primary contact', { allAccounts: true },
        (stack) => new PrimaryContact(stack, 'Other', { ...PRIMARY_CONTACT, accountId: MEMBER_A }), 'Stack/Other'],
      ['allAccounts', 'account name', { allAccounts: true },
        (stack) => new AccountName(stack, 'Other', { accountName: 'other-name', accountId: MEMBER_A }), 'Stack/Other'],
      ['an OU', 'operations alternate contact', { organizationalUnitIds: [OU] },
        (stack) => new AccountBaseline(stack, 'Other', { accountId: MEMBER_A, alternateContacts: { operations: OPERATIONS } }), 'Stack/Other/AlternateContactOPERATIONS'],
      ['an OU', 'account name', { organizationalUnitIds: [OU] },
        (stack) => new OrganizationBaseline(stack, 'Other', { allAccounts: true, overrides: [{ accountId: MEMBER_A, accountName: 'other-name' }] }), 'Stack/Other'],
    ])('under %s, the override claims the %s of its account', (_case, setting, targets, declare, again) => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', { ...targets, alternateContacts: { security: SECURITY }, overrides: [OVERRIDE] });
      expectExactError(() => declare(stack), DUPLICATE_MESSAGE(setting, `account ${MEMBER_A}`, 'Stack/Baseline', again));
    });

    test('only what the override declares is claimed, and nothing of an excluded account: not its listing, and an override of it is rejected', () => {
      const props: OrganizationBaselineProps = {
        allAccounts: true,
        accountIds: [MEMBER_B],
        excludeAccountIds: [MEMBER_B],
        alternateContacts: { security: SECURITY },
        primaryContact: PRIMARY_CONTACT,
        enabledRegions: ['af-south-1'],
        overrides: [{ accountId: MEMBER_A, alternateContacts: { operations: OPERATIONS } }],
      };
      expectExactError(
        () => new OrganizationBaseline(newStack(), 'Baseline', { ...props, overrides: [...props.overrides!, { ...OVERRIDE, accountId: MEMBER_B, accountName: 'workload-b' }] }),
        EXCLUDED_OVERRIDE_MESSAGE(MEMBER_B),
      );
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', props);
      expect(() => {
        // The baseline's own contact type, primary contact and Region of the overridden account, and its name.
        new AlternateContact(stack, 'Security', { ...SECURITY, type: AlternateContactType.SECURITY, accountId: MEMBER_A });
        new PrimaryContact(stack, 'Primary', { ...PRIMARY_CONTACT, accountId: MEMBER_A });
        new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1', accountId: MEMBER_A });
        new AccountName(stack, 'Name', { accountName: 'workload-a', accountId: MEMBER_A });
        // Everything the baseline would declare of the excluded account were it not excluded, and what the rejected override declared.
        new AlternateContact(stack, 'ExcludedSecurity', { ...SECURITY, type: AlternateContactType.SECURITY, accountId: MEMBER_B });
        new AlternateContact(stack, 'ExcludedOperations', { ...OPERATIONS, type: AlternateContactType.OPERATIONS, accountId: MEMBER_B });
        new PrimaryContact(stack, 'ExcludedPrimary', { ...SUBSIDIARY_CONTACT, accountId: MEMBER_B });
        new RegionOptIn(stack, 'ExcludedCapeTown', { regionName: 'af-south-1', accountId: MEMBER_B });
        new AccountName(stack, 'ExcludedName', { accountName: 'workload-b', accountId: MEMBER_B });
      }).not.toThrow();
    });
  });

  test('an OrganizationBaseline declared after the construct that holds the setting is the one that fails', () => {
    const stack = newStack();
    new PrimaryContact(stack, 'Primary', { ...PRIMARY_CONTACT, accountId: MEMBER_A });
    expectExactError(
      () => new OrganizationBaseline(stack, 'Baseline', { accountIds: [MEMBER_A], primaryContact: PRIMARY_CONTACT }),
      DUPLICATE_MESSAGE('primary contact', `account ${MEMBER_A}`, 'Stack/Primary', 'Stack/Baseline'),
    );
  });

  test('the deploying account listed by id is the same account as the single-setting constructs\' standalone one', () => {
    const stack = newStack();
    new AlternateContact(stack, 'Own', { ...SECURITY, type: AlternateContactType.SECURITY });
    expectExactError(
      () => new OrganizationBaseline(stack, 'Baseline', { accountIds: [STACK_ACCOUNT], alternateContacts: { security: SECURITY } }),
      DUPLICATE_MESSAGE('security alternate contact', `account ${STACK_ACCOUNT}`, 'Stack/Own', 'Stack/Baseline'),
    );
  });

  test('other settings, excluded accounts, tokens and accounts resolved at deploy time are not compared', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { accountIds: [MEMBER_A], alternateContacts: { security: SECURITY }, enabledRegions: ['af-south-1'] });
    expect(() => {
      // Another contact type, another Region, the name (which the baseline does not declare) of the same account.
      new AlternateContact(stack, 'Billing', { ...BILLING, type: AlternateContactType.BILLING, accountId: MEMBER_A });
      new RegionOptIn(stack, 'HongKong', { regionName: 'ap-east-1', accountId: MEMBER_A });
      new AccountName(stack, 'Name', { accountName: 'workload-a', accountId: MEMBER_A });
      // An account listed and excluded.
      new OrganizationBaseline(stack, 'Excluding', { accountIds: [MEMBER_B], excludeAccountIds: [MEMBER_B], alternateContacts: { operations: OPERATIONS } });
      new AlternateContact(stack, 'Operations', { ...OPERATIONS, type: AlternateContactType.OPERATIONS, accountId: MEMBER_B });
      // An account given as a token.
      new OrganizationBaseline(stack, 'Token', { accountIds: [new CfnParameter(stack, 'Account').valueAsString], alternateContacts: { security: SECURITY } });
      // Accounts resolved at deploy time: the whole organization, an OU.
      new OrganizationBaseline(stack, 'Everyone', { allAccounts: true, alternateContacts: { security: SECURITY }, enabledRegions: ['af-south-1'] });
      new OrganizationBaseline(stack, 'Unit', { organizationalUnitIds: [OU], primaryContact: PRIMARY_CONTACT });
    }).not.toThrow();
  });

  test('declarations in different apps do not conflict', () => {
    expect(() => {
      for (let i = 0; i < 2; i++) new OrganizationBaseline(newStack(), 'Baseline', { accountIds: [MEMBER_A], alternateContacts: { security: SECURITY } });
    }).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('the custom resource', () => {
  const EVERYTHING: OrganizationBaselineProps = {
    accountIds: [MEMBER_A],
    organizationalUnitIds: [OU],
    excludeAccountIds: [MEMBER_C],
    alternateContacts: { billing: BILLING, operations: OPERATIONS, security: SECURITY },
    primaryContact: PRIMARY_CONTACT,
    enabledRegions: ['af-south-1', 'ap-east-1'],
    overrides: [
      { accountId: MEMBER_A, alternateContacts: { security: OPERATIONS } },
      { accountId: MEMBER_B, alternateContacts: { billing: SECURITY, operations: BILLING }, primaryContact: SUBSIDIARY_CONTACT, accountName: 'workload-b' },
      // An override of nothing, of an account the OU covers (MEMBER_C, excluded, cannot have one).
      { accountId: MEMBER_D },
    ],
  };

  test('has exactly the contract\'s properties: the baseline\'s id, the store, Targets and Baseline as JSON, and the options as strings', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', EVERYTHING);
    const { properties, targets, baseline } = baselineResource(Template.fromStack(stack));
    const names: Array<keyof OrganizationBaselineProperties | 'ServiceToken' | 'ServiceTimeout'> = [
      'Baseline', 'BaselineId', 'CoverNewAccounts', 'DeployWaitsFor', 'FailDeployOn', 'PruneUndeclared', 'RemoveOnDelete', 'ServiceTimeout', 'ServiceToken',
      'Store', 'Targets',
    ];

    expect(Object.keys(properties).sort()).toEqual(names);
    expect(properties.ServiceToken).toEqual(handlerArn(Template.fromStack(stack)));
    expect(properties.ServiceTimeout).toBe('3600');
    expect(properties.Store).toEqual({ Ref: storeId(stack) });
    expect(properties.BaselineId).toMatch(/^[0-9a-f]{16}$/);
    expect([properties.DeployWaitsFor, properties.FailDeployOn, properties.PruneUndeclared, properties.RemoveOnDelete, properties.CoverNewAccounts])
      .toEqual(['CONTACTS', 'LISTED_ACCOUNTS', 'false', 'false', 'false']);
    expect(targets).toEqual({ accountIds: [MEMBER_A], organizationalUnitIds: [OU], allAccounts: false, excludeAccountIds: [MEMBER_C] });
    expect(baseline).toEqual({
      alternateContacts: {
        BILLING: { Name: 'Finance Department', Title: 'Accounts Payable Manager', EmailAddress: 'billing@example.com', PhoneNumber: '+1 206-555-0111' },
        OPERATIONS: { Name: 'Platform Operations', Title: 'On-call Lead', EmailAddress: 'ops@example.com', PhoneNumber: '+1 206-555-0122' },
        SECURITY: { Name: 'Security Team', Title: 'Security Operations Lead', EmailAddress: 'security@example.com', PhoneNumber: '+1 206-555-0100' },
      },
      primaryContact: {
        FullName: 'Cloud Platform Team',
        CompanyName: 'Example Corp',
        AddressLine1: '410 Terry Ave N',
        City: 'Seattle',
        StateOrRegion: 'WA',
        PostalCode: '98109',
        CountryCode: 'US',
        PhoneNumber: '+1 206-555-0199',
      },
      enabledRegions: ['af-south-1', 'ap-east-1'],
      overrides: {
        [MEMBER_A]: { alternateContacts: { SECURITY: rendered(OPERATIONS) } },
        [MEMBER_B]: {
          alternateContacts: { BILLING: rendered(SECURITY), OPERATIONS: rendered(BILLING) },
          primaryContact: renderedPrimary(SUBSIDIARY_CONTACT),
          accountName: 'workload-b',
        },
        [MEMBER_D]: {},
      },
    });
  });

  test('300 accounts are one custom resource, whose Targets list them all, besides the stack\'s store cleanup', () => {
    const stack = newStack();
    const accountIds = accountRange(200000000000, 300);
    new OrganizationBaseline(stack, 'Baseline', { accountIds, alternateContacts: { security: SECURITY } });
    const template = Template.fromStack(stack);
    template.resourceCountIs(TYPE, 1);
    expect(baselineResource(template).targets).toEqual(targetsOf({ accountIds }));
    template.resourceCountIs(RESOURCE_TYPES.baselineStore, 1);
    const others = Object.values(RESOURCE_TYPES).filter((t) => t !== TYPE && t !== RESOURCE_TYPES.baselineStore);
    for (const type of others) template.resourceCountIs(type, 0);
  });

  test.each<[string, DeployWaitsFor | undefined, string]>([
    ['CONTACTS by default', undefined, 'CONTACTS'],
    ['CONTACTS', DeployWaitsFor.CONTACTS, 'CONTACTS'],
    ['EVERYTHING', DeployWaitsFor.EVERYTHING, 'EVERYTHING'],
    ['NOTHING', DeployWaitsFor.NOTHING, 'NOTHING'],
  ])('DeployWaitsFor is %s', (_case, deployWaitsFor, expected) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY }, deployWaitsFor });
    expect(baselineResource(Template.fromStack(stack)).properties.DeployWaitsFor).toBe(expected);
  });

  test.each<[string, FailDeployOn | undefined, string]>([
    ['LISTED_ACCOUNTS by default', undefined, 'LISTED_ACCOUNTS'],
    ['ANY_ACCOUNT', FailDeployOn.ANY_ACCOUNT, 'ANY_ACCOUNT'],
    ['NO_ACCOUNT', FailDeployOn.NO_ACCOUNT, 'NO_ACCOUNT'],
  ])('FailDeployOn is %s', (_case, failDeployOn, expected) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY }, failDeployOn });
    expect(baselineResource(Template.fromStack(stack)).properties.FailDeployOn).toBe(expected);
  });

  test.each<[string, boolean | undefined, string]>([
    ['"false" by default', undefined, 'false'],
    ['"false" when set to false', false, 'false'],
    ['"true" when set to true', true, 'true'],
  ])('CoverNewAccounts is %s', (_case, coverNewAccounts, expected) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY }, coverNewAccounts });
    expect(baselineResource(Template.fromStack(stack)).properties.CoverNewAccounts).toBe(expected);
  });

  test.each<[string, Partial<OrganizationBaselineProps>, [string, string]]>([
    ['"false" and "false" by default', {}, ['false', 'false']],
    ['"false" and "false" when set to false', { pruneUndeclared: false, removeAlternateContactsOnDelete: false }, ['false', 'false']],
    ['"true" with pruneUndeclared', { pruneUndeclared: true }, ['true', 'false']],
    ['"true" with removeAlternateContactsOnDelete', { removeAlternateContactsOnDelete: true }, ['false', 'true']],
  ])('PruneUndeclared and RemoveOnDelete are %s', (_case, props, expected) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY }, ...props });
    const { properties } = baselineResource(Template.fromStack(stack));
    expect([properties.PruneUndeclared, properties.RemoveOnDelete]).toEqual(expected);
  });

  test('BaselineId follows the construct\'s path: the same in another app and after a change of props, another for another path', () => {
    const DEFAULT: OrganizationBaselineProps = { allAccounts: true, alternateContacts: { security: SECURITY } };
    const idOf = (id: string, props: OrganizationBaselineProps = DEFAULT, scope?: (stack: Stack) => Construct) => {
      const stack = newStack();
      return propertiesOf(new OrganizationBaseline(scope ? scope(stack) : stack, id, props)).BaselineId;
    };
    const first = idOf('Baseline');
    expect(idOf('Baseline')).toBe(first);
    expect(idOf('Baseline', { accountIds: [MEMBER_A], enabledRegions: ['af-south-1'], deployWaitsFor: DeployWaitsFor.NOTHING })).toBe(first);
    expect(idOf('Renamed')).not.toBe(first);
    expect(idOf('Baseline', undefined, (stack) => new Construct(stack, 'Moved'))).not.toBe(first);

    const stack = newStack();
    const baselines = ['First', 'Second'].map((id) => new OrganizationBaseline(stack, id, { allAccounts: true, enabledRegions: ['af-south-1'] }));
    const ids = baselines.map((baseline) => propertiesOf(baseline).BaselineId);
    expect(ids[0]).not.toBe(ids[1]);
  });

  test('attrExecutionArn, attrGeneration and attrContactsConverged are the contract\'s attributes', () => {
    const stack = newStack();
    const baseline = new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY } });
    const { id } = baselineResource(Template.fromStack(stack));
    const attributes: Record<keyof OrganizationBaselineAttributes, string> = {
      ExecutionArn: baseline.attrExecutionArn,
      Generation: baseline.attrGeneration,
      ContactsConverged: baseline.attrContactsConverged,
    };
    for (const [name, token] of Object.entries(attributes)) expect(stack.resolve(token)).toEqual({ 'Fn::GetAtt': [id, name] });
  });

  test('waits for the handler\'s Account Management policy, the waiter\'s permission to invoke the handler and the store\'s cleanup', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { accountIds: [MEMBER_A], alternateContacts: { security: SECURITY } });
    const resource = Object.values(Template.fromStack(stack).findResources(TYPE))[0];
    expect([...resource.DependsOn].sort()).toEqual([
      logicalIdAt(stack, 'AccountManagementWaiter/InvokePolicy'), logicalIdAt(stack, `${PROVIDER}/AccountApiPolicy`), logicalIdAt(stack, `${PROVIDER}/StoreCleanup`),
    ].sort());
  });

  test('no contact value is in the template but in the custom resource\'s Baseline: not in a rule, a variable or a policy', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { ...EVERYTHING, coverNewAccounts: true, reconcileSchedule: RECONCILE });
    const resources = Template.fromStack(stack).toJSON().Resources;
    const { id, baseline } = baselineResource(Template.fromStack(stack));
    const values = [SECURITY, BILLING, OPERATIONS, PRIMARY_CONTACT, SUBSIDIARY_CONTACT].flatMap((details) => valuesOf(details)).concat('workload-b');
    expect(values.length).toBeGreaterThan(20);
    // They are in the Baseline…
    for (const value of values) expect(JSON.stringify(baseline)).toContain(JSON.stringify(value).slice(1, -1));
    // …and nowhere else.
    const withoutBaseline = { ...resources, [id]: { ...resources[id], Properties: { ...resources[id].Properties, Baseline: '(removed)' } } };
    const text = JSON.stringify(withoutBaseline);
    expect(values.filter((value) => text.includes(JSON.stringify(value).slice(1, -1)))).toEqual([]);
  });

  test('the handler is the provider\'s function', () => {
    const stack = newStack();
    const baseline = new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY } });
    expect(stack.resolve(baseline.handler.functionArn)).toEqual(handlerArn(Template.fromStack(stack)));
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('the per-stack provider', () => {
  function stackWithTwoBaselines(): { stack: Stack; first: OrganizationBaseline; second: OrganizationBaseline } {
    const stack = newStack();
    const first = new OrganizationBaseline(stack, 'Workloads', { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY }, coverNewAccounts: true });
    const second = new OrganizationBaseline(stack, 'Sandbox', { accountIds: [MEMBER_A], enabledRegions: ['af-south-1'], reconcileSchedule: RECONCILE });
    return { stack, first, second };
  }

  test('two baselines share one function, one store, one store cleanup and one waiter, with no Provider framework function', () => {
    const { stack, first, second } = stackWithTwoBaselines();
    const template = Template.fromStack(stack);

    template.resourceCountIs(TYPE, 2);
    template.resourceCountIs(RESOURCE_TYPES.baselineStore, 1);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    // The function's role and the state machine's.
    template.resourceCountIs('AWS::IAM::Role', 2);
    expect(frameworkFunctions(template)).toEqual({});
    expect(resourcesOf(template, TYPE).map(([, p]) => p.ServiceToken)).toEqual([handlerArn(template), handlerArn(template)]);
    expect(resourcesOf(template, TYPE).map(([, p]) => p.Store)).toEqual([{ Ref: storeId(stack) }, { Ref: storeId(stack) }]);
    expect(first.handler).toBe(second.handler);
    expect(stack.node.findChild(PROVIDER).node.path).toBe('Stack/OrganizationBaselineProvider');
  });

  test('the function: handler index.handler of the organization bundle, Node.js 22 on arm64, 15 minutes, the waiter\'s ARN, JSON logs at INFO kept a year', () => {
    const { stack } = stackWithTwoBaselines();
    const template = Template.fromStack(stack);
    const fn = template.toJSON().Resources[handlerId(template)];
    expect(fn.Properties).toEqual(expect.objectContaining({
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 900,
      Description: 'cdk-account-management: organization baselines (deploys, reconciler steps, new accounts, schedule)',
      Environment: {
        Variables: { [WAITER_ARN_ENV]: { Ref: stateMachineId(stack) }, [STACK_ID_ENV]: { Ref: 'AWS::StackId' } },
      },
    }));
    const bundle = new Asset(new Stack(), 'Bundle', { path: path.join(__dirname, '..', 'assets', 'lambda', 'organization', 'index') });
    expect(fn.Properties.Code.S3Key).toBe(`${bundle.assetHash}.zip`);
    expect(fn.Properties.LoggingConfig).toEqual({
      LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN', LogGroup: { Ref: onlyResource(template, 'AWS::Logs::LogGroup')[0] },
    });
    expect(onlyResource(template, 'AWS::Logs::LogGroup')[1].RetentionInDays).toBe(365);
  });

  test('the store\'s cleanup: one Custom::AccountBaselineStore of the provider, with exactly the contract\'s properties: the function\'s ARN and the bucket\'s name', () => {
    const { stack } = stackWithTwoBaselines();
    const template = Template.fromStack(stack);
    const [id, properties] = onlyResource(template, RESOURCE_TYPES.baselineStore);
    expect(id).toBe(logicalIdAt(stack, `${PROVIDER}/StoreCleanup`));
    const names: Array<keyof BaselineStoreProperties | 'ServiceToken' | 'ServiceTimeout'> = ['ServiceTimeout', 'ServiceToken', 'Store'];
    expect(Object.keys(properties).sort()).toEqual(names);
    expect(properties).toEqual({ ServiceToken: handlerArn(template), ServiceTimeout: '1800', Store: { Ref: storeId(stack) } });
  });

  test('on the stack\'s deletion the baselines go first, then the cleanup empties the store, then the bucket and the function\'s permissions', () => {
    const { stack } = stackWithTwoBaselines();
    const template = Template.fromStack(stack);
    const cleanup = logicalIdAt(stack, `${PROVIDER}/StoreCleanup`);
    const role = logicalIdAt(stack, `${PROVIDER}/Handler/ServiceRole`);
    const defaultPolicy = logicalIdAt(stack, `${PROVIDER}/Handler/ServiceRole/DefaultPolicy`);
    const needed = [storeId(stack), handlerId(template), role, defaultPolicy];
    // The cleanup waits for the function's role and its grants (the store's among them), and for the bucket whose name it
    // holds and the function it calls: CloudFormation deletes it before them…
    expect([...template.toJSON().Resources[cleanup].DependsOn].sort()).toEqual([defaultPolicy, role].sort());
    for (const id of needed) {
      expect(waitsFor(template, cleanup, id)).toBe(true);
      expect(waitsFor(template, id, cleanup)).toBe(false);
    }
    // …and after every baseline, which waits for it.
    const baselines = resourcesOf(template, TYPE).map(([id]) => id);
    expect(baselines).toHaveLength(2);
    for (const baseline of baselines) {
      expect(waitsFor(template, baseline, cleanup)).toBe(true);
      expect(waitsFor(template, cleanup, baseline)).toBe(false);
    }
  });

  test('the waiter is the stack\'s one Standard state machine, whose definition is waiterDefinition(), and it may invoke the function only', () => {
    const { stack } = stackWithTwoBaselines();
    const template = Template.fromStack(stack);
    const [, machine] = onlyResource(template, 'AWS::StepFunctions::StateMachine');
    expect(machine.StateMachineType).toBe('STANDARD');
    expect(machine.DefinitionString).toEqual(stack.resolve(stack.toJsonString(waiterDefinition())));
    const invoke = template.toJSON().Resources[logicalIdAt(stack, 'AccountManagementWaiter/InvokePolicy')].Properties;
    expect(invoke.Roles).toEqual([{ Ref: logicalIdAt(stack, 'AccountManagementWaiter/StateMachine/Role') }]);
    expect(invoke.PolicyDocument.Statement).toEqual([{
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: [handlerArn(template), { 'Fn::Join': ['', [handlerArn(template), ':*']] }],
    }]);
  });

  test('each stack of an app has its own provider, store and waiter; a nested stack has its own too', () => {
    const app = new App();
    const stacks = ['First', 'Second'].map((id) => new Stack(app, id, { env: { account: STACK_ACCOUNT, region: 'us-east-1' } }));
    const nested = new NestedStack(stacks[0], 'Nested');
    for (const stack of [...stacks, nested]) new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY } });
    for (const stack of [...stacks, nested]) {
      const template = Template.fromStack(stack);
      template.resourceCountIs(TYPE, 1);
      template.resourceCountIs('AWS::Lambda::Function', 1);
      template.resourceCountIs('AWS::S3::Bucket', 1);
      template.resourceCountIs(RESOURCE_TYPES.baselineStore, 1);
      template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    }
    expect(stacks[0].node.findChild(PROVIDER)).not.toBe(stacks[1].node.findChild(PROVIDER));
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('a stack that uses every construct', () => {
  function stackWithEveryConstruct(): Stack {
    const stack = newStack();
    new AlternateContact(stack, 'Security', { ...SECURITY, type: AlternateContactType.SECURITY });
    new PrimaryContact(stack, 'Primary', PRIMARY_CONTACT);
    new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1' });
    new RegionOptIn(stack, 'MemberHongKong', { regionName: 'ap-east-1', accountId: MEMBER_A, pollInterval: Duration.seconds(45) });
    new AccountBaseline(stack, 'Member', { accountId: MEMBER_A, alternateContacts: { billing: BILLING }, accountName: 'workload-a', enabledRegions: ['me-south-1'] });
    new OrganizationBaseline(stack, 'Organization', {
      accountIds: [MEMBER_B],
      organizationalUnitIds: [OU],
      alternateContacts: { operations: OPERATIONS },
      enabledRegions: ['il-central-1'],
      coverNewAccounts: true,
      reconcileSchedule: RECONCILE,
    });
    return stack;
  }

  test('has 3 Lambda functions (one per provider) and 1 state machine, with 4 roles and 3 log groups, and no Provider framework function', () => {
    const template = Template.fromStack(stackWithEveryConstruct());
    template.resourceCountIs('AWS::Lambda::Function', 3);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs('AWS::IAM::Role', 4);
    template.resourceCountIs('AWS::Logs::LogGroup', 3);
    expect(frameworkFunctions(template)).toEqual({});
    expect(resourcesOf(template, 'AWS::Lambda::Function').map(([, fn]) => fn.Handler)).toEqual(['index.handler', 'index.handler', 'index.handler']);
  });

  test('the Region and organization functions share the one waiter: both know its ARN, and it may invoke both', () => {
    const stack = stackWithEveryConstruct();
    const template = Template.fromStack(stack);
    const functionOf = (provider: string) => logicalIdAt(stack, `${provider}/Handler`);
    const region = functionOf('RegionOptInProvider');
    const organization = functionOf(PROVIDER);
    const settings = functionOf('AccountSettingsProvider');
    const resources = template.toJSON().Resources;

    for (const id of [region, organization]) {
      expect(resources[id].Properties.Environment.Variables[WAITER_ARN_ENV]).toEqual({ Ref: stateMachineId(stack) });
    }
    expect(resources[settings].Properties.Environment?.Variables?.[WAITER_ARN_ENV]).toBeUndefined();
    const invoke = resources[logicalIdAt(stack, 'AccountManagementWaiter/InvokePolicy')].Properties.PolicyDocument.Statement;
    expectStatements(invoke, [region, organization].map((id) => ({
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: [{ 'Fn::GetAtt': [id, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, ':*']] }],
    })));
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('permissions', () => {
  const BUCKET_ARN = (stack: Stack) => ({ 'Fn::GetAtt': [storeId(stack), 'Arn'] });

  /** What the function may do in the store: get, put and delete the objects under baselines/, and list the bucket. */
  function storeStatements(stack: Stack): Statement[] {
    return [
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject'], Resource: { 'Fn::Join': ['', [BUCKET_ARN(stack), '/baselines/*']] } },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: BUCKET_ARN(stack) },
    ];
  }

  /** The provider's own grants, whatever the baselines declare. */
  function providerStatements(stack: Stack): Statement[] {
    const stateMachine = stateMachineId(stack);
    return [
      { Effect: 'Allow', Action: ['account:DeleteAlternateContact', 'account:GetAlternateContact'], Resource: [standaloneArn(), ANY_MEMBER_ARN] },
      STACK_READ_STATEMENT,
      DESCRIBE_ACCOUNT_STATEMENT,
      ...storeStatements(stack),
      {
        Effect: 'Allow',
        Action: ['organizations:ListAccounts', 'organizations:ListAccountsForParent', 'organizations:ListChildren', 'organizations:ListParents'],
        Resource: '*',
      },
      {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']] },
      },
      { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: stateMachine } },
      {
        Effect: 'Allow',
        Action: ['states:DescribeExecution', 'states:StopExecution'],
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':execution:',
            { 'Fn::GetAtt': [stateMachine, 'Name'] }, ':*']],
        },
      },
    ];
  }

  describe('what each baseline declares, on its accounts', () => {
    test('explicit accounts: every setting\'s statement lists the deploying account and those accounts; names only the overridden ones', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', {
        accountIds: [MEMBER_A, MEMBER_B],
        alternateContacts: { security: SECURITY },
        primaryContact: PRIMARY_CONTACT,
        enabledRegions: ['af-south-1', 'ap-east-1'],
        overrides: [{ accountId: MEMBER_B, alternateContacts: { billing: BILLING }, accountName: 'workload-b' }],
      });
      const resources = [standaloneArn(), memberArn(MEMBER_A), memberArn(MEMBER_B)];
      expectAccountApiStatements(stack, [
        contactStatement(resources, ['BILLING', 'SECURITY']),
        primaryStatement(resources),
        nameStatement([standaloneArn(), memberArn(MEMBER_B)]),
        regionStatement(resources, ['af-south-1', 'ap-east-1']),
      ]);
      // Besides them, only the provider's removal statement allows an account action.
      expectStatements(serviceStatements(Template.fromStack(stack), 'account'), [
        ...accountApiStatements(stack),
        { Effect: 'Allow', Action: ['account:DeleteAlternateContact', 'account:GetAlternateContact'], Resource: [standaloneArn(), ANY_MEMBER_ARN] },
      ]);
    });

    test.each<[string, Partial<OrganizationBaselineProps>, (resources: unknown[]) => Statement[]]>([
      ['contacts only', { alternateContacts: { operations: OPERATIONS } }, (r) => [contactStatement(r, ['OPERATIONS'])]],
      ['a primary contact only', { primaryContact: PRIMARY_CONTACT }, (r) => [primaryStatement(r)]],
      ['an override\'s primary contact only', { overrides: [{ accountId: MEMBER_A, primaryContact: SUBSIDIARY_CONTACT }] }, (r) => [primaryStatement(r)]],
      ['Regions only', { enabledRegions: ['me-south-1'] }, (r) => [regionStatement(r, ['me-south-1'])]],
      ['an override\'s name only', { overrides: [{ accountId: MEMBER_A, accountName: 'workload-a' }] }, (r) => [nameStatement(r)]],
    ])('a baseline of %s gets only that statement', (_case, props, expected) => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', { accountIds: [MEMBER_A], ...props });
      expectAccountApiStatements(stack, expected([standaloneArn(), memberArn(MEMBER_A)]));
    });

    test.each<[string, Partial<OrganizationBaselineProps>]>([
      ['organizationalUnitIds', { organizationalUnitIds: [OU] }],
      ['allAccounts', { allAccounts: true }],
      ['allAccounts with accountIds too', { allAccounts: true, accountIds: [MEMBER_A] }],
      ['organizationalUnitIds with accountIds too', { organizationalUnitIds: [OU], accountIds: [MEMBER_A, MEMBER_B] }],
    ])('with %s: the deploying account and every member account (o-*/*), still narrowed by the conditions; names still only the overridden accounts', (_case, targets) => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', {
        ...targets,
        alternateContacts: { security: SECURITY },
        primaryContact: PRIMARY_CONTACT,
        enabledRegions: ['af-south-1'],
        overrides: [{ accountId: MEMBER_C, accountName: 'workload-c' }],
      });
      const resources = [standaloneArn(), ANY_MEMBER_ARN];
      expectAccountApiStatements(stack, [
        contactStatement(resources, ['SECURITY']),
        primaryStatement(resources),
        nameStatement([standaloneArn(), memberArn(MEMBER_C)]),
        regionStatement(resources, ['af-south-1']),
      ]);
    });

    test('excluded accounts are neither listed nor named: one listed in accountIds is left out, and an override of one is rejected', () => {
      const props: OrganizationBaselineProps = {
        accountIds: [MEMBER_A, MEMBER_B, MEMBER_C],
        excludeAccountIds: [MEMBER_B],
        alternateContacts: { security: SECURITY },
        primaryContact: PRIMARY_CONTACT,
        enabledRegions: ['af-south-1'],
        overrides: [{ accountId: MEMBER_C, accountName: 'workload-c' }],
      };
      expectExactError(
        () => new OrganizationBaseline(newStack(), 'Baseline', { ...props, overrides: [{ accountId: MEMBER_B, accountName: 'workload-b' }, ...props.overrides!] }),
        EXCLUDED_OVERRIDE_MESSAGE(MEMBER_B),
      );
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', props);
      const resources = [standaloneArn(), memberArn(MEMBER_A), memberArn(MEMBER_C)];
      expectAccountApiStatements(stack, [
        contactStatement(resources, ['SECURITY']),
        primaryStatement(resources),
        nameStatement([standaloneArn(), memberArn(MEMBER_C)]),
        regionStatement(resources, ['af-south-1']),
      ]);
    });

    test('with allAccounts, an excluded account\'s name is not granted: an override that names it is rejected', () => {
      const props: OrganizationBaselineProps = {
        allAccounts: true,
        excludeAccountIds: [MEMBER_B],
        alternateContacts: { security: SECURITY },
        overrides: [{ accountId: MEMBER_A, accountName: 'workload-a' }],
      };
      expectExactError(
        () => new OrganizationBaseline(newStack(), 'Baseline', { ...props, overrides: [...props.overrides!, { accountId: MEMBER_B, accountName: 'workload-b' }] }),
        EXCLUDED_OVERRIDE_MESSAGE(MEMBER_B),
      );
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', props);
      expectAccountApiStatements(stack, [
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['SECURITY']),
        nameStatement([standaloneArn(), memberArn(MEMBER_A)]),
      ]);
    });

    test('every statement with a condition key carries it; none allows an account action on *, account:* or with NotResource', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Everyone', { allAccounts: true, alternateContacts: { security: SECURITY }, enabledRegions: ['af-south-1'], primaryContact: PRIMARY_CONTACT });
      new OrganizationBaseline(stack, 'Many', { accountIds: accountRange(200000000000, 100), alternateContacts: { billing: BILLING } });
      for (const statement of accountApiStatements(stack)) {
        const actions = asArray(statement.Action);
        if (actions.includes('account:PutAlternateContact')) {
          expect(Object.keys(statement.Condition!)).toEqual(['ForAnyValue:StringEquals']);
          expect(Object.keys(statement.Condition!['ForAnyValue:StringEquals'])).toEqual(['account:AlternateContactTypes']);
        } else if (actions.includes('account:EnableRegion')) {
          expect(Object.keys(statement.Condition!)).toEqual(['ForAnyValue:StringEquals']);
          expect(Object.keys(statement.Condition!['ForAnyValue:StringEquals'])).toEqual(['account:TargetRegion']);
        } else {
          // The contact information actions have no condition key in the service's authorization reference.
          expect(actions.sort()).toEqual(PRIMARY_ACTIONS);
          expect(statement.Condition).toBeUndefined();
        }
      }
      expectNoAccountActionOnEverything(serviceStatements(Template.fromStack(stack), 'account'));
    });
  });

  describe('the provider\'s own grants, whatever the props', () => {
    test.each<[string, OrganizationBaselineProps]>([
      ['explicit accounts, nothing optional', { accountIds: [MEMBER_A], alternateContacts: { security: SECURITY } }],
      ['every option', {
        allAccounts: true,
        alternateContacts: { security: SECURITY },
        removeAlternateContactsOnDelete: true,
        pruneUndeclared: true,
        coverNewAccounts: true,
        reconcileSchedule: RECONCILE,
        deployWaitsFor: DeployWaitsFor.NOTHING,
      }],
      ['an OU and Regions', { organizationalUnitIds: [OU], enabledRegions: ['af-south-1'] }],
    ])('with %s the handler role\'s DefaultPolicy holds exactly: removal, stack reads, DescribeAccount, the store, Organizations reads, events, the waiter', (_case, props) => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', props);
      expectStatements(handlerDefaultStatements(stack), providerStatements(stack));
    });

    test('several baselines add each of them once, and no other policy of the stack repeats them', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Workloads', { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY }, removeAlternateContactsOnDelete: true });
      new OrganizationBaseline(stack, 'Everyone', { allAccounts: true, alternateContacts: { billing: BILLING }, reconcileSchedule: RECONCILE });
      new OrganizationBaseline(stack, 'Sandbox', { accountIds: [MEMBER_A], enabledRegions: ['af-south-1'], coverNewAccounts: true });
      const template = Template.fromStack(stack);
      expectStatements(handlerDefaultStatements(stack), providerStatements(stack));
      for (const service of ['s3', 'organizations', 'events', 'states', 'cloudformation']) {
        expectStatements(serviceStatements(template, service), providerStatements(stack).filter((s) => asArray(s.Action)[0].startsWith(`${service}:`)));
      }
      expect(allStatements(template).filter((s) => asArray(s.Action).includes('account:DeleteAlternateContact'))).toHaveLength(1);
    });

    test('in the store, the function may get, put and delete the objects under baselines/ and list the bucket: no other S3 action, bucket or key', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY }, coverNewAccounts: true, reconcileSchedule: RECONCILE });
      const statements = serviceStatements(Template.fromStack(stack), 's3');
      expectStatements(statements, storeStatements(stack));
      // Exact actions (no wildcard), exact resources.
      for (const statement of statements) for (const action of asArray(statement.Action)) expect(action).toMatch(/^s3:[A-Za-z]+$/);
    });

    test('the only statement on every resource (*) is the Organizations reads, which take no narrower resource', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY }, coverNewAccounts: true, reconcileSchedule: RECONCILE });
      const onEverything = allStatements(Template.fromStack(stack)).filter((s) => s.NotResource !== undefined || asArray(s.Resource).includes('*'));
      expect(onEverything).toEqual(providerStatements(stack).filter((s) => asArray(s.Action).includes('organizations:ListAccounts')));
      expect(onEverything).toHaveLength(1);
    });
  });

  describe('how many explicit accounts are listed', () => {
    test(`${MAX_LISTED_ARNS} account ARNs stay listed: 20 accounts with a contact, a primary contact and a Region statement`, () => {
      const stack = newStack();
      const accountIds = accountRange(200000000000, 20);
      new OrganizationBaseline(stack, 'Baseline', {
        accountIds, alternateContacts: { security: SECURITY }, primaryContact: PRIMARY_CONTACT, enabledRegions: ['af-south-1'],
      });
      const resources = [standaloneArn(), ...accountIds.map(memberArn)];
      expectAccountApiStatements(stack, [contactStatement(resources, ['SECURITY']), primaryStatement(resources), regionStatement(resources, ['af-south-1'])]);
    });

    test('21 accounts with three statements (63 ARNs) get every member account in all three', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', {
        accountIds: accountRange(200000000000, 21), alternateContacts: { security: SECURITY }, primaryContact: PRIMARY_CONTACT, enabledRegions: ['af-south-1'],
      });
      const resources = [standaloneArn(), ANY_MEMBER_ARN];
      expectAccountApiStatements(stack, [contactStatement(resources, ['SECURITY']), primaryStatement(resources), regionStatement(resources, ['af-south-1'])]);
    });

    test(`${MAX_LISTED_ARNS} accounts with one statement stay listed, ${MAX_LISTED_ARNS + 1} get every member account`, () => {
      const listed = newStack();
      const sixty = accountRange(200000000000, MAX_LISTED_ARNS);
      new OrganizationBaseline(listed, 'Baseline', { accountIds: sixty, alternateContacts: { security: SECURITY } });
      expectAccountApiStatements(listed, [contactStatement([standaloneArn(), ...sixty.map(memberArn)], ['SECURITY'])]);

      const anyMember = newStack();
      new OrganizationBaseline(anyMember, 'Baseline', { accountIds: accountRange(200000000000, MAX_LISTED_ARNS + 1), alternateContacts: { security: SECURITY } });
      expectAccountApiStatements(anyMember, [contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['SECURITY'])]);
    });

    test('the limit counts the whole stack: 59 + 1 ARNs stay listed, 59 + 2 do not, and the first baseline stays listed', () => {
      const first = accountRange(200000000000, 59);
      const fits = newStack();
      new OrganizationBaseline(fits, 'First', { accountIds: first, alternateContacts: { security: SECURITY } });
      new OrganizationBaseline(fits, 'Second', { accountIds: [MEMBER_A], enabledRegions: ['af-south-1'] });
      expectAccountApiStatements(fits, [
        contactStatement([standaloneArn(), ...first.map(memberArn)], ['SECURITY']),
        regionStatement([standaloneArn(), memberArn(MEMBER_A)], ['af-south-1']),
      ]);

      const over = newStack();
      new OrganizationBaseline(over, 'First', { accountIds: first, alternateContacts: { security: SECURITY } });
      new OrganizationBaseline(over, 'Second', { accountIds: [MEMBER_A], alternateContacts: { billing: BILLING }, enabledRegions: ['af-south-1'] });
      expectAccountApiStatements(over, [
        contactStatement([standaloneArn(), ...first.map(memberArn)], ['SECURITY']),
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['BILLING']),
        regionStatement([standaloneArn(), ANY_MEMBER_ARN], ['af-south-1']),
      ]);
    });

    test('only listed ARNs count: after OU and allAccounts baselines and one that did not fit, a small one is still listed', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Organization', { allAccounts: true, accountIds: accountRange(300000000000, 40), alternateContacts: { billing: BILLING } });
      new OrganizationBaseline(stack, 'Unit', { organizationalUnitIds: [OU], accountIds: accountRange(400000000000, 40), enabledRegions: ['ap-east-1'] });
      const first = accountRange(200000000000, 59);
      new OrganizationBaseline(stack, 'First', { accountIds: first, alternateContacts: { security: SECURITY } });
      new OrganizationBaseline(stack, 'TooMany', { accountIds: [MEMBER_A, MEMBER_B], alternateContacts: { operations: OPERATIONS } });
      new OrganizationBaseline(stack, 'Last', { accountIds: [MEMBER_C], enabledRegions: ['me-south-1'] });
      expectAccountApiStatements(stack, [
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['BILLING']),
        regionStatement([standaloneArn(), ANY_MEMBER_ARN], ['ap-east-1']),
        contactStatement([standaloneArn(), ...first.map(memberArn)], ['SECURITY']),
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['OPERATIONS']),
        regionStatement([standaloneArn(), memberArn(MEMBER_C)], ['me-south-1']),
      ]);
    });

    test(`excluded accounts do not count: ${MAX_LISTED_ARNS + 1} accounts of which one is excluded stay listed`, () => {
      const stack = newStack();
      const accountIds = accountRange(200000000000, MAX_LISTED_ARNS + 1);
      new OrganizationBaseline(stack, 'Baseline', { accountIds, excludeAccountIds: [accountIds[0]], alternateContacts: { security: SECURITY } });
      expectAccountApiStatements(stack, [contactStatement([standaloneArn(), ...accountIds.slice(1).map(memberArn)], ['SECURITY'])]);
    });

    test('names count: 59 accounts and 1 name stay listed; 59 accounts and 2 names get every member account, in the names statement too', () => {
      const accountIds = accountRange(200000000000, 59);
      const names = (count: number) => accountIds.slice(0, count).map((accountId) => ({ accountId, accountName: `workload-${accountId}` }));
      const fits = newStack();
      new OrganizationBaseline(fits, 'Baseline', { accountIds, alternateContacts: { security: SECURITY }, overrides: names(1) });
      expectAccountApiStatements(fits, [
        contactStatement([standaloneArn(), ...accountIds.map(memberArn)], ['SECURITY']),
        nameStatement([standaloneArn(), memberArn(accountIds[0])]),
      ]);

      const over = newStack();
      new OrganizationBaseline(over, 'Baseline', { accountIds, alternateContacts: { security: SECURITY }, overrides: names(2) });
      expectAccountApiStatements(over, [
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['SECURITY']),
        nameStatement([standaloneArn(), ANY_MEMBER_ARN]),
      ]);
    });

    test.each<[string, Partial<OrganizationBaselineProps>]>([
      ['allAccounts', { allAccounts: true }],
      ['an OU', { organizationalUnitIds: [OU] }],
    ])(`with %s only the names count: ${MAX_LISTED_ARNS} names stay listed, ${MAX_LISTED_ARNS + 1} go on every member account`, (_case, targets) => {
      const named = (count: number) => accountRange(200000000000, count).map((accountId) => ({ accountId, accountName: `workload-${accountId}` }));
      const listed = newStack();
      new OrganizationBaseline(listed, 'Baseline', { ...targets, alternateContacts: { security: SECURITY }, overrides: named(MAX_LISTED_ARNS) });
      expectAccountApiStatements(listed, [
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['SECURITY']),
        nameStatement([standaloneArn(), ...accountRange(200000000000, MAX_LISTED_ARNS).map(memberArn)]),
      ]);

      const anyMember = newStack();
      new OrganizationBaseline(anyMember, 'Baseline', { ...targets, alternateContacts: { security: SECURITY }, overrides: named(MAX_LISTED_ARNS + 1) });
      expectAccountApiStatements(anyMember, [
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['SECURITY']),
        nameStatement([standaloneArn(), ANY_MEMBER_ARN]),
      ]);
    });

    test('an allAccounts baseline\'s names use the stack\'s budget: after 59 names, one explicit ARN is listed, the next is not', () => {
      const stack = newStack();
      const names = accountRange(200000000000, 59);
      new OrganizationBaseline(stack, 'Organization', {
        allAccounts: true, alternateContacts: { security: SECURITY }, overrides: names.map((accountId) => ({ accountId, accountName: `workload-${accountId}` })),
      });
      new OrganizationBaseline(stack, 'Listed', { accountIds: [MEMBER_A], alternateContacts: { billing: BILLING } });
      new OrganizationBaseline(stack, 'Late', { accountIds: [MEMBER_B], enabledRegions: ['af-south-1'] });
      expectAccountApiStatements(stack, [
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['SECURITY']),
        nameStatement([standaloneArn(), ...names.map(memberArn)]),
        contactStatement([standaloneArn(), memberArn(MEMBER_A)], ['BILLING']),
        regionStatement([standaloneArn(), ANY_MEMBER_ARN], ['af-south-1']),
      ]);
    });

    test(`the limit is per stack: two stacks of one app list ${MAX_LISTED_ARNS} ARNs each`, () => {
      const app = new App();
      const stacks = [200000000000, 300000000000].map((first, i) => {
        const stack = new Stack(app, `Stack${i}`, { env: { account: STACK_ACCOUNT, region: 'us-east-1' } });
        const accountIds = accountRange(first, MAX_LISTED_ARNS);
        new OrganizationBaseline(stack, 'Baseline', { accountIds, alternateContacts: { security: SECURITY } });
        return { stack, accountIds };
      });
      for (const { stack, accountIds } of stacks) {
        expectAccountApiStatements(stack, [contactStatement([standaloneArn(), ...accountIds.map(memberArn)], ['SECURITY'])]);
      }
    });
  });

  describe('IAM\'s 10,240 characters of inline policy per role', () => {
    function expectWithinLimit(stack: Stack): number {
      const template = Template.fromStack(stack);
      const size = roleInlinePoliciesSize(template, handlerRoleId(template));
      expect(size).toBeLessThanOrEqual(ROLE_INLINE_POLICIES_LIMIT);
      return size;
    }

    test('300 explicit accounts with every setting but names fit, and every account is still allowed', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', {
        accountIds: accountRange(200000000000, 300), alternateContacts: { security: SECURITY }, primaryContact: PRIMARY_CONTACT, enabledRegions: ['af-south-1'],
      });
      expectWithinLimit(stack);
      const resources = [standaloneArn(), ANY_MEMBER_ARN];
      expectAccountApiStatements(stack, [contactStatement(resources, ['SECURITY']), primaryStatement(resources), regionStatement(resources, ['af-south-1'])]);
    });

    test('15 baselines of 10 accounts each, with Regions and every option, fit: the first three are listed, the rest grant every member account once', () => {
      const stack = newStack();
      for (let i = 0; i < 15; i++) {
        new OrganizationBaseline(stack, `Baseline${i}`, {
          accountIds: accountRange(200000000000 + 10 * i, 10),
          alternateContacts: { security: SECURITY },
          enabledRegions: ['af-south-1'],
          coverNewAccounts: true,
          reconcileSchedule: RECONCILE,
          removeAlternateContactsOnDelete: true,
          pruneUndeclared: true,
        });
      }
      expectWithinLimit(stack);
      // 15 schedules, and the stack's 2 new-account rules (explicit accounts: no MoveAccount rule), each with its permission.
      // +1: the waiter's rule on executions that end unsuccessfully (the function is its target too).
      Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 15 + 2 + 1);
      Template.fromStack(stack).resourceCountIs('AWS::Lambda::Permission', 15 + 2 + 1);
      const listed = Array.from({ length: 3 }, (_, i) => [standaloneArn(), ...accountRange(200000000000 + 10 * i, 10).map(memberArn)]);
      expectAccountApiStatements(stack, [
        ...listed.flatMap((resources) => [contactStatement(resources, ['SECURITY']), regionStatement(resources, ['af-south-1'])]),
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['SECURITY']),
        regionStatement([standaloneArn(), ANY_MEMBER_ARN], ['af-south-1']),
      ]);
    });

    test('50 overridden account names fit', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', {
        allAccounts: true,
        alternateContacts: { security: SECURITY },
        overrides: accountRange(200000000000, 50).map((accountId) => ({ accountId, accountName: `workload-${accountId}` })),
      });
      expectWithinLimit(stack);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('coverNewAccounts', () => {
  const PROPS: OrganizationBaselineProps = {
    organizationalUnitIds: [OU],
    excludeAccountIds: [MEMBER_C],
    alternateContacts: { security: SECURITY },
    primaryContact: PRIMARY_CONTACT,
    enabledRegions: ['af-south-1'],
    overrides: [{ accountId: MEMBER_A, alternateContacts: { security: OPERATIONS }, accountName: 'workload-a' }],
    coverNewAccounts: true,
  };

  const PATTERNS: Record<string, Record<string, unknown>> = {
    CreateAccountRule: {
      source: ['aws.organizations'],
      detail: { eventName: ['CreateAccountResult'], serviceEventDetails: { createAccountStatus: { state: ['SUCCEEDED'] } } },
    },
    ControlTowerRule: {
      source: ['aws.controltower'],
      detail: { eventName: ['CreateManagedAccount'], serviceEventDetails: { createManagedAccountStatus: { state: ['SUCCEEDED'] } } },
    },
    MoveAccountRule: {
      'source': ['aws.organizations'],
      'detail-type': ['AWS API Call via CloudTrail'],
      'detail': { eventName: ['MoveAccount'], errorCode: [{ exists: false }] },
    },
  };
  const EVENT_NAMES: Record<string, string> = { CreateAccountRule: 'CreateAccountResult', ControlTowerRule: 'CreateManagedAccount', MoveAccountRule: 'MoveAccount' };

  test('a baseline that targets OUs gets the stack\'s three rules: accounts created (Organizations, Control Tower) and moved between OUs', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', PROPS);
    const rules = rulesOf(stack, PROVIDER);
    expect(Object.keys(rules).sort()).toEqual(['ControlTowerRule', 'CreateAccountRule', 'MoveAccountRule']);
    for (const [id, rule] of Object.entries(rules)) {
      expect(rule.EventPattern).toEqual(PATTERNS[id]);
      expect(rule.Description).toBe(`cdk-account-management: apply the stack's organization baselines to accounts from ${EVENT_NAMES[id]}`);
      expect(rule.State).toBe('ENABLED');
    }
    // They are the stack's (children of the provider), not the baseline's.
    expect(rulesOf(stack, 'Baseline')).toEqual({});
    expect(Object.keys(rules).map((id) => constructAt(stack, `${PROVIDER}/${id}`).node.path).sort())
      .toEqual(['Stack/OrganizationBaselineProvider/ControlTowerRule', 'Stack/OrganizationBaselineProvider/CreateAccountRule',
        'Stack/OrganizationBaselineProvider/MoveAccountRule']);
  });

  test.each<[string, Partial<OrganizationBaselineProps>]>([
    ['explicit accounts', { accountIds: [MEMBER_A], organizationalUnitIds: undefined }],
    ['allAccounts', { allAccounts: true, organizationalUnitIds: undefined }],
  ])('a baseline of %s, which no move can join, gets no MoveAccount rule', (_case, targets) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { ...PROPS, ...targets });
    expect(Object.keys(rulesOf(stack, PROVIDER)).sort()).toEqual(['ControlTowerRule', 'CreateAccountRule']);
  });

  test('each rule invokes the provider\'s function, retried 4 times, with the trigger, the store and the whole event: no baseline\'s id, never a value', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', PROPS);
    const template = Template.fromStack(stack);
    const event = { 'detail-type': 'AWS Service Event via CloudTrail', 'detail': { eventName: 'CreateAccountResult' } };
    const rules = Object.values(rulesOf(stack, PROVIDER));
    expect(rules).toHaveLength(3);
    for (const rule of rules) {
      expect(rule.Targets).toHaveLength(1);
      const [target] = rule.Targets;
      expect(target.Arn).toEqual(handlerArn(template));
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 4 });
      const expected: BaselineTrigger = { Trigger: 'new-account', Store: `REF:${storeId(stack)}`, Event: event };
      expect(inputOf(target, event)).toEqual(expected);
      expect(inputOf(target, event)).not.toHaveProperty('BaselineId');
      // The whole input: the trigger, the store's name, the event; nothing the baselines declare.
      expect(target.InputTransformer).toEqual({
        InputPathsMap: { f1: '$' },
        InputTemplate: { 'Fn::Join': ['', ['{"Trigger":"new-account","Store":"', { Ref: storeId(stack) }, '","Event":<f1>}']] },
      });
    }
  });

  test('the rules are the same whichever baselines made them, and however many', () => {
    const rulesOfStack = (...baselines: Array<[string, OrganizationBaselineProps]>) => {
      const stack = newStack();
      for (const [id, props] of baselines) new OrganizationBaseline(stack, id, props);
      return rulesOf(stack, PROVIDER);
    };
    const one = rulesOfStack(['Baseline', PROPS]);
    expect(rulesOfStack(['Other', { ...PROPS, overrides: undefined, enabledRegions: undefined }])).toEqual(one);
    expect(rulesOfStack(
      ['Accounts', { accountIds: [MEMBER_A], alternateContacts: { billing: BILLING }, coverNewAccounts: true }],
      ['Baseline', PROPS],
      ['Everyone', { allAccounts: true, enabledRegions: ['ap-east-1'], coverNewAccounts: true }],
    )).toEqual(one);
  });

  test('N covering baselines make the rules and their permissions once: 3 at most, whatever N', () => {
    const stack = newStack();
    for (let i = 0; i < 10; i++) {
      new OrganizationBaseline(stack, `Baseline${i}`, { ...PROPS, overrides: undefined, organizationalUnitIds: [`ou-ab12-cd34ef5${i}`] });
    }
    const template = Template.fromStack(stack);
    // +1: the waiter's rule on executions that end unsuccessfully (the function is its target too).
    template.resourceCountIs('AWS::Events::Rule', 3 + 1);
    template.resourceCountIs('AWS::Lambda::Permission', 3 + 1);
    expect(Object.keys(rulesOf(stack, PROVIDER)).sort()).toEqual(['ControlTowerRule', 'CreateAccountRule', 'MoveAccountRule']);
    for (let i = 0; i < 10; i++) expect(rulesOf(stack, `Baseline${i}`)).toEqual({});
  });

  test('the MoveAccount rule comes with the first covering baseline that targets OUs, not before, and once', () => {
    const stack = newStack();
    // Read from the construct tree: the stack is synthesized once, at the end.
    const ruleIds = () => constructAt(stack, PROVIDER).node.children.filter((child) => child instanceof Rule).map((child) => child.node.id).sort();
    new OrganizationBaseline(stack, 'Accounts', { accountIds: [MEMBER_A], alternateContacts: { security: SECURITY }, coverNewAccounts: true });
    expect(ruleIds()).toEqual(['ControlTowerRule', 'CreateAccountRule']);
    // An OU baseline that does not cover new accounts adds nothing.
    new OrganizationBaseline(stack, 'Quiet', { organizationalUnitIds: [OU], alternateContacts: { billing: BILLING } });
    expect(ruleIds()).toEqual(['ControlTowerRule', 'CreateAccountRule']);
    new OrganizationBaseline(stack, 'Unit', { organizationalUnitIds: [OU], enabledRegions: ['af-south-1'], coverNewAccounts: true });
    expect(ruleIds()).toEqual(['ControlTowerRule', 'CreateAccountRule', 'MoveAccountRule']);
    new OrganizationBaseline(stack, 'OtherUnit', { organizationalUnitIds: ['ou-ab12-cd34ef57'], primaryContact: PRIMARY_CONTACT, coverNewAccounts: true });
    expect(ruleIds()).toEqual(['ControlTowerRule', 'CreateAccountRule', 'MoveAccountRule']);
    // +1: the waiter's rule on executions that end unsuccessfully (the function is its target too).
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 3 + 1);
  });

  test('the function may be invoked by each rule, and by nothing else', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', PROPS);
    const template = Template.fromStack(stack);
    const ruleIds = resourcesOf(template, 'AWS::Events::Rule').map(([id]) => id);
    // +1: the waiter's rule on executions that end unsuccessfully (the function is its target too).
    expect(ruleIds).toHaveLength(3 + 1);
    expectSameMembers(resourcesOf(template, 'AWS::Lambda::Permission').map(([, p]) => p), ruleIds.map((id) => ({
      Action: 'lambda:InvokeFunction', FunctionName: handlerArn(template), Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [id, 'Arn'] },
    })));
  });

  test('without coverNewAccounts there is no rule and no permission', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { ...PROPS, coverNewAccounts: undefined });
    // +1: the waiter's rule on executions that end unsuccessfully (the function is its target too).
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 0 + 1);
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Permission', 0 + 1);
  });

  test('in an eu-west-1 stack each baseline with coverNewAccounts warns on itself, once, that the events arrive only in us-east-1', () => {
    const stack = newStack('eu-west-1');
    new OrganizationBaseline(stack, 'First', PROPS);
    new OrganizationBaseline(stack, 'Second', { ...PROPS, overrides: undefined });
    new OrganizationBaseline(stack, 'Quiet', { ...PROPS, overrides: undefined, coverNewAccounts: false });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => [w.id, w.entry.data]);
    expectSameMembers(warnings, [['/Stack/First', NEW_ACCOUNT_WARNING('eu-west-1')], ['/Stack/Second', NEW_ACCOUNT_WARNING('eu-west-1')]]);
    // The stack's rules are still made, once.
    // +1: the waiter's rule on executions that end unsuccessfully (the function is its target too).
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 3 + 1);
  });

  test.each<[string, () => Stack, boolean | undefined]>([
    ['a us-east-1 stack with coverNewAccounts', () => newStack(), true],
    ['a cn-north-1 stack with coverNewAccounts', () => newStack('cn-north-1'), true],
    ['a us-gov-west-1 stack with coverNewAccounts', () => newStack('us-gov-west-1'), true],
    ['an environment-agnostic stack with coverNewAccounts', () => new Stack(new App(), 'Agnostic'), true],
    ['an eu-west-1 stack without coverNewAccounts', () => newStack('eu-west-1'), undefined],
  ])('%s gets no warning', (_case, makeStack, coverNewAccounts) => {
    const stack = makeStack();
    new OrganizationBaseline(stack, 'Baseline', { ...PROPS, coverNewAccounts });
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('reconcileSchedule', () => {
  const PROPS: OrganizationBaselineProps = {
    allAccounts: true,
    alternateContacts: { billing: BILLING },
    primaryContact: PRIMARY_CONTACT,
    enabledRegions: ['ap-east-1'],
    reconcileSchedule: RECONCILE,
  };

  test('a scheduled rule invokes the provider\'s function with the trigger, the baseline\'s id and the store: never a value', () => {
    const stack = newStack();
    const baseline = new OrganizationBaseline(stack, 'Baseline', PROPS);
    const template = Template.fromStack(stack);
    const rules = rulesOf(stack, 'Baseline');
    expect(Object.keys(rules)).toEqual(['Reconcile']);
    const rule = rules.Reconcile;

    expect(rule.ScheduleExpression).toBe('rate(12 hours)');
    expect(rule.EventPattern).toBeUndefined();
    expect(rule.Description).toBe('cdk-account-management: reconcile the organization baseline');
    expect(rule.Targets).toHaveLength(1);
    expect(rule.Targets[0].Arn).toEqual(handlerArn(template));
    const expected: BaselineTrigger = {
      Trigger: 'schedule',
      BaselineId: propertiesOf(baseline).BaselineId,
      Store: `REF:${storeId(stack)}`,
      Resource: { StackId: 'REF:AWS::StackId', LogicalResourceId: logicalIdAt(stack, 'Baseline/Resource') },
    };
    expect(inputOf(rule.Targets[0])).toEqual(expected);
  });

  test('a cron schedule is kept as given', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { ...PROPS, reconcileSchedule: Schedule.cron({ minute: '0', hour: '3' }) });
    expect(rulesOf(stack, 'Baseline').Reconcile.ScheduleExpression).toBe('cron(0 3 * * ? *)');
  });

  test('with coverNewAccounts too, both kinds of rule are made: the baseline\'s schedule, the stack\'s new-account rules', () => {
    const both = newStack();
    new OrganizationBaseline(both, 'Baseline', { ...PROPS, coverNewAccounts: true });
    expect(Object.keys(rulesOf(both, 'Baseline'))).toEqual(['Reconcile']);
    expect(Object.keys(rulesOf(both, PROVIDER)).sort()).toEqual(['ControlTowerRule', 'CreateAccountRule']);
    // +1: the waiter's rule on executions that end unsuccessfully (the function is its target too).
    Template.fromStack(both).resourceCountIs('AWS::Events::Rule', 3 + 1);
  });

  test('without reconcileSchedule there is no scheduled rule', () => {
    const none = newStack();
    new OrganizationBaseline(none, 'Baseline', { ...PROPS, reconcileSchedule: undefined, coverNewAccounts: true });
    expect(rulesOf(none, 'Baseline')).toEqual({});
    expect(resourcesOf(Template.fromStack(none), 'AWS::Events::Rule').filter(([, rule]) => rule.ScheduleExpression !== undefined)).toEqual([]);
  });

  test('each baseline with a schedule has its own scheduled rule, naming it', () => {
    const stack = newStack();
    const baselines = ['First', 'Second'].map((id) => new OrganizationBaseline(stack, id, { ...PROPS, coverNewAccounts: true }));
    baselines.forEach((baseline) => {
      const rules = rulesOf(stack, baseline.node.id);
      expect(Object.keys(rules)).toEqual(['Reconcile']);
      const expected: BaselineTrigger = {
        Trigger: 'schedule',
        BaselineId: propertiesOf(baseline).BaselineId,
        Store: `REF:${storeId(stack)}`,
        Resource: { StackId: 'REF:AWS::StackId', LogicalResourceId: logicalIdAt(stack, `${baseline.node.id}/Resource`) },
      };
      expect(inputOf(rules.Reconcile.Targets[0])).toEqual(expected);
    });
    expect(propertiesOf(baselines[0]).BaselineId).not.toBe(propertiesOf(baselines[1]).BaselineId);
    // Two schedules and the stack's two new-account rules.
    // +1: the waiter's rule on executions that end unsuccessfully (the function is its target too).
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 4 + 1);
  });

  test('a large baseline makes rule inputs no larger than a small one\'s: the values never travel in them', () => {
    const inputs = (overrides: number) => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', {
        ...PROPS,
        coverNewAccounts: true,
        overrides: accountRange(200000000000, overrides)
          .map((accountId) => ({ accountId, alternateContacts: { security: SECURITY }, primaryContact: SUBSIDIARY_CONTACT })),
      });
      const rules = [...Object.values(rulesOf(stack, 'Baseline')), ...Object.values(rulesOf(stack, PROVIDER))];
      expect(rules).toHaveLength(3);
      return rules.map((rule) => JSON.stringify(rule.Targets));
    };
    expect(inputs(500)).toEqual(inputs(1));
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('cdk-nag AwsSolutions checks', () => {
  const AT = `Stack/${PROVIDER}`;
  const DEFAULT_POLICY = `${AT}/Handler/ServiceRole/DefaultPolicy/Resource`;

  const ACKNOWLEDGED: Acknowledged[] = [
    basicExecutionRoleAcknowledgment(`${AT}/Handler/ServiceRole/Resource`),
    {
      rule: 'AwsSolutions-IAM5',
      finding: 'Resource::arn:<AWS::Partition>:account::*:account/o-*/*',
      path: `${AT}/AccountApiPolicy/Resource`,
      reason: 'with allAccounts or organizationalUnitIds the target accounts are resolved at deploy time through AWS '
        + 'Organizations, and a member account\'s ARN embeds the management account and organization ids, unknown at synth; '
        + 'explicit accounts beyond the stack\'s 60 listed ARNs are not listed either, as more would outgrow IAM\'s 10,240 '
        + 'characters of inline policy per role; Get/PutAlternateContact are narrowed by account:AlternateContactTypes to the '
        + 'declared types and GetRegionOptStatus/EnableRegion by account:TargetRegion to the declared Regions, and '
        + 'Get/PutContactInformation (for which the service has no condition key) are allowed only when a primary contact is declared',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: /^Resource::arn:<AWS::Partition>:account::\*:account\/o-\*\/\d{12}$/,
      path: `${AT}/AccountApiPolicy/Resource`,
      reason: 'an explicit or overridden account listed by its id: the ARN of a member account embeds the management account and '
        + 'organization ids, unknown at synth, hence their wildcards; the account id itself is exact, and the statements allow '
        + 'only the settings the baselines declare for it (contact types and Regions narrowed by their condition keys)',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: 'Resource::arn:<AWS::Partition>:account::*:account/o-*/*',
      path: DEFAULT_POLICY,
      reason: 'removal (pruneUndeclared, removeAlternateContactsOnDelete) runs after CloudFormation has updated the policies '
        + 'to the new declarations, so account:DeleteAlternateContact (with the GetAlternateContact that checks the values first), alone in their statement, is granted on every member '
        + 'account (their management account and organization ids are unknown at synth) for as long as the provider exists',
    },
    ...describeAccountAcknowledgment(DEFAULT_POLICY),
    {
      rule: 'AwsSolutions-IAM5',
      finding: 'Resource::*',
      path: DEFAULT_POLICY,
      reason: 'the Organizations reads that resolve the targets: ListAccounts supports no resource-level permission, and '
        + 'ListAccountsForParent, ListChildren and ListParents take root/OU/account ARNs that embed the management account and '
        + 'organization ids (unknown at synth) of OUs and accounts discovered at deploy time; the statement holds only these '
        + 'four read-only actions',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: /^Resource::<OrganizationBaselineProviderStore[0-9A-F]{8}\.Arn>\/baselines\/\*$/,
      path: DEFAULT_POLICY,
      reason: 'the objects under baselines/ of the stack\'s own store bucket, whose keys (baselines/<baseline id>/<generation>...) '
        + 'are made at deploy time, one set per generation; the statement holds only s3:GetObject, s3:PutObject, '
        + 's3:PutObjectTagging (the expiring objects are tagged as they are put) and s3:DeleteObject (the bucket itself gets s3:ListBucket alone, on its own ARN), and no other bucket or prefix is granted',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: /^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<AccountManagementWaiterStateMachine[0-9A-F]{8}\.Name>:\*$/,
      path: DEFAULT_POLICY,
      reason: 'the executions of the stack\'s own waiter, named at deploy time after the baseline and its generation: the '
        + 'function reads (DescribeExecution) and stops (StopExecution) a superseded generation\'s execution, and may do '
        + 'nothing else to executions, nor anything to another state machine\'s',
    },
    {
      rule: 'AwsSolutions-L1',
      finding: '',
      path: `${AT}/Handler/Resource`,
      reason: 'the design fixes Node.js 22 for the handlers (bundled with esbuild for node22)',
    },
    {
      rule: 'AwsSolutions-S1',
      finding: '',
      path: `${AT}/Store/Resource`,
      reason: 'the store holds only the baselines\' generations (the values the stack\'s template already holds), written and '
        + 'read by the one function of the stack\'s provider; public access is blocked and SSL enforced, and server access '
        + 'logs would need a second bucket per stack for a bucket no person reads (CloudTrail data events can audit it where required)',
    },
    ...waiterAcknowledgments('Stack', /^Resource::<OrganizationBaselineProviderHandler[0-9A-F]{8}\.Arn>:\*$/),
  ];

  function stackWithEveryOption(): Stack {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', {
      allAccounts: true,
      excludeAccountIds: [MEMBER_C],
      alternateContacts: { security: SECURITY, billing: BILLING },
      primaryContact: PRIMARY_CONTACT,
      enabledRegions: ['af-south-1'],
      overrides: [{ accountId: MEMBER_A, alternateContacts: { security: OPERATIONS }, accountName: 'workload-a' }],
      coverNewAccounts: true,
      reconcileSchedule: RECONCILE,
      pruneUndeclared: true,
      removeAlternateContactsOnDelete: true,
      deployWaitsFor: DeployWaitsFor.EVERYTHING,
    });
    // And explicit accounts, listed one by one.
    new OrganizationBaseline(stack, 'Listed', { accountIds: [MEMBER_A, MEMBER_B], alternateContacts: { operations: OPERATIONS } });
    return stack;
  }

  test('every acknowledged finding has a reason', () => {
    for (const entry of ACKNOWLEDGED) expect(entry.reason.length).toBeGreaterThan(20);
  });

  test('every finding on a stack with OrganizationBaselines using every option is acknowledged', () => {
    const findings = nagFindings(stackWithEveryOption());
    expect(findings.length).toBeGreaterThan(0);
    expect(unacknowledged(findings, ACKNOWLEDGED)).toEqual([]);
  });

  test.each<[string, OrganizationBaselineProps]>([
    ['explicit accounts within the listed ARNs', { accountIds: [MEMBER_A, MEMBER_B], alternateContacts: { security: SECURITY }, enabledRegions: ['af-south-1'] }],
    ['more explicit accounts than the listed ARNs', { accountIds: accountRange(200000000000, MAX_LISTED_ARNS + 1), primaryContact: PRIMARY_CONTACT }],
    ['an OU with new accounts', { organizationalUnitIds: [OU], enabledRegions: ['af-south-1'], coverNewAccounts: true }],
  ])('every finding on a stack with %s is acknowledged too', (_case, props) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', props);
    const findings = nagFindings(stack);
    expect(findings.length).toBeGreaterThan(0);
    expect(unacknowledged(findings, ACKNOWLEDGED)).toEqual([]);
  });

  test('on the Account Management policy, listed accounts are found one by one, and more than the listed ARNs as every member account', () => {
    const accountApiFindings = (accountIds: string[]) => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', { accountIds, alternateContacts: { security: SECURITY } });
      return nagFindings(stack).filter((f) => f.path === `${AT}/AccountApiPolicy/Resource`);
    };
    const listed = accountRange(200000000000, MAX_LISTED_ARNS);
    expectSameMembers(accountApiFindings(listed), listed.map((id) => ({
      rule: 'AwsSolutions-IAM5', finding: `Resource::arn:<AWS::Partition>:account::*:account/o-*/${id}`, path: `${AT}/AccountApiPolicy/Resource`,
    })));
    expect(accountApiFindings(accountRange(200000000000, MAX_LISTED_ARNS + 1))).toEqual([
      { rule: 'AwsSolutions-IAM5', finding: 'Resource::arn:<AWS::Partition>:account::*:account/o-*/*', path: `${AT}/AccountApiPolicy/Resource` },
    ]);
  });

  test('every acknowledged finding still occurs, so no acknowledgement is stale', () => {
    expect(stale(nagFindings(stackWithEveryOption()), ACKNOWLEDGED)).toEqual([]);
  });
});
