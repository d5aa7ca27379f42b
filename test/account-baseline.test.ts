import { RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AccountBaseline, AccountBaselineProps } from '../src';
import {
  ACCOUNT_ID_MESSAGE, BILLING, DUPLICATE_MESSAGE, EMAIL_ALLOWED, expectExactError, MEMBER_A, MEMBER_B, newStack, onlyResource, OPERATIONS,
  PATTERN_MESSAGE, PRIMARY_CONTACT, resourcesOf, SECURITY, sortByJson,
} from './fixtures';
import { allStatements, asArray, DESCRIBE_ACCOUNT_STATEMENT } from './iam';

/*
 * The synthesized side of AccountBaseline: one construct per setting, each made by the construct of that
 * setting (whose own tests cover its provider, permissions and cdk-nag findings), and the baseline's own
 * validation. The handlers are tested in settings-lifecycle.test.ts and region-lifecycle.test.ts.
 */

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

  test('names the primary contact field and the Region list in its messages', () => {
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

  test('makes none of an OrganizationBaseline\'s resources: no store, no rule, no Organizations reads but the settings handler\'s DescribeAccount', () => {
    const stack = newStack();
    new AccountBaseline(stack, 'Prod', { accountId: MEMBER_A, alternateContacts: { security: SECURITY }, primaryContact: PRIMARY_CONTACT });
    const template = Template.fromStack(stack);
    for (const type of ['Custom::AccountOrganizationBaseline', 'AWS::S3::Bucket', 'AWS::Events::Rule', 'AWS::StepFunctions::StateMachine']) {
      template.resourceCountIs(type, 0);
    }
    expect(stack.node.tryFindChild('OrganizationBaselineProvider')).toBeUndefined();
    const statements = allStatements(template);
    expect(statements.filter((s) => asArray(s.Action).some((a) => a.startsWith('organizations:')))).toEqual([DESCRIBE_ACCOUNT_STATEMENT]);
    expect(statements.filter((s) => asArray(s.Action).some((a) => /^(s3|events|states):/.test(a)))).toEqual([]);
  });
});
