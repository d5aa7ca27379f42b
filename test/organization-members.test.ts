/*
 * With the member footprint (MemberRole), the organization reconciler calls the Account API as each member
 * account that has the role (AssumeRole, then calls without AccountId, counted against the member's own
 * quotas) and from the management account where the role is not there or refuses. Deployed through the
 * local CloudFormation; the roles are put in the member accounts by hand, trusting the stack's reconciler
 * role only, as the footprint's StackSet would (the construct's option comes with it; the property is set
 * here with an escape hatch).
 */
import { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Desired, reconcileAccount } from '../lambda/organization/accounts';
import { Invocation } from '../lambda/shared/clients';
import { ASSUME_ROLE, assumeRoleQuota, forgetMemberSessions } from '../lambda/shared/member-sessions';
import { DOCUMENTED_QUOTAS, Pacer } from '../lambda/shared/pacer';
import { CallRecord, PolicyDocument, scaledQuotas } from '../local';
import { useSmallOrganization } from './small-organization';
import { addBreaker, BREAKER, MANAGEMENT, stackOf } from './support';
import { AlternateContactDetails, OrganizationBaseline, OrganizationBaselineProps } from '../src';
import { MEMBER_ROLE_SESSION } from '../src/contract';

const TIME_SCALE = 50;
const MEMBERS = Array.from({ length: 6 }, (_, i) => String(230000000000 + i));
const OU = 'ou-root-members1';
/** Members with the role; one without (the StackSet has not reached it); one whose role trusts another principal. */
const WITH_ROLE = MEMBERS.slice(0, 4);
const [WITHOUT_ROLE, MISTRUSTED] = MEMBERS.slice(4);
const ROLE = 'AccountManagementMember';
const CONTACT_OPERATIONS = ['GetAlternateContact', 'PutAlternateContact', 'DeleteAlternateContact'];

jest.setTimeout(120_000);

const org = useSmallOrganization(MEMBERS, { [OU]: MEMBERS }, TIME_SCALE);

const fieldsOf = (details: AlternateContactDetails) => ({
  Name: details.name, Title: details.title, EmailAddress: details.emailAddress, PhoneNumber: details.phoneNumber,
});
const contact = (title: string): AlternateContactDetails => ({ name: 'Security Desk', title, emailAddress: 'desk@example.com', phoneNumber: '+1 206-555-0100' });

function stack(title: string, props: Partial<OrganizationBaselineProps> = {}): Stack {
  return stackOf(s => {
    const baseline = new OrganizationBaseline(s, 'Baseline', {
      organizationalUnitIds: [OU], alternateContacts: { security: contact(title), operations: contact(title) }, ...props,
    });
    (baseline.node.findChild('Resource').node.defaultChild as CfnResource).addPropertyOverride('MemberRole', ROLE);
  });
}

/** The role of the function that serves the baseline (the local CloudFormation names a role `<stack>-<logical id>`). */
function reconcilerRole(scope: Stack): string {
  const resources = Template.fromStack(scope).toJSON().Resources;
  const functionId = resources[baselineIdOf(scope)].Properties.ServiceToken['Fn::GetAtt'][0];
  const roleId = resources[functionId].Properties.Role['Fn::GetAtt'][0];
  return `arn:aws:iam::${MANAGEMENT}:role/${scope.stackName}-${roleId}`;
}

function baselineIdOf(scope: Stack): string {
  return Object.entries(Template.fromStack(scope).toJSON().Resources).find(([, r]) => (r as { Type: string }).Type === 'Custom::AccountOrganizationBaseline')![0];
}

/** The function's execution environments so far: each keeps its own sessions. */
function environments(scope: Stack): number {
  return org.aws.lambda.environmentsOf(String(org.cfn.resourceProperties(scope.stackName, baselineIdOf(scope)).ServiceToken));
}

/** The footprint's trust: `principal` only, from the role's own organization. */
function trust(principal: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${MANAGEMENT}:root` },
      Action: 'sts:AssumeRole',
      Condition: { ArnEquals: { 'aws:PrincipalArn': principal }, StringEquals: { 'aws:PrincipalOrgID': '${aws:ResourceOrgID}' } },
    },
  };
}

const CONTACTS_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: { Effect: 'Allow', Action: ['account:GetAlternateContact', 'account:PutAlternateContact', 'account:DeleteAlternateContact'], Resource: '*' },
};

/** Puts the footprint's role in the members that have it, trusting the stack's reconciler (MISTRUSTED's trusts another role). */
function putRoles(scope: Stack): void {
  const reconciler = reconcilerRole(scope);
  for (const id of WITH_ROLE) org.aws.iam.putRole(id, ROLE, trust(reconciler), { contacts: CONTACTS_POLICY });
  org.aws.iam.putRole(MISTRUSTED, ROLE, trust(`arn:aws:iam::${MANAGEMENT}:role/someone-else`), { contacts: CONTACTS_POLICY });
}

const logged: unknown[] = [];

beforeEach(() => {
  for (const id of MEMBERS) org.aws.iam.deleteRole(id, ROLE);
  logged.length = 0;
  jest.spyOn(console, 'info').mockImplementation(line => void logged.push(line));
  org.aws.clock = () => Date.now();
  org.aws.rateQuotas = scaledQuotas(TIME_SCALE);
});

async function deploy(scope: Stack): Promise<string | undefined> {
  const result = await org.cfn.deploy(scope);
  await org.aws.stepFunctions.settled();
  return result?.status;
}

const contactCalls = (accountId: string) => org.aws.calls.filter(c => CONTACT_OPERATIONS.includes(c.operation) && c.target === accountId);
const asMember = (c: CallRecord) => c.caller === c.target && c.accountIdParameter === undefined && c.principal?.endsWith(`/${ROLE}/${MEMBER_ROLE_SESSION}`);
const fromManagement = (c: CallRecord) => c.caller === MANAGEMENT && c.accountIdParameter === c.target;
const assumed = (accountId: string) => org.aws.callsOf('sts:AssumeRole').filter(c => c.target === accountId && c.status === 200);

test('members with the role are called as themselves; one without it, and one whose role refuses, from the management account, logged once', async () => {
  const scope = stack('Lead');
  putRoles(scope);
  expect(await deploy(scope)).toBe('CREATE_COMPLETE');

  for (const id of MEMBERS) expect([...org.aws.account(id).alternateContacts.keys()].sort()).toEqual(['OPERATIONS', 'SECURITY']);
  for (const id of WITH_ROLE) {
    expect(contactCalls(id).length).toBeGreaterThanOrEqual(4); // two reads, two writes
    expect(contactCalls(id).filter(c => !asMember(c))).toEqual([]);
  }
  for (const id of [WITHOUT_ROLE, MISTRUSTED]) {
    expect(contactCalls(id).length).toBeGreaterThanOrEqual(4);
    expect(contactCalls(id).filter(c => !fromManagement(c))).toEqual([]);
  }
  // The role was asked for at most once per member and environment, by the reconciler in the management account; the refusals were remembered.
  for (const id of WITH_ROLE) expect(assumed(id).length).toBeGreaterThanOrEqual(1);
  for (const id of WITH_ROLE) expect(assumed(id).length).toBeLessThanOrEqual(environments(scope));
  expect(org.aws.callsOf('sts:AssumeRole').every(c => c.caller === MANAGEMENT)).toBe(true);
  const refused = org.aws.callsOf('sts:AssumeRole').filter(c => c.status === 403);
  expect(refused.length).toBeGreaterThanOrEqual(2);
  // Each refusing member at most twice per environment: a first refusal is asked again once, 10 seconds later.
  expect(refused.length).toBeLessThanOrEqual(2 * 2 * environments(scope));

  const lines = logged.filter(line => (line as { setting?: string }).setting === 'member role') as Array<{ accountId: string; outcome: string }>;
  expect(lines.map(line => line.accountId).sort()).toEqual([WITHOUT_ROLE, MISTRUSTED]);
  expect(lines.every(line => line.outcome.startsWith('handled from the management account'))).toBe(true);
  expect(JSON.stringify(logged)).not.toContain('desk@example.com');
  expect(JSON.stringify(logged)).not.toContain('555-0100');
});

test('each member calls against its own quotas: the management account\'s are not used for the contacts', async () => {
  // Two calls of each operation per calling account: enough for one member's reads and writes, far too few for all six from one caller.
  org.aws.rateQuotas = { GetAlternateContact: { rate: 0.01, burst: 2 }, PutAlternateContact: { rate: 0.01, burst: 2 } };
  const scope = stack('Lead');
  const reconciler = reconcilerRole(scope);
  for (const id of MEMBERS) org.aws.iam.putRole(id, ROLE, trust(reconciler), { contacts: CONTACTS_POLICY });
  expect(await deploy(scope)).toBe('CREATE_COMPLETE');

  for (const id of MEMBERS) expect([...org.aws.account(id).alternateContacts.keys()].sort()).toEqual(['OPERATIONS', 'SECURITY']);
  const calls = org.aws.calls.filter(c => CONTACT_OPERATIONS.includes(c.operation));
  expect(calls.length).toBe(4 * MEMBERS.length);
  expect(calls.filter(c => !asMember(c))).toEqual([]);
  expect(calls.filter(c => c.status === 429)).toEqual([]);
});

describe('one account as a member (reconcileAccount in this process, signed as the management account\'s user)', () => {
  const [MEMBER] = WITH_ROLE;
  const USER = `arn:aws:iam::${MANAGEMENT}:user/local`;
  const invocation = () => new Invocation({ invokedFunctionArn: `arn:aws:lambda:us-east-1:${MANAGEMENT}:function:reconciler`, getRemainingTimeInMillis: () => 600_000 });
  const pacer = () => new Pacer(Date.now() + 600_000, {}, { ...DOCUMENTED_QUOTAS, [ASSUME_ROLE]: assumeRoleQuota() });
  const wanted = async () => true;
  const desired = (title: string): Desired => ({ contacts: { SECURITY: fieldsOf(contact(title)) }, remove: [] });
  const puts = () => org.aws.callsOf('PutAlternateContact');

  beforeEach(() => {
    forgetMemberSessions();
    org.aws.iam.putRole(MEMBER, ROLE, trust(USER), { contacts: CONTACTS_POLICY });
  });

  test('a session is reused for the account\'s later steps, and asked for again once the service says it expired', async () => {
    expect(await reconcileAccount(invocation(), pacer(), MEMBER, desired('One'), wanted, ROLE)).toEqual({ outcome: 'applied' });
    expect(await reconcileAccount(invocation(), pacer(), MEMBER, desired('Two'), wanted, ROLE)).toEqual({ outcome: 'applied' });
    expect(assumed(MEMBER)).toHaveLength(1);

    // Two hours on by the services' clock: the session (an hour) has expired, though this process's clock says it has not.
    org.aws.clock = () => Date.now() + 2 * 3600_000;
    expect(await reconcileAccount(invocation(), pacer(), MEMBER, desired('Three'), wanted, ROLE)).toEqual({ outcome: 'applied' });
    expect(org.aws.calls.filter(c => c.errorType === 'ExpiredTokenException').map(c => c.caller)).toEqual([MEMBER]);
    expect(assumed(MEMBER)).toHaveLength(2);
    expect(puts().map(c => [asMember(c), c.status])).toEqual([[true, 200], [true, 200], [true, 200]]);
    expect(org.aws.account(MEMBER).alternateContacts.get('SECURITY')?.Title).toBe('Three');
  });

  test('a generation superseded before the write reads as the member and writes nothing', async () => {
    const outcome = await reconcileAccount(invocation(), pacer(), MEMBER, desired('Stale'), async () => false, ROLE);
    expect(outcome).toEqual({ outcome: 'superseded' });
    expect(org.aws.callsOf('GetAlternateContact').filter(asMember)).toHaveLength(1);
    expect(puts()).toEqual([]);
    expect(org.aws.account(MEMBER).alternateContacts.has('SECURITY')).toBe(false);
  });

  test('a role that may not make a write hands the account to the management account, which writes it', async () => {
    const readOnly: PolicyDocument = { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'account:GetAlternateContact', Resource: '*' } };
    org.aws.iam.putRole(MEMBER, ROLE, trust(USER), { contacts: readOnly });
    const kept: unknown[] = [];
    const outcome = await reconcileAccount(invocation(), pacer(), MEMBER, { ...desired('Lead'), keepPrior: async prior => void kept.push(prior) }, wanted, ROLE);

    expect(outcome).toEqual({ outcome: 'applied' });
    // The refused call is the member's own (its caller; the service names no target for a call it refused).
    expect(puts().map(c => [c.caller === MEMBER && !c.accountIdParameter ? 'member' : fromManagement(c) ? 'management' : 'other', c.status, c.errorType]))
      .toEqual([['member', 403, 'AccessDeniedException'], ['management', 200, undefined]]);
    expect(kept).toEqual([{ contacts: { SECURITY: null } }, { contacts: { SECURITY: null } }]);
    expect(logged).toEqual([expect.objectContaining({ setting: 'member role', accountId: MEMBER, outcome: expect.stringContaining('PutAlternateContact: AccessDeniedException') })]);
    // Remembered: the next step goes to the management account at once.
    await reconcileAccount(invocation(), pacer(), MEMBER, desired('Lead'), wanted, ROLE);
    expect(assumed(MEMBER)).toHaveLength(1);
  });

  test('the management account itself is called as it is today, without a session', async () => {
    org.aws.iam.putRole(MANAGEMENT, ROLE, trust(USER), { contacts: CONTACTS_POLICY });
    expect(await reconcileAccount(invocation(), pacer(), MANAGEMENT, desired('Lead'), wanted, ROLE)).toEqual({ outcome: 'applied' });
    expect(org.aws.callsOf('sts:AssumeRole')).toEqual([]);
    expect(puts().map(c => [c.caller, c.accountIdParameter])).toEqual([[MANAGEMENT, undefined]]);
  });
});

test('a scheduled run of the generation calls as the members too: a contact changed by hand is written back by the member itself', async () => {
  const scope = stack('Lead');
  const reconciler = reconcilerRole(scope);
  for (const id of MEMBERS) org.aws.iam.putRole(id, ROLE, trust(reconciler), { contacts: CONTACTS_POLICY });
  expect(await deploy(scope)).toBe('CREATE_COMPLETE');
  const [drifted] = MEMBERS;
  const held = org.aws.account(drifted).alternateContacts.get('SECURITY')!;
  org.aws.account(drifted).alternateContacts.set('SECURITY', { ...held, Title: 'Changed by hand' });
  org.aws.clearCalls();

  const { BaselineId, Store, ServiceToken } = org.cfn.resourceProperties(scope.stackName, baselineIdOf(scope));
  await org.aws.lambda.invoke(String(ServiceToken), { Trigger: 'schedule', BaselineId, Store });
  await org.aws.stepFunctions.settled();

  expect(org.aws.account(drifted).alternateContacts.get('SECURITY')?.Title).toBe('Lead');
  expect(org.aws.callsOf('PutAlternateContact').map(c => [c.target, asMember(c)])).toEqual([[drifted, true]]);
  expect(org.aws.calls.filter(c => CONTACT_OPERATIONS.includes(c.operation)).filter(c => !asMember(c))).toEqual([]);
});

test('a MemberRole that is not an IAM role\'s name fails the deploy, saying so, before anything is called; the rollback deletes the resource', async () => {
  const scope = stackOf(s => {
    const baseline = new OrganizationBaseline(s, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { security: contact('Lead') } });
    (baseline.node.findChild('Resource').node.defaultChild as CfnResource).addPropertyOverride('MemberRole', 'role/with a path');
  });
  const before = org.aws.cloudFormation.responses.length;
  expect(await deploy(scope)).toBe('ROLLBACK_COMPLETE');
  const failed = org.aws.cloudFormation.responses.slice(before).filter(r => r.Status === 'FAILED').map(r => r.Reason);
  expect(failed).toEqual([expect.stringContaining('MemberRole must be an IAM role\'s name')]);
  expect(org.aws.callsOf('sts:AssumeRole')).toEqual([]);
  expect(org.aws.calls.filter(c => CONTACT_OPERATIONS.includes(c.operation))).toEqual([]);
});

test('a stack whose creation is rolled back undoes, as each member, what the baseline wrote there', async () => {
  const scope = stackOf(s => {
    const baseline = new OrganizationBaseline(s, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { security: contact('Lead') } });
    (baseline.node.findChild('Resource').node.defaultChild as CfnResource).addPropertyOverride('MemberRole', ROLE);
    addBreaker(s);
    s.node.findChild(BREAKER).node.addDependency(baseline);
  });
  const reconciler = reconcilerRole(scope);
  for (const id of MEMBERS) org.aws.iam.putRole(id, ROLE, trust(reconciler), { contacts: CONTACTS_POLICY });

  expect((await org.cfn.deploy(scope, { breakResources: { [BREAKER]: {} } })).status).toBe('ROLLBACK_COMPLETE');
  await org.aws.stepFunctions.settled();

  for (const id of MEMBERS) expect(org.aws.account(id).alternateContacts.size).toBe(0);
  const deletes = org.aws.callsOf('DeleteAlternateContact');
  expect(deletes.map(c => c.target).sort()).toEqual(MEMBERS);
  expect(deletes.filter(c => !asMember(c))).toEqual([]);
});
