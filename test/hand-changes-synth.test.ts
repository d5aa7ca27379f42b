import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AccountSettingsProvider, AlternateContact, AlternateContactType, OrganizationBaseline, OrganizationBaselineProps, PrimaryContact } from '../src';
import { MEMBER_A, newStack, OU, PRIMARY_CONTACT, SECURITY } from './fixtures';
import { nagFindings } from './nag';
import { propertiesOf, PROVIDER, rulesOf } from './organization-baseline-support';
import { matches, transformed } from '../local';
import { HAND_CHANGE_EVENT_NAMES } from '../src/contract';

/* The synthesized side of restoreHandChanges: the rule, its pattern and input, the permissions and the warnings. */

const SETTINGS = 'AccountSettingsProvider';
const PROPS: OrganizationBaselineProps = { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY }, restoreHandChanges: true };
const WARNING = (region: string) => 'AWS Account Management\'s CloudTrail events arrive in us-east-1; restoreHandChanges in '
  + `${region} never sees them (deploy the stack in us-east-1, or forward the events to this Region's default bus)`;

/** A template value with its tokens named: Ref as "REF:<id>", Fn::GetAtt as "ARN:<id>". */
function named(value: unknown): any {
  return JSON.parse(JSON.stringify(value, (_key, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      if (typeof v.Ref === 'string') return `REF:${v.Ref}`;
      if (Array.isArray(v['Fn::GetAtt'])) return `ARN:${v['Fn::GetAtt'][0]}`;
      if (Array.isArray(v['Fn::Join'])) return (v['Fn::Join'][1] as unknown[]).map(part => named(part)).join(v['Fn::Join'][0]);
    }
    return v;
  }));
}

function roleOf(template: Template, scope: string): string {
  const [id] = Object.keys(template.findResources('AWS::IAM::Role')).filter(logicalId => logicalId.startsWith(`${scope}HandlerServiceRole`));
  return `ARN:${id}`;
}

/** The record of an Account API write, as EventBridge delivers it. */
function record(identity: Record<string, unknown>, detail: Record<string, unknown> = {}) {
  return {
    'source': 'aws.account',
    'detail-type': 'AWS API Call via CloudTrail',
    'detail': {
      eventSource: 'account.amazonaws.com',
      eventName: 'PutAlternateContact',
      userIdentity: identity,
      requestParameters: { accountId: MEMBER_A, alternateContactType: 'SECURITY' },
      ...detail,
    },
  };
}

const OPERATOR = { type: 'IAMUser', arn: 'arn:aws:iam::111111111111:user/operator' };
const ADMIN = {
  type: 'AssumedRole',
  arn: 'arn:aws:sts::111111111111:assumed-role/Admin/someone',
  sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111111111111:role/Admin' } },
};

/** CloudTrail's record of a standalone PutAlternateContact by a user, as EventBridge delivers it: it holds the values written. */
const WRITTEN = { name: 'Somebody Else', title: 'Intern', emailAddress: 'intern@example.net' };
const RECORD = {
  'version': '0',
  'id': 'e1',
  'source': 'aws.account',
  'account': '111111111111',
  'detail-type': 'AWS API Call via CloudTrail',
  'detail': {
    eventSource: 'account.amazonaws.com',
    eventName: 'PutAlternateContact',
    userIdentity: { ...OPERATOR, accountId: '111111111111' },
    requestParameters: { alternateContactType: 'SECURITY', ...WRITTEN },
    responseElements: null,
    recipientAccountId: '111111111111',
  },
};

/** The paths the rule's input copies from the record: the ids the function reads, and nothing else. */
const EVENT_PATHS = {
  'source': '$.source',
  'id': '$.id',
  'account': '$.account',
  'detail-eventSource': '$.detail.eventSource',
  'detail-eventName': '$.detail.eventName',
  'detail-errorCode': '$.detail.errorCode',
  'detail-userIdentity-arn': '$.detail.userIdentity.arn',
  'detail-userIdentity-sessionContext-sessionIssuer-arn': '$.detail.userIdentity.sessionContext.sessionIssuer.arn',
  'detail-requestParameters-accountId': '$.detail.requestParameters.accountId',
  'detail-requestParameters-alternateContactType': '$.detail.requestParameters.alternateContactType',
  'detail-recipientAccountId': '$.detail.recipientAccountId',
};

/** What the target's input is for RECORD, as EventBridge fills the synthesized template in (its tokens named). */
function inputFor(target: any): any {
  expect(target.InputTransformer.InputPathsMap).toEqual(EVENT_PATHS);
  const input = transformed({ ...target.InputTransformer, InputTemplate: named(target.InputTransformer.InputTemplate) }, RECORD) as any;
  for (const value of Object.values(WRITTEN)) expect(JSON.stringify(input)).not.toContain(value);
  return input;
}

/** RECORD's ids, as the function receives them: `""` for what a standalone call by a user lacks. */
const RECORD_IDS = {
  source: 'aws.account',
  id: 'e1',
  account: '111111111111',
  detail: {
    eventSource: 'account.amazonaws.com',
    eventName: 'PutAlternateContact',
    errorCode: '',
    userIdentity: { arn: OPERATOR.arn, sessionContext: { sessionIssuer: { arn: '' } } },
    requestParameters: { accountId: '', alternateContactType: 'SECURITY' },
    recipientAccountId: '111111111111',
  },
};

const sessionOf = (role: string) => ({ type: 'AssumedRole', arn: 'arn:aws:sts::111111111111:assumed-role/x/y', sessionContext: { sessionIssuer: { arn: role } } });

describe('OrganizationBaseline restoreHandChanges', () => {
  test('one rule on the stack\'s provider: the Account API\'s successful writes of declared kinds, by anyone but the stack\'s functions', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', PROPS);
    // A settings provider added later: its role is excluded too.
    AccountSettingsProvider.getOrCreate(stack);
    const template = Template.fromStack(stack);
    const rules = rulesOf(stack, PROVIDER);
    expect(Object.keys(rules)).toEqual(['HandChangeRule']);
    const roles = [roleOf(template, SETTINGS), roleOf(template, PROVIDER)];
    const pattern = named(rules.HandChangeRule.EventPattern);
    const issuer = (condition: unknown) => ({ userIdentity: { sessionContext: { sessionIssuer: { arn: [condition] } } } });
    expect(pattern).toEqual({
      'source': ['aws.account'],
      'detail-type': ['AWS API Call via CloudTrail'],
      'detail': {
        eventSource: ['account.amazonaws.com'],
        eventName: ['PutAlternateContact', 'DeleteAlternateContact', 'PutContactInformation', 'PutAccountName'],
        errorCode: [{ exists: false }],
        $or: [issuer({ 'anything-but': expect.arrayContaining(roles) }), issuer({ exists: false })],
      },
    });
    expect(pattern.detail.$or[0].userIdentity.sessionContext.sessionIssuer.arn[0]['anything-but']).toHaveLength(2);

    // As EventBridge matches it: users, roles and root by hand, yes; the stack's functions, and refused calls, no.
    expect(matches(pattern, record(OPERATOR))).toBe(true);
    expect(matches(pattern, record(ADMIN))).toBe(true);
    expect(matches(pattern, record({ type: 'Root', arn: 'arn:aws:iam::111111111111:root' }, { eventName: 'DeleteAlternateContact' }))).toBe(true);
    for (const role of roles) expect(matches(pattern, record(sessionOf(role)))).toBe(false);
    expect(matches(pattern, record(OPERATOR, { errorCode: 'AccessDeniedException' }))).toBe(false);
    expect(matches(pattern, record(OPERATOR, { eventName: 'EnableRegion' }))).toBe(false);
    expect(matches(pattern, record(OPERATOR, { eventName: 'GetAlternateContact' }))).toBe(false);
  });

  test('the rule invokes the provider\'s function, retried 4 times, with the trigger, the store, the roles to ignore and the event\'s ids: never a value', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', PROPS);
    const template = Template.fromStack(stack);
    const [target] = rulesOf(stack, PROVIDER).HandChangeRule.Targets;
    expect(named(target.Arn)).toBe(`ARN:${Object.keys(template.findResources('AWS::Lambda::Function')).find(id => id.startsWith(`${PROVIDER}Handler`))}`);
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 4 });
    const storeId = Object.keys(template.findResources('AWS::S3::Bucket')).find(id => id.startsWith(`${PROVIDER}Store`));
    expect(inputFor(target)).toEqual({ Trigger: 'hand-change', Store: `REF:${storeId}`, Ignore: [roleOf(template, PROVIDER)], Event: RECORD_IDS });
    for (const value of Object.values(SECURITY)) expect(JSON.stringify(target)).not.toContain(value);
  });

  test('the property is set only when restoring: baselines deployed before the option existed are not updated by an upgrade', () => {
    const stack = newStack();
    const restoring = new OrganizationBaseline(stack, 'Restoring', PROPS);
    const quiet = new OrganizationBaseline(stack, 'Quiet', { ...PROPS, organizationalUnitIds: ['ou-ab12-cd34ef57'], restoreHandChanges: undefined });
    expect(propertiesOf(restoring).RestoreHandChanges).toBe('true');
    expect(propertiesOf(quiet)).not.toHaveProperty('RestoreHandChanges');
  });

  test('two restoring baselines share the stack\'s one rule; none without the option', () => {
    const both = newStack();
    new OrganizationBaseline(both, 'First', PROPS);
    new OrganizationBaseline(both, 'Second', { ...PROPS, organizationalUnitIds: ['ou-ab12-cd34ef57'] });
    expect(Object.keys(rulesOf(both, PROVIDER))).toEqual(['HandChangeRule']);
    const none = newStack();
    new OrganizationBaseline(none, 'Baseline', { ...PROPS, restoreHandChanges: false });
    expect(rulesOf(none, PROVIDER)).toEqual({});
  });

  test('in an eu-west-1 stack each restoring baseline warns on itself that the events arrive in us-east-1; none in us-east-1', () => {
    const stack = newStack('eu-west-1');
    new OrganizationBaseline(stack, 'First', PROPS);
    new OrganizationBaseline(stack, 'Quiet', { ...PROPS, organizationalUnitIds: ['ou-ab12-cd34ef57'], restoreHandChanges: false });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map(w => [w.id, w.entry.data]);
    expect(warnings).toEqual([['/Stack/First', expect.stringContaining(WARNING('eu-west-1'))]]);
    const east = newStack();
    new OrganizationBaseline(east, 'Baseline', PROPS);
    expect(Annotations.fromStack(east).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('cdk-nag finds nothing new', () => {
    const findings = (restoreHandChanges: boolean) => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', { ...PROPS, restoreHandChanges });
      return nagFindings(stack);
    };
    expect(findings(true)).toEqual(findings(false));
  });
});

describe('AccountSettingsProvider restoreHandChanges', () => {
  function settingsStack(restoreHandChanges?: boolean, region?: string) {
    const stack = newStack(region);
    AccountSettingsProvider.getOrCreate(stack, { restoreHandChanges });
    new AlternateContact(stack, 'Security', { accountId: MEMBER_A, type: AlternateContactType.SECURITY, ...SECURITY });
    new PrimaryContact(stack, 'Primary', { accountId: MEMBER_A, ...PRIMARY_CONTACT });
    return stack;
  }

  function accountActions(stack: ReturnType<typeof newStack>): string[] {
    const policies = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy');
    return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat())).sort();
  }

  test('a stack that opts in gets the rule on its settings function, the reads before a restoring write, and PutEvents', () => {
    const stack = settingsStack(true);
    const template = Template.fromStack(stack);
    const rules = rulesOf(stack, SETTINGS);
    expect(Object.keys(rules)).toEqual(['HandChangeRule']);
    const [target] = rules.HandChangeRule.Targets;
    expect(inputFor(target)).toEqual({ Trigger: 'hand-change', Ignore: [roleOf(template, SETTINGS)], Event: RECORD_IDS });
    expect(named(rules.HandChangeRule.EventPattern).detail.eventName).toEqual([...HAND_CHANGE_EVENT_NAMES]);
    expect(accountActions(stack)).toEqual(['account:GetAlternateContact', 'account:GetContactInformation', 'account:PutAlternateContact', 'account:PutContactInformation']);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(named(statements.filter((s: any) => s.Action === 'events:PutEvents').map((s: any) => s.Resource)))
      .toEqual(['arn:REF:AWS::Partition:events:REF:AWS::Region:REF:AWS::AccountId:event-bus/default']);
  });

  test('a stack that does not opt in has no rule, no reads and no PutEvents', () => {
    const stack = settingsStack(undefined);
    expect(rulesOf(stack, SETTINGS)).toEqual({});
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 0);
    expect(accountActions(stack)).toEqual(['account:PutAlternateContact', 'account:PutContactInformation']);
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('events:PutEvents');
  });

  test('outside us-east-1 the provider warns; cdk-nag finds nothing new', () => {
    const warnings = Annotations.fromStack(settingsStack(true, 'eu-west-1')).findWarning('*', Match.anyValue());
    expect(warnings.map(w => [w.id, w.entry.data])).toEqual([['/Stack/AccountSettingsProvider', expect.stringContaining(WARNING('eu-west-1'))]]);
    expect(Annotations.fromStack(settingsStack(true)).findWarning('*', Match.anyValue())).toEqual([]);
    expect(nagFindings(settingsStack(true))).toEqual(nagFindings(settingsStack(false)));
  });
});
