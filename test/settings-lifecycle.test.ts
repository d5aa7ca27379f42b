/*
 * The settings handler across whole lifecycles, as CloudFormation runs them: stacks synthesized from the
 * constructs, deployed by the local CloudFormation (resources started at once, a failure cancelling what
 * is in progress and rolling back), the handler's real bundle invoked in Lambda-like environments and
 * answering CloudFormation itself, against the local Account Management, Organizations and CloudFormation
 * APIs.
 */
import { CfnParameter, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { LocalCloudFormation, MAX_RESPONSE_BYTES } from '../local';
import { addBreaker, BREAKER, captureConsole, Local, MANAGEMENT, physicalIds, stackOf, startLocal, stopLocal } from './support';
import { AccountName, AlternateContact, AlternateContactProps, AlternateContactType, PrimaryContact, PrimaryContactProps } from '../src';

const MEMBER_A = '222222222222';
const MEMBER_B = '333333333333';
const OUTSIDER = '999999999999';

jest.setTimeout(60_000);

let local: Local;
let cfn: LocalCloudFormation;

const TIME_SCALE = 50;

beforeAll(async () => {
  local = await startLocal({ memberAccountIds: [MEMBER_A, MEMBER_B], standaloneAccountIds: [OUTSIDER] }, TIME_SCALE);
});

afterAll(async () => {
  await stopLocal(local);
});

beforeEach(() => {
  jest.spyOn(console, 'info').mockImplementation(() => undefined); // the handlers' log lines
  const { aws } = local;
  aws.callerAccountId = MANAGEMENT;
  aws.trustedAccess = true;
  aws.organization.delegatedAdminAccountId = undefined;
  aws.clearCalls();
  aws.clearFaults();
  aws.cloudFormation.responses.length = 0;
  for (const account of aws.accounts.values()) account.alternateContacts.clear();
  cfn = new LocalCloudFormation(aws);
});

const SECURITY: Omit<AlternateContactProps, 'accountId'> = {
  type: AlternateContactType.SECURITY,
  name: 'Security Team',
  title: 'Duty Officer',
  emailAddress: 'security-team@example.com',
  phoneNumber: '+1 206-555-0100',
};

/** A stack with one contact, SECURITY by default, under `id`. */
function contactStack(props: Partial<AlternateContactProps> = {}, id = 'Security', build?: (stack: Stack, contact: AlternateContact) => void): Stack {
  return stackOf(stack => {
    const contact = new AlternateContact(stack, id, { ...SECURITY, ...props });
    build?.(stack, contact);
  }, { account: local.aws.callerAccountId });
}

/** The same, with a resource that is created once the contact is done, and that a deploy may break. */
function contactStackWithBreaker(props: Partial<AlternateContactProps> = {}): Stack {
  return contactStack(props, 'Security', (stack, contact) => {
    addBreaker(stack);
    stack.node.findChild(BREAKER).node.addDependency(contact);
  });
}

function contactOf(accountId: string) {
  return local.aws.account(accountId).alternateContacts.get('SECURITY');
}

describe('alternate contact lifecycle', () => {
  test('create, update, change of account, rename and removal leave exactly the declared contact', async () => {
    expect((await cfn.deploy(contactStack({ accountId: MEMBER_A }))).status).toBe('CREATE_COMPLETE');
    expect(physicalIds(cfn)).toEqual([`${MEMBER_A}/alternate-contact/SECURITY`]);
    expect(contactOf(MEMBER_A)).toEqual({
      Name: 'Security Team', Title: 'Duty Officer', EmailAddress: 'security-team@example.com', PhoneNumber: '+1 206-555-0100',
    });

    // A value change keeps the physical id: no replacement, no delete.
    expect((await cfn.deploy(contactStack({ accountId: MEMBER_A, name: 'SecOps' }))).status).toBe('UPDATE_COMPLETE');
    expect(contactOf(MEMBER_A)?.Name).toBe('SecOps');
    expect(local.aws.callsOf('DeleteAlternateContact')).toHaveLength(0);

    // A change of account replaces the resource: the new account gets the contact, the old one loses it.
    await cfn.deploy(contactStack({ accountId: MEMBER_B, name: 'SecOps' }));
    expect(physicalIds(cfn)).toEqual([`${MEMBER_B}/alternate-contact/SECURITY`]);
    expect(contactOf(MEMBER_B)?.Name).toBe('SecOps');
    expect(contactOf(MEMBER_A)).toBeUndefined();

    // A renamed construct: CloudFormation creates the new resource, then deletes the old one; the contact stays.
    local.aws.clearCalls();
    expect((await cfn.deploy(contactStack({ accountId: MEMBER_B, name: 'SecOps' }, 'Renamed'))).status).toBe('UPDATE_COMPLETE');
    expect(contactOf(MEMBER_B)?.Name).toBe('SecOps');
    expect(local.aws.callsOf('DeleteAlternateContact')).toHaveLength(0);

    // Removed from the stack: deleted.
    await cfn.deploy(stackOf(() => undefined));
    expect(contactOf(MEMBER_B)).toBeUndefined();
  });

  test('deleting a contact that is already gone succeeds', async () => {
    await cfn.deploy(contactStack({ accountId: MEMBER_A }));
    local.aws.account(MEMBER_A).alternateContacts.delete('SECURITY');

    expect((await cfn.destroy('Settings')).status).toBe('DELETE_COMPLETE');
    // The Delete reads the contact first (it removes only what holds the declared values): gone, nothing to delete.
    expect(local.aws.callsOf('GetAlternateContact').map(c => c.errorType)).toEqual(['ResourceNotFoundException']);
    expect(local.aws.callsOf('DeleteAlternateContact')).toEqual([]);
  });

  test('a change of contact type deletes the old type and writes the new one', async () => {
    await cfn.deploy(contactStack({ accountId: MEMBER_A }));
    await cfn.deploy(contactStack({ accountId: MEMBER_A, type: AlternateContactType.OPERATIONS }));

    expect([...local.aws.account(MEMBER_A).alternateContacts.keys()]).toEqual(['OPERATIONS']);
  });

  test('two constructs that swap their accounts in one update both keep their contact', async () => {
    const swap = (first: string, second: string) => stackOf(stack => {
      new AlternateContact(stack, 'First', { ...SECURITY, accountId: first, name: 'First' });
      new AlternateContact(stack, 'Second', { ...SECURITY, accountId: second, name: 'Second' });
    });
    await cfn.deploy(swap(MEMBER_A, MEMBER_B));
    expect((await cfn.deploy(swap(MEMBER_B, MEMBER_A))).status).toBe('UPDATE_COMPLETE');

    expect(contactOf(MEMBER_A)?.Name).toBe('Second');
    expect(contactOf(MEMBER_B)?.Name).toBe('First');
  });

  test('a rollback restores the old value and the old account, and deletes nothing', async () => {
    await cfn.deploy(contactStackWithBreaker({ accountId: MEMBER_A, name: 'Before' }));

    // The contact moves to MEMBER_B, then another resource fails: CloudFormation rolls back.
    const result = await cfn.deploy(contactStackWithBreaker({ accountId: MEMBER_B, name: 'After' }), { breakResources: { [BREAKER]: {} } });

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(contactOf(MEMBER_A)?.Name).toBe('Before');
    // MEMBER_B's contact stays as the failed deploy wrote it: it may have been there before.
    expect(contactOf(MEMBER_B)?.Name).toBe('After');
    expect(local.aws.callsOf('DeleteAlternateContact')).toHaveLength(0);
  });

  test('a rolled-back Create leaves a contact that was there before the stack declared it', async () => {
    local.aws.account(MEMBER_A).alternateContacts.set('SECURITY', { Name: 'By hand', Title: 't', EmailAddress: 'hand@example.com', PhoneNumber: '1' });

    const result = await cfn.deploy(contactStackWithBreaker({ accountId: MEMBER_A }), { breakResources: { [BREAKER]: {} } });

    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(contactOf(MEMBER_A)?.Name).toBe('Security Team');
    expect(local.aws.callsOf('DeleteAlternateContact')).toHaveLength(0);
  });

  test('the Delete that follows a failed Create neither fails nor deletes a contact set by hand', async () => {
    local.aws.account(MEMBER_A).alternateContacts.set('SECURITY', { Name: 'By hand', Title: 't', EmailAddress: 'hand@example.com', PhoneNumber: '1' });
    local.aws.trustedAccess = false;

    const result = await cfn.deploy(contactStack({ accountId: MEMBER_A }));

    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.failures.map(f => f.logicalId)).toEqual([expect.stringMatching(/^Security/)]);
    expect(contactOf(MEMBER_A)?.Name).toBe('By hand');
    expect(local.aws.callsOf('DeleteAlternateContact')).toHaveLength(0);
  });

  test('when the stack status cannot be read during a rollback, nothing is deleted', async () => {
    // The handler retries DescribeStacks for a minute (its questions' bound): 300 ms of real time here, room for several tries on a loaded machine.
    process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = '200';
    local.aws.account(MEMBER_A).alternateContacts.set('SECURITY', { Name: 'By hand', Title: 't', EmailAddress: 'hand@example.com', PhoneNumber: '1' });
    // DescribeStacks keeps failing: throttled, then server errors, for longer than the handler may retry.
    local.aws.injectFault({ operation: 'cloudformation:DescribeStacks', status: 429, count: 1_000_000 });

    const stack = contactStackWithBreaker({ accountId: MEMBER_A });
    const { output, result } = await captureConsole(() => cfn.deploy(stack, { breakResources: { [BREAKER]: {} } }));

    expect(result?.status).toBe('ROLLBACK_COMPLETE');
    expect(local.aws.callsOf('cloudformation:DescribeStacks').length).toBeGreaterThan(1);
    expect(local.aws.callsOf('DeleteAlternateContact')).toHaveLength(0);
    expect(contactOf(MEMBER_A)).toBeDefined();
    expect(output).toContain('left in place: cannot tell whether the stack is rolling back');
    process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(TIME_SCALE);
  });
});

describe('standalone and organizations mode', () => {
  test('without accountId the call is made in standalone context', async () => {
    local.aws.callerAccountId = MEMBER_A;
    await cfn.deploy(contactStack());

    expect(local.aws.callsOf('PutAlternateContact')[0]).toMatchObject({ accountIdParameter: undefined, target: MEMBER_A, status: 200 });
  });

  test('the management account naming itself calls in standalone context instead of being denied', async () => {
    await cfn.deploy(contactStack({ accountId: MANAGEMENT }));

    expect(local.aws.callsOf('PutAlternateContact')[0]).toMatchObject({ accountIdParameter: undefined, target: MANAGEMENT, status: 200 });
    expect(contactOf(MANAGEMENT)).toBeDefined();
  });

  test('AccessDenied in organizations mode names the operation, the setting, the account and the fix first', async () => {
    local.aws.trustedAccess = false;

    const result = await cfn.deploy(contactStack({ accountId: MEMBER_A }));

    expect(result.failures[0].reason).toBe('Received response status [FAILED] from custom resource. Message returned: '
      + `PutAlternateContact for the SECURITY alternate contact of account ${MEMBER_A} (organizations mode) failed: `
      + 'check that trusted access for account.amazonaws.com is enabled in AWS Organizations, that the stack deploys from the '
      + `management account or the Account Management delegated administrator, and that account ${MEMBER_A} is a member of that organization. `
      + 'The service answered AccessDeniedException: The request failed because your organization does not have trusted access enabled for account.amazonaws.com');
  });

  test('a member account that is not the delegated admin is denied when it names another account', async () => {
    local.aws.callerAccountId = MEMBER_A;
    const result = await cfn.deploy(contactStack({ accountId: MEMBER_B }));
    expect(result.failures[0].reason).toMatch(/PutAlternateContact .* account 333333333333 \(organizations mode\) failed: .*AccessDeniedException/);
  });

  test('an account outside the organization is named as such', async () => {
    const result = await cfn.deploy(contactStack({ accountId: OUTSIDER }));
    expect(result.failures[0].reason).toContain(`account ${OUTSIDER} is not a member of the organization`);
  });

  test('the delegated administrator can manage member accounts', async () => {
    local.aws.organization.delegatedAdminAccountId = MEMBER_B;
    local.aws.callerAccountId = MEMBER_B;
    await cfn.deploy(contactStack({ accountId: MEMBER_A }));
    expect(contactOf(MEMBER_A)).toBeDefined();
  });

  test('an account that left the organization does not block a delete, and a put for it fails saying so', async () => {
    const leaving = '444444444444';
    local.aws.addAccount(leaving, { member: true });
    await cfn.deploy(contactStack({ accountId: leaving }));
    local.aws.organization.removeMember(leaving);

    const { output, result } = await captureConsole(() => cfn.destroy('Settings'));
    expect(result?.status).toBe('DELETE_COMPLETE');
    expect(output).toContain(`gone: account ${leaving} is no longer a member of the organization`);

    const failed = await cfn.deploy(contactStack({ accountId: leaving }));
    expect(failed.status).toBe('ROLLBACK_COMPLETE');
    expect(failed.failures[0].reason).toContain(`account ${leaving} is not a member of the organization (it left, was removed, or never joined)`);
  });

  test('a closed account does not block a delete', async () => {
    const closing = '555555555555';
    local.aws.addAccount(closing, { member: true });
    await cfn.deploy(contactStack({ accountId: closing }));
    local.aws.setAccountStatus(closing, 'SUSPENDED');

    const { output, result } = await captureConsole(() => cfn.destroy('Settings'));
    expect(result?.status).toBe('DELETE_COMPLETE');
    expect(output).toContain(`gone: account ${closing} is closed`);
  });
});

describe('faults', () => {
  test('bursts of 429 and 500 and network resets end with the declared state', async () => {
    local.aws.injectFault({ operation: 'PutAlternateContact', status: 429, count: 3 });
    local.aws.injectFault({ operation: 'PutAlternateContact', status: 500, count: 2 });
    local.aws.injectFault({ operation: 'PutAlternateContact', status: 'reset', count: 2 });

    expect((await cfn.deploy(contactStack({ accountId: MEMBER_A }))).status).toBe('CREATE_COMPLETE');

    expect(local.aws.calls.filter(c => c.operation === 'PutAlternateContact').map(c => c.status)).toEqual([429, 429, 429, 500, 500, 0, 0, 200]);
    expect(contactOf(MEMBER_A)?.EmailAddress).toBe('security-team@example.com');
  });

  test('a request left unanswered gives way to the next attempt after the request timeout', async () => {
    local.aws.injectFault({ operation: 'PutAlternateContact', status: 'hang', count: 1 });
    const before = local.aws.lambda.asyncEvents.length;

    expect((await cfn.deploy(contactStack({ accountId: MEMBER_A }))).status).toBe('CREATE_COMPLETE');

    expect(local.aws.calls.filter(c => c.operation === 'PutAlternateContact').map(c => c.errorType ?? c.status)).toEqual(['no answer', 200]);
    expect(contactOf(MEMBER_A)?.EmailAddress).toBe('security-team@example.com');
    // Within the one delivery: not by Lambda's retry of an invocation that timed out.
    expect(local.aws.lambda.asyncEvents.slice(before).map(e => e.deliveries)).toEqual([1]);
  });

  test('a 503 during a delete is retried and the contact is deleted', async () => {
    await cfn.deploy(contactStack({ accountId: MEMBER_A }));
    local.aws.injectFault({ operation: 'DeleteAlternateContact', status: 503, count: 2 });

    expect((await cfn.destroy('Settings')).status).toBe('DELETE_COMPLETE');
    expect(contactOf(MEMBER_A)).toBeUndefined();
  });

  test('a deploy that fails on a fault loses nothing: the rollback restores, the next deploy converges', async () => {
    await cfn.deploy(contactStack({ accountId: MEMBER_A, name: 'Before' }));
    local.aws.injectFault({ operation: 'PutAlternateContact', status: 403, errorType: 'AccessDeniedException', count: 1 });

    expect((await cfn.deploy(contactStack({ accountId: MEMBER_A, name: 'After' }))).status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(contactOf(MEMBER_A)?.Name).toBe('Before');

    expect((await cfn.deploy(contactStack({ accountId: MEMBER_A, name: 'After' }))).status).toBe('UPDATE_COMPLETE');
    expect(contactOf(MEMBER_A)?.Name).toBe('After');
  });

  test('a value the service rejects fails without echoing it', async () => {
    // A token, resolved at deploy time, escapes synth-time validation.
    const stack = stackOf(s => {
      const phone = new CfnParameter(s, 'Phone', { default: 'not-a-phone' });
      new AlternateContact(s, 'Security', { ...SECURITY, accountId: MEMBER_A, phoneNumber: phone.valueAsString });
    });
    const { result, output } = await captureConsole(() => cfn.deploy(stack));

    expect(result?.failures[0].reason).toContain(`PutAlternateContact for the SECURITY alternate contact of account ${MEMBER_A} (organizations mode) failed: `
      + 'check the construct\'s properties against the API\'s constraints. The service answered ValidationException (fields: PhoneNumber)');
    expect(output).not.toContain('not-a-phone');
    expect(JSON.stringify(local.aws.cloudFormation.responses)).not.toContain('not-a-phone');
  });

  test('a failure whose service message has 10,000 characters fits CloudFormation\'s 4 KB, what failed and the fix first', async () => {
    local.aws.injectFault({ operation: 'PutAlternateContact', status: 403, errorType: 'AccessDeniedException', message: 'x'.repeat(10_000), count: 1 });

    const result = await cfn.deploy(contactStack({ accountId: MEMBER_A }));

    const response = local.aws.cloudFormation.responses.find(r => r.Status === 'FAILED')!;
    expect(response.bytes).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(result.failures[0].reason).toMatch(/^Received response status \[FAILED\].*PutAlternateContact for the SECURITY alternate contact of account 222222222222 .* failed: check that trusted access/);
  });

  test('an update cancelled while its put is throttled stops, and does not undo the rollback', async () => {
    await cfn.deploy(contactStackWithBreaker({ accountId: MEMBER_A, name: 'Before' }));
    // Every put of the new value is throttled; the breaker fails once the first one has been.
    local.aws.injectFault({ operation: 'PutAlternateContact', status: 429, count: 1_000_000, when: body => body.Name === 'After' });
    const throttled = local.aws.nextCall(call => call.operation === 'PutAlternateContact' && call.status === 429);
    const stack = contactStack({ accountId: MEMBER_A, name: 'After' }, 'Security', s => addBreaker(s));

    const { output, result } = await captureConsole(async () => {
      const deployed = await cfn.deploy(stack, { breakResources: { [BREAKER]: { when: throttled } } });
      await local.aws.lambda.settled(); // the cancelled request's invocation, too
      return deployed;
    });

    expect(result?.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(contactOf(MEMBER_A)?.Name).toBe('Before');
    expect(output).toContain('stopped: CloudFormation no longer waits for this request; nothing written');
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

  test('the primary contact is written, updated, and left in place on delete', async () => {
    await cfn.deploy(stackOf(s => new PrimaryContact(s, 'Primary', { ...PRIMARY, accountId: MEMBER_A })));
    expect(local.aws.account(MEMBER_A).contactInformation).toEqual({
      FullName: 'Cloud Platform Team',
      CompanyName: 'Example Corp',
      AddressLine1: '410 Terry Ave N',
      City: 'Seattle',
      StateOrRegion: 'WA',
      PostalCode: '98109',
      CountryCode: 'US',
      PhoneNumber: '+1 206-555-0100',
    });

    await cfn.deploy(stackOf(s => new PrimaryContact(s, 'Primary', { ...PRIMARY, accountId: MEMBER_A, city: 'Bellevue', postalCode: '98004' })));
    expect(local.aws.account(MEMBER_A).contactInformation?.City).toBe('Bellevue');

    expect((await cfn.destroy('Settings')).status).toBe('DELETE_COMPLETE');
    expect(local.aws.account(MEMBER_A).contactInformation?.City).toBe('Bellevue');
  });

  test('the account name is written, renamed, moved to another account, and left on delete', async () => {
    const name = (accountName: string, accountId: string) => stackOf(s => new AccountName(s, 'Name', { accountName, accountId }));
    await cfn.deploy(name('workload-prod', MEMBER_A));
    expect(local.aws.account(MEMBER_A).name).toBe('workload-prod');

    await cfn.deploy(name('workload-production', MEMBER_A));
    expect(local.aws.account(MEMBER_A).name).toBe('workload-production');

    await cfn.deploy(name('workload-staging', MEMBER_B));
    expect(local.aws.account(MEMBER_B).name).toBe('workload-staging');
    expect(local.aws.account(MEMBER_A).name).toBe('workload-production');

    await cfn.destroy('Settings');
    expect(local.aws.account(MEMBER_B).name).toBe('workload-staging');
  });
});

test('no contact value reaches a log line or a CloudFormation response in a whole lifecycle', async () => {
  const { output, error } = await captureConsole(async () => {
    local.aws.injectFault({ operation: 'PutAlternateContact', status: 429, count: 1 });
    await cfn.deploy(contactStack({ accountId: MEMBER_A }));
    await cfn.deploy(contactStack({ accountId: MEMBER_B, removalPolicy: RemovalPolicy.DESTROY }));
    await cfn.deploy(contactStack({ accountId: MEMBER_B }, 'Renamed'));
    await cfn.destroy('Settings');
    local.aws.trustedAccess = false;
    await cfn.deploy(contactStack({ accountId: MEMBER_A }, 'Denied'));
  });

  expect(error).toBeUndefined();
  expect(output).toContain('SECURITY alternate contact');
  const responses = JSON.stringify(local.aws.cloudFormation.responses);
  for (const value of [SECURITY.name, SECURITY.emailAddress, SECURITY.phoneNumber, SECURITY.title]) {
    expect(output).not.toContain(value);
    expect(responses).not.toContain(value);
  }
});
