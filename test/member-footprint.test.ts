/*
 * An OrganizationBaseline's member footprint, deployed through the local services: the StackSet's
 * instances in the targeted members (and gone with the option), the reconciler calling as each member,
 * and hand changes made inside a member forwarded to the stack's bus and undone. Time is measured on the
 * services' clock (the calls' and the events' records), in simulated seconds.
 */
import { AccountClient, PutAlternateContactCommand } from '@aws-sdk/client-account';
import { Stack } from 'aws-cdk-lib';
import { useSmallOrganization } from './small-organization';
import { MANAGEMENT, stackOf } from './support';
import {
  AccountSettingsProvider, AlternateContact, AlternateContactDetails, AlternateContactType, OrganizationBaseline, OrganizationBaselineProps,
} from '../src';
import { BASELINE_EVENTS } from '../src/contract';

// Slow enough that the minute the goal allows is several real seconds: the path it measures is a few hundred milliseconds.
const TIME_SCALE = 10;
const MEMBERS = ['250000000000', '250000000001', '250000000002'];
const [A, B, OUTSIDE] = MEMBERS;
const OU = 'ou-root-footprint';

jest.setTimeout(120_000);

const org = useSmallOrganization(MEMBERS, { [OU]: [A, B] }, TIME_SCALE);

const SECURITY: AlternateContactDetails = { name: 'Security Desk', title: 'Lead', emailAddress: 'desk@example.com', phoneNumber: '+1 206-555-0100' };
const DECLARED = { Name: 'Security Desk', Title: 'Lead', EmailAddress: 'desk@example.com', PhoneNumber: '+1 206-555-0100' };
const BY_HAND = { Name: 'Somebody Else', Title: 'Intern', EmailAddress: 'intern@example.net', PhoneNumber: '+1 206-555-0199' };

let deployed: string | undefined;

beforeEach(() => {
  org.aws.eventBus.events.length = 0;
  org.aws.eventBus.deliveries.length = 0;
  org.aws.cloudTrail.delivered.length = 0;
  org.aws.cloudTrail.logging = true;
  org.aws.cloudTrail.organizationTrail = true;
  org.aws.cloudTrail.delayMs = 10_000;
});

afterEach(async () => {
  await settled();
  org.aws.cloudTrail.logging = false;
  org.aws.cloudTrail.organizationTrail = false;
  org.aws.stackSets.release();
  if (deployed) expect((await org.cfn.destroy(deployed)).status).toBe('DELETE_COMPLETE');
  deployed = undefined;
});

/** The member role's name, as the last stack made names it. */
let memberRole = '';

function baselineStack(props: Partial<OrganizationBaselineProps> = {}): Stack {
  return stackOf(s => {
    const baseline = new OrganizationBaseline(s, 'Baseline', {
      organizationalUnitIds: [OU], alternateContacts: { security: SECURITY }, restoreHandChanges: true, memberFootprint: {}, ...props,
    });
    memberRole = `AccountSettingsMember-${baseline.baselineId}`;
  });
}

const settled = () => org.settled();

async function deploy(stack: Stack): Promise<void> {
  const result = await org.cfn.deploy(stack);
  expect(result.status).toMatch(/^(CREATE|UPDATE)_COMPLETE$/);
  deployed = stack.stackName;
  await settled();
}

/** Someone inside the member account changes its own contact (no AccountId), with credentials of that account. */
async function changeInside(accountId: string): Promise<void> {
  org.aws.callerAccountId = accountId;
  try {
    await new AccountClient({}).send(new PutAlternateContactCommand({ AlternateContactType: 'SECURITY', ...BY_HAND }));
  } finally {
    org.aws.callerAccountId = MANAGEMENT;
  }
}

function stackSetOf() {
  const [name] = org.aws.stackSets.names();
  return { name, accounts: name ? org.aws.stackSets.instances(name).map(i => i.accountId).sort() : [] };
}

function forwarded() {
  return org.aws.eventBusOf(MANAGEMENT).deliveries.filter(d => d.rule.includes('HandChangeRule'));
}

describe('the footprint', () => {
  test('reaches every targeted member, and only those: a role named by the baseline; removing the option removes it everywhere', async () => {
    await deploy(baselineStack());
    expect(stackSetOf().accounts).toEqual([A, B]);
    const role = memberRole;
    expect(org.aws.iam.role(A, role)).toBeDefined();
    expect(org.aws.iam.role(B, role)).toBeDefined();
    expect(org.aws.iam.role(OUTSIDE, role)).toBeUndefined();
    expect(org.aws.iam.role(MANAGEMENT, role)).toBeUndefined();

    await deploy(baselineStack({ memberFootprint: undefined }));
    expect(org.aws.stackSets.names()).toEqual([]);
    expect(org.aws.iam.rolesOf().filter(r => r.name === role)).toEqual([]);
  });

  test('follows accounts that move into the targeted OU, and leaves those that move out; deleting the stack removes it everywhere', async () => {
    await deploy(baselineStack());
    org.aws.moveAccount(OUTSIDE, OU);
    org.aws.moveAccount(A, org.aws.rootId);
    expect(stackSetOf().accounts).toEqual([B, OUTSIDE]);
    expect(org.aws.iam.role(A, memberRole)).toBeUndefined();

    expect((await org.cfn.destroy(deployed!)).status).toBe('DELETE_COMPLETE');
    deployed = undefined;
    expect(org.aws.stackSets.names()).toEqual([]);
    expect(org.aws.iam.rolesOf().filter(r => r.name === memberRole)).toEqual([]);
  });
});

describe('the reconciler', () => {
  test('calls as each member through the footprint\'s role (its trust and policy as synthesized): no AccountId, the member\'s own quota', async () => {
    await deploy(baselineStack());
    const puts = org.aws.callsOf('PutAlternateContact').filter(c => c.status === 200);
    expect(puts.map(c => [c.caller, c.target, c.accountIdParameter]).sort()).toEqual([[A, A, undefined], [B, B, undefined]]);
    expect(puts.map(c => c.principal)).toEqual(expect.arrayContaining([`arn:aws:sts::${A}:assumed-role/${memberRole}/cdk-account-management`]));
    const assumed = org.aws.callsOf('sts:AssumeRole').filter(c => c.status === 200);
    expect(assumed.map(c => c.caller)).toEqual([MANAGEMENT, MANAGEMENT]);
    expect(org.aws.account(A).alternateContacts.get('SECURITY')).toEqual(DECLARED);
  });

  test('handles an account the StackSet has not reached yet from the management account', async () => {
    await deploy(baselineStack());
    org.aws.stackSets.hold();
    org.aws.moveAccount(OUTSIDE, OU);
    org.aws.clearCalls();
    // A new generation (another title) runs over the three accounts.
    await deploy(baselineStack({ alternateContacts: { security: { ...SECURITY, title: 'Head' } } }));
    const puts = org.aws.callsOf('PutAlternateContact').filter(c => c.status === 200);
    expect(puts.find(c => c.target === OUTSIDE)).toEqual(expect.objectContaining({ caller: MANAGEMENT, accountIdParameter: OUTSIDE }));
    expect(puts.find(c => c.target === A)).toEqual(expect.objectContaining({ caller: A, accountIdParameter: undefined }));
    expect(org.aws.account(OUTSIDE).alternateContacts.get('SECURITY')).toEqual({ ...DECLARED, Title: 'Head' });
    org.aws.stackSets.release();
    expect(stackSetOf().accounts).toEqual([A, B, OUTSIDE]);
  });

  test('prunes a type the deploy drops as each member, though the StackSet already allows only the new types', async () => {
    const BILLING: AlternateContactDetails = { ...SECURITY, title: 'Billing' };
    await deploy(baselineStack({ alternateContacts: { security: SECURITY, billing: BILLING }, pruneUndeclared: true }));
    org.aws.clearCalls();
    await deploy(baselineStack({ alternateContacts: { security: SECURITY }, pruneUndeclared: true }));
    const deletes = org.aws.callsOf('DeleteAlternateContact');
    expect(deletes.map(c => [c.caller, c.status, c.accountIdParameter]).sort()).toEqual([[A, 200, undefined], [B, 200, undefined]]);
    expect(org.aws.calls.filter(c => c.status === 403)).toEqual([]);
    expect(org.aws.account(A).alternateContacts.has('BILLING')).toBe(false);
  });
});

describe('hand changes inside a member', () => {
  test('are forwarded to the stack\'s bus and undone by one write within a minute of the event; the undoing write starts nothing', async () => {
    await deploy(baselineStack());
    const puts = org.aws.callsOf('PutAlternateContact').length;
    await changeInside(A);
    expect(org.aws.account(A).alternateContacts.get('SECURITY')).toEqual(BY_HAND);
    await settled();

    expect(org.aws.account(A).alternateContacts.get('SECURITY')).toEqual(DECLARED);
    const writes = org.aws.callsOf('PutAlternateContact').slice(puts).filter(c => c.target === A && c.status === 200);
    expect(writes).toHaveLength(2);
    // One forwarded event reached the rule: the member's own; the reconciler's write was not forwarded.
    expect(forwarded()).toHaveLength(1);
    const arrived = org.aws.cloudTrail.delivered.find(d => d.event.account === A && d.event.detail.userIdentity.type !== 'AssumedRole')!;
    const simulatedMs = (writes[1].at - arrived.at) * TIME_SCALE;
    expect(simulatedMs).toBeGreaterThanOrEqual(0);
    expect(simulatedMs).toBeLessThanOrEqual(60_000);
    const undone = org.aws.eventBus.events.filter(e => e.DetailType === BASELINE_EVENTS.handChangeUndone).map(e => JSON.parse(e.Detail));
    expect(undone).toEqual([expect.objectContaining({ accountId: A, setting: 'SECURITY alternate contact', who: `arn:aws:iam::${A}:user/local` })]);

    // The member's record holds the values written by hand; what the rule hands the function does not.
    expect(JSON.stringify(arrived.event)).toContain(BY_HAND.EmailAddress);
    const payloads = org.aws.lambda.asyncEvents.map(e => e.payload as any).filter(p => p.Trigger === 'hand-change' && p.Event?.id === arrived.event.id);
    expect(payloads).toHaveLength(1);
    for (const value of [BY_HAND.Name, BY_HAND.Title, BY_HAND.EmailAddress]) {
      expect(JSON.stringify(org.aws.lambda.asyncEvents.map(e => e.payload))).not.toContain(value);
    }
    // A standalone call by a user: no accountId and no session issuer, which EventBridge hands over as "".
    expect(payloads[0].Event).toEqual({
      source: 'aws.account',
      id: arrived.event.id,
      account: A,
      detail: {
        eventSource: 'account.amazonaws.com',
        eventName: 'PutAlternateContact',
        errorCode: '',
        userIdentity: { arn: `arn:aws:iam::${A}:user/local`, sessionContext: { sessionIssuer: { arn: '' } } },
        requestParameters: { accountId: '', alternateContactType: 'SECURITY' },
        recipientAccountId: A,
      },
    });
  });

  test('a forwarded write of the reconciler\'s own member session is not undone (it may reach the bus by other means than the footprint)', async () => {
    await deploy(baselineStack());
    await changeInside(A);
    await settled();
    const input = org.aws.lambda.asyncEvents.filter(e => (e.payload as { Trigger?: string }).Trigger === 'hand-change').at(-1)!.payload as any;
    const target = forwarded().at(-1)!.target;
    const session = `arn:aws:sts::${A}:assumed-role/${memberRole}/cdk-account-management`;
    const identity = { type: 'AssumedRole', arn: session, accountId: A, sessionContext: { sessionIssuer: { arn: `arn:aws:iam::${A}:role/${memberRole}` } } };
    org.aws.account(A).alternateContacts.set('SECURITY', BY_HAND);
    const executions = org.aws.stepFunctions.executions.length;
    await org.aws.lambda.invoke(target, { ...input, Event: { ...input.Event, id: 'forged-1', detail: { ...input.Event.detail, userIdentity: identity } } });
    await settled();
    expect(org.aws.stepFunctions.executions.length).toBe(executions);
    expect(org.aws.account(A).alternateContacts.get('SECURITY')).toEqual(BY_HAND);
  });

  test('of a single setting in the same stack are undone too: the forwarded event reaches the settings\' rule', async () => {
    await deploy(stackOf(s => {
      AccountSettingsProvider.getOrCreate(s, { restoreHandChanges: true });
      new OrganizationBaseline(s, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { billing: SECURITY }, restoreHandChanges: true, memberFootprint: {} });
      new AlternateContact(s, 'Security', { accountId: A, type: AlternateContactType.SECURITY, ...SECURITY });
    }));
    await changeInside(A);
    await settled();
    expect(org.aws.account(A).alternateContacts.get('SECURITY')).toEqual(DECLARED);
    const undone = org.aws.eventBus.events.filter(e => e.DetailType === BASELINE_EVENTS.handChangeUndone).map(e => JSON.parse(e.Detail));
    expect(undone).toEqual([expect.objectContaining({ accountId: A, setting: 'SECURITY alternate contact', resource: expect.stringMatching(/^Security/) })]);
  });

  test('without the footprint, they are not seen (the member\'s trail events stay on its own bus)', async () => {
    await deploy(baselineStack({ memberFootprint: undefined }));
    await changeInside(A);
    await settled();
    expect(org.aws.account(A).alternateContacts.get('SECURITY')).toEqual(BY_HAND);
    expect(forwarded()).toHaveLength(0);
  });
});
