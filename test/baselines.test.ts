import { App, CfnElement, CfnParameter, Duration, Names, NestedStack, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { Construct, IConstruct } from 'constructs';
import {
  AccountBaseline,
  AccountBaselineProps,
  AlternateContact,
  AlternateContactDetails,
  AlternateContactType,
  OrganizationBaseline,
  OrganizationBaselineProps,
  PrimaryContactDetails,
  RegionOptIn,
} from '../src';
import {
  allStatements, ANY_MEMBER_ARN, asArray, DESCRIBE_ACCOUNT_STATEMENT, memberArn, STACK_READ_STATEMENT, Statement, expectNoAccountActionOnEverything,
} from './iam';
import { Acknowledged, describeAccountAcknowledgment, nagFindings, stale, unacknowledged } from './nag';

/*
 * The synthesized side of AccountBaseline and OrganizationBaseline: what each declares, its validation, the
 * organization baseline's provider, permissions, events and cdk-nag findings. The handlers are tested in
 * organization-lifecycle.test.ts.
 */

const STACK_ACCOUNT = '111111111111';
const MEMBER_A = '222222222222';
const MEMBER_B = '333333333333';
const MEMBER_C = '444444444444';
const OU = 'ou-ab12-cd34ef56';
const ENV = { account: STACK_ACCOUNT, region: 'us-east-1' };

const SECURITY: AlternateContactDetails = {
  name: 'Security Team',
  title: 'Security Operations Lead',
  emailAddress: 'security@example.com',
  phoneNumber: '+1 206-555-0100',
};
const BILLING: AlternateContactDetails = {
  name: 'Finance Department',
  title: 'Accounts Payable Manager',
  emailAddress: 'billing@example.com',
  phoneNumber: '+1 206-555-0111',
};
const OPERATIONS: AlternateContactDetails = {
  name: 'Platform Operations',
  title: 'On-call Lead',
  emailAddress: 'ops@example.com',
  phoneNumber: '+1 206-555-0122',
};
const PRIMARY_CONTACT: PrimaryContactDetails = {
  fullName: 'Cloud Platform Team',
  companyName: 'Example Corp',
  addressLine1: '410 Terry Ave N',
  city: 'Seattle',
  stateOrRegion: 'WA',
  postalCode: '98109',
  countryCode: 'US',
  phoneNumber: '+1 206-555-0199',
};

const ORGANIZATION_BASELINE_TYPE = 'Custom::AccountOrganizationBaseline';
const EMAIL_ALLOWED = 'an e-mail address (letters, digits and +=.#|!&-_ before the @, a domain with a dot after it)';
const NO_TARGETS_MESSAGE = 'An OrganizationBaseline needs targets: `accountIds`, `organizationalUnitIds` or `allAccounts: true`';
const NOTHING_TO_APPLY_MESSAGE = 'An OrganizationBaseline needs something to apply: `alternateContacts`, `overrides` or `enabledRegions`';
const PATTERN_MESSAGE = (property: string, allowed: string, value: string) => `\`${property}\` must be ${allowed}, got "${value}"`;
const ACCOUNT_ID_MESSAGE = (property: string, value: string) => PATTERN_MESSAGE(property, 'a 12-digit AWS account id', value);
const OU_MESSAGE = (value: string) => `\`organizationalUnitIds\` must hold OU ids such as "ou-ab12-cd34ef56", got "${value}"`;
const DUPLICATE_OVERRIDE_MESSAGE = (account: string) => `\`overrides\` holds account ${account} twice; declare one override per account`;
const SIZE_MESSAGE = (size: number) =>
  `The baseline is ${size} characters as an EventBridge input, more than the 8000 allowed for coverNewAccounts and reconcileSchedule; declare fewer overrides`;
const DUPLICATE_MESSAGE = (setting: string, account: string, holder: string, again: string) =>
  `The ${setting} of ${account} is already declared by ${holder}; declare each setting of an account once (${again} declares it again)`;
const NEW_ACCOUNT_WARNING_ID = 'cdk-account-management:new-account-events';
const NEW_ACCOUNT_WARNING = (region: string) =>
  `AWS Organizations and Control Tower events arrive in us-east-1; coverNewAccounts in ${region} never sees them [ack: ${NEW_ACCOUNT_WARNING_ID}]`;
/** The largest rule input, as EventBridge delivers it, that the construct accepts. */
const MAX_INPUT = 8000;
/** The account id the construct stands in for the new account's when it measures a coverNewAccounts input. */
const MEASURED_ACCOUNT_ID = '123456789012';
/** The name of the reconciliation's progress parameter of a baseline 'Baseline' in newStack(). */
const RECONCILE_PARAMETER = '/cdk-account-management/StackBaseline786F847F/ReconcileProgress';
/** What EventBridge allows for a rule target's Input or InputTemplate. */
const EVENTBRIDGE_INPUT_LIMIT = 8192;
/** The grants (accounts x account statements) a stack's handler role lists one by one before it grants every member account. */
const MAX_LISTED_GRANTS = 60;
const PARAMETER_PREFIX = '/cdk-account-management/';

const CONTACT_ACTIONS = ['account:GetAlternateContact', 'account:PutAlternateContact'];
const REGION_ACTIONS = ['account:EnableRegion', 'account:GetRegionOptStatus'];
const ORGANIZATIONS_ACTIONS = [
  'organizations:DescribeAccount',
  'organizations:ListAccounts',
  'organizations:ListAccountsForParent',
  'organizations:ListChildren',
  'organizations:ListParents',
];

// ---------------------------------------------------------------------------------------------------------------------
// Helpers

function newStack(region = 'us-east-1'): Stack {
  return new Stack(new App(), 'Stack', { env: { ...ENV, region } });
}

/** Asserts that `fn` throws an Error whose message is exactly `message` (`toThrow(string)` would accept a part of it). */
function expectExactError(fn: () => unknown, message: string): void {
  expect(fn).toThrow(new Error(message));
}

function sortByJson<T>(values: T[]): T[] {
  return [...values].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

function expectSameMembers(actual: unknown[], expected: unknown[]): void {
  expect(sortByJson(actual)).toEqual(sortByJson(expected));
}

/** The ARN the handler's calls without AccountId (the deploying account, standalone context) are authorized against. */
const STANDALONE_ARN = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':account::', { Ref: 'AWS::AccountId' }, ':account']] };

/** What the handler role is granted whenever the stack has an OrganizationBaseline, whatever its props. */
const REMOVAL_STATEMENT: Statement = { Effect: 'Allow', Action: 'account:DeleteAlternateContact', Resource: [STANDALONE_ARN, ANY_MEMBER_ARN] };
/** The Organizations reads that resolve the targets. */
const ORGANIZATIONS_STATEMENT: Statement = { Effect: 'Allow', Action: ORGANIZATIONS_ACTIONS, Resource: '*' };
/** Reads and writes of every parameter under /cdk-account-management/ of the us-east-1 stack's account and Region. */
const SSM_STATEMENT: Statement = {
  Effect: 'Allow',
  Action: ['ssm:GetParameter', 'ssm:PutParameter'],
  Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ssm:us-east-1:${STACK_ACCOUNT}:parameter/cdk-account-management/*`]] },
};
const PROVIDER_STATEMENTS = [REMOVAL_STATEMENT, STACK_READ_STATEMENT, DESCRIBE_ACCOUNT_STATEMENT, SSM_STATEMENT, ORGANIZATIONS_STATEMENT];
/** The statements of the stack that allow an Organizations action: the reads that resolve the targets, and every handler's DescribeAccount. */
const ORGANIZATIONS_STATEMENTS = [ORGANIZATIONS_STATEMENT, DESCRIBE_ACCOUNT_STATEMENT];

/**
 * The explicit name of a progress parameter: under /cdk-account-management/, then the baseline's unique name (120
 * characters at most, starting with the top-level stack's name) and the parameter's id.
 */
function parameterName(baseline: IConstruct, id: 'Progress' | 'ReconcileProgress'): string {
  return `${PARAMETER_PREFIX}${Names.uniqueResourceName(baseline, { maxLength: 120 })}/${id}`;
}

/** The logical id of the L1 resource of the construct at `path` (e.g. 'OrganizationBaselineProvider/AccountApiPolicy') under `stack`. */
function logicalIdAt(stack: Stack, path: string): string {
  let construct: IConstruct = stack;
  for (const id of path.split('/')) construct = construct.node.findChild(id);
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** The statements of the provider's AccountApiPolicy (the grants that follow the baselines' props). */
function accountApiStatements(stack: Stack, template: Template): Statement[] {
  return template.toJSON().Resources[logicalIdAt(stack, 'OrganizationBaselineProvider/AccountApiPolicy')].Properties.PolicyDocument.Statement;
}

/** The statements of the handler role's default policy (the grants of the provider itself). */
function handlerDefaultStatements(stack: Stack, template: Template): Statement[] {
  return template.toJSON().Resources[logicalIdAt(stack, 'OrganizationBaselineProvider/HandlerRole/DefaultPolicy')].Properties.PolicyDocument.Statement;
}

/** The statements that allow an action of `service` (e.g. 'account'). */
function serviceStatements(template: Template, service: string): Statement[] {
  return allStatements(template).filter((s) => asArray(s.Action).some((a) => a.startsWith(`${service}:`)));
}

/** A statement with its actions sorted and its resources as a sorted array, so that statements compare by content. */
function normalized(statement: Statement): Statement {
  return {
    ...statement,
    Action: [...asArray(statement.Action)].sort(),
    Resource: sortByJson(asArray(statement.Resource)),
    ...(statement.Condition ? { Condition: sortedCondition(statement.Condition) } : {}),
  };
}

function sortedCondition(condition: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(condition).map(([operator, keys]) => [operator,
    Object.fromEntries(Object.entries(keys).map(([key, values]) => [key, Array.isArray(values) ? [...values].sort() : values]))]));
}

/** Expects the statements to be exactly `expected`, in any order. */
function expectStatements(actual: Statement[], expected: Statement[]): void {
  expect(sortByJson(actual.map(normalized))).toEqual(sortByJson(expected.map(normalized)));
}

/** Like expectStatements, but each statement's resources must also be in the expected order (the standalone ARN first). */
function expectStatementsWithOrderedResources(actual: Statement[], expected: Statement[]): void {
  const withSortedActions = (statement: Statement) => ({
    ...statement,
    Action: [...asArray(statement.Action)].sort(),
    ...(statement.Condition ? { Condition: sortedCondition(statement.Condition) } : {}),
  });
  expect(sortByJson(actual.map(withSortedActions))).toEqual(sortByJson(expected.map(withSortedActions)));
}

/** The contact statement of a baseline: the declared types on `resources`. */
function contactStatement(resources: unknown[], types: string[]): Statement {
  return { Effect: 'Allow', Action: CONTACT_ACTIONS, Resource: resources, Condition: { 'ForAnyValue:StringEquals': { 'account:AlternateContactTypes': types } } };
}

/** The Region statement of a baseline: the declared Regions on `resources`. */
function regionStatement(resources: unknown[], regions: string[]): Statement {
  return { Effect: 'Allow', Action: REGION_ACTIONS, Resource: resources, Condition: { 'ForAnyValue:StringEquals': { 'account:TargetRegion': regions } } };
}

/** `count` account ids from `first` onward. */
function accountRange(first: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(first + i));
}

/** The logical ids and properties of the resources of `type`. */
function resourcesOf(template: Template, type: string): Array<[string, Record<string, any>]> {
  return Object.entries(template.findResources(type)).map(([id, resource]) => [id, resource.Properties ?? {}]);
}

/** The one resource of `type`: its logical id and properties. */
function onlyResource(template: Template, type: string): [string, Record<string, any>] {
  const found = resourcesOf(template, type);
  expect(found).toHaveLength(1);
  return found[0];
}

/** The logical id of the handler function whose Handler is `index.<exported>`, which must exist once. */
function handlerId(template: Template, exported: string): string {
  const found = Object.keys(template.findResources('AWS::Lambda::Function', { Properties: { Handler: `index.${exported}` } }));
  expect(found).toHaveLength(1);
  return found[0];
}

function frameworkFunctions(template: Template): Array<Record<string, any>> {
  return Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Handler: Match.stringLikeRegexp('^framework\\.') } }))
    .map((fn) => fn.Properties);
}

/** The Retry of each waiter state machine's isComplete task, parsed from its DefinitionString. */
function waiterRetries(template: Template): Array<{ IntervalSeconds: number; MaxAttempts: number; BackoffRate: number }> {
  return Object.values(template.findResources('AWS::StepFunctions::StateMachine')).map((machine) => {
    const parts: unknown[] = machine.Properties.DefinitionString['Fn::Join'][1];
    const definition = JSON.parse(parts.map((part) => typeof part === 'string' ? part : 'function-arn').join(''));
    const retries = definition.States['framework-isComplete-task'].Retry;
    expect(retries).toHaveLength(1);
    const { IntervalSeconds, MaxAttempts, BackoffRate } = retries[0];
    return { IntervalSeconds, MaxAttempts, BackoffRate };
  });
}

/**
 * A value of the template with its intrinsics replaced by values of a realistic length: the partition, the
 * account, the stack id and generated names (CFN-<logical id>-<12 characters>).
 */
function resolvedForSize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolvedForSize);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if ('Ref' in object) {
    const ref = String(object.Ref);
    if (ref === 'AWS::Partition') return 'aws';
    if (ref === 'AWS::AccountId') return STACK_ACCOUNT;
    if (ref === 'AWS::StackId') return `arn:aws:cloudformation:us-east-1:${STACK_ACCOUNT}:stack/Stack/${'0'.repeat(36)}`;
    return `CFN-${ref}-ABCDEFGHIJKL`;
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => String(resolvedForSize(part))).join(separator);
  }
  return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, resolvedForSize(inner)]));
}

/**
 * The characters IAM counts against a role's inline policies (10,240 at most, whitespace aside), for the role the
 * organization baseline's handlers run as: its AWS::IAM::Policy documents and its own inline policies.
 */
function handlerRoleInlinePolicySize(template: Template): number {
  const roleId = template.toJSON().Resources[handlerId(template, 'isComplete')].Properties.Role['Fn::GetAtt'][0];
  const documents = [
    ...Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) } }))
      .map((policy) => policy.Properties.PolicyDocument),
    ...(template.toJSON().Resources[roleId].Properties.Policies ?? []).map((inline: any) => inline.PolicyDocument),
  ];
  expect(documents.length).toBeGreaterThan(0);
  return documents.reduce((total, document) => total + JSON.stringify(resolvedForSize(document)).length, 0);
}

/** How the construct renders a contact into the custom resource's Baseline and the event inputs. */
function rendered(details: AlternateContactDetails): Record<string, string> {
  return { Name: details.name, Title: details.title, EmailAddress: details.emailAddress, PhoneNumber: details.phoneNumber };
}

/** The contacts the construct serializes, by type in its order (BILLING, OPERATIONS, SECURITY). */
function renderedByType(contacts: OrganizationBaselineProps['alternateContacts']): Record<string, Record<string, string>> {
  const byType: Array<[string, AlternateContactDetails | undefined]> = [
    ['BILLING', contacts?.billing], ['OPERATIONS', contacts?.operations], ['SECURITY', contacts?.security],
  ];
  return Object.fromEntries(byType.filter(([, details]) => details !== undefined).map(([type, details]) => [type, rendered(details!)]));
}

/** The Baseline the construct serializes, in its key order. */
function baselineOf(props: Partial<OrganizationBaselineProps>): Record<string, unknown> {
  return {
    alternateContacts: renderedByType(props.alternateContacts),
    enabledRegions: props.enabledRegions ?? [],
    overrides: Object.fromEntries((props.overrides ?? []).map((o) => [o.accountId, renderedByType(o.alternateContacts)])),
  };
}

/** The size of a coverNewAccounts rule's input as delivered (the new account's id, the targets and the baseline). */
function newAccountInputSize(props: Partial<OrganizationBaselineProps>): number {
  return JSON.stringify({ accountId: MEASURED_ACCOUNT_ID, targets: targetsOf(props), baseline: baselineOf(props) }).length;
}

/** The size of the reconcileSchedule rule's input as delivered (the parameter's name, the targets and the baseline). */
function reconcileInputSize(props: Partial<OrganizationBaselineProps>, progressParameter = RECONCILE_PARAMETER): number {
  return JSON.stringify({ progressParameter, targets: targetsOf(props), baseline: baselineOf(props) }).length;
}

/**
 * Props of an allAccounts baseline whose input is exactly `size` characters as `measure` measures it: as many
 * SECURITY overrides as fit with 1-character names, then their names lengthened (64 characters at most) to make up
 * the rest.
 */
function propsOfInputSize(size: number, measure: (props: OrganizationBaselineProps) => number): OrganizationBaselineProps {
  const propsWith = (names: string[]): OrganizationBaselineProps => ({
    allAccounts: true,
    alternateContacts: { security: SECURITY },
    overrides: names.map((name, i) => ({ accountId: String(200000000000 + i), alternateContacts: { security: { ...SECURITY, name } } })),
  });
  const names: string[] = [];
  while (measure(propsWith([...names, 'n'])) <= size) names.push('n');
  let missing = size - measure(propsWith(names));
  for (let i = 0; i < names.length && missing > 0; i++) {
    const added = Math.min(63, missing);
    names[i] += 'n'.repeat(added);
    missing -= added;
  }
  const props = propsWith(names);
  expect(measure(props)).toBe(size);
  return props;
}

/**
 * The synthesized input of each rule of the template, by the function it invokes ('onAccountEvent' or 'onSchedule'):
 * as synthesized (the InputTemplate, or the Input with the parameter name it refers to in place of its Ref), and as
 * delivered (the InputTemplate with the new account's placeholder replaced by `accountId` as a JSON string).
 */
function ruleInputs(template: Template, accountId = MEASURED_ACCOUNT_ID): Array<{ handler: string; synthesized: string; delivered: string }> {
  const names = Object.fromEntries(resourcesOf(template, 'AWS::SSM::Parameter').map(([id, p]) => [id, String(p.Name)]));
  const handlers = Object.fromEntries(['onAccountEvent', 'onSchedule'].map((name) => [handlerId(template, name), name]));
  return resourcesOf(template, 'AWS::Events::Rule').map(([, rule]) => {
    expect(rule.Targets).toHaveLength(1);
    const target = rule.Targets[0];
    const handler = handlers[target.Arn['Fn::GetAtt'][0]];
    if (target.InputTransformer) {
      const synthesized = String(target.InputTransformer.InputTemplate);
      const placeholders = Object.keys(target.InputTransformer.InputPathsMap);
      expect(placeholders).toHaveLength(1);
      expect(synthesized.split(`<${placeholders[0]}>`)).toHaveLength(2);
      return { handler, synthesized, delivered: synthesized.replace(`<${placeholders[0]}>`, JSON.stringify(accountId)) };
    }
    const synthesized = (target.Input['Fn::Join'][1] as unknown[]).map((part) => {
      if (typeof part === 'string') return part;
      const name = names[(part as { Ref: string }).Ref];
      expect(name).toBeDefined();
      return name;
    }).join('');
    return { handler, synthesized, delivered: synthesized };
  });
}

/** The Targets the construct serializes, in its key order. */
function targetsOf(props: Partial<OrganizationBaselineProps>): Record<string, unknown> {
  return {
    accountIds: props.accountIds ?? [],
    organizationalUnitIds: props.organizationalUnitIds ?? [],
    allAccounts: props.allAccounts ?? false,
    excludeAccountIds: props.excludeAccountIds ?? [],
  };
}

/** The custom resource's properties, with Targets and Baseline parsed from their JSON strings. */
function baselineResource(template: Template): { id: string; properties: Record<string, any>; targets: unknown; baseline: unknown } {
  const [id, properties] = onlyResource(template, ORGANIZATION_BASELINE_TYPE);
  expect(typeof properties.Targets).toBe('string');
  expect(typeof properties.Baseline).toBe('string');
  return { id, properties, targets: JSON.parse(properties.Targets), baseline: JSON.parse(properties.Baseline) };
}

/** `count` overrides of the SECURITY contact, for accounts 200000000000 onward. */
function manyOverrides(count: number): NonNullable<OrganizationBaselineProps['overrides']> {
  return Array.from({ length: count }, (_, i) => ({ accountId: String(200000000000 + i), alternateContacts: { security: SECURITY } }));
}

// ---------------------------------------------------------------------------------------------------------------------

describe('AccountBaseline', () => {
  const EVERY_SETTING: AccountBaselineProps = {
    accountId: MEMBER_A,
    alternateContacts: { billing: BILLING, operations: OPERATIONS, security: SECURITY },
    primaryContact: PRIMARY_CONTACT,
    accountName: 'workload-prod',
    enabledRegions: ['af-south-1', 'ap-east-1'],
    disabledRegions: ['me-south-1'],
  };

  test('declares one custom resource per setting, each for the baseline\'s accountId', () => {
    const stack = newStack();
    const baseline = new AccountBaseline(stack, 'Prod', EVERY_SETTING);
    const template = Template.fromStack(stack);

    const contacts = resourcesOf(template, 'Custom::AccountAlternateContact').map(([, p]) => p);
    expect(contacts.map((p) => p.AlternateContactType).sort()).toEqual(['BILLING', 'OPERATIONS', 'SECURITY']);
    const byType = Object.fromEntries(contacts.map((p) => [p.AlternateContactType, p]));
    for (const [type, details] of [['BILLING', BILLING], ['OPERATIONS', OPERATIONS], ['SECURITY', SECURITY]] as const) {
      expect(byType[type]).toEqual(expect.objectContaining({
        Setting: 'AlternateContact',
        AccountId: MEMBER_A,
        Name: details.name,
        Title: details.title,
        EmailAddress: details.emailAddress,
        PhoneNumber: details.phoneNumber,
      }));
    }

    const [, primary] = onlyResource(template, 'Custom::AccountPrimaryContact');
    expect(primary).toEqual(expect.objectContaining({ Setting: 'PrimaryContact', AccountId: MEMBER_A, FullName: PRIMARY_CONTACT.fullName }));
    const [, name] = onlyResource(template, 'Custom::AccountName');
    expect(name).toEqual(expect.objectContaining({ Setting: 'AccountName', AccountId: MEMBER_A, AccountName: 'workload-prod' }));

    const regions = resourcesOf(template, 'Custom::AccountRegionOptIn').map(([, p]) => [p.AccountId, p.RegionName, p.Enabled]);
    expect(sortByJson(regions)).toEqual(sortByJson([
      [MEMBER_A, 'af-south-1', 'true'],
      [MEMBER_A, 'ap-east-1', 'true'],
      [MEMBER_A, 'me-south-1', 'false'],
    ]));

    expect(baseline.alternateContacts).toHaveLength(3);
    expect(baseline.primaryContact).toBeDefined();
    expect(baseline.accountName).toBeDefined();
    expect(baseline.regions.map((r) => r.regionName)).toEqual(['af-south-1', 'ap-east-1', 'me-south-1']);
  });

  test('declares only the settings given', () => {
    const stack = newStack();
    const baseline = new AccountBaseline(stack, 'Prod', { accountId: MEMBER_A, alternateContacts: { security: SECURITY }, enabledRegions: ['af-south-1'] });
    const template = Template.fromStack(stack);

    template.resourceCountIs('Custom::AccountAlternateContact', 1);
    template.hasResourceProperties('Custom::AccountAlternateContact', { AccountId: MEMBER_A, AlternateContactType: 'SECURITY' });
    template.resourceCountIs('Custom::AccountPrimaryContact', 0);
    template.resourceCountIs('Custom::AccountName', 0);
    template.resourceCountIs('Custom::AccountRegionOptIn', 1);
    template.hasResourceProperties('Custom::AccountRegionOptIn', { AccountId: MEMBER_A, RegionName: 'af-south-1', Enabled: 'true' });
    expect(baseline.primaryContact).toBeUndefined();
    expect(baseline.accountName).toBeUndefined();
  });

  test('without accountId every setting is the deploying account\'s (no AccountId property)', () => {
    const stack = newStack();
    new AccountBaseline(stack, 'Own', { ...EVERY_SETTING, accountId: undefined });
    const template = Template.fromStack(stack);
    for (const type of ['Custom::AccountAlternateContact', 'Custom::AccountPrimaryContact', 'Custom::AccountName', 'Custom::AccountRegionOptIn']) {
      const found = resourcesOf(template, type);
      expect(found.length).toBeGreaterThan(0);
      for (const [, properties] of found) expect(properties.AccountId).toBeUndefined();
    }
  });

  test('declares nothing, not even a provider, when no setting is given', () => {
    const stack = newStack();
    const baseline = new AccountBaseline(stack, 'Empty', { accountId: MEMBER_A });
    const template = Template.fromStack(stack);
    expect(template.toJSON().Resources ?? {}).toEqual({});
    expect(baseline.alternateContacts).toEqual([]);
    expect(baseline.regions).toEqual([]);
  });

  test('the alternate contacts are deleted on removal by default, and retained with alternateContactRemovalPolicy RETAIN', () => {
    const policies = (props: Partial<AccountBaselineProps>) => {
      const stack = newStack();
      new AccountBaseline(stack, 'Prod', { accountId: MEMBER_A, alternateContacts: { billing: BILLING, security: SECURITY }, ...props });
      return Object.values(Template.fromStack(stack).findResources('Custom::AccountAlternateContact'))
        .map((r) => [r.DeletionPolicy, r.UpdateReplacePolicy]);
    };
    expect(policies({})).toEqual([['Delete', 'Delete'], ['Delete', 'Delete']]);
    expect(policies({ alternateContactRemovalPolicy: RemovalPolicy.RETAIN })).toEqual([['Retain', 'Retain'], ['Retain', 'Retain']]);
  });

  test.each<[string, AccountBaselineProps['alternateContacts'], string]>([
    ['a bad e-mail of the security contact', { security: { ...SECURITY, emailAddress: 'not-an-email' } },
      PATTERN_MESSAGE('alternateContacts.security.emailAddress', EMAIL_ALLOWED, 'not-an-email')],
    ['a bad phone number of the billing contact', { billing: { ...BILLING, phoneNumber: 'call us' } },
      PATTERN_MESSAGE('alternateContacts.billing.phoneNumber', 'digits, spaces and the characters +-() only', 'call us')],
    ['a 51-character title of the operations contact', { security: SECURITY, operations: { ...OPERATIONS, title: 't'.repeat(51) } },
      `\`alternateContacts.operations.title\` must be 1-50 characters, got 51: "${'t'.repeat(51)}"`],
  ])('%s is rejected with a message that names the contact\'s place in the props', (_case, alternateContacts, message) => {
    expectExactError(() => new AccountBaseline(newStack(), 'Prod', { accountId: MEMBER_A, alternateContacts }), message);
  });

  test('each other setting is validated as its own construct validates it', () => {
    expectExactError(
      () => new AccountBaseline(newStack(), 'Prod', { accountId: '2222', accountName: 'workload-prod' }),
      ACCOUNT_ID_MESSAGE('accountId', '2222'),
    );
    expectExactError(
      () => new AccountBaseline(newStack(), 'Prod', { accountId: MEMBER_A, disabledRegions: ['eu-west-1'] }),
      '`regionName` "eu-west-1" is enabled by default and cannot be disabled (`enabled: false`); only opt-in Regions (introduced after March 20, 2019) can be',
    );
  });

  test('two AccountBaselines of one account declaring the same contact type are an error', () => {
    const stack = newStack();
    new AccountBaseline(stack, 'First', { accountId: MEMBER_A, alternateContacts: { security: SECURITY } });
    expectExactError(
      () => new AccountBaseline(stack, 'Second', { accountId: MEMBER_A, alternateContacts: { security: SECURITY } }),
      DUPLICATE_MESSAGE('security alternate contact', `account ${MEMBER_A}`, 'Stack/First/AlternateContactSECURITY', 'Stack/Second/AlternateContactSECURITY'),
    );
  });

  test('two AccountBaselines of one account may declare different settings, and of two accounts the same ones', () => {
    const stack = newStack();
    expect(() => {
      new AccountBaseline(stack, 'Security', { accountId: MEMBER_A, alternateContacts: { security: SECURITY } });
      new AccountBaseline(stack, 'Billing', { accountId: MEMBER_A, alternateContacts: { billing: BILLING }, enabledRegions: ['af-south-1'] });
      new AccountBaseline(stack, 'Other', { accountId: MEMBER_B, alternateContacts: { security: SECURITY }, enabledRegions: ['af-south-1'] });
    }).not.toThrow();
    Template.fromStack(stack).resourceCountIs('Custom::AccountAlternateContact', 3);
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('OrganizationBaseline validation', () => {
  const VALID: OrganizationBaselineProps = { accountIds: [MEMBER_A], alternateContacts: { security: SECURITY } };

  test.each<[string, OrganizationBaselineProps, string]>([
    ['no targets at all', { alternateContacts: { security: SECURITY } }, NO_TARGETS_MESSAGE],
    ['empty target lists and allAccounts false', { accountIds: [], organizationalUnitIds: [], allAccounts: false }, NO_TARGETS_MESSAGE],
    ['only exclusions', { excludeAccountIds: [MEMBER_A] }, NO_TARGETS_MESSAGE],
    ['an 11-digit id in accountIds', { accountIds: [MEMBER_A, '12345678901'] }, ACCOUNT_ID_MESSAGE('accountIds', '12345678901')],
    ['an id with dashes in excludeAccountIds', { allAccounts: true, excludeAccountIds: ['2222-2222-2222'] },
      ACCOUNT_ID_MESSAGE('excludeAccountIds', '2222-2222-2222')],
    ['a bad overrides.accountId', { ...VALID, overrides: [{ accountId: 'prod', alternateContacts: { security: SECURITY } }] },
      ACCOUNT_ID_MESSAGE('overrides.accountId', 'prod')],
    ['a root id as OU', { organizationalUnitIds: ['r-ab12'] }, OU_MESSAGE('r-ab12')],
    ['an OU id in capitals', { organizationalUnitIds: ['OU-AB12-CD34EF56'] }, OU_MESSAGE('OU-AB12-CD34EF56')],
    ['an OU id with a short second part', { organizationalUnitIds: ['ou-ab12-cd34'] }, OU_MESSAGE('ou-ab12-cd34')],
    ['a bad Region in enabledRegions', { ...VALID, enabledRegions: ['af-south-1', 'mars'] },
      PATTERN_MESSAGE('enabledRegions', 'a Region code such as "af-south-1"', 'mars')],
    ['a bad e-mail in alternateContacts.security', { ...VALID, alternateContacts: { security: { ...SECURITY, emailAddress: 'soc.example.com' } } },
      PATTERN_MESSAGE('alternateContacts.security.emailAddress', EMAIL_ALLOWED, 'soc.example.com')],
    ['a bad phone number in alternateContacts.billing', { ...VALID, alternateContacts: { billing: { ...BILLING, phoneNumber: 'call us' } } },
      PATTERN_MESSAGE('alternateContacts.billing.phoneNumber', 'digits, spaces and the characters +-() only', 'call us')],
    ['a bad e-mail in an override', {
      ...VALID,
      overrides: [{ accountId: MEMBER_B, alternateContacts: { security: { ...SECURITY, emailAddress: 'soc@' } } }],
    }, PATTERN_MESSAGE(`overrides[${MEMBER_B}].alternateContacts.security.emailAddress`, EMAIL_ALLOWED, 'soc@')],
    ['a 65-character name in an override', {
      ...VALID,
      overrides: [{ accountId: MEMBER_B, alternateContacts: { operations: { ...OPERATIONS, name: 'n'.repeat(65) } } }],
    }, `\`overrides[${MEMBER_B}].alternateContacts.operations.name\` must be 1-64 characters, got 65: "${'n'.repeat(65)}"`],
    ['an account overridden twice', {
      ...VALID,
      overrides: [
        { accountId: MEMBER_B, alternateContacts: { security: OPERATIONS } },
        { accountId: MEMBER_C },
        { accountId: MEMBER_B, alternateContacts: { billing: BILLING } },
      ],
    }, DUPLICATE_OVERRIDE_MESSAGE(MEMBER_B)],
    ['an account overridden twice with the same override', {
      ...VALID,
      overrides: [{ accountId: MEMBER_C }, { accountId: MEMBER_C }],
    }, DUPLICATE_OVERRIDE_MESSAGE(MEMBER_C)],
  ])('rejects %s', (_case, props, message) => {
    expectExactError(() => new OrganizationBaseline(newStack(), 'Baseline', props), message);
  });

  test.each<[string, OrganizationBaselineProps]>([
    ['allAccounts alone', { allAccounts: true, alternateContacts: { security: SECURITY } }],
    ['an OU alone', { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY } }],
    ['an OU id of 32 + 32 characters', {
      organizationalUnitIds: [`ou-${'a'.repeat(32)}-${'b'.repeat(32)}`], alternateContacts: { security: SECURITY },
    }],
    ['an OU id of 4 + 8 characters', { organizationalUnitIds: ['ou-a1b2-c3d4e5f6'], alternateContacts: { security: SECURITY } }],
    ['accounts, OUs and the whole organization together, with exclusions', {
      accountIds: [MEMBER_A],
      organizationalUnitIds: [OU],
      allAccounts: true,
      excludeAccountIds: [MEMBER_B],
      alternateContacts: { security: SECURITY },
    }],
    ['every contact type, Regions and overrides', {
      ...VALID,
      alternateContacts: { billing: BILLING, operations: OPERATIONS, security: SECURITY },
      enabledRegions: ['af-south-1', 'us-east-1'],
      overrides: [{ accountId: MEMBER_B, alternateContacts: { billing: OPERATIONS } }, { accountId: MEMBER_C }],
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
      ['targets with new accounts and reconciliation, but nothing to apply', {
        allAccounts: true, coverNewAccounts: true, reconcileSchedule: Schedule.rate(Duration.hours(12)), removeAlternateContactsOnDelete: true,
      }],
      ['targets with empty alternateContacts and enabledRegions', { allAccounts: true, alternateContacts: {}, enabledRegions: [] }],
      ['an override without contacts', { allAccounts: true, overrides: [{ accountId: MEMBER_A }] }],
      ['overrides with empty alternateContacts', {
        accountIds: [MEMBER_A], alternateContacts: {}, overrides: [{ accountId: MEMBER_A, alternateContacts: {} }, { accountId: MEMBER_B }],
      }],
    ])('a baseline with %s is rejected', (_case, props) => {
      expectExactError(() => new OrganizationBaseline(newStack(), 'Baseline', props), NOTHING_TO_APPLY_MESSAGE);
    });

    test('a baseline with only enabledRegions is accepted, and declares no contact and no override', () => {
      const stack = newStack();
      expect(() => new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, enabledRegions: ['af-south-1'] })).not.toThrow();
      const { targets, baseline } = baselineResource(Template.fromStack(stack));
      expect(targets).toEqual(targetsOf({ allAccounts: true }));
      expect(baseline).toEqual({ alternateContacts: {}, enabledRegions: ['af-south-1'], overrides: {} });
    });

    test('a baseline with only an override with a contact is accepted, and declares only that override', () => {
      const stack = newStack();
      expect(() => new OrganizationBaseline(stack, 'Baseline', {
        accountIds: [MEMBER_A], overrides: [{ accountId: MEMBER_A, alternateContacts: { operations: OPERATIONS } }],
      })).not.toThrow();
      const { targets, baseline } = baselineResource(Template.fromStack(stack));
      expect(targets).toEqual(targetsOf({ accountIds: [MEMBER_A] }));
      expect(baseline).toEqual({ alternateContacts: {}, enabledRegions: [], overrides: { [MEMBER_A]: { OPERATIONS: rendered(OPERATIONS) } } });
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
      overrides: [{ accountId: token('OverrideAccount'), alternateContacts: { billing: { ...BILLING, phoneNumber: token('Phone') } } }],
    })).not.toThrow();
  });

  describe('the size of the EventBridge input', () => {
    const RECONCILE = Schedule.rate(Duration.hours(12));
    /** 100 overrides: about 10,000 characters, over the 8,000 the construct allows for a rule's input. */
    const PROPS: OrganizationBaselineProps = { allAccounts: true, alternateContacts: { security: SECURITY }, overrides: manyOverrides(100) };
    const BASELINE = {
      alternateContacts: { SECURITY: rendered(SECURITY) },
      enabledRegions: [],
      overrides: Object.fromEntries(PROPS.overrides!.map((o) => [o.accountId, { SECURITY: rendered(SECURITY) }])),
    };
    /** A coverNewAccounts input as delivered: a new account's id (12 digits), the targets and the baseline. */
    const NEW_ACCOUNT_SIZE = JSON.stringify({ accountId: '123456789012', targets: targetsOf(PROPS), baseline: BASELINE }).length;
    /** The reconcileSchedule input as delivered: the reconciliation parameter's name, the targets and the baseline. */
    const RECONCILE_SIZE = JSON.stringify({ progressParameter: RECONCILE_PARAMETER, targets: targetsOf(PROPS), baseline: BASELINE }).length;

    /** Each case: its rules, the input that reaches the limit first (the largest of them), the rules' props and how that input is measured. */
    const BOUNDARY: Array<[string, string, Partial<OrganizationBaselineProps>, (props: OrganizationBaselineProps) => number]> = [
      ['coverNewAccounts', 'the new-account input', { coverNewAccounts: true }, newAccountInputSize],
      ['reconcileSchedule', 'the reconciliation input', { reconcileSchedule: RECONCILE }, (props) => reconcileInputSize(props)],
      ['coverNewAccounts and reconcileSchedule', 'the reconciliation input', { coverNewAccounts: true, reconcileSchedule: RECONCILE },
        (props) => reconcileInputSize(props)],
    ];

    test('the baseline of this test is over the limit for either rule, and measured as the construct measures it', () => {
      expect(NEW_ACCOUNT_SIZE).toBeGreaterThan(MAX_INPUT);
      expect(newAccountInputSize(PROPS)).toBe(NEW_ACCOUNT_SIZE);
      expect(reconcileInputSize(PROPS)).toBe(RECONCILE_SIZE);
      // The two inputs differ only by their first member: the account id, or the parameter name.
      expect(RECONCILE_SIZE - NEW_ACCOUNT_SIZE).toBe(`"progressParameter":"${RECONCILE_PARAMETER}"`.length - '"accountId":"123456789012"'.length);
      expect(RECONCILE_SIZE).toBeGreaterThan(NEW_ACCOUNT_SIZE);
    });

    test.each<[string, Partial<OrganizationBaselineProps>, number]>([
      ['coverNewAccounts', { coverNewAccounts: true }, NEW_ACCOUNT_SIZE],
      ['reconcileSchedule', { reconcileSchedule: RECONCILE }, RECONCILE_SIZE],
      // Both inputs are over: the coverNewAccounts rules are made, and their input checked, first.
      ['coverNewAccounts and reconcileSchedule', { coverNewAccounts: true, reconcileSchedule: RECONCILE }, NEW_ACCOUNT_SIZE],
    ])('a baseline too large for an EventBridge input is rejected with %s, naming the size of the input', (_case, extra, size) => {
      expectExactError(() => new OrganizationBaseline(newStack(), 'Baseline', { ...PROPS, ...extra }), SIZE_MESSAGE(size));
    });

    test.each(BOUNDARY)('with %s, %s one character over the limit (8,001) is rejected, naming its size', (_case, _input, extra, measure) => {
      const props = propsOfInputSize(MAX_INPUT + 1, measure);
      if (extra.coverNewAccounts && extra.reconcileSchedule) {
        // The new-account input is within the limit: the reconciliation input alone is over it.
        expect(newAccountInputSize(props)).toBeLessThanOrEqual(MAX_INPUT);
      }
      expectExactError(() => new OrganizationBaseline(newStack(), 'Baseline', { ...props, ...extra }), SIZE_MESSAGE(MAX_INPUT + 1));
    });

    test.each(BOUNDARY)('with %s, %s at the limit (8,000) is accepted, is delivered as measured, and each rule input fits EventBridge\'s 8,192',
      (_case, _input, extra, measure) => {
        const stack = newStack();
        const props = { ...propsOfInputSize(MAX_INPUT, measure), ...extra };
        expect(() => new OrganizationBaseline(stack, 'Baseline', props)).not.toThrow();
        const template = Template.fromStack(stack);

        if (props.reconcileSchedule) {
          // The parameter the reconciliation input names is the one measured.
          expect(resourcesOf(template, 'AWS::SSM::Parameter').map(([, p]) => p.Name)).toContain(RECONCILE_PARAMETER);
          expect(RECONCILE_PARAMETER).toBe(parameterName(stack.node.findChild('Baseline'), 'ReconcileProgress'));
        }
        const inputs = ruleInputs(template);
        expectSameMembers(inputs.map(({ handler, delivered }) => ({ handler, size: delivered.length })), [
          ...(props.coverNewAccounts ? [1, 2].map(() => ({ handler: 'onAccountEvent', size: newAccountInputSize(props) })) : []),
          ...(props.reconcileSchedule ? [{ handler: 'onSchedule', size: reconcileInputSize(props) }] : []),
        ]);
        // The largest input delivered is exactly the limit.
        expect(Math.max(...inputs.map(({ delivered }) => delivered.length))).toBe(MAX_INPUT);
        for (const { handler, synthesized, delivered } of inputs) {
          expect(Object.keys(JSON.parse(delivered))).toEqual([handler === 'onSchedule' ? 'progressParameter' : 'accountId', 'targets', 'baseline']);
          expect(synthesized.length).toBeLessThanOrEqual(EVENTBRIDGE_INPUT_LIMIT);
        }
      });

    test('each rule\'s input is checked on its own: a baseline may fit coverNewAccounts and not reconcileSchedule', () => {
      const props = propsOfInputSize(MAX_INPUT, newAccountInputSize);
      const reconcileSize = reconcileInputSize(props);
      expect(reconcileSize).toBeGreaterThan(MAX_INPUT);

      const stack = newStack();
      expect(() => new OrganizationBaseline(stack, 'Baseline', { ...props, coverNewAccounts: true })).not.toThrow();
      expect(ruleInputs(Template.fromStack(stack)).map(({ delivered }) => delivered.length)).toEqual([MAX_INPUT, MAX_INPUT]);
      expectExactError(() => new OrganizationBaseline(newStack(), 'Baseline', { ...props, reconcileSchedule: RECONCILE }), SIZE_MESSAGE(reconcileSize));
      expectExactError(
        () => new OrganizationBaseline(newStack(), 'Baseline', { ...props, coverNewAccounts: true, reconcileSchedule: RECONCILE }),
        SIZE_MESSAGE(reconcileSize),
      );
    });

    test('the reconciliation input is measured with the parameter name it delivers, which holds the stack name', () => {
      const props = { ...propsOfInputSize(MAX_INPUT, (p) => reconcileInputSize(p)), reconcileSchedule: RECONCILE };
      expect(() => new OrganizationBaseline(newStack(), 'Baseline', props)).not.toThrow();

      // The same app deployed as Stack2: the baseline's unique name in the parameter name starts with the stack name, so
      // the input is one character longer.
      const renamedParameter = '/cdk-account-management/Stack2Baseline89713D6B/ReconcileProgress';
      const probe = new Construct(new Stack(new App(), 'Stack', { env: ENV, stackName: 'Stack2' }), 'Baseline');
      expect(parameterName(probe, 'ReconcileProgress')).toBe(renamedParameter);
      expect(reconcileInputSize(props, renamedParameter)).toBe(MAX_INPUT + 1);
      const renamed = new Stack(new App(), 'Stack', { env: ENV, stackName: 'Stack2' });
      expectExactError(() => new OrganizationBaseline(renamed, 'Baseline', props), SIZE_MESSAGE(MAX_INPUT + 1));
    });

    test('without coverNewAccounts and reconcileSchedule the same baseline is accepted: it goes only into the custom resource', () => {
      const stack = newStack();
      expect(() => new OrganizationBaseline(stack, 'Baseline', PROPS)).not.toThrow();
      const { baseline } = baselineResource(Template.fromStack(stack));
      expect(Object.keys((baseline as any).overrides)).toHaveLength(100);
      Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 0);
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('OrganizationBaseline custom resource', () => {
  test('300 accounts are one custom resource, whose Targets list them all', () => {
    const stack = newStack();
    const accountIds = Array.from({ length: 300 }, (_, i) => String(200000000000 + i));
    new OrganizationBaseline(stack, 'Baseline', { accountIds, alternateContacts: { security: SECURITY } });
    const template = Template.fromStack(stack);

    template.resourceCountIs(ORGANIZATION_BASELINE_TYPE, 1);
    expect(baselineResource(template).targets).toEqual(targetsOf({ accountIds }));
    for (const type of ['Custom::AccountAlternateContact', 'Custom::AccountRegionOptIn']) template.resourceCountIs(type, 0);
  });

  test('Targets and Baseline are JSON strings of exactly the targets, contacts by type, Regions and overrides by account', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', {
      accountIds: [MEMBER_A],
      organizationalUnitIds: [OU],
      excludeAccountIds: [MEMBER_C],
      alternateContacts: { billing: BILLING, operations: OPERATIONS, security: SECURITY },
      enabledRegions: ['af-south-1', 'ap-east-1'],
      overrides: [
        { accountId: MEMBER_A, alternateContacts: { security: OPERATIONS } },
        { accountId: MEMBER_B, alternateContacts: { billing: SECURITY, operations: BILLING } },
        { accountId: MEMBER_C },
      ],
    });
    const { properties, targets, baseline } = baselineResource(Template.fromStack(stack));

    expect(targets).toEqual({ accountIds: [MEMBER_A], organizationalUnitIds: [OU], allAccounts: false, excludeAccountIds: [MEMBER_C] });
    expect(baseline).toEqual({
      alternateContacts: {
        BILLING: { Name: 'Finance Department', Title: 'Accounts Payable Manager', EmailAddress: 'billing@example.com', PhoneNumber: '+1 206-555-0111' },
        OPERATIONS: { Name: 'Platform Operations', Title: 'On-call Lead', EmailAddress: 'ops@example.com', PhoneNumber: '+1 206-555-0122' },
        SECURITY: { Name: 'Security Team', Title: 'Security Operations Lead', EmailAddress: 'security@example.com', PhoneNumber: '+1 206-555-0100' },
      },
      enabledRegions: ['af-south-1', 'ap-east-1'],
      overrides: {
        [MEMBER_A]: { SECURITY: rendered(OPERATIONS) },
        [MEMBER_B]: { BILLING: rendered(SECURITY), OPERATIONS: rendered(BILLING) },
        [MEMBER_C]: {},
      },
    });
    expect(Object.keys(properties).sort()).toEqual(['Baseline', 'ProgressParameter', 'RemoveOnDelete', 'ServiceToken', 'Targets']);
  });

  test.each<[string, boolean | undefined, string]>([
    ['"false" by default', undefined, 'false'],
    ['"false" with removeAlternateContactsOnDelete false', false, 'false'],
    ['"true" with removeAlternateContactsOnDelete true', true, 'true'],
  ])('RemoveOnDelete is %s', (_case, removeAlternateContactsOnDelete, expected) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY }, removeAlternateContactsOnDelete });
    expect(baselineResource(Template.fromStack(stack)).properties.RemoveOnDelete).toBe(expected);
  });

  test('ProgressParameter is a Ref to the baseline\'s own SSM parameter, a String whose value is {}, named under /cdk-account-management/<stack name>/', () => {
    const stack = newStack();
    const baseline = new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY } });
    const template = Template.fromStack(stack);
    const [parameterId, parameter] = onlyResource(template, 'AWS::SSM::Parameter');

    expect(baselineResource(template).properties.ProgressParameter).toEqual({ Ref: parameterId });
    expect(parameter).toEqual({
      Type: 'String',
      Value: '{}',
      Name: '/cdk-account-management/StackBaseline786F847F/Progress',
      Description: 'cdk-account-management: where the organization baseline\'s last pass stopped (no contact values)',
    });
    expect(parameter.Name).toBe(parameterName(baseline, 'Progress'));
  });

  test('the progress parameter\'s name holds at most 120 characters of the baseline\'s unique name, and stays unique', () => {
    const stack = newStack();
    let scope: IConstruct = stack;
    for (let i = 0; i < 8; i++) scope = new Construct(scope, `AVeryLongConstructIdentifierAtDepth${i}`);
    const first = new OrganizationBaseline(scope, 'First', { accountIds: [MEMBER_A], alternateContacts: { security: SECURITY } });
    const second = new OrganizationBaseline(scope, 'Second', { accountIds: [MEMBER_B], alternateContacts: { security: SECURITY } });
    const names = resourcesOf(Template.fromStack(stack), 'AWS::SSM::Parameter').map(([, p]) => String(p.Name));

    expectSameMembers(names, [parameterName(first, 'Progress'), parameterName(second, 'Progress')]);
    expect(new Set(names).size).toBe(2);
    for (const name of names) {
      const [, prefix, unique, id] = /^\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(name)!;
      expect([prefix, id]).toEqual(['cdk-account-management', 'Progress']);
      expect(unique.startsWith('Stack')).toBe(true);
      // The path is more than 120 characters long, so the unique name is cut to exactly 120.
      expect(unique).toHaveLength(120);
    }
  });

  test('the same app deployed under two stack names gets different parameter names, which start with the stack name', () => {
    const namesIn = (stackName: string) => {
      const stack = new Stack(new App(), 'Stack', { env: ENV, stackName });
      const baseline = new OrganizationBaseline(stack, 'Baseline', {
        allAccounts: true, alternateContacts: { security: SECURITY }, reconcileSchedule: Schedule.rate(Duration.hours(12)),
      });
      const names = resourcesOf(Template.fromStack(stack), 'AWS::SSM::Parameter').map(([, p]) => String(p.Name));
      expectSameMembers(names, [parameterName(baseline, 'Progress'), parameterName(baseline, 'ReconcileProgress')]);
      return names;
    };
    const production = namesIn('baselines-production');
    const staging = namesIn('baselines-staging');

    // The baseline's unique name starts with the stack name of its top-level stack too (and its hash covers it).
    expectSameMembers(production, [
      '/cdk-account-management/baselinesproductionBaselineCD0E81FD/Progress',
      '/cdk-account-management/baselinesproductionBaselineCD0E81FD/ReconcileProgress',
    ]);
    expectSameMembers(staging, [
      '/cdk-account-management/baselinesstagingBaseline40E2F1F5/Progress',
      '/cdk-account-management/baselinesstagingBaseline40E2F1F5/ReconcileProgress',
    ]);
    expect(production.filter((name) => staging.includes(name))).toEqual([]);
  });

  test('the custom resource waits for the handler\'s Account Management policy, and the handlers for the role\'s default policy', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { accountIds: [MEMBER_A], alternateContacts: { security: SECURITY } });
    const template = Template.fromStack(stack);
    const policy = Object.keys(template.findResources('AWS::IAM::Policy', {
      Properties: { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: CONTACT_ACTIONS })]) } },
    }));
    expect(policy).toEqual([logicalIdAt(stack, 'OrganizationBaselineProvider/AccountApiPolicy')]);
    const resource = Object.values(template.findResources(ORGANIZATION_BASELINE_TYPE))[0];
    expect(resource.DependsOn).toEqual(expect.arrayContaining(policy));
    // The default policy holds the SSM, Organizations, stack-read and removal grants.
    const defaultPolicy = logicalIdAt(stack, 'OrganizationBaselineProvider/HandlerRole/DefaultPolicy');
    for (const name of ['onEvent', 'isComplete', 'onAccountEvent', 'onSchedule']) {
      expect(template.toJSON().Resources[handlerId(template, name)].DependsOn).toContain(defaultPolicy);
    }
  });

  test('attrApplied, attrUnchanged and attrRegionsPending are the Applied, Unchanged and RegionsPending attributes', () => {
    const stack = newStack();
    const baseline = new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY } });
    const id = baselineResource(Template.fromStack(stack)).id;
    expect(stack.resolve(baseline.attrApplied)).toEqual({ 'Fn::GetAtt': [id, 'Applied'] });
    expect(stack.resolve(baseline.attrUnchanged)).toEqual({ 'Fn::GetAtt': [id, 'Unchanged'] });
    expect(stack.resolve(baseline.attrRegionsPending)).toEqual({ 'Fn::GetAtt': [id, 'RegionsPending'] });
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('the per-stack provider of organization baselines', () => {
  function stackWithTwoBaselines(): { stack: Stack; first: OrganizationBaseline; second: OrganizationBaseline } {
    const stack = newStack();
    const first = new OrganizationBaseline(stack, 'Workloads', { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY } });
    const second = new OrganizationBaseline(stack, 'Sandbox', { accountIds: [MEMBER_A], enabledRegions: ['af-south-1'] });
    return { stack, first, second };
  }

  test('two baselines share one provider: one function per handler, Node.js 22 on arm64, 15 minutes each', () => {
    const { stack, first, second } = stackWithTwoBaselines();
    const template = Template.fromStack(stack);

    template.resourceCountIs(ORGANIZATION_BASELINE_TYPE, 2);
    const handlers = ['onEvent', 'isComplete', 'onAccountEvent', 'onSchedule'].map((name) => handlerId(template, name));
    const functions = template.toJSON().Resources;
    for (const id of handlers) {
      expect(functions[id].Properties).toEqual(expect.objectContaining({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Timeout: 900 }));
    }
    expect(functions[handlerId(template, 'isComplete')].Properties.Timeout).toBe(900);
    // The four share one role.
    expect(new Set(handlers.map((id) => JSON.stringify(functions[id].Properties.Role))).size).toBe(1);
    // Both custom resources are served by the same framework function.
    const tokens = resourcesOf(template, ORGANIZATION_BASELINE_TYPE).map(([, p]) => JSON.stringify(p.ServiceToken));
    expect(new Set(tokens).size).toBe(1);
    expect(first.handler).toBe(second.handler);
    expect(stack.resolve(first.handler.functionArn)).toEqual({ 'Fn::GetAtt': [handlerId(template, 'isComplete'), 'Arn'] });
    // The framework's onEvent, isComplete and onTimeout, and one waiter.
    expect(frameworkFunctions(template).map((fn) => fn.Handler).sort()).toEqual(['framework.isComplete', 'framework.onEvent', 'framework.onTimeout']);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs('AWS::Lambda::Function', 7);
  });

  test('each baseline has its own progress parameter, named after the baseline', () => {
    const { stack, first, second } = stackWithTwoBaselines();
    const template = Template.fromStack(stack);
    const parameters = resourcesOf(template, 'AWS::SSM::Parameter');
    const progress = resourcesOf(template, ORGANIZATION_BASELINE_TYPE).map(([, p]) => p.ProgressParameter);
    expect(parameters).toHaveLength(2);
    expectSameMembers(progress, parameters.map(([id]) => ({ Ref: id })));
    expectSameMembers(parameters.map(([, p]) => p.Name), [
      '/cdk-account-management/StackWorkloadsF5A22B21/Progress',
      '/cdk-account-management/StackSandbox2721CD51/Progress',
    ]);
    expectSameMembers(parameters.map(([, p]) => p.Name), [parameterName(first, 'Progress'), parameterName(second, 'Progress')]);
  });

  test('the waiter state machine polls every 10 seconds, for at most one hour', () => {
    const template = Template.fromStack(stackWithTwoBaselines().stack);
    expect(waiterRetries(template)).toEqual([{ IntervalSeconds: 10, MaxAttempts: 360, BackoffRate: 1 }]);
  });

  test('the provider framework\'s functions log only FATAL, so that they never log the contacts in ResourceProperties', () => {
    const framework = frameworkFunctions(Template.fromStack(stackWithTwoBaselines().stack));
    expect(framework).toHaveLength(3);
    for (const fn of framework) expect(fn.LoggingConfig).toEqual(expect.objectContaining({ ApplicationLogLevel: 'FATAL', LogFormat: 'JSON' }));
  });

  test('the handlers log JSON at INFO into log groups kept for a year', () => {
    const template = Template.fromStack(stackWithTwoBaselines().stack);
    const functions = template.toJSON().Resources;
    for (const name of ['onEvent', 'isComplete', 'onAccountEvent', 'onSchedule']) {
      const config = functions[handlerId(template, name)].Properties.LoggingConfig;
      expect(config).toEqual(expect.objectContaining({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' }));
      expect(functions[config.LogGroup.Ref].Properties.RetentionInDays).toBe(365);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('OrganizationBaseline permissions', () => {
  test('with explicit accountIds the account statements list exactly those accounts and the deploying account, for the declared types and Regions', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', {
      accountIds: [MEMBER_A, MEMBER_B],
      alternateContacts: { security: SECURITY },
      enabledRegions: ['af-south-1', 'ap-east-1'],
      overrides: [{ accountId: MEMBER_B, alternateContacts: { billing: BILLING } }],
    });
    const template = Template.fromStack(stack);
    const resources = [STANDALONE_ARN, memberArn(MEMBER_A), memberArn(MEMBER_B)];

    expectStatementsWithOrderedResources(accountApiStatements(stack, template), [
      contactStatement(resources, ['BILLING', 'SECURITY']),
      regionStatement(resources, ['af-south-1', 'ap-east-1']),
    ]);
    // Besides them, only the provider's removal statement allows an account action.
    expectStatements(serviceStatements(template, 'account'), [
      contactStatement(resources, ['BILLING', 'SECURITY']),
      regionStatement(resources, ['af-south-1', 'ap-east-1']),
      REMOVAL_STATEMENT,
    ]);
  });

  test('a baseline without contacts has no contact statement, and one without Regions no Region statement', () => {
    const contactsOnly = newStack();
    new OrganizationBaseline(contactsOnly, 'Baseline', { accountIds: [MEMBER_A], alternateContacts: { operations: OPERATIONS } });
    expectStatementsWithOrderedResources(accountApiStatements(contactsOnly, Template.fromStack(contactsOnly)), [
      contactStatement([STANDALONE_ARN, memberArn(MEMBER_A)], ['OPERATIONS']),
    ]);

    const regionsOnly = newStack();
    new OrganizationBaseline(regionsOnly, 'Baseline', { accountIds: [MEMBER_A], enabledRegions: ['me-south-1'] });
    expectStatementsWithOrderedResources(accountApiStatements(regionsOnly, Template.fromStack(regionsOnly)), [
      regionStatement([STANDALONE_ARN, memberArn(MEMBER_A)], ['me-south-1']),
    ]);
  });

  test.each<[string, Partial<OrganizationBaselineProps>]>([
    ['organizationalUnitIds', { organizationalUnitIds: [OU] }],
    ['allAccounts', { allAccounts: true }],
    ['allAccounts with accountIds too', { allAccounts: true, accountIds: [MEMBER_A] }],
    ['organizationalUnitIds with accountIds too', { organizationalUnitIds: [OU], accountIds: [MEMBER_A, MEMBER_B] }],
  ])('with %s the targets are resolved at deploy time: the deploying account and every member account (o-*/*), still narrowed by the conditions', (_case, targets) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { ...targets, alternateContacts: { security: SECURITY }, enabledRegions: ['af-south-1'] });
    const template = Template.fromStack(stack);

    expectStatementsWithOrderedResources(accountApiStatements(stack, template), [
      contactStatement([STANDALONE_ARN, ANY_MEMBER_ARN], ['SECURITY']),
      regionStatement([STANDALONE_ARN, ANY_MEMBER_ARN], ['af-south-1']),
    ]);
    expectStatements(serviceStatements(template, 'organizations'), ORGANIZATIONS_STATEMENTS);
  });

  describe('the provider\'s own grants, whatever the props', () => {
    const CASES: Array<[string, OrganizationBaselineProps]> = [
      ['explicit accountIds only, without removal', { accountIds: [MEMBER_A], alternateContacts: { security: SECURITY } }],
      ['explicit accountIds with removeAlternateContactsOnDelete false', {
        accountIds: [MEMBER_A], enabledRegions: ['af-south-1'], removeAlternateContactsOnDelete: false,
      }],
      ['allAccounts with removal, new accounts and reconciliation', {
        allAccounts: true,
        alternateContacts: { security: SECURITY },
        removeAlternateContactsOnDelete: true,
        coverNewAccounts: true,
        reconcileSchedule: Schedule.rate(Duration.hours(12)),
      }],
      ['organizationalUnitIds without removal', { organizationalUnitIds: [OU], alternateContacts: { billing: BILLING } }],
    ];

    test.each(CASES)('with %s the handler role\'s default policy holds exactly the removal, stack read, DescribeAccount, SSM and Organizations statements', (_case, props) => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', props);
      const template = Template.fromStack(stack);
      expectStatementsWithOrderedResources(handlerDefaultStatements(stack, template), PROVIDER_STATEMENTS);
      // And no other policy of the stack repeats them.
      expectStatements(allStatements(template).filter((s) => asArray(s.Action).includes('account:DeleteAlternateContact')), [REMOVAL_STATEMENT]);
      expectStatements(serviceStatements(template, 'cloudformation'), [STACK_READ_STATEMENT]);
      expectStatements(serviceStatements(template, 'ssm'), [SSM_STATEMENT]);
      expectStatements(serviceStatements(template, 'organizations'), ORGANIZATIONS_STATEMENTS);
    });

    test('the removal statement allows DeleteAlternateContact alone, on exactly the deploying account and every member account', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', { accountIds: [MEMBER_A], alternateContacts: { security: SECURITY } });
      const removal = allStatements(Template.fromStack(stack)).filter((s) => asArray(s.Action).includes('account:DeleteAlternateContact'));
      expect(removal).toEqual([{
        Effect: 'Allow',
        Action: 'account:DeleteAlternateContact',
        Resource: [
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':account::', { Ref: 'AWS::AccountId' }, ':account']] },
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':account::*:account/o-*/*']] },
        ],
      }]);
    });

    test('several baselines add each of the provider\'s statements once', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Workloads', { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY }, removeAlternateContactsOnDelete: true });
      new OrganizationBaseline(stack, 'Everyone', { allAccounts: true, alternateContacts: { billing: BILLING }, reconcileSchedule: Schedule.rate(Duration.hours(1)) });
      new OrganizationBaseline(stack, 'Sandbox', { accountIds: [MEMBER_A], enabledRegions: ['af-south-1'] });
      const template = Template.fromStack(stack);
      expectStatementsWithOrderedResources(handlerDefaultStatements(stack, template), PROVIDER_STATEMENTS);
      expect(serviceStatements(template, 'organizations')).toHaveLength(ORGANIZATIONS_STATEMENTS.length);
    });

    test('a stack without an OrganizationBaseline has none of them, but the settings handler\'s DescribeAccount', () => {
      const stack = newStack();
      new AccountBaseline(stack, 'Prod', { accountId: MEMBER_A, alternateContacts: { security: SECURITY } });
      const template = Template.fromStack(stack);
      expect(serviceStatements(template, 'ssm')).toEqual([]);
      expect(serviceStatements(template, 'organizations')).toEqual([DESCRIBE_ACCOUNT_STATEMENT]);
    });

    test('SSM reads and writes are allowed on the /cdk-account-management/ parameters only, and every progress parameter is under it', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Workloads', {
        organizationalUnitIds: [OU], alternateContacts: { security: SECURITY }, reconcileSchedule: Schedule.rate(Duration.hours(12)),
      });
      new OrganizationBaseline(stack, 'Sandbox', { accountIds: [MEMBER_A], alternateContacts: { billing: BILLING } });
      const template = Template.fromStack(stack);
      const names = resourcesOf(template, 'AWS::SSM::Parameter').map(([, p]) => String(p.Name));
      expect(names).toHaveLength(3); // two progress parameters and one for the reconciliation

      // One statement, of exactly the two actions, on the prefix: no per-parameter grant.
      expect(serviceStatements(template, 'ssm')).toEqual([SSM_STATEMENT]);
      for (const name of names) {
        const arn = `arn:aws:ssm:us-east-1:${STACK_ACCOUNT}:parameter${name}`;
        expect(arn.startsWith(`arn:aws:ssm:us-east-1:${STACK_ACCOUNT}:parameter/cdk-account-management/`)).toBe(true);
      }
    });

    test('in an environment-agnostic stack the SSM grant takes the Region and account from the stack', () => {
      const stack = new Stack(new App(), 'Agnostic');
      new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY } });
      expect(serviceStatements(Template.fromStack(stack), 'ssm')).toEqual([{
        Effect: 'Allow',
        Action: ['ssm:GetParameter', 'ssm:PutParameter'],
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' },
            ':parameter/cdk-account-management/*']],
        },
      }]);
    });
  });

  describe('how many explicit accounts are listed', () => {
    test(`${MAX_LISTED_GRANTS} listed grants stay listed: 30 accounts with a contact and a Region statement`, () => {
      const stack = newStack();
      const accountIds = accountRange(200000000000, 30);
      new OrganizationBaseline(stack, 'Baseline', { accountIds, alternateContacts: { security: SECURITY }, enabledRegions: ['af-south-1'] });
      const resources = [STANDALONE_ARN, ...accountIds.map(memberArn)];
      expectStatementsWithOrderedResources(accountApiStatements(stack, Template.fromStack(stack)), [
        contactStatement(resources, ['SECURITY']),
        regionStatement(resources, ['af-south-1']),
      ]);
    });

    test(`${MAX_LISTED_GRANTS} accounts with one statement stay listed, ${MAX_LISTED_GRANTS + 1} get every member account`, () => {
      const listed = newStack();
      const sixty = accountRange(200000000000, MAX_LISTED_GRANTS);
      new OrganizationBaseline(listed, 'Baseline', { accountIds: sixty, alternateContacts: { security: SECURITY } });
      expectStatementsWithOrderedResources(accountApiStatements(listed, Template.fromStack(listed)), [
        contactStatement([STANDALONE_ARN, ...sixty.map(memberArn)], ['SECURITY']),
      ]);

      const anyMember = newStack();
      new OrganizationBaseline(anyMember, 'Baseline', { accountIds: accountRange(200000000000, MAX_LISTED_GRANTS + 1), alternateContacts: { security: SECURITY } });
      expectStatementsWithOrderedResources(accountApiStatements(anyMember, Template.fromStack(anyMember)), [
        contactStatement([STANDALONE_ARN, ANY_MEMBER_ARN], ['SECURITY']),
      ]);
    });

    test('31 accounts with a contact and a Region statement (62 grants) get every member account in both statements', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', {
        accountIds: accountRange(200000000000, 31), alternateContacts: { billing: BILLING }, enabledRegions: ['ap-east-1'],
      });
      expectStatementsWithOrderedResources(accountApiStatements(stack, Template.fromStack(stack)), [
        contactStatement([STANDALONE_ARN, ANY_MEMBER_ARN], ['BILLING']),
        regionStatement([STANDALONE_ARN, ANY_MEMBER_ARN], ['ap-east-1']),
      ]);
    });

    test(`a second baseline that pushes the stack past ${MAX_LISTED_GRANTS} listed grants gets every member account; the first stays listed`, () => {
      const stack = newStack();
      const first = accountRange(200000000000, 30);
      new OrganizationBaseline(stack, 'First', { accountIds: first, alternateContacts: { security: SECURITY }, enabledRegions: ['af-south-1'] });
      new OrganizationBaseline(stack, 'Second', { accountIds: [MEMBER_A], alternateContacts: { billing: BILLING } });
      const firstResources = [STANDALONE_ARN, ...first.map(memberArn)];
      expectStatementsWithOrderedResources(accountApiStatements(stack, Template.fromStack(stack)), [
        contactStatement(firstResources, ['SECURITY']),
        regionStatement(firstResources, ['af-south-1']),
        contactStatement([STANDALONE_ARN, ANY_MEMBER_ARN], ['BILLING']),
      ]);
    });

    test('the total counts each baseline\'s statements: 59 + 1 grants stay listed, 59 + 2 do not', () => {
      const fits = newStack();
      const first = accountRange(200000000000, 59);
      new OrganizationBaseline(fits, 'First', { accountIds: first, alternateContacts: { security: SECURITY } });
      new OrganizationBaseline(fits, 'Second', { accountIds: [MEMBER_A], enabledRegions: ['af-south-1'] });
      expectStatementsWithOrderedResources(accountApiStatements(fits, Template.fromStack(fits)), [
        contactStatement([STANDALONE_ARN, ...first.map(memberArn)], ['SECURITY']),
        regionStatement([STANDALONE_ARN, memberArn(MEMBER_A)], ['af-south-1']),
      ]);

      const over = newStack();
      new OrganizationBaseline(over, 'First', { accountIds: first, alternateContacts: { security: SECURITY } });
      new OrganizationBaseline(over, 'Second', { accountIds: [MEMBER_A], alternateContacts: { billing: BILLING }, enabledRegions: ['af-south-1'] });
      expectStatementsWithOrderedResources(accountApiStatements(over, Template.fromStack(over)), [
        contactStatement([STANDALONE_ARN, ...first.map(memberArn)], ['SECURITY']),
        contactStatement([STANDALONE_ARN, ANY_MEMBER_ARN], ['BILLING']),
        regionStatement([STANDALONE_ARN, ANY_MEMBER_ARN], ['af-south-1']),
      ]);
    });

    test('only listed grants count: after a baseline that did not fit, and after OU or allAccounts baselines, a small one is still listed', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Organization', { allAccounts: true, accountIds: accountRange(300000000000, 40), alternateContacts: { billing: BILLING } });
      new OrganizationBaseline(stack, 'Unit', { organizationalUnitIds: [OU], accountIds: accountRange(400000000000, 40), enabledRegions: ['ap-east-1'] });
      const first = accountRange(200000000000, 59);
      new OrganizationBaseline(stack, 'First', { accountIds: first, alternateContacts: { security: SECURITY } });
      new OrganizationBaseline(stack, 'TooMany', { accountIds: [MEMBER_A, MEMBER_B], alternateContacts: { operations: OPERATIONS } });
      new OrganizationBaseline(stack, 'Last', { accountIds: [MEMBER_C], enabledRegions: ['me-south-1'] });
      expectStatementsWithOrderedResources(accountApiStatements(stack, Template.fromStack(stack)), [
        contactStatement([STANDALONE_ARN, ANY_MEMBER_ARN], ['BILLING']),
        regionStatement([STANDALONE_ARN, ANY_MEMBER_ARN], ['ap-east-1']),
        contactStatement([STANDALONE_ARN, ...first.map(memberArn)], ['SECURITY']),
        contactStatement([STANDALONE_ARN, ANY_MEMBER_ARN], ['OPERATIONS']),
        regionStatement([STANDALONE_ARN, memberArn(MEMBER_C)], ['me-south-1']),
      ]);
    });

    test(`the limit is per stack: two stacks of one app list ${MAX_LISTED_GRANTS} grants each`, () => {
      const app = new App();
      const stacks = [200000000000, 300000000000].map((first, i) => {
        const stack = new Stack(app, `Stack${i}`, { env: ENV });
        const accountIds = accountRange(first, MAX_LISTED_GRANTS);
        new OrganizationBaseline(stack, 'Baseline', { accountIds, alternateContacts: { security: SECURITY } });
        return { stack, accountIds };
      });
      for (const { stack, accountIds } of stacks) {
        expectStatementsWithOrderedResources(accountApiStatements(stack, Template.fromStack(stack)), [
          contactStatement([STANDALONE_ARN, ...accountIds.map(memberArn)], ['SECURITY']),
        ]);
      }
    });
  });

  test('300 explicit accounts keep the handler role\'s inline policies within IAM\'s 10,240 characters, and every account is still allowed', () => {
    const stack = newStack();
    const accountIds = accountRange(200000000000, 300);
    new OrganizationBaseline(stack, 'Baseline', { accountIds, alternateContacts: { security: SECURITY }, enabledRegions: ['af-south-1'] });
    const template = Template.fromStack(stack);

    expect(handlerRoleInlinePolicySize(template)).toBeLessThanOrEqual(10240);
    expectStatementsWithOrderedResources(accountApiStatements(stack, template), [
      contactStatement([STANDALONE_ARN, ANY_MEMBER_ARN], ['SECURITY']),
      regionStatement([STANDALONE_ARN, ANY_MEMBER_ARN], ['af-south-1']),
    ]);
  });

  test('15 baselines of 10 accounts each, with Regions, reconciliation and removal, keep the inline policies within 10,240 characters', () => {
    const stack = newStack();
    for (let i = 0; i < 15; i++) {
      new OrganizationBaseline(stack, `Baseline${i}`, {
        accountIds: accountRange(200000000000 + 10 * i, 10),
        alternateContacts: { security: SECURITY },
        enabledRegions: ['af-south-1'],
        reconcileSchedule: Schedule.rate(Duration.hours(12)),
        removeAlternateContactsOnDelete: true,
      });
    }
    const template = Template.fromStack(stack);
    expect(handlerRoleInlinePolicySize(template)).toBeLessThanOrEqual(10240);
    // The first three baselines (3 x 10 accounts x 2 statements = 60 grants) are listed; the other twelve grant every
    // member account, in statements identical to each other, which the policy document holds once.
    const listed = Array.from({ length: 3 }, (_, i) => [STANDALONE_ARN, ...accountRange(200000000000 + 10 * i, 10).map(memberArn)]);
    expectStatementsWithOrderedResources(accountApiStatements(stack, template), [
      ...listed.flatMap((resources) => [contactStatement(resources, ['SECURITY']), regionStatement(resources, ['af-south-1'])]),
      contactStatement([STANDALONE_ARN, ANY_MEMBER_ARN], ['SECURITY']),
      regionStatement([STANDALONE_ARN, ANY_MEMBER_ARN], ['af-south-1']),
    ]);
  });

  test('no statement allows an account action on *, account:*, or with NotResource', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', {
      allAccounts: true, alternateContacts: { security: SECURITY }, enabledRegions: ['af-south-1'], removeAlternateContactsOnDelete: true,
    });
    const statements = serviceStatements(Template.fromStack(stack), 'account');
    expectNoAccountActionOnEverything(statements);
  });

  test('every account statement of the Account Management policy carries its condition', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Everyone', { allAccounts: true, alternateContacts: { security: SECURITY }, enabledRegions: ['af-south-1'] });
    new OrganizationBaseline(stack, 'Many', { accountIds: accountRange(200000000000, 100), alternateContacts: { billing: BILLING } });
    const statements = accountApiStatements(stack, Template.fromStack(stack));
    expect(statements).toHaveLength(3);
    for (const statement of statements) {
      const key = asArray(statement.Action).includes('account:PutAlternateContact') ? 'account:AlternateContactTypes' : 'account:TargetRegion';
      expect(Object.keys(statement.Condition?.['ForAnyValue:StringEquals'] ?? {})).toEqual([key]);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('coverNewAccounts', () => {
  const PROPS: OrganizationBaselineProps = {
    organizationalUnitIds: [OU],
    excludeAccountIds: [MEMBER_C],
    alternateContacts: { security: SECURITY },
    enabledRegions: ['af-south-1'],
    overrides: [{ accountId: MEMBER_A, alternateContacts: { security: OPERATIONS } }],
    coverNewAccounts: true,
  };
  const TARGETS = targetsOf(PROPS);
  const BASELINE = {
    alternateContacts: { SECURITY: rendered(SECURITY) },
    enabledRegions: ['af-south-1'],
    overrides: { [MEMBER_A]: { SECURITY: rendered(OPERATIONS) } },
  };

  /** Each event: its pattern and where the new account's id is. */
  const EVENTS: Array<[string, Record<string, unknown>, string]> = [
    ['CreateAccountResult', {
      source: ['aws.organizations'],
      detail: { eventName: ['CreateAccountResult'], serviceEventDetails: { createAccountStatus: { state: ['SUCCEEDED'] } } },
    }, '$.detail.serviceEventDetails.createAccountStatus.accountId'],
    ['CreateManagedAccount', {
      source: ['aws.controltower'],
      detail: { eventName: ['CreateManagedAccount'], serviceEventDetails: { createManagedAccountStatus: { state: ['SUCCEEDED'] } } },
    }, '$.detail.serviceEventDetails.createManagedAccountStatus.account.accountId'],
  ];

  function rules(template: Template): Array<Record<string, any>> {
    return resourcesOf(template, 'AWS::Events::Rule').map(([, p]) => p);
  }

  test('two rules match exactly the events of an account created in the organization (no AcceptHandshake rule)', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', PROPS);
    const patterns = rules(Template.fromStack(stack)).map((rule) => rule.EventPattern);
    expect(sortByJson(patterns)).toEqual(sortByJson(EVENTS.map(([, pattern]) => pattern)));
    expect(patterns.map((pattern) => JSON.stringify(pattern)).filter((pattern) => pattern.includes('AcceptHandshake'))).toEqual([]);
  });

  test.each(EVENTS)('the %s rule invokes onAccountEvent with the account id, the targets and the baseline', (eventName, pattern, path) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', PROPS);
    const template = Template.fromStack(stack);
    const rule = rules(template).find((r) => JSON.stringify(r.EventPattern) === JSON.stringify(pattern))!;
    expect(rule.Description).toBe(`cdk-account-management: apply the organization baseline to accounts from ${eventName}`);
    expect(rule.Targets).toHaveLength(1);
    const target = rule.Targets[0];

    expect(target.Arn).toEqual({ 'Fn::GetAtt': [handlerId(template, 'onAccountEvent'), 'Arn'] });
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 4 });
    const paths: Record<string, string> = target.InputTransformer.InputPathsMap;
    expect(Object.values(paths)).toEqual([path]);
    const [placeholder] = Object.keys(paths);
    // The template is JSON once its <placeholder> (replaced by the event's value) is quoted.
    const input = JSON.parse(String(target.InputTransformer.InputTemplate).replace(`<${placeholder}>`, '"ACCOUNT_ID"'));
    expect(input).toEqual({ accountId: 'ACCOUNT_ID', targets: TARGETS, baseline: BASELINE });
  });

  test('the event inputs carry the same targets and baseline as the custom resource', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', PROPS);
    const { targets, baseline } = baselineResource(Template.fromStack(stack));
    expect(targets).toEqual(TARGETS);
    expect(baseline).toEqual(BASELINE);
  });

  test('onAccountEvent may be invoked by each of the two rules', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', PROPS);
    const template = Template.fromStack(stack);
    const ruleIds = resourcesOf(template, 'AWS::Events::Rule').map(([id]) => id);
    expect(ruleIds).toHaveLength(2);
    const permissions = resourcesOf(template, 'AWS::Lambda::Permission').map(([, p]) => p);
    expectSameMembers(permissions, ruleIds.map((id) => ({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [handlerId(template, 'onAccountEvent'), 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [id, 'Arn'] },
    })));
  });

  test('without coverNewAccounts there is no rule', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { ...PROPS, coverNewAccounts: undefined });
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 0);
  });

  test('in an eu-west-1 stack the baseline warns that the events arrive only in us-east-1', () => {
    const stack = newStack('eu-west-1');
    new OrganizationBaseline(stack, 'Baseline', PROPS);
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findWarning('*', Match.anyValue()).map((w) => [w.id, w.entry.data])).toEqual([
      ['/Stack/Baseline', NEW_ACCOUNT_WARNING('eu-west-1')],
    ]);
    // The rules are still made as asked.
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 2);
  });

  test('each baseline with coverNewAccounts warns on itself, once', () => {
    const stack = newStack('ap-southeast-2');
    new OrganizationBaseline(stack, 'First', PROPS);
    new OrganizationBaseline(stack, 'Second', { ...PROPS, overrides: undefined });
    new OrganizationBaseline(stack, 'Quiet', { ...PROPS, coverNewAccounts: false });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => [w.id, w.entry.data]);
    expectSameMembers(warnings, [
      ['/Stack/First', NEW_ACCOUNT_WARNING('ap-southeast-2')],
      ['/Stack/Second', NEW_ACCOUNT_WARNING('ap-southeast-2')],
    ]);
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
    enabledRegions: ['ap-east-1'],
    reconcileSchedule: Schedule.rate(Duration.hours(12)),
  };

  test('a scheduled rule invokes onSchedule with the targets, the baseline and the reconciliation\'s own progress parameter', () => {
    const stack = newStack();
    const baseline = new OrganizationBaseline(stack, 'Baseline', PROPS);
    const template = Template.fromStack(stack);
    const [, rule] = onlyResource(template, 'AWS::Events::Rule');
    const { properties } = baselineResource(template);

    expect(rule.ScheduleExpression).toBe('rate(12 hours)');
    expect(rule.EventPattern).toBeUndefined();
    expect(rule.Targets).toHaveLength(1);
    const target = rule.Targets[0];
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [handlerId(template, 'onSchedule'), 'Arn'] });

    // The input is JSON joined around the Ref of the parameter.
    const parts: unknown[] = target.Input['Fn::Join'][1];
    const input = JSON.parse(parts.map((part) => typeof part === 'string' ? part : `REF:${(part as { Ref: string }).Ref}`).join(''));
    const parameters = resourcesOf(template, 'AWS::SSM::Parameter').map(([id]) => id);
    expect(parameters).toHaveLength(2);
    const reconcile = parameters.find((id) => id !== properties.ProgressParameter.Ref)!;
    expect(input).toEqual({
      progressParameter: `REF:${reconcile}`,
      targets: targetsOf(PROPS),
      baseline: { alternateContacts: { BILLING: rendered(BILLING) }, enabledRegions: ['ap-east-1'], overrides: {} },
    });
    expect(template.toJSON().Resources[reconcile].Properties).toEqual({
      Type: 'String',
      Value: '{}',
      Name: '/cdk-account-management/StackBaseline786F847F/ReconcileProgress',
      Description: 'cdk-account-management: where the scheduled reconciliation\'s last pass stopped (no contact values)',
    });
    expect(template.toJSON().Resources[reconcile].Properties.Name).toBe(parameterName(baseline, 'ReconcileProgress'));
    expect(template.toJSON().Resources[properties.ProgressParameter.Ref].Properties.Name).toBe(parameterName(baseline, 'Progress'));
  });

  test('a cron schedule is kept as given', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { ...PROPS, reconcileSchedule: Schedule.cron({ minute: '0', hour: '3' }) });
    expect(onlyResource(Template.fromStack(stack), 'AWS::Events::Rule')[1].ScheduleExpression).toBe('cron(0 3 * * ? *)');
  });

  test('without reconcileSchedule there is no scheduled rule and no reconciliation parameter', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { ...PROPS, reconcileSchedule: undefined, coverNewAccounts: true });
    const template = Template.fromStack(stack);
    expect(resourcesOf(template, 'AWS::Events::Rule').filter(([, p]) => p.ScheduleExpression !== undefined)).toEqual([]);
    template.resourceCountIs('AWS::SSM::Parameter', 1);
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('cdk-nag AwsSolutions checks', () => {

  const PROVIDER = 'Stack/OrganizationBaselineProvider';
  const FRAMEWORK_FUNCTION = 'framework-(onEvent|isComplete|onTimeout)';

  const ACKNOWLEDGED: Acknowledged[] = [
    {
      rule: 'AwsSolutions-IAM4',
      finding: 'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      path: `${PROVIDER}/HandlerRole/Resource`,
      reason: 'AWSLambdaBasicExecutionRole grants only logs:CreateLogGroup, logs:CreateLogStream and logs:PutLogEvents, '
        + 'which the onEvent, isComplete, onAccountEvent and onSchedule handlers need to write their logs',
    },
    {
      rule: 'AwsSolutions-IAM4',
      finding: 'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      path: new RegExp(`^${PROVIDER}/Provider/${FRAMEWORK_FUNCTION}/ServiceRole/Resource$`),
      reason: 'the Provider framework gives its onEvent, isComplete and onTimeout functions AWSLambdaBasicExecutionRole, '
        + 'which grants only the CloudWatch Logs actions they need to write their logs',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: 'Resource::arn:<AWS::Partition>:account::*:account/o-*/*',
      path: `${PROVIDER}/AccountApiPolicy/Resource`,
      reason: 'with allAccounts or organizationalUnitIds the target accounts are resolved at deploy time through AWS '
        + 'Organizations, and the ARN\'s management account and organization ids are unknown at synth; explicit accounts '
        + 'beyond the stack\'s 60 listed grants are not listed either, as more ARNs would outgrow IAM\'s 10,240 characters '
        + 'of inline policy per role; the statements allow only Get/PutAlternateContact narrowed by '
        + 'account:AlternateContactTypes to the declared contact types, and GetRegionOptStatus/EnableRegion narrowed by '
        + 'account:TargetRegion to the declared Regions',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: /^Resource::arn:<AWS::Partition>:account::\*:account\/o-\*\/\d{12}$/,
      path: `${PROVIDER}/AccountApiPolicy/Resource`,
      reason: 'an explicit account listed by its id: the ARN of a member account embeds the management account and '
        + 'organization ids, unknown at synth, hence their wildcards; the account id itself is exact, and the statements '
        + 'allow only the declared contact types and Regions (account:AlternateContactTypes, account:TargetRegion)',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: 'Resource::arn:<AWS::Partition>:account::*:account/o-*/*',
      path: `${PROVIDER}/HandlerRole/DefaultPolicy/Resource`,
      reason: 'removal: CloudFormation updates the policies before the cleanup-phase Delete of a removed baseline, so '
        + 'DeleteAlternateContact is granted on every member account (their management account and organization ids are '
        + 'unknown at synth) for as long as the provider exists, whatever the props; the handler deletes only for a '
        + 'baseline with removeAlternateContactsOnDelete that its stack no longer declares, and the statement allows '
        + 'only account:DeleteAlternateContact',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: `Resource::arn:<AWS::Partition>:ssm:us-east-1:${STACK_ACCOUNT}:parameter/cdk-account-management/*`,
      path: `${PROVIDER}/HandlerRole/DefaultPolicy/Resource`,
      reason: 'the baselines\' progress parameters share the /cdk-account-management/ prefix so that the grant outlives any '
        + 'one baseline (CloudFormation updates the policies before a removed baseline\'s last pass); the statement '
        + 'allows only ssm:GetParameter and ssm:PutParameter, in the stack\'s own account and Region, on parameters '
        + 'that hold where a pass stopped and no contact values',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: 'Resource::*',
      path: `${PROVIDER}/HandlerRole/DefaultPolicy/Resource`,
      reason: 'the Organizations reads that resolve the targets, granted for as long as the provider exists (CloudFormation '
        + 'updates the policies before the Delete of a removed baseline): ListAccounts supports no resource-level '
        + 'permission, and ListAccountsForParent, ListChildren, ListParents and DescribeAccount take account/OU/root ARNs '
        + 'that embed the management account and organization ids (unknown at synth) of OUs and accounts discovered at '
        + 'deploy time; the statement holds only these five read-only actions',
    },
    describeAccountAcknowledgment(`${PROVIDER}/HandlerRole/DefaultPolicy/Resource`),
    {
      rule: 'AwsSolutions-IAM5',
      finding: /^Resource::<OrganizationBaselineProvider(OnEvent|IsComplete)[0-9A-F]{8}\.Arn>:\*$/,
      path: new RegExp(`^${PROVIDER}/Provider/${FRAMEWORK_FUNCTION}/ServiceRole/DefaultPolicy/Resource$`),
      reason: 'the Provider framework lets its functions invoke any version or alias (<fn arn>:*) of the provider\'s own '
        + 'onEvent and isComplete handlers, nothing else',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: /^Resource::<OrganizationBaselineProviderframework(isComplete|onTimeout)[0-9A-F]{8}\.Arn>:\*$/,
      path: `${PROVIDER}/Provider/waiter-state-machine/Role/DefaultPolicy/Resource`,
      reason: 'the Provider framework\'s waiter state machine may invoke any version or alias (<fn arn>:*) of the '
        + 'framework\'s own isComplete and onTimeout functions, nothing else',
    },
    {
      rule: 'AwsSolutions-L1',
      finding: '',
      path: new RegExp(`^${PROVIDER}/(OnEvent|IsComplete|AccountEvent|Reconcile)/Resource$`),
      reason: 'the handlers are bundled by esbuild for node22 and pinned to Node.js 22; a newer runtime is a deliberate '
        + 'change of the bundle target and the runtime together',
    },
    {
      rule: 'AwsSolutions-L1',
      finding: '',
      path: new RegExp(`^${PROVIDER}/Provider/${FRAMEWORK_FUNCTION}/Resource$`),
      reason: 'the Provider framework functions\' runtime is chosen by aws-cdk-lib and cannot be set through Provider',
    },
    {
      rule: 'AwsSolutions-SF1',
      finding: '',
      path: `${PROVIDER}/Provider/waiter-state-machine/Resource`,
      reason: 'the Provider framework\'s waiter: its logging is off so that execution data (the resource properties, '
        + 'which hold the contacts) are not logged, and the isComplete handler logs every pass itself',
    },
    {
      rule: 'AwsSolutions-SF2',
      finding: '',
      path: `${PROVIDER}/Provider/waiter-state-machine/Resource`,
      reason: 'the Provider framework\'s waiter is a poll loop of one Lambda task; X-Ray tracing adds nothing that the '
        + 'isComplete handler\'s log of every pass does not show',
    },
  ];

  function stackWithOrganizationBaseline(): Stack {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', {
      allAccounts: true,
      excludeAccountIds: [MEMBER_C],
      alternateContacts: { security: SECURITY, billing: BILLING },
      enabledRegions: ['af-south-1'],
      overrides: [{ accountId: MEMBER_A, alternateContacts: { security: OPERATIONS } }],
      coverNewAccounts: true,
      reconcileSchedule: Schedule.rate(Duration.hours(12)),
      removeAlternateContactsOnDelete: true,
    });
    // And explicit accounts, listed one by one.
    new OrganizationBaseline(stack, 'Listed', { accountIds: [MEMBER_A, MEMBER_B], alternateContacts: { operations: OPERATIONS } });
    return stack;
  }

  test('every acknowledged finding has a reason', () => {
    for (const entry of ACKNOWLEDGED) expect(entry.reason.length).toBeGreaterThan(20);
  });

  test('every finding on a stack with an OrganizationBaseline using every option is acknowledged', () => {
    const findings = nagFindings(stackWithOrganizationBaseline());
    expect(findings.length).toBeGreaterThan(0);
    expect(unacknowledged(findings, ACKNOWLEDGED)).toEqual([]);
  });

  test.each<[string, OrganizationBaselineProps]>([
    ['explicit accounts within the listed grants', { accountIds: [MEMBER_A, MEMBER_B], alternateContacts: { security: SECURITY }, enabledRegions: ['af-south-1'] }],
    ['more explicit accounts than the listed grants', { accountIds: accountRange(200000000000, MAX_LISTED_GRANTS + 1), alternateContacts: { security: SECURITY } }],
    ['an OU with new accounts', { organizationalUnitIds: [OU], enabledRegions: ['af-south-1'], coverNewAccounts: true }],
  ])('every finding on a stack with %s is acknowledged too', (_case, props) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', props);
    const findings = nagFindings(stack);
    expect(findings.length).toBeGreaterThan(0);
    expect(unacknowledged(findings, ACKNOWLEDGED)).toEqual([]);
  });

  test('on the Account Management policy, listed accounts are found one by one and more than the listed grants as every member account', () => {
    const accountApiFindings = (accountIds: string[]) => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', { accountIds, alternateContacts: { security: SECURITY } });
      return nagFindings(stack).filter((f) => f.path === `${PROVIDER}/AccountApiPolicy/Resource`);
    };
    const listed = accountRange(200000000000, MAX_LISTED_GRANTS);
    expectSameMembers(accountApiFindings(listed), listed.map((id) => ({
      rule: 'AwsSolutions-IAM5', finding: `Resource::arn:<AWS::Partition>:account::*:account/o-*/${id}`, path: `${PROVIDER}/AccountApiPolicy/Resource`,
    })));
    expect(accountApiFindings(accountRange(200000000000, MAX_LISTED_GRANTS + 1))).toEqual([
      { rule: 'AwsSolutions-IAM5', finding: 'Resource::arn:<AWS::Partition>:account::*:account/o-*/*', path: `${PROVIDER}/AccountApiPolicy/Resource` },
    ]);
  });

  test('every acknowledged finding still occurs, so no acknowledgement is stale', () => {
    const findings = nagFindings(stackWithOrganizationBaseline());
    expect(stale(findings, ACKNOWLEDGED)).toEqual([]);
  });
});

test('an OrganizationBaseline in a nested stack synthesizes, its parameter named after the top-level stack', () => {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const nested = new NestedStack(stack, 'Nested');
  const baseline = new OrganizationBaseline(nested, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY } });
  const names = resourcesOf(Template.fromStack(nested), 'AWS::SSM::Parameter').map(([, p]) => String(p.Name));
  expect(names).toEqual([parameterName(baseline, 'Progress')]);
  expect(names[0].startsWith('/cdk-account-management/StackNested')).toBe(true);
});

describe('declarations that meet', () => {
  test('AccountBaseline names the primary contact field and the Region list in its messages', () => {
    expectExactError(() => new AccountBaseline(newStack(), 'Baseline', {
      primaryContact: { fullName: 'x', addressLine1: 'a', city: 'c', countryCode: 'US', phoneNumber: '+1 206', postalCode: '98109' },
    }), '`primaryContact.stateOrRegion` is required when `primaryContact.countryCode` is one of US, CA, GB, DE, JP, IN, BR, '
      + 'got countryCode "US" and no stateOrRegion');
    expectExactError(() => new AccountBaseline(newStack(), 'Baseline', { enabledRegions: ['af-south-1'], disabledRegions: ['af-south-1'] }),
      '`disabledRegions` holds "af-south-1", which `enabledRegions` already holds; list each Region once, in one of the two');
    expectExactError(() => new AccountBaseline(newStack(), 'Baseline', { enabledRegions: ['af-south-1', 'af-south-1'] }),
      '`enabledRegions` holds "af-south-1", which `enabledRegions` already holds; list each Region once, in one of the two');
    expectExactError(() => new AccountBaseline(newStack(), 'Baseline', { enabledRegions: ['mars'] }),
      '`enabledRegions` must be a Region code such as "af-south-1", got "mars"');
  });

  test('an OrganizationBaseline and a single-setting construct that set the same setting of an explicit account are an error', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { accountIds: [MEMBER_A], alternateContacts: { security: SECURITY }, enabledRegions: ['af-south-1'] });
    expectExactError(() => new AlternateContact(stack, 'Security', { ...SECURITY, type: AlternateContactType.SECURITY, accountId: MEMBER_A }),
      `The security alternate contact of account ${MEMBER_A} is already declared by Stack/Baseline; declare each setting of an account once (Stack/Security declares it again)`);
    expectExactError(() => new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1', accountId: MEMBER_A }),
      `The Region af-south-1 of account ${MEMBER_A} is already declared by Stack/Baseline; declare each setting of an account once (Stack/CapeTown declares it again)`);
    // Another type, an excluded account, and accounts resolved at deploy time are not compared.
    new AlternateContact(stack, 'Billing', { ...SECURITY, type: AlternateContactType.BILLING, accountId: MEMBER_A });
    new OrganizationBaseline(stack, 'Excluding', { accountIds: [MEMBER_B], excludeAccountIds: [MEMBER_B], alternateContacts: { operations: OPERATIONS } });
    new AlternateContact(stack, 'Operations', { ...OPERATIONS, type: AlternateContactType.OPERATIONS, accountId: MEMBER_B });
    new OrganizationBaseline(stack, 'Everyone', { allAccounts: true, alternateContacts: { security: SECURITY } });
  });
});
