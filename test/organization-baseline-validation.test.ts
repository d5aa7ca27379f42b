import { CfnParameter, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  AccountBaseline, AccountName, AlternateContact, AlternateContactType, DeployWaitsFor, OrganizationBaseline, OrganizationBaselineProps,
  PrimaryContact, RegionOptIn,
} from '../src';
import {
  ACCOUNT_ID_MESSAGE, BILLING, DUPLICATE_MESSAGE, EMAIL_ALLOWED, expectExactError, LENGTH_MESSAGE, MEMBER_A, MEMBER_B, MEMBER_C, newStack,
  OPERATIONS, OU, PATTERN_MESSAGE, PRIMARY_CONTACT, SECURITY, STACK_ACCOUNT, SUBSIDIARY_CONTACT,
} from './fixtures';
import {
  ACCOUNT_NAME_ALLOWED, baselineResource, DUPLICATE_OVERRIDE_MESSAGE, EXCLUDED_OVERRIDE_MESSAGE, NO_TARGETS_MESSAGE, NOTHING_TO_APPLY_MESSAGE,
  OU_MESSAGE, RECONCILE, rendered, renderedPrimary, targetsOf, UNLISTED_OVERRIDE_MESSAGE,
} from './organization-baseline-support';

/* The synthesized side of OrganizationBaseline: the props it rejects, and the settings it claims across the app. */

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
