import { App, CfnParameter, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccountName,
  AccountNameProps,
  AlternateContact,
  AlternateContactProps,
  AlternateContactType,
  PrimaryContact,
  PrimaryContactProps,
} from '../src';

const ENV = { account: '111111111111', region: 'us-east-1' };

const ALTERNATE_CONTACT: AlternateContactProps = {
  type: AlternateContactType.SECURITY,
  name: 'Security Team',
  title: 'Security',
  emailAddress: 'security@example.com',
  phoneNumber: '+1 206-555-0100',
};

const PRIMARY_CONTACT: PrimaryContactProps = {
  fullName: 'Cloud Platform Team',
  companyName: 'Example Corp',
  addressLine1: '410 Terry Ave N',
  city: 'Seattle',
  stateOrRegion: 'WA',
  postalCode: '98109',
  countryCode: 'US',
  phoneNumber: '+1 206-555-0100',
};

const ACCOUNT_NAME: AccountNameProps = { accountName: 'workload-prod' };

const EMAIL_MESSAGE = 'an e-mail address (letters, digits and +=.#|!&-_ before the @, a domain with a dot after it)';
const ALTERNATE_PHONE_MESSAGE = 'digits, spaces and the characters +-() only';
const PRIMARY_PHONE_MESSAGE = 'a + and the country code followed by digits, spaces and the characters -() only (e.g. "+1 206-555-0100")';
const COUNTRY_CODE_MESSAGE = 'an ISO-3166 two-letter country code in capitals (e.g. "US")';
const ACCOUNT_NAME_MESSAGE = 'printable ASCII characters other than < and >';
const STATE_REQUIRED = (countryCode: string) =>
  `\`stateOrRegion\` is required when \`countryCode\` is one of US, CA, GB, DE, JP, IN, BR, got countryCode "${countryCode}" and no stateOrRegion`;

/** The message a length check throws. */
function lengthMessage(property: string, min: number, max: number, value: string): string {
  return `\`${property}\` must be ${min}-${max} characters, got ${value.length}: "${value}"`;
}

/** The message a pattern check throws. */
function patternMessage(property: string, allowed: string, value: string): string {
  return `\`${property}\` must be ${allowed}, got "${value}"`;
}

/** An e-mail address of exactly `length` characters that matches the API's pattern. */
function emailOfLength(length: number): string {
  const domain = '@example.com';
  return 'a'.repeat(length - domain.length) + domain;
}

function newStack(): Stack {
  return new Stack(new App(), 'Stack', { env: ENV });
}

/**
 * Asserts that `fn` throws an Error whose message is exactly `message` (`toThrow(string)` alone would
 * accept any message that contains it).
 */
function expectExactError(fn: () => unknown, message: string): void {
  expect(fn).toThrow(new Error(message));
}

describe('AlternateContact validation', () => {
  test.each<[string, Partial<AlternateContactProps>, string]>([
    ['an 11-digit accountId', { accountId: '12345678901' },
      patternMessage('accountId', 'a 12-digit AWS account id', '12345678901')],
    ['a 13-digit accountId', { accountId: '1234567890123' },
      patternMessage('accountId', 'a 12-digit AWS account id', '1234567890123')],
    ['an accountId with a letter', { accountId: '12345678901a' },
      patternMessage('accountId', 'a 12-digit AWS account id', '12345678901a')],
    ['an accountId with dashes', { accountId: '1111-2222-3333' },
      patternMessage('accountId', 'a 12-digit AWS account id', '1111-2222-3333')],
    ['an accountId with a trailing newline', { accountId: '111111111111\n' },
      patternMessage('accountId', 'a 12-digit AWS account id', '111111111111\n')],
    ['an empty accountId', { accountId: '' },
      patternMessage('accountId', 'a 12-digit AWS account id', '')],
    ['an empty name', { name: '' }, lengthMessage('name', 1, 64, '')],
    ['a 65-character name', { name: 'n'.repeat(65) }, lengthMessage('name', 1, 64, 'n'.repeat(65))],
    ['an empty title', { title: '' }, lengthMessage('title', 1, 50, '')],
    ['a 51-character title', { title: 't'.repeat(51) }, lengthMessage('title', 1, 50, 't'.repeat(51))],
    ['an empty emailAddress', { emailAddress: '' }, lengthMessage('emailAddress', 1, 254, '')],
    ['a 255-character emailAddress', { emailAddress: emailOfLength(255) },
      lengthMessage('emailAddress', 1, 254, emailOfLength(255))],
    ['an emailAddress without @', { emailAddress: 'security.example.com' },
      patternMessage('emailAddress', EMAIL_MESSAGE, 'security.example.com')],
    ['an emailAddress whose domain has no dot', { emailAddress: 'security@example' },
      patternMessage('emailAddress', EMAIL_MESSAGE, 'security@example')],
    ['an emailAddress with two @', { emailAddress: 'security@@example.com' },
      patternMessage('emailAddress', EMAIL_MESSAGE, 'security@@example.com')],
    ['an emailAddress with a space inside', { emailAddress: 'security team@example.com' },
      patternMessage('emailAddress', EMAIL_MESSAGE, 'security team@example.com')],
    ['two emailAddresses', { emailAddress: 'security@example.com,ops@example.com' },
      patternMessage('emailAddress', EMAIL_MESSAGE, 'security@example.com,ops@example.com')],
    ['an emailAddress with a display name', { emailAddress: 'Security <security@example.com>' },
      patternMessage('emailAddress', EMAIL_MESSAGE, 'Security <security@example.com>')],
    ['an empty phoneNumber', { phoneNumber: '' }, lengthMessage('phoneNumber', 1, 25, '')],
    ['a 26-character phoneNumber', { phoneNumber: '1'.repeat(26) }, lengthMessage('phoneNumber', 1, 25, '1'.repeat(26))],
    ['a phoneNumber with dots', { phoneNumber: '+1.206.555.0100' },
      patternMessage('phoneNumber', ALTERNATE_PHONE_MESSAGE, '+1.206.555.0100')],
    ['a phoneNumber with an extension', { phoneNumber: '+1 206-555-0100 ext 12' },
      patternMessage('phoneNumber', ALTERNATE_PHONE_MESSAGE, '+1 206-555-0100 ext 12')],
    ['a phoneNumber with #', { phoneNumber: '+1 206-555-0100#2' },
      patternMessage('phoneNumber', ALTERNATE_PHONE_MESSAGE, '+1 206-555-0100#2')],
    ['removalPolicy SNAPSHOT', { removalPolicy: RemovalPolicy.SNAPSHOT },
      '`removalPolicy` must be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN, got snapshot'],
    ['removalPolicy RETAIN_ON_UPDATE_OR_DELETE', { removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE },
      '`removalPolicy` must be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN, got retain-on-update-or-delete'],
    ['a type that is not a contact type', { type: 'PRIMARY' as AlternateContactType },
      '`type` must be one of BILLING, OPERATIONS, SECURITY, got "PRIMARY"'],
    ['a type in lower case', { type: 'security' as AlternateContactType },
      '`type` must be one of BILLING, OPERATIONS, SECURITY, got "security"'],
  ])('rejects %s', (_case, override, message) => {
    const stack = newStack();
    expectExactError(() => new AlternateContact(stack, 'Contact', { ...ALTERNATE_CONTACT, ...override }), message);
  });

  test.each<[string, Partial<AlternateContactProps>]>([
    ['a 12-digit accountId', { accountId: '222222222222' }],
    ['an accountId with leading zeros', { accountId: '000000000001' }],
    ['a 1-character name', { name: 'N' }],
    ['a 64-character name', { name: 'n'.repeat(64) }],
    ['a 1-character title', { title: 'T' }],
    ['a 50-character title', { title: 't'.repeat(50) }],
    ['a 254-character emailAddress', { emailAddress: emailOfLength(254) }],
    ['an emailAddress using every allowed local-part character', { emailAddress: 'sec+ops=a.b#c|d!e&f-g_h@mail.example.co.uk' }],
    ['an emailAddress with surrounding whitespace', { emailAddress: ' security@example.com ' }],
    ['a 1-character phoneNumber', { phoneNumber: '1' }],
    ['a 25-character phoneNumber', { phoneNumber: '+1 (206) 555-0100'.padEnd(25, '0') }],
    ['a phoneNumber with parentheses', { phoneNumber: '(206) 555-0100' }],
    ['type BILLING', { type: AlternateContactType.BILLING }],
    ['type OPERATIONS', { type: AlternateContactType.OPERATIONS }],
    ['removalPolicy DESTROY', { removalPolicy: RemovalPolicy.DESTROY }],
    ['removalPolicy RETAIN', { removalPolicy: RemovalPolicy.RETAIN }],
  ])('accepts %s', (_case, override) => {
    const stack = newStack();
    expect(() => new AlternateContact(stack, 'Contact', { ...ALTERNATE_CONTACT, ...override })).not.toThrow();
  });

  test('skips values that are tokens', () => {
    const stack = newStack();
    const accountId = new CfnParameter(stack, 'AccountId').valueAsString;
    const emailAddress = new CfnParameter(stack, 'EmailAddress').valueAsString;
    expect(() => new AlternateContact(stack, 'Contact', {
      type: AlternateContactType.SECURITY,
      accountId,
      emailAddress,
      name: Lazy.string({ produce: () => 'n'.repeat(100) }),
      title: Lazy.string({ produce: () => '' }),
      phoneNumber: Lazy.string({ produce: () => 'not a phone number' }),
    })).not.toThrow();
  });
});

describe('PrimaryContact validation', () => {
  test.each<[string, Partial<PrimaryContactProps>, string]>([
    ['an 11-digit accountId', { accountId: '12345678901' },
      patternMessage('accountId', 'a 12-digit AWS account id', '12345678901')],
    ['an accountId with a letter', { accountId: 'a23456789012' },
      patternMessage('accountId', 'a 12-digit AWS account id', 'a23456789012')],
    ['an empty fullName', { fullName: '' }, lengthMessage('fullName', 1, 50, '')],
    ['a 51-character fullName', { fullName: 'f'.repeat(51) }, lengthMessage('fullName', 1, 50, 'f'.repeat(51))],
    ['an empty addressLine1', { addressLine1: '' }, lengthMessage('addressLine1', 1, 60, '')],
    ['a 61-character addressLine1', { addressLine1: 'a'.repeat(61) }, lengthMessage('addressLine1', 1, 60, 'a'.repeat(61))],
    ['an empty addressLine2', { addressLine2: '' }, lengthMessage('addressLine2', 1, 60, '')],
    ['a 61-character addressLine2', { addressLine2: 'a'.repeat(61) }, lengthMessage('addressLine2', 1, 60, 'a'.repeat(61))],
    ['an empty addressLine3', { addressLine3: '' }, lengthMessage('addressLine3', 1, 60, '')],
    ['a 61-character addressLine3', { addressLine3: 'a'.repeat(61) }, lengthMessage('addressLine3', 1, 60, 'a'.repeat(61))],
    ['an empty city', { city: '' }, lengthMessage('city', 1, 50, '')],
    ['a 51-character city', { city: 'c'.repeat(51) }, lengthMessage('city', 1, 50, 'c'.repeat(51))],
    ['an empty companyName', { companyName: '' }, lengthMessage('companyName', 1, 50, '')],
    ['a 51-character companyName', { companyName: 'c'.repeat(51) }, lengthMessage('companyName', 1, 50, 'c'.repeat(51))],
    ['an empty districtOrCounty', { districtOrCounty: '' }, lengthMessage('districtOrCounty', 1, 50, '')],
    ['a 51-character districtOrCounty', { districtOrCounty: 'd'.repeat(51) },
      lengthMessage('districtOrCounty', 1, 50, 'd'.repeat(51))],
    ['an empty stateOrRegion', { stateOrRegion: '' }, lengthMessage('stateOrRegion', 1, 50, '')],
    ['a 51-character stateOrRegion', { stateOrRegion: 's'.repeat(51) }, lengthMessage('stateOrRegion', 1, 50, 's'.repeat(51))],
    ['an empty postalCode', { postalCode: '' }, lengthMessage('postalCode', 1, 20, '')],
    ['a 21-character postalCode', { postalCode: '9'.repeat(21) }, lengthMessage('postalCode', 1, 20, '9'.repeat(21))],
    ['a countryCode in lower case', { countryCode: 'us' }, patternMessage('countryCode', COUNTRY_CODE_MESSAGE, 'us')],
    ['a three-letter countryCode', { countryCode: 'USA' }, patternMessage('countryCode', COUNTRY_CODE_MESSAGE, 'USA')],
    ['a one-letter countryCode', { countryCode: 'U' }, patternMessage('countryCode', COUNTRY_CODE_MESSAGE, 'U')],
    ['a countryCode with a digit', { countryCode: 'U1' }, patternMessage('countryCode', COUNTRY_CODE_MESSAGE, 'U1')],
    ['an empty countryCode', { countryCode: '' }, patternMessage('countryCode', COUNTRY_CODE_MESSAGE, '')],
    ['an empty phoneNumber', { phoneNumber: '' }, lengthMessage('phoneNumber', 1, 20, '')],
    ['a 21-character phoneNumber', { phoneNumber: '+1 206-555-0100'.padEnd(21, '0') },
      lengthMessage('phoneNumber', 1, 20, '+1 206-555-0100'.padEnd(21, '0'))],
    ['a phoneNumber without +', { phoneNumber: '1 206-555-0100' },
      patternMessage('phoneNumber', PRIMARY_PHONE_MESSAGE, '1 206-555-0100')],
    ['a phoneNumber with a second +', { phoneNumber: '++1 206-555-0100' },
      patternMessage('phoneNumber', PRIMARY_PHONE_MESSAGE, '++1 206-555-0100')],
    ['a phoneNumber with dots', { phoneNumber: '+1.206.555.0100' },
      patternMessage('phoneNumber', PRIMARY_PHONE_MESSAGE, '+1.206.555.0100')],
    ['a phoneNumber with an extension', { phoneNumber: '+1 206-555-0100 x12' },
      patternMessage('phoneNumber', PRIMARY_PHONE_MESSAGE, '+1 206-555-0100 x12')],
    ['an empty websiteUrl', { websiteUrl: '' }, lengthMessage('websiteUrl', 1, 256, '')],
    ['a 257-character websiteUrl', { websiteUrl: 'https://example.com/'.padEnd(257, 'p') },
      lengthMessage('websiteUrl', 1, 256, 'https://example.com/'.padEnd(257, 'p'))],
  ])('rejects %s', (_case, override, message) => {
    const stack = newStack();
    expectExactError(() => new PrimaryContact(stack, 'PrimaryContact', { ...PRIMARY_CONTACT, ...override }), message);
  });

  test.each(['US', 'CA', 'GB', 'DE', 'JP', 'IN', 'BR'])('requires stateOrRegion when countryCode is %s', (countryCode) => {
    const stack = newStack();
    expectExactError(
      () => new PrimaryContact(stack, 'PrimaryContact', { ...PRIMARY_CONTACT, countryCode, stateOrRegion: undefined }),
      STATE_REQUIRED(countryCode),
    );
  });

  test.each<[string, Partial<PrimaryContactProps>]>([
    ['a 12-digit accountId', { accountId: '222222222222' }],
    ['a 1-character fullName', { fullName: 'F' }],
    ['a 50-character fullName', { fullName: 'f'.repeat(50) }],
    ['60-character address lines', { addressLine1: 'a'.repeat(60), addressLine2: 'b'.repeat(60), addressLine3: 'c'.repeat(60) }],
    ['1-character address lines', { addressLine1: 'a', addressLine2: 'b', addressLine3: 'c' }],
    ['50-character city, companyName, districtOrCounty and stateOrRegion',
      { city: 'c'.repeat(50), companyName: 'o'.repeat(50), districtOrCounty: 'd'.repeat(50), stateOrRegion: 's'.repeat(50) }],
    ['1-character city, companyName, districtOrCounty and stateOrRegion',
      { city: 'c', companyName: 'o', districtOrCounty: 'd', stateOrRegion: 's' }],
    ['a 20-character postalCode', { postalCode: '9'.repeat(20) }],
    ['a 1-character postalCode', { postalCode: '9' }],
    ['a 20-character phoneNumber', { phoneNumber: '+1 (206) 555-0100'.padEnd(20, '0') }],
    ['a 2-character phoneNumber', { phoneNumber: '+1' }],
    ['a 256-character websiteUrl', { websiteUrl: 'https://example.com/'.padEnd(256, 'p') }],
    ['a 1-character websiteUrl', { websiteUrl: 'x' }],
    ['no stateOrRegion for a country that does not require one', { countryCode: 'FR', stateOrRegion: undefined }],
    ['no optional properties', {
      companyName: undefined, addressLine2: undefined, addressLine3: undefined, districtOrCounty: undefined, websiteUrl: undefined,
    }],
  ])('accepts %s', (_case, override) => {
    const stack = newStack();
    expect(() => new PrimaryContact(stack, 'PrimaryContact', { ...PRIMARY_CONTACT, ...override })).not.toThrow();
  });

  test('skips values that are tokens', () => {
    const stack = newStack();
    const token = (value: string) => Lazy.string({ produce: () => value });
    expect(() => new PrimaryContact(stack, 'PrimaryContact', {
      accountId: new CfnParameter(stack, 'AccountId').valueAsString,
      fullName: token(''),
      addressLine1: token('a'.repeat(61)),
      city: token(''),
      countryCode: new CfnParameter(stack, 'CountryCode').valueAsString,
      phoneNumber: token('206-555-0100'),
      postalCode: token(''),
      websiteUrl: token(''),
    })).not.toThrow();
  });

  test('a countryCode given as a token does not require stateOrRegion', () => {
    const stack = newStack();
    expect(() => new PrimaryContact(stack, 'PrimaryContact', {
      ...PRIMARY_CONTACT,
      countryCode: Lazy.string({ produce: () => 'US' }),
      stateOrRegion: undefined,
    })).not.toThrow();
  });
});

describe('AccountName validation', () => {
  test.each<[string, Partial<AccountNameProps>, string]>([
    ['an 11-digit accountId', { accountId: '12345678901' },
      patternMessage('accountId', 'a 12-digit AWS account id', '12345678901')],
    ['an accountId with spaces', { accountId: '111 111 111 111' },
      patternMessage('accountId', 'a 12-digit AWS account id', '111 111 111 111')],
    ['an empty accountName', { accountName: '' }, lengthMessage('accountName', 1, 50, '')],
    ['a 51-character accountName', { accountName: 'n'.repeat(51) }, lengthMessage('accountName', 1, 50, 'n'.repeat(51))],
    ['an accountName with <', { accountName: 'workload<prod' },
      patternMessage('accountName', ACCOUNT_NAME_MESSAGE, 'workload<prod')],
    ['an accountName with >', { accountName: 'workload>prod' },
      patternMessage('accountName', ACCOUNT_NAME_MESSAGE, 'workload>prod')],
    ['an accountName with an HTML tag', { accountName: '<b>prod</b>' },
      patternMessage('accountName', ACCOUNT_NAME_MESSAGE, '<b>prod</b>')],
    ['an accountName with a tab', { accountName: 'workload\tprod' },
      patternMessage('accountName', ACCOUNT_NAME_MESSAGE, 'workload\tprod')],
    ['an accountName with a newline', { accountName: 'workload\nprod' },
      patternMessage('accountName', ACCOUNT_NAME_MESSAGE, 'workload\nprod')],
    ['an accountName with a non-ASCII letter', { accountName: 'producción' },
      patternMessage('accountName', ACCOUNT_NAME_MESSAGE, 'producción')],
    ['an accountName with DEL', { accountName: 'prod\u007f' },
      patternMessage('accountName', ACCOUNT_NAME_MESSAGE, 'prod\u007f')],
  ])('rejects %s', (_case, override, message) => {
    const stack = newStack();
    expectExactError(() => new AccountName(stack, 'Name', { ...ACCOUNT_NAME, ...override }), message);
  });

  // Every printable ASCII character (space to ~) except < and >, in names of at most 50 characters.
  const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i))
    .filter((c) => c !== '<' && c !== '>')
    .join('');

  test.each<[string, string]>([
    ['a 1-character name', 'p'],
    ['a 50-character name', 'n'.repeat(50)],
    ['the first 50 printable ASCII characters other than < and >', printable.slice(0, 50)],
    ['the remaining printable ASCII characters', printable.slice(50)],
    ['a name with spaces and punctuation', 'Workload: prod (eu) #1 - team@example.com'],
  ])('accepts %s', (_case, accountName) => {
    const stack = newStack();
    expect(() => new AccountName(stack, 'Name', { accountName })).not.toThrow();
  });

  test('the printable ASCII set has 93 characters and neither < nor >', () => {
    expect(printable).toHaveLength(93);
    expect(printable).not.toMatch(/[<>]/);
  });

  test('skips values that are tokens', () => {
    const stack = newStack();
    expect(() => new AccountName(stack, 'Name', {
      accountId: new CfnParameter(stack, 'AccountId').valueAsString,
      accountName: Lazy.string({ produce: () => '<not checked>' }),
    })).not.toThrow();
  });
});

describe('one declaration per setting and account', () => {
  const contact = (type: AlternateContactType, accountId?: string): AlternateContactProps =>
    ({ ...ALTERNATE_CONTACT, type, accountId });

  test('two alternate contacts of the same type for the stack\'s account are an error', () => {
    const stack = newStack();
    new AlternateContact(stack, 'First', contact(AlternateContactType.SECURITY));
    expectExactError(
      () => new AlternateContact(stack, 'Second', contact(AlternateContactType.SECURITY)),
      'The security alternate contact of account 111111111111 is already declared by Stack/First; declare each setting of an account once (Stack/Second declares it again)',
    );
  });

  test('two alternate contacts of the same type for one member account are an error', () => {
    const stack = newStack();
    new AlternateContact(stack, 'First', contact(AlternateContactType.BILLING, '222222222222'));
    expectExactError(
      () => new AlternateContact(stack, 'Second', contact(AlternateContactType.BILLING, '222222222222')),
      'The billing alternate contact of account 222222222222 is already declared by Stack/First; declare each setting of an account once (Stack/Second declares it again)',
    );
  });

  test('a contact without accountId and one naming the stack\'s account are the same setting', () => {
    const stack = newStack();
    new AlternateContact(stack, 'First', contact(AlternateContactType.OPERATIONS));
    expectExactError(
      () => new AlternateContact(stack, 'Second', contact(AlternateContactType.OPERATIONS, '111111111111')),
      'The operations alternate contact of account 111111111111 is already declared by Stack/First; declare each setting of an account once (Stack/Second declares it again)',
    );
  });

  test('two stacks of one app that deploy to the same account cannot both declare it', () => {
    const app = new App();
    const first = new Stack(app, 'First', { env: ENV });
    const second = new Stack(app, 'Second', { env: { ...ENV, region: 'eu-west-1' } });
    new AlternateContact(first, 'Security', contact(AlternateContactType.SECURITY));
    expectExactError(
      () => new AlternateContact(second, 'Security', contact(AlternateContactType.SECURITY)),
      'The security alternate contact of account 111111111111 is already declared by First/Security; declare each setting of an account once (Second/Security declares it again)',
    );
  });

  test('a stack naming another stack\'s env account in accountId cannot declare the same contact', () => {
    const app = new App();
    const member = new Stack(app, 'Member', { env: ENV });
    const management = new Stack(app, 'Management', { env: { ...ENV, account: '999999999999' } });
    new AlternateContact(member, 'Security', contact(AlternateContactType.SECURITY));
    expectExactError(
      () => new AlternateContact(management, 'MemberSecurity', contact(AlternateContactType.SECURITY, '111111111111')),
      'The security alternate contact of account 111111111111 is already declared by Member/Security; declare each setting of an account once (Management/MemberSecurity declares it again)',
    );
  });

  test('an environment-agnostic stack cannot declare the same contact twice for its account', () => {
    const stack = new Stack(new App(), 'Agnostic');
    new AlternateContact(stack, 'First', contact(AlternateContactType.SECURITY));
    expectExactError(
      () => new AlternateContact(stack, 'Second', contact(AlternateContactType.SECURITY)),
      'The security alternate contact of the account that stack Agnostic deploys to is already declared by Agnostic/First; declare each setting of an account once (Agnostic/Second declares it again)',
    );
  });

  test('two primary contacts for one account are an error', () => {
    const stack = newStack();
    new PrimaryContact(stack, 'First', { ...PRIMARY_CONTACT, accountId: '222222222222' });
    expectExactError(
      () => new PrimaryContact(stack, 'Second', { ...PRIMARY_CONTACT, accountId: '222222222222' }),
      'The primary contact of account 222222222222 is already declared by Stack/First; declare each setting of an account once (Stack/Second declares it again)',
    );
  });

  test('two account names for one account are an error', () => {
    const stack = newStack();
    new AccountName(stack, 'First', ACCOUNT_NAME);
    expectExactError(
      () => new AccountName(stack, 'Second', { accountName: 'other-name', accountId: '111111111111' }),
      'The account name of account 111111111111 is already declared by Stack/First; declare each setting of an account once (Stack/Second declares it again)',
    );
  });

  test('contacts of different types for one account are allowed', () => {
    const stack = newStack();
    expect(() => {
      for (const type of Object.values(AlternateContactType)) {
        new AlternateContact(stack, `Standalone${type}`, contact(type));
        new AlternateContact(stack, `Member${type}`, contact(type, '222222222222'));
      }
    }).not.toThrow();
  });

  test('the same contact type for different accounts is allowed', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: ENV });
    const other = new Stack(app, 'Other', { env: { ...ENV, account: '333333333333' } });
    expect(() => {
      new AlternateContact(stack, 'Standalone', contact(AlternateContactType.SECURITY));
      new AlternateContact(stack, 'Member', contact(AlternateContactType.SECURITY, '222222222222'));
      new AlternateContact(other, 'Standalone', contact(AlternateContactType.SECURITY));
    }).not.toThrow();
  });

  test('a contact, a primary contact and an account name of one account are different settings', () => {
    const stack = newStack();
    expect(() => {
      new AlternateContact(stack, 'Security', contact(AlternateContactType.SECURITY));
      new PrimaryContact(stack, 'PrimaryContact', PRIMARY_CONTACT);
      new AccountName(stack, 'Name', ACCOUNT_NAME);
    }).not.toThrow();
  });

  test('an accountId given as a token is not compared', () => {
    const stack = newStack();
    const accountId = new CfnParameter(stack, 'AccountId').valueAsString;
    expect(() => {
      new AlternateContact(stack, 'First', contact(AlternateContactType.SECURITY, accountId));
      new AlternateContact(stack, 'Second', contact(AlternateContactType.SECURITY, accountId));
      new AlternateContact(stack, 'Standalone', contact(AlternateContactType.SECURITY));
    }).not.toThrow();
  });

  test('two environment-agnostic stacks are not assumed to share an account', () => {
    const app = new App();
    const first = new Stack(app, 'First');
    const second = new Stack(app, 'Second');
    expect(() => {
      new AlternateContact(first, 'Security', contact(AlternateContactType.SECURITY));
      new AlternateContact(second, 'Security', contact(AlternateContactType.SECURITY));
    }).not.toThrow();
  });

  test('declarations in different apps do not conflict', () => {
    expect(() => {
      new AlternateContact(newStack(), 'Security', contact(AlternateContactType.SECURITY));
      new AlternateContact(newStack(), 'Security', contact(AlternateContactType.SECURITY));
    }).not.toThrow();
  });
});
