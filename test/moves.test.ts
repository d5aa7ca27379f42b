/*
 * A setting that moves between the constructs of a stack is never lost: CloudFormation creates or updates
 * the new declaration first and deletes the old resource in the cleanup phase, whose Delete (or removal
 * generation) must leave what another resource of the stack now declares. Each test deploys the stack as
 * it was, then as it is after the move, through the local CloudFormation (the handlers' real bundles, the
 * reconciler on the local Step Functions), and checks what every account holds at the end. A Delete
 * also removes a contact only while it holds the values its resource declared (a contact changed by
 * hand, or by another stack, is left).
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { useSmallOrganization } from './small-organization';
import { captureConsole, stackOf } from './support';
import {
  AccountBaseline, AlternateContact, AlternateContactDetails, AlternateContactType, OrganizationBaseline, OrganizationBaselineProps, RegionOptIn,
} from '../src';

const TIME_SCALE = 50;
const MEMBERS = Array.from({ length: 8 }, (_, i) => String(200000000000 + i));
const OU_A = 'ou-root-movesaaa';
const OU_B = 'ou-root-movesbbb';
const IN_A = MEMBERS.slice(0, 4);
const IN_B = MEMBERS.slice(4);
const MOVED = IN_A[0];
const REGION = 'af-south-1';

jest.setTimeout(120_000);

const org = useSmallOrganization(MEMBERS, { [OU_A]: IN_A, [OU_B]: IN_B }, TIME_SCALE);

const SECURITY: AlternateContactDetails = {
  name: 'Security Operations', title: 'Duty Officer', emailAddress: 'soc@example.com', phoneNumber: '+1 206-555-0100',
};
const OTHER_SECURITY: AlternateContactDetails = {
  name: 'Security Desk', title: 'Lead', emailAddress: 'desk@example.com', phoneNumber: '+1 206-555-0199',
};

function fields(details: AlternateContactDetails) {
  return { Name: details.name, Title: details.title, EmailAddress: details.emailAddress, PhoneNumber: details.phoneNumber };
}

function securityOf(accountId: string) {
  return org.aws.account(accountId).alternateContacts.get('SECURITY');
}

function holders(accounts: string[]): string[] {
  return accounts.filter(id => securityOf(id) !== undefined);
}

function stack(build: (scope: Stack) => void): Stack {
  return stackOf(build);
}

function baseline(scope: Stack, id: string, props: Partial<OrganizationBaselineProps>): OrganizationBaseline {
  return new OrganizationBaseline(scope, id, { alternateContacts: { security: SECURITY }, ...props });
}

async function deploy(scope: Stack, expected: string): Promise<string> {
  const { result, output } = await captureConsole(() => org.cfn.deploy(scope));
  expect(result?.status).toBe(expected);
  return output;
}

describe('a contact moves into an OrganizationBaseline', () => {
  test('from an AlternateContact to a baseline that lists the account: the Delete leaves it, and the baseline holds it', async () => {
    await deploy(stack(s => new AlternateContact(s, 'Security', { accountId: MOVED, type: AlternateContactType.SECURITY, ...SECURITY })), 'CREATE_COMPLETE');
    expect(securityOf(MOVED)).toEqual(fields(SECURITY));

    const output = await deploy(stack(s => baseline(s, 'Baseline', { accountIds: [MOVED] })), 'UPDATE_COMPLETE');
    expect(output).toMatch(/left in place \(now declared by Baseline[0-9A-F]{8}\)/);
    expect(org.aws.callsOf('DeleteAlternateContact')).toHaveLength(0);
    expect(securityOf(MOVED)).toEqual(fields(SECURITY));

    // An unchanged redeploy finds it where it is.
    await deploy(stack(s => baseline(s, 'Baseline', { accountIds: [MOVED] })), 'UPDATE_COMPLETE');
    expect(securityOf(MOVED)).toEqual(fields(SECURITY));
  });

  test('from an AccountBaseline to a baseline over the OU that holds the account, with other values', async () => {
    await deploy(stack(s => new AccountBaseline(s, 'Member', { accountId: MOVED, alternateContacts: { security: SECURITY } })), 'CREATE_COMPLETE');

    await deploy(stack(s => new OrganizationBaseline(s, 'Baseline', {
      organizationalUnitIds: [OU_A], alternateContacts: { security: OTHER_SECURITY },
    })), 'UPDATE_COMPLETE');
    expect(org.aws.callsOf('DeleteAlternateContact')).toHaveLength(0);
    for (const id of IN_A) expect(securityOf(id)).toEqual(fields(OTHER_SECURITY));
    expect(holders(IN_B)).toEqual([]);
  });

  test('an AlternateContact whose account the baseline does not target is still deleted', async () => {
    await deploy(stack(s => new AlternateContact(s, 'Security', { accountId: IN_B[0], type: AlternateContactType.SECURITY, ...SECURITY })), 'CREATE_COMPLETE');

    await deploy(stack(s => baseline(s, 'Baseline', { organizationalUnitIds: [OU_A] })), 'UPDATE_COMPLETE');
    expect(securityOf(IN_B[0])).toBeUndefined();
    expect(holders(IN_A)).toEqual(IN_A);
  });

  test('a RegionOptIn removed with DESTROY leaves the Region enabled when a baseline now enables it there', async () => {
    await deploy(stack(s => new RegionOptIn(s, 'CapeTown', { accountId: MOVED, regionName: REGION, removalPolicy: RemovalPolicy.DESTROY })), 'CREATE_COMPLETE');
    expect(org.aws.account(MOVED).regions.get(REGION)?.status).toBe('ENABLED');

    await deploy(stack(s => baseline(s, 'Baseline', { accountIds: [MOVED], enabledRegions: [REGION] })), 'UPDATE_COMPLETE');
    expect(org.aws.callsOf('DisableRegion')).toHaveLength(0);
    expect(org.aws.account(MOVED).regions.get(REGION)?.status).toBe('ENABLED');
  });
});

describe('a contact moves out of an OrganizationBaseline that removes its contacts on delete', () => {
  test('into an AlternateContact: the removal generation leaves that account, and removes the others', async () => {
    await deploy(stack(s => baseline(s, 'Baseline', { organizationalUnitIds: [OU_A], removeAlternateContactsOnDelete: true })), 'CREATE_COMPLETE');
    expect(holders(IN_A)).toEqual(IN_A);

    await deploy(stack(s => new AlternateContact(s, 'Security', { accountId: MOVED, type: AlternateContactType.SECURITY, ...OTHER_SECURITY })), 'UPDATE_COMPLETE');
    expect(securityOf(MOVED)).toEqual(fields(OTHER_SECURITY));
    expect(holders(IN_A)).toEqual([MOVED]);
  });

  test('into an AlternateContact while the baseline, with pruneUndeclared, drops the type: the prune leaves that account', async () => {
    const billing = { billing: OTHER_SECURITY, security: SECURITY };
    await deploy(stack(s => new OrganizationBaseline(s, 'Baseline', { organizationalUnitIds: [OU_A], alternateContacts: billing, pruneUndeclared: true })), 'CREATE_COMPLETE');
    expect(holders(IN_A)).toEqual(IN_A);

    await deploy(stack(s => {
      new OrganizationBaseline(s, 'Baseline', { organizationalUnitIds: [OU_A], alternateContacts: { billing: OTHER_SECURITY }, pruneUndeclared: true });
      new AlternateContact(s, 'Security', { accountId: MOVED, type: AlternateContactType.SECURITY, ...SECURITY });
    }), 'UPDATE_COMPLETE');
    expect(holders(IN_A)).toEqual([MOVED]);
    expect(IN_A.every(id => org.aws.account(id).alternateContacts.has('BILLING'))).toBe(true);
  });

  test('split in two: neither part loses a contact that the removed baseline had written', async () => {
    const both = { organizationalUnitIds: [OU_A, OU_B], removeAlternateContactsOnDelete: true };
    await deploy(stack(s => baseline(s, 'Everything', both)), 'CREATE_COMPLETE');
    expect(holders(MEMBERS)).toEqual(MEMBERS);

    await deploy(stack(s => {
      baseline(s, 'PartA', { organizationalUnitIds: [OU_A], removeAlternateContactsOnDelete: true });
      baseline(s, 'PartB', { organizationalUnitIds: [OU_B] });
    }), 'UPDATE_COMPLETE');
    expect(org.aws.callsOf('DeleteAlternateContact')).toHaveLength(0);
    expect(holders(MEMBERS)).toEqual(MEMBERS);

    // Merged back into one: the parts' removal leaves what the merged baseline declares.
    await deploy(stack(s => baseline(s, 'Merged', both)), 'UPDATE_COMPLETE');
    expect(org.aws.callsOf('DeleteAlternateContact')).toHaveLength(0);
    expect(holders(MEMBERS)).toEqual(MEMBERS);
  });
});

describe('a Delete removes only what still holds its values', () => {
  test('a contact changed by hand (or by another stack) since the deploy is left, and the log says so without the values', async () => {
    await deploy(stack(s => new AlternateContact(s, 'Security', { accountId: MOVED, type: AlternateContactType.SECURITY, ...SECURITY })), 'CREATE_COMPLETE');
    org.aws.account(MOVED).alternateContacts.set('SECURITY', fields(OTHER_SECURITY));

    const output = await deploy(stack(() => undefined), 'UPDATE_COMPLETE');
    expect(securityOf(MOVED)).toEqual(fields(OTHER_SECURITY));
    expect(output).toContain('no longer holds the values this resource declared');
    for (const value of Object.values(OTHER_SECURITY)) expect(output).not.toContain(value);
  });

  test('a removal generation leaves an account whose contact was changed since, and removes the rest', async () => {
    await deploy(stack(s => baseline(s, 'Baseline', { organizationalUnitIds: [OU_A], removeAlternateContactsOnDelete: true })), 'CREATE_COMPLETE');
    org.aws.account(MOVED).alternateContacts.set('SECURITY', fields(OTHER_SECURITY));

    await deploy(stack(() => undefined), 'UPDATE_COMPLETE');
    expect(securityOf(MOVED)).toEqual(fields(OTHER_SECURITY));
    expect(holders(IN_A)).toEqual([MOVED]);
  });

  test('with the stack deleted, nothing is declared any more: the contact goes', async () => {
    await deploy(stack(s => {
      new AlternateContact(s, 'Security', { accountId: MOVED, type: AlternateContactType.SECURITY, ...SECURITY });
      baseline(s, 'Baseline', { organizationalUnitIds: [OU_B] });
    }), 'CREATE_COMPLETE');
    const { result } = await captureConsole(() => org.cfn.destroy('Settings'));
    expect(result?.status).toBe('DELETE_COMPLETE');
    expect(securityOf(MOVED)).toBeUndefined();
  });
});
