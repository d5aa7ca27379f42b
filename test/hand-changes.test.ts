/*
 * Hand changes undone (restoreHandChanges), through the local services: the management account's trail
 * sends the Account API's writes to the default bus after a delay, the stack's rule hands those its
 * functions did not make to the function that declared the setting, which puts the declared values back.
 * Time is measured on the services' clock (the calls' and the events' records), in simulated seconds.
 */
import {
  AccountClient, DeleteAlternateContactCommand, PutAccountNameCommand, PutAlternateContactCommand, PutContactInformationCommand,
} from '@aws-sdk/client-account';
import { Stack } from 'aws-cdk-lib';
import { useSmallOrganization } from './small-organization';
import { stackOf } from './support';
import {
  AccountBaseline, AccountSettingsProvider, AlternateContact, AlternateContactDetails, AlternateContactType, OrganizationBaseline,
  PrimaryContactDetails,
} from '../src';
import { BASELINE_EVENTS } from '../src/contract';

// Slow enough that the minute the goal allows is several real seconds: the path it measures is a few hundred milliseconds.
const TIME_SCALE = 10;
const MEMBERS = ['240000000000', '240000000001', '240000000002'];
const [A, B, OUTSIDE] = MEMBERS;
const OU = 'ou-root-handchanges';
const OPERATOR = 'arn:aws:iam::111111111111:user/operator';

jest.setTimeout(120_000);

const org = useSmallOrganization(MEMBERS, { [OU]: [A, B] }, TIME_SCALE);

const SECURITY: AlternateContactDetails = { name: 'Security Desk', title: 'Lead', emailAddress: 'desk@example.com', phoneNumber: '+1 206-555-0100' };
const PRIMARY: PrimaryContactDetails = {
  fullName: 'Cloud Platform Team', addressLine1: '410 Terry Ave N', city: 'Seattle', stateOrRegion: 'WA', postalCode: '98109', countryCode: 'US', phoneNumber: '+1 206-555-0199',
};
const DECLARED = { Name: 'Security Desk', Title: 'Lead', EmailAddress: 'desk@example.com', PhoneNumber: '+1 206-555-0100' };
const BY_HAND = { Name: 'Somebody Else', Title: 'Intern', EmailAddress: 'intern@example.net', PhoneNumber: '+1 206-555-0199' };

beforeEach(() => {
  org.aws.eventBus.events.length = 0;
  org.aws.eventBus.deliveries.length = 0;
  org.aws.cloudTrail.delivered.length = 0;
  org.aws.cloudTrail.logging = true;
  // CloudTrail's records reach EventBridge a while after the call: the minute is counted from the event.
  org.aws.cloudTrail.delayMs = 10_000;
  org.aws.cloudTrail.userArn = OPERATOR;
});

afterEach(async () => {
  await settled();
  org.aws.cloudTrail.logging = false;
  // The stack's rules and functions go with it: the next test's stack is alone on the bus.
  if (deployed) expect((await org.cfn.destroy(deployed)).status).toBe('DELETE_COMPLETE');
  deployed = undefined;
});

let deployed: string | undefined;

function baselineStack(restoreHandChanges = true): Stack {
  return stackOf(s => new OrganizationBaseline(s, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY }, restoreHandChanges }));
}

const settled = () => org.settled();

async function deploy(stack: Stack): Promise<void> {
  expect((await org.cfn.deploy(stack)).status).toBe('CREATE_COMPLETE');
  deployed = stack.stackName;
  await settled();
}

/** The operator changes the contact from the management account, with the CLI's credentials (no function's role). */
async function changeByHand(accountId: string, type = 'SECURITY'): Promise<void> {
  const input = { AccountId: accountId, AlternateContactType: type as AlternateContactType, ...BY_HAND };
  await new AccountClient({}).send(new PutAlternateContactCommand(input));
}

function putsTo(accountId: string, since: number) {
  return org.aws.callsOf('PutAlternateContact').slice(since).filter(call => call.target === accountId && call.status === 200);
}

function handChangeEvents() {
  return org.aws.eventBus.events.filter(e => e.DetailType === BASELINE_EVENTS.handChangeUndone).map(e => JSON.parse(e.Detail));
}

function ruleDeliveries() {
  return org.aws.eventBus.deliveries.filter(d => d.rule.includes('HandChangeRule'));
}

/** What the rules handed to the functions (the file's asynchronous invocations so far), for one record's id if given. */
function handChangePayloads(recordId?: string): any[] {
  return org.aws.lambda.asyncEvents.map(e => e.payload as any)
    .filter(p => p.Trigger === 'hand-change' && (recordId === undefined || p.Event?.id === recordId));
}

/** The contact values written by hand that CloudTrail's record holds (name, title, e-mail; never the phone). */
const RECORDED_BY_HAND = [BY_HAND.Name, BY_HAND.Title, BY_HAND.EmailAddress];

function logged(): string {
  return (console.info as jest.Mock).mock.calls.map(args => JSON.stringify(args)).join('\n');
}

describe('an OrganizationBaseline that restores hand changes', () => {
  test('a contact changed by hand in a member is restored by one write within a minute of the change\'s event; an event names who', async () => {
    await deploy(baselineStack());
    const puts = org.aws.callsOf('PutAlternateContact').length;
    const deliveries = ruleDeliveries().length;

    await changeByHand(A);
    expect(org.aws.account(A).alternateContacts.get('SECURITY')).toEqual(BY_HAND);
    await settled();

    expect(org.aws.account(A).alternateContacts.get('SECURITY')).toEqual(DECLARED);
    // The operator's write and one restoring write; nothing else written anywhere.
    const writes = putsTo(A, puts);
    expect(writes).toHaveLength(2);
    expect(org.aws.callsOf('PutAlternateContact').slice(puts)).toHaveLength(2);
    // One rule delivery (the operator's write): the restoring write started nothing.
    expect(ruleDeliveries().slice(deliveries)).toHaveLength(1);
    const arrived = org.aws.cloudTrail.delivered.find(d => d.event.detail.userIdentity.arn === OPERATOR)!;
    const simulatedMs = (writes[1].at - arrived.at) * TIME_SCALE;
    expect(simulatedMs).toBeGreaterThanOrEqual(0);
    expect(simulatedMs).toBeLessThanOrEqual(60_000);

    const [event] = handChangeEvents();
    expect(event).toEqual(expect.objectContaining({ accountId: A, setting: 'SECURITY alternate contact', who: OPERATOR, changedBy: 'PutAlternateContact' }));
    expect(event.stack).toMatch(/^arn:aws:cloudformation:us-east-1:111111111111:stack\/Settings\//);
    expect(event.baselineId).toMatch(/^[0-9a-f]{16}$/);
    expect(logged()).toMatch(/hand change undone.*arn:aws:iam::111111111111:user\/operator/);
    // Neither the values written by hand nor the declared ones reach a log line or an event.
    const published = `${logged()}\n${org.aws.eventBus.events.map(e => e.Detail).join('\n')}`;
    for (const value of [...Object.values(BY_HAND), ...Object.values(DECLARED)]) expect(published).not.toContain(value);
    // CloudTrail's record holds them; what the rule hands the function does not.
    expect(JSON.stringify(arrived.event)).toContain(BY_HAND.EmailAddress);
    const payloads = handChangePayloads(String(arrived.event.id));
    expect(payloads).toHaveLength(1);
    for (const value of RECORDED_BY_HAND) expect(JSON.stringify(org.aws.lambda.asyncEvents.map(e => e.payload))).not.toContain(value);
    expect(payloads[0].Event).toEqual({
      source: 'aws.account',
      id: arrived.event.id,
      account: '111111111111',
      detail: {
        eventSource: 'account.amazonaws.com',
        eventName: 'PutAlternateContact',
        errorCode: '',
        // A user: no session issuer, which EventBridge hands over as "".
        userIdentity: { arn: OPERATOR, sessionContext: { sessionIssuer: { arn: '' } } },
        requestParameters: { accountId: A, alternateContactType: 'SECURITY' },
        recipientAccountId: '111111111111',
      },
    });
  });

  test('a contact deleted by hand is put back by one write', async () => {
    await deploy(baselineStack());
    const puts = org.aws.callsOf('PutAlternateContact').length;
    await new AccountClient({}).send(new DeleteAlternateContactCommand({ AccountId: B, AlternateContactType: 'SECURITY' }));
    expect(org.aws.account(B).alternateContacts.has('SECURITY')).toBe(false);
    await settled();
    expect(org.aws.account(B).alternateContacts.get('SECURITY')).toEqual(DECLARED);
    expect(putsTo(B, puts)).toHaveLength(1);
    expect(handChangeEvents()).toEqual([expect.objectContaining({ accountId: B, who: OPERATOR, changedBy: 'DeleteAlternateContact' })]);
  });

  test('the reconciler\'s own writes start nothing: a deploy while the trail logs has no delivery, and no second write', async () => {
    await deploy(baselineStack());
    expect(org.aws.cloudTrail.delivered.map(d => d.event.detail.eventName)).toEqual(['PutAlternateContact', 'PutAlternateContact']);
    expect(ruleDeliveries()).toHaveLength(0);
    expect(org.aws.callsOf('PutAlternateContact').filter(c => c.status === 200)).toHaveLength(2);
    expect(handChangeEvents()).toEqual([]);
  });

  test('a refused write by hand (errorCode) starts nothing', async () => {
    await deploy(baselineStack());
    const deliveries = ruleDeliveries().length;
    await expect(changeByHand(A, 'NOT_A_TYPE')).rejects.toThrow();
    await settled();
    expect(org.aws.cloudTrail.delivered.filter(d => d.event.detail.errorCode === 'ValidationException')).toHaveLength(1);
    expect(ruleDeliveries().slice(deliveries)).toHaveLength(0);
  });

  test('forged events, invoked by hand, write nothing the baseline does not declare, and nothing the account already holds', async () => {
    const stack = baselineStack();
    await deploy(stack);
    const rule = org.aws.eventBus.deliveries.length;
    // A genuine record, to forge from: the operator's write to an account the baseline does not target.
    await changeByHand(OUTSIDE);
    await settled();
    const record = org.aws.cloudTrail.delivered.find(d => d.event.detail.requestParameters.accountId === OUTSIDE)!.event;
    expect(org.aws.eventBus.deliveries.length).toBe(rule + 1);
    const [delivery] = org.aws.eventBus.deliveries.slice(rule);
    const input = org.aws.lambda.asyncEvents.filter(e => (e.payload as { Trigger?: string }).Trigger === 'hand-change').at(-1)!.payload as any;
    expect(input.Event.id).toBe(record.id);
    const puts = org.aws.callsOf('PutAlternateContact').length;
    const executions = org.aws.stepFunctions.executions.length;
    // Forged from what the rule handed over (the record's ids only).
    const forge = (detail: Record<string, unknown>) => ({ ...input, Event: { ...input.Event, detail: { ...input.Event.detail, ...detail } } });
    const invoke = async (payload: unknown) => {
      await org.aws.lambda.invoke(delivery.target, payload);
      await settled();
    };

    // The outside account's contact (delivered by the rule above) and a type the baseline does not declare: no run at all.
    await invoke(forge({ requestParameters: { accountId: A, alternateContactType: 'BILLING' } }));
    // The stack's own role, named by a forger: ignored by the function itself.
    const role = String(input.Ignore[0]);
    await invoke(forge({ requestParameters: { accountId: A, alternateContactType: 'SECURITY' }, userIdentity: { arn: OPERATOR, sessionContext: { sessionIssuer: { arn: role } } } }));
    expect(org.aws.stepFunctions.executions.length).toBe(executions);

    // A declared setting that the account still holds: a run that reads, and writes nothing.
    await invoke(forge({ requestParameters: { accountId: B, alternateContactType: 'SECURITY' } }));
    expect(org.aws.stepFunctions.executions.length).toBe(executions + 1);
    expect(org.aws.callsOf('PutAlternateContact').length).toBe(puts);
    expect(org.aws.account(OUTSIDE).alternateContacts.get('SECURITY')).toEqual(BY_HAND);
    expect(handChangeEvents()).toEqual([]);
    expect(logged()).toMatch(/nothing to undo: the account holds what the baseline declares/);
  });

  test('a baseline that does not restore hand changes has no rule: the change stays', async () => {
    await deploy(baselineStack(false));
    await changeByHand(A);
    await settled();
    expect(org.aws.account(A).alternateContacts.get('SECURITY')).toEqual(BY_HAND);
    expect(ruleDeliveries()).toHaveLength(0);
  });
});

describe('single settings of a stack that restores hand changes', () => {
  function settingsStack(restoreHandChanges: boolean): Stack {
    return stackOf(s => {
      AccountSettingsProvider.getOrCreate(s, { restoreHandChanges });
      new AlternateContact(s, 'Security', { accountId: A, type: AlternateContactType.SECURITY, ...SECURITY });
    });
  }

  test('an AlternateContact changed by hand is restored by one write, and an event names who and the construct', async () => {
    await deploy(settingsStack(true));
    const puts = org.aws.callsOf('PutAlternateContact').length;
    expect(ruleDeliveries()).toHaveLength(0);

    await changeByHand(A);
    await settled();

    expect(org.aws.account(A).alternateContacts.get('SECURITY')).toEqual(DECLARED);
    const writes = putsTo(A, puts);
    expect(writes).toHaveLength(2);
    const arrived = org.aws.cloudTrail.delivered.find(d => d.event.detail.userIdentity.arn === OPERATOR)!;
    expect((writes[1].at - arrived.at) * TIME_SCALE).toBeLessThanOrEqual(60_000);
    expect(ruleDeliveries()).toHaveLength(1);
    expect(handChangeEvents()).toEqual([expect.objectContaining({
      accountId: A, setting: 'SECURITY alternate contact', who: OPERATOR, resource: expect.stringMatching(/^Security[0-9A-F]{8}$/),
    })]);
    // The settings provider's rule hands over the record's ids only, as the baseline's does.
    expect(handChangePayloads(String(arrived.event.id))).toEqual([expect.objectContaining({ Ignore: [expect.stringMatching(/AccountSettingsProviderHandler/)] })]);
    for (const value of RECORDED_BY_HAND) expect(JSON.stringify(handChangePayloads())).not.toContain(value);
  });

  test('an AccountBaseline\'s primary contact and name changed by hand are restored, one write each', async () => {
    const stack = stackOf(s => {
      AccountSettingsProvider.getOrCreate(s, { restoreHandChanges: true });
      new AccountBaseline(s, 'Workload', { accountId: B, primaryContact: PRIMARY, accountName: 'workload-b' });
    });
    await deploy(stack);
    const declaredContact = org.aws.account(B).contactInformation;
    const writes = () => org.aws.calls.filter(c => ['PutContactInformation', 'PutAccountName'].includes(c.operation) && c.status === 200).length;
    const before = writes();

    const client = new AccountClient({});
    await client.send(new PutContactInformationCommand({ AccountId: B, ContactInformation: { ...declaredContact!, FullName: 'Somebody Else' } as any }));
    await client.send(new PutAccountNameCommand({ AccountId: B, AccountName: 'renamed-by-hand' }));
    await settled();

    expect(org.aws.account(B).contactInformation).toEqual(declaredContact);
    expect(org.aws.account(B).name).toBe('workload-b');
    // Two by hand, one restoring write each.
    expect(writes()).toBe(before + 4);
    expect(handChangeEvents().map(e => e.setting).sort()).toEqual(['account name', 'primary contact']);
    expect(logged()).not.toContain('Somebody Else');
  });

  test('a change to another account or type than the stack declares writes nothing', async () => {
    await deploy(settingsStack(true));
    const puts = org.aws.callsOf('PutAlternateContact').length;
    await changeByHand(B);
    await changeByHand(A, 'BILLING');
    await settled();
    expect(ruleDeliveries()).toHaveLength(2);
    expect(org.aws.callsOf('PutAlternateContact').length).toBe(puts + 2);
    expect(org.aws.account(B).alternateContacts.get('SECURITY')).toEqual(BY_HAND);
    expect(handChangeEvents()).toEqual([]);
  });

  test('nothing is restored while the stack is being deployed or the resource is not complete; a repeated event writes nothing', async () => {
    const stack = settingsStack(true);
    await deploy(stack);
    const record = org.cfn.stackOf(stack.stackName);
    const resource = [...record.resources.values()].find(r => r.LogicalResourceId.startsWith('Security'))!;
    const puts = org.aws.callsOf('PutAlternateContact').length;

    record.status = 'UPDATE_IN_PROGRESS';
    await changeByHand(A);
    await settled();
    expect(org.aws.account(A).alternateContacts.get('SECURITY')).toEqual(BY_HAND);
    expect(logged()).toContain('not undone: the stack is UPDATE_IN_PROGRESS (a deploy decides the settings now)');

    // The same event again (as Lambda may deliver it), once the stack is settled but the resource is not.
    const delivery = org.aws.lambda.asyncEvents.filter(e => (e.payload as { Trigger?: string }).Trigger === 'hand-change').at(-1)!;
    expect(delivery.functionArn).toMatch(/AccountSettingsProviderHandler/);
    record.status = 'UPDATE_COMPLETE';
    resource.ResourceStatus = 'UPDATE_IN_PROGRESS';
    await org.aws.lambda.invoke(delivery.functionArn, delivery.payload);
    expect(org.aws.account(A).alternateContacts.get('SECURITY')).toEqual(BY_HAND);
    expect(logged()).toContain(`not undone: ${resource.LogicalResourceId}, which declares it, is UPDATE_IN_PROGRESS`);
    expect(org.aws.callsOf('PutAlternateContact').length).toBe(puts + 1);

    resource.ResourceStatus = 'UPDATE_COMPLETE';
    await org.aws.lambda.invoke(delivery.functionArn, delivery.payload);
    expect(org.aws.account(A).alternateContacts.get('SECURITY')).toEqual(DECLARED);
    await org.aws.lambda.invoke(delivery.functionArn, delivery.payload);
    expect(org.aws.callsOf('PutAlternateContact').length).toBe(puts + 2);
    expect(logged()).toMatch(/nothing to undo: the account holds what Security[0-9A-F]{8} declares/);
    expect(handChangeEvents()).toHaveLength(1);
  });

  test('a stack that does not opt in has no rule: the change stays, even when its function is invoked with the change by hand', async () => {
    const stack = settingsStack(false);
    await deploy(stack);
    await changeByHand(A);
    await settled();
    expect(org.aws.account(A).alternateContacts.get('SECURITY')).toEqual(BY_HAND);
    expect(ruleDeliveries()).toHaveLength(0);

    const resource = [...org.cfn.stackOf(stack.stackName).resources.values()].find(r => r.LogicalResourceId.startsWith('Security'))!;
    const fn = String(org.cfn.resourceProperties(stack.stackName, resource.LogicalResourceId).ServiceToken);
    await org.aws.lambda.invoke(fn, { Trigger: 'hand-change', Ignore: [], Event: org.aws.cloudTrail.delivered.at(-1)!.event });
    expect(org.aws.account(A).alternateContacts.get('SECURITY')).toEqual(BY_HAND);
    expect(logged()).toContain('not undone: the stack does not restore hand changes (restoreHandChanges)');
  });
});
