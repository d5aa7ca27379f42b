/*
 * Account API events from member accounts, locally: with an organization trail, a member's own write
 * reaches that member's default bus; the footprint's rule forwards it, unchanged, to the management
 * account's bus, whose policy admits the organization's accounts only; the member role's own writes
 * (the reconciler's) are not forwarded.
 */
import { AccountClient, PutAlternateContactCommand, PutAlternateContactCommandInput } from '@aws-sdk/client-account';
import { BusEvent, CloudTrailEvent, LocalAws, LocalCloudFormation } from '../local';
import { deployed, footprintStack, MANAGEMENT, MEMBER_ROLE, REGION, STACK_SET } from './local-stacksets-support';

const [A, B, OUTSIDER] = ['222222222222', '333333333333', '999999999999'];
const MANAGEMENT_BUS = `arn:aws:events:${REGION}:${MANAGEMENT}:event-bus/default`;
const HAND_CHANGES = { 'source': ['aws.account'], 'detail-type': ['AWS API Call via CloudTrail'] };
const CONTACT: PutAlternateContactCommandInput = {
  AlternateContactType: 'SECURITY', Name: 'Sam', Title: 'Officer', EmailAddress: 'sam@example.com', PhoneNumber: '+1 555 0100',
};

let aws: LocalAws;
let cfn: LocalCloudFormation;
let client: AccountClient;
/** What the management bus's rule sent its target. */
let received: BusEvent[];

beforeEach(async () => {
  aws = await LocalAws.start({ managementAccountId: MANAGEMENT, memberAccountIds: [A, B], standaloneAccountIds: [OUTSIDER] });
  cfn = new LocalCloudFormation(aws);
  client = new AccountClient({ endpoint: aws.endpoint, region: REGION, credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' } });
  received = [];
  aws.eventBus.deliverTo = (_arn, payload) => received.push(payload as BusEvent);
  aws.eventBus.putRule('HandChanges', HAND_CHANGES, [{ Arn: `arn:aws:lambda:${REGION}:${MANAGEMENT}:function:reconcile` }]);
  aws.cloudTrail.organizationTrail = true;
});

afterEach(async () => {
  client.destroy();
  await aws.close();
});

/** A write made with `accountId`'s credentials (a person in its console), its trail's event delivered. */
async function writeAs(accountId: string, input: PutAlternateContactCommandInput = CONTACT): Promise<void> {
  aws.callerAccountId = accountId;
  try {
    await client.send(new PutAlternateContactCommand(input));
  } finally {
    aws.callerAccountId = MANAGEMENT;
  }
  aws.cloudTrail.flush();
}

const eventsOn = (accountId: string) => aws.cloudTrail.delivered.map(d => d.event).filter(e => e.account === accountId);

test('a member\'s hand write reaches its bus, is forwarded unchanged to the management bus, and reaches the rule there', async () => {
  expect(await deployed(cfn, footprintStack(aws.rootId))).toBe('CREATE_COMPLETE');
  await writeAs(A);

  const [event] = eventsOn(A);
  expect(event.detail).toMatchObject({ eventName: 'PutAlternateContact', recipientAccountId: A, userIdentity: { accountId: A } });
  expect(aws.eventBusOf(A).deliveries).toEqual([{ rule: expect.stringMatching(/ForwardingRule/), target: MANAGEMENT_BUS, event }]);
  expect(received).toEqual([event]);
  expect((received[0] as CloudTrailEvent).id).toBe(event.id);
  expect(aws.eventBus.refused).toEqual([]);
  // The phone number, which CloudTrail hides, is nowhere in what was forwarded.
  expect(JSON.stringify(received)).not.toContain('555');
});

test('without an organization trail a member\'s write reaches no bus; the management account\'s own write reaches its bus only', async () => {
  expect(await deployed(cfn, footprintStack(aws.rootId))).toBe('CREATE_COMPLETE');
  aws.cloudTrail.organizationTrail = false;
  aws.cloudTrail.logging = true;
  await writeAs(A);
  expect(aws.cloudTrail.delivered).toEqual([]);
  expect(aws.eventBusOf(A).deliveries).toEqual([]);

  aws.cloudTrail.logging = false;
  aws.cloudTrail.organizationTrail = true;
  await writeAs(MANAGEMENT, { ...CONTACT, AccountId: A });
  expect(eventsOn(MANAGEMENT)).toHaveLength(1);
  expect(eventsOn(A)).toEqual([]);
  expect(received).toEqual(eventsOn(MANAGEMENT));
});

test('the member role\'s own writes are not forwarded; another role\'s are', async () => {
  expect(await deployed(cfn, footprintStack(aws.rootId))).toBe('CREATE_COMPLETE');
  const write = (role: string) => aws.cloudTrail.record({ operation: 'PutAlternateContact', caller: A, role, body: { AlternateContactType: 'BILLING' }, status: 200 });
  write(`arn:aws:iam::${A}:role/${MEMBER_ROLE}`);
  aws.cloudTrail.flush();
  expect(eventsOn(A)).toHaveLength(1);
  expect(received).toEqual([]);

  write(`arn:aws:iam::${A}:role/Administrator`);
  // The member role of another account is not this account's: the rule's ARN is evaluated per instance.
  write(`arn:aws:iam::${B}:role/${MEMBER_ROLE}`);
  aws.cloudTrail.flush();
  expect(received.map(e => (e as CloudTrailEvent).detail.userIdentity.sessionContext.sessionIssuer.arn))
    .toEqual([`arn:aws:iam::${A}:role/Administrator`, `arn:aws:iam::${B}:role/${MEMBER_ROLE}`]);
});

test('from a CloudFormation delegated administrator\'s stack, members forward to that account\'s bus, where its policy is', async () => {
  aws.cloudFormationDelegatedAdminAccountId = B;
  expect(await deployed(cfn, footprintStack(aws.rootId, { account: B, callAs: 'DELEGATED_ADMIN' }))).toBe('CREATE_COMPLETE');
  const atAdmin: BusEvent[] = [];
  aws.eventBusOf(B).deliverTo = (_arn, payload) => atAdmin.push(payload as BusEvent);
  aws.eventBusOf(B).putRule('HandChanges', HAND_CHANGES, [{ Arn: `arn:aws:lambda:${REGION}:${B}:function:reconcile` }]);
  await writeAs(A);

  expect(atAdmin).toEqual(eventsOn(A));
  expect(atAdmin).toHaveLength(1);
  expect(received).toEqual([]);
  expect(aws.eventBusOf(B).refused).toEqual([]);
  // The administrator's own instance would forward to its own bus, which EventBridge refuses: the footprint should leave that account out.
  const own = aws.stackSets.instances(STACK_SET).find(i => i.accountId === B)!;
  expect(own).toMatchObject({ status: 'OUTDATED', reason: expect.stringMatching(/cannot target the event bus it is on/) });
});

describe('the management bus\'s policy', () => {
  /** Forwards an event from `sender`'s bus to the management bus, as the footprint's rule does. */
  function forwardFrom(sender: string): BusEvent {
    const event = { 'id': `from-${sender}`, 'account': sender, 'source': 'aws.account', 'detail-type': 'AWS API Call via CloudTrail', 'detail': {} };
    aws.eventBusOf(sender).putRule('Forward', { source: ['aws.account'] }, [{ Arn: MANAGEMENT_BUS }]);
    aws.eventBusOf(sender).put(event);
    return event;
  }

  test('an account outside the organization is refused, and the refusal recorded', async () => {
    expect(await deployed(cfn, footprintStack(aws.rootId, { withoutStackSet: true }))).toBe('CREATE_COMPLETE');
    const refused = forwardFrom(OUTSIDER);
    const admitted = forwardFrom(B);

    expect(aws.eventBus.refused).toEqual([{ sender: OUTSIDER, event: refused }]);
    expect(received).toEqual([admitted]);
  });

  test('without the policy, or with another organization\'s id, a member is refused too', async () => {
    forwardFrom(A);
    expect(await deployed(cfn, footprintStack(aws.rootId, { withoutStackSet: true, orgCondition: 'o-otherorgid' }))).toBe('CREATE_COMPLETE');
    forwardFrom(B);
    expect(aws.eventBus.refused.map(r => r.sender)).toEqual([A, B]);

    expect(await deployed(cfn, footprintStack(aws.rootId, { withoutStackSet: true, orgCondition: aws.organization.id }))).toBe('UPDATE_COMPLETE');
    forwardFrom(B);
    expect(received).toHaveLength(1);
    expect((await cfn.destroy('Footprint')).status).toBe('DELETE_COMPLETE');
    forwardFrom(B);
    expect(aws.eventBus.refused.map(r => r.sender)).toEqual([A, B, B]);
  });

  test('a statement the local bus cannot evaluate is refused rather than ignored', () => {
    expect(() => aws.eventBus.putPolicyStatement('Loose', {
      Effect: 'Allow',
      Principal: '*',
      Action: 'events:PutEvents',
      Resource: MANAGEMENT_BUS,
      Condition: { StringLike: { 'aws:PrincipalOrgPaths': 'o-exampleorgid/*' } },
    })).toThrow(/supports only StringEquals on aws:PrincipalOrgID/);
  });
});
