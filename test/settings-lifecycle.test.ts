/*
 * The settings handler across whole lifecycles, run for real: the handler module with the real
 * @aws-sdk/client-account and client-cloudformation, against the local fake of the APIs.
 */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { FakeAccountApi } from './fake-account-api';
import { captureConsole, Properties, propertiesOf, SimulatedStack } from './simulated-stack';
import { handler } from '../lambda/settings';
import { AccountName, AlternateContact, AlternateContactProps, AlternateContactType, PrimaryContact, PrimaryContactProps } from '../src';

const MANAGEMENT = '111111111111';
const MEMBER_A = '222222222222';
const MEMBER_B = '333333333333';
const OUTSIDER = '999999999999';

// Retries back off for real (up to seconds): give the fault tests room.
jest.setTimeout(60_000);

let fake: FakeAccountApi;

beforeAll(async () => {
  fake = await FakeAccountApi.start({ managementAccountId: MANAGEMENT, memberAccountIds: [MEMBER_A, MEMBER_B], standaloneAccountIds: [OUTSIDER] });
  fake.useForSdkClients();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  jest.spyOn(console, 'info').mockImplementation(() => undefined); // the handlers' log lines
  fake.callerAccountId = MANAGEMENT;
  fake.trustedAccess = true;
  fake.clearCalls();
  for (const account of fake.accounts.values()) account.alternateContacts.clear();
});

const SECURITY: Omit<AlternateContactProps, 'accountId'> = {
  type: AlternateContactType.SECURITY,
  name: 'Security Team',
  title: 'Security',
  emailAddress: 'security-team@example.com',
  phoneNumber: '+1 206-555-0100',
};

/** The custom resource properties the construct declares, via a synthesized stack (the real contract). */
function contact(props: Partial<AlternateContactProps> = {}): Properties {
  const stack = new Stack(new App(), 'Props', { env: { account: MANAGEMENT, region: 'us-east-1' } });
  return propertiesOf(new AlternateContact(stack, 'Contact', { ...SECURITY, ...props }));
}

function simulatedStack(): SimulatedStack {
  return new SimulatedStack(fake, handler, fake.callerAccountId);
}

describe('alternate contact lifecycle', () => {
  test('create, update, change of account, rename, delete and delete again leave exactly the declared contact', async () => {
    const stack = simulatedStack();

    const physicalId = await stack.create('Security', contact({ accountId: MEMBER_A }));
    expect(physicalId).toBe(`${MEMBER_A}/alternate-contact/SECURITY`);
    expect(fake.account(MEMBER_A).alternateContacts.get('SECURITY')).toEqual({
      Name: 'Security Team', Title: 'Security', EmailAddress: 'security-team@example.com', PhoneNumber: '+1 206-555-0100',
    });

    // A value change keeps the physical id: no replacement, no delete.
    expect(await stack.update('Security', contact({ accountId: MEMBER_A, name: 'SecOps' }))).toBe(physicalId);
    expect(fake.account(MEMBER_A).alternateContacts.get('SECURITY')?.Name).toBe('SecOps');
    expect(fake.callsOf('DeleteAlternateContact')).toHaveLength(0);

    // A change of account replaces the resource: the new account gets the contact, the old one loses it.
    expect(await stack.update('Security', contact({ accountId: MEMBER_B, name: 'SecOps' }))).toBe(`${MEMBER_B}/alternate-contact/SECURITY`);
    expect(fake.account(MEMBER_B).alternateContacts.get('SECURITY')?.Name).toBe('SecOps');
    expect(fake.account(MEMBER_A).alternateContacts.has('SECURITY')).toBe(false);

    // A renamed construct: create new, then delete old; the contact stays.
    await stack.rename('Security', 'SecurityRenamed');
    expect(fake.account(MEMBER_B).alternateContacts.get('SECURITY')?.Name).toBe('SecOps');
    expect(fake.callsOf('DeleteAlternateContact').filter(c => c.target === MEMBER_B)).toHaveLength(0);

    await stack.delete('SecurityRenamed');
    expect(fake.account(MEMBER_B).alternateContacts.has('SECURITY')).toBe(false);
  });

  test('deleting a contact that is already gone succeeds', async () => {
    const stack = simulatedStack();
    await stack.create('Security', contact({ accountId: MEMBER_A }));
    fake.account(MEMBER_A).alternateContacts.delete('SECURITY');

    await expect(stack.delete('Security')).resolves.toBeUndefined();
    expect(fake.callsOf('DeleteAlternateContact').map(c => c.errorType)).toEqual(['ResourceNotFoundException']);
  });

  test('a change of contact type deletes the old type and writes the new one', async () => {
    const stack = simulatedStack();
    await stack.create('Contact', contact({ accountId: MEMBER_A }));
    await stack.update('Contact', contact({ accountId: MEMBER_A, type: AlternateContactType.OPERATIONS }));

    expect([...fake.account(MEMBER_A).alternateContacts.keys()]).toEqual(['OPERATIONS']);
  });

  test('two constructs that swap their accounts in one update both keep their contact', async () => {
    const stack = simulatedStack();
    await stack.create('First', contact({ accountId: MEMBER_A, name: 'First' }));
    await stack.create('Second', contact({ accountId: MEMBER_B, name: 'Second' }));

    await stack.update('First', contact({ accountId: MEMBER_B, name: 'First' }));
    await stack.update('Second', contact({ accountId: MEMBER_A, name: 'Second' }));

    expect(fake.account(MEMBER_A).alternateContacts.get('SECURITY')?.Name).toBe('Second');
    expect(fake.account(MEMBER_B).alternateContacts.get('SECURITY')?.Name).toBe('First');
  });

  test('a rollback restores the old value and the old account, and deletes nothing', async () => {
    const stack = simulatedStack();
    const v1 = contact({ accountId: MEMBER_A, name: 'Before' });
    await stack.create('Security', v1);

    // The update succeeds, another resource of the stack fails, CloudFormation rolls back with the old properties.
    await stack.update('Security', contact({ accountId: MEMBER_B, name: 'After' }));
    await stack.rollback('Security', v1);

    expect(fake.account(MEMBER_A).alternateContacts.get('SECURITY')?.Name).toBe('Before');
    expect(stack.physicalId('Security')).toBe(`${MEMBER_A}/alternate-contact/SECURITY`);
    // The rollback's cleanup leaves MEMBER_B's contact: it may have been there before the failed deploy.
    // (The one delete is the forward update's cleanup of MEMBER_A, which the rollback then wrote again.)
    expect(fake.account(MEMBER_B).alternateContacts.get('SECURITY')?.Name).toBe('After');
    expect(fake.callsOf('DeleteAlternateContact').map(c => c.target)).toEqual([MEMBER_A]);
  });

  test('a rolled-back Create leaves a contact that was there before the stack declared it', async () => {
    const stack = simulatedStack();
    fake.account(MEMBER_A).alternateContacts.set('SECURITY', { Name: 'By hand', Title: 't', EmailAddress: 'hand@example.com', PhoneNumber: '1' });
    await stack.create('Security', contact({ accountId: MEMBER_A }));

    // Another resource fails: CloudFormation deletes what the Create made.
    await stack.during('ROLLBACK_IN_PROGRESS', () => stack.delete('Security'));
    expect(fake.account(MEMBER_A).alternateContacts.get('SECURITY')?.Name).toBe('Security Team');
    expect(fake.callsOf('DeleteAlternateContact')).toHaveLength(0);
  });

  test('the Delete that follows a failed Create neither fails nor deletes a contact set by hand', async () => {
    const stack = simulatedStack();
    fake.account(MEMBER_A).alternateContacts.set('SECURITY', { Name: 'By hand', Title: 't', EmailAddress: 'hand@example.com', PhoneNumber: '1' });
    fake.trustedAccess = false;
    await expect(stack.create('Security', contact({ accountId: MEMBER_A }))).rejects.toThrow(/AccessDeniedException/);

    fake.trustedAccess = true;
    await stack.delete('Security');
    expect(fake.account(MEMBER_A).alternateContacts.get('SECURITY')?.Name).toBe('By hand');
    expect(fake.callsOf('DeleteAlternateContact')).toHaveLength(0);
  });
});

describe('standalone and organizations mode', () => {
  test('without accountId the call is made in standalone context', async () => {
    fake.callerAccountId = MEMBER_A;
    const stack = simulatedStack();
    expect(await stack.create('Security', contact())).toBe(`${MEMBER_A}/alternate-contact/SECURITY`);

    expect(fake.callsOf('PutAlternateContact')[0]).toMatchObject({ accountIdParameter: undefined, target: MEMBER_A, status: 200 });
  });

  test('the management account naming itself calls in standalone context instead of being denied', async () => {
    const stack = simulatedStack();
    await stack.create('Security', contact({ accountId: MANAGEMENT }));

    expect(fake.callsOf('PutAlternateContact')[0]).toMatchObject({ accountIdParameter: undefined, target: MANAGEMENT, status: 200 });
    expect(fake.account(MANAGEMENT).alternateContacts.has('SECURITY')).toBe(true);
  });

  test('AccessDenied in organizations mode names the operation, the setting, the account and the fix', async () => {
    fake.trustedAccess = false;
    const stack = simulatedStack();

    await expect(stack.create('Security', contact({ accountId: MEMBER_A }))).rejects.toThrow(
      `PutAlternateContact for the SECURITY alternate contact of account ${MEMBER_A} (organizations mode) failed: AccessDeniedException: `
      + 'The request failed because your organization does not have trusted access enabled for account.amazonaws.com; '
      + 'check that trusted access for account.amazonaws.com is enabled in AWS Organizations, that the stack deploys from the '
      + `management account or the Account Management delegated administrator, and that account ${MEMBER_A} is a member of that organization`);
  });

  test('a member account that is not the delegated admin is denied when it names another account', async () => {
    fake.callerAccountId = MEMBER_A;
    const stack = simulatedStack();
    await expect(stack.create('Security', contact({ accountId: MEMBER_B }))).rejects.toThrow(/^PutAlternateContact .* account 333333333333 \(organizations mode\) failed: AccessDeniedException/);
  });

  test('an account outside the organization is denied with the membership hint', async () => {
    const stack = simulatedStack();
    await expect(stack.create('Security', contact({ accountId: OUTSIDER }))).rejects.toThrow(/is a member of that organization$/);
  });

  test('the delegated administrator can manage member accounts', async () => {
    fake.delegatedAdminAccountId = MEMBER_B;
    fake.callerAccountId = MEMBER_B;
    try {
      const stack = simulatedStack();
      await stack.create('Security', contact({ accountId: MEMBER_A }));
      expect(fake.account(MEMBER_A).alternateContacts.has('SECURITY')).toBe(true);
    } finally {
      fake.delegatedAdminAccountId = undefined;
    }
  });
});

describe('faults', () => {
  test('bursts of 429 and 500 end with the declared state', async () => {
    const stack = simulatedStack();
    fake.injectFault({ operation: 'PutAlternateContact', status: 429, count: 3 });
    fake.injectFault({ operation: 'PutAlternateContact', status: 500, count: 2 });

    await stack.create('Security', contact({ accountId: MEMBER_A }));

    expect(fake.callsOf('PutAlternateContact').map(c => c.status)).toEqual([429, 429, 429, 500, 500, 200]);
    expect(fake.account(MEMBER_A).alternateContacts.get('SECURITY')?.EmailAddress).toBe('security-team@example.com');
  });

  test('a 503 during a delete is retried and the contact is deleted', async () => {
    const stack = simulatedStack();
    await stack.create('Security', contact({ accountId: MEMBER_A }));
    fake.injectFault({ operation: 'DeleteAlternateContact', status: 503, count: 2 });

    await stack.delete('Security');
    expect(fake.account(MEMBER_A).alternateContacts.has('SECURITY')).toBe(false);
  });

  test('a deploy that fails on a fault loses nothing: the next deploy converges', async () => {
    const stack = simulatedStack();
    await stack.create('Security', contact({ accountId: MEMBER_A, name: 'Before' }));
    fake.trustedAccess = false;
    await expect(stack.update('Security', contact({ accountId: MEMBER_A, name: 'After' }))).rejects.toThrow(/AccessDeniedException/);
    expect(fake.account(MEMBER_A).alternateContacts.get('SECURITY')?.Name).toBe('Before');

    fake.trustedAccess = true;
    await stack.update('Security', contact({ accountId: MEMBER_A, name: 'After' }));
    expect(fake.account(MEMBER_A).alternateContacts.get('SECURITY')?.Name).toBe('After');
  });

  test('a value the service rejects fails without echoing it', async () => {
    const stack = simulatedStack();
    // Bypass synth-time validation, as a token resolved at deploy time would.
    const properties = { ...contact({ accountId: MEMBER_A }), PhoneNumber: 'not-a-phone' };
    const { error, output } = await captureConsole(() => stack.create('Security', properties));

    expect((error as Error).message).toBe(`PutAlternateContact for the SECURITY alternate contact of account ${MEMBER_A} (organizations mode) failed: `
      + 'ValidationException (fields: PhoneNumber); check the construct\'s properties against the API\'s constraints');
    expect(output).not.toContain('not-a-phone');
  });
});

describe('primary contact and account name', () => {
  const PRIMARY: PrimaryContactProps = {
    fullName: 'Cloud Platform Team',
    companyName: 'Example Corp',
    addressLine1: '410 Terry Ave N',
    city: 'Seattle',
    stateOrRegion: 'WA',
    postalCode: '98109',
    countryCode: 'US',
    phoneNumber: '+1 206-555-0100',
  };

  function primary(props: Partial<PrimaryContactProps> = {}): Properties {
    const stack = new Stack(new App(), 'Props');
    return propertiesOf(new PrimaryContact(stack, 'Primary', { ...PRIMARY, ...props }));
  }

  function name(accountName: string, accountId?: string): Properties {
    const stack = new Stack(new App(), 'Props');
    return propertiesOf(new AccountName(stack, 'Name', { accountName, accountId }));
  }

  test('the primary contact is written, updated, and left in place on delete', async () => {
    const stack = simulatedStack();
    await stack.create('Primary', primary({ accountId: MEMBER_A }));
    expect(fake.account(MEMBER_A).contactInformation).toEqual({
      FullName: 'Cloud Platform Team',
      CompanyName: 'Example Corp',
      AddressLine1: '410 Terry Ave N',
      City: 'Seattle',
      StateOrRegion: 'WA',
      PostalCode: '98109',
      CountryCode: 'US',
      PhoneNumber: '+1 206-555-0100',
    });

    await stack.update('Primary', primary({ accountId: MEMBER_A, city: 'Bellevue', postalCode: '98004' }));
    expect(fake.account(MEMBER_A).contactInformation?.City).toBe('Bellevue');

    await stack.delete('Primary');
    expect(fake.account(MEMBER_A).contactInformation?.City).toBe('Bellevue');
  });

  test('the account name is written, renamed, moved to another account, and left on delete', async () => {
    const stack = simulatedStack();
    await stack.create('Name', name('workload-prod', MEMBER_A));
    expect(fake.account(MEMBER_A).name).toBe('workload-prod');

    await stack.update('Name', name('workload-production', MEMBER_A));
    expect(fake.account(MEMBER_A).name).toBe('workload-production');

    expect(await stack.update('Name', name('workload-staging', MEMBER_B))).toBe(`${MEMBER_B}/account-name`);
    expect(fake.account(MEMBER_B).name).toBe('workload-staging');
    expect(fake.account(MEMBER_A).name).toBe('workload-production');

    await stack.delete('Name');
    expect(fake.account(MEMBER_B).name).toBe('workload-staging');
  });
});

test('no contact value reaches a log line in a whole lifecycle', async () => {
  const { output, error } = await captureConsole(async () => {
    const stack = simulatedStack();
    fake.injectFault({ operation: 'PutAlternateContact', status: 429, count: 1 });
    await stack.create('Security', contact({ accountId: MEMBER_A }));
    await stack.update('Security', contact({ accountId: MEMBER_B, removalPolicy: RemovalPolicy.DESTROY }));
    await stack.rename('Security', 'Renamed');
    await stack.delete('Renamed');
    fake.trustedAccess = false;
    await stack.create('Denied', contact({ accountId: MEMBER_A })).catch(() => undefined);
  });

  expect(error).toBeUndefined();
  expect(output).toContain('SECURITY alternate contact');
  for (const value of [SECURITY.name, SECURITY.emailAddress, SECURITY.phoneNumber, SECURITY.title]) {
    expect(output).not.toContain(value);
  }
});
