import { handChangeOf } from '../lambda/shared/hand-change';

/* What the handlers read from a CloudTrail record of an Account API write: ids only, and only from records of declared kinds. */

const ROLE = 'arn:aws:iam::111111111111:role/Stack-Handler';
const OPERATOR = 'arn:aws:sts::111111111111:assumed-role/Admin/jane';

function record(detail: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) {
  return {
    'id': 'a1b2c3',
    'source': 'aws.account',
    'detail-type': 'AWS API Call via CloudTrail',
    'account': '111111111111',
    'detail': {
      eventSource: 'account.amazonaws.com',
      eventName: 'PutAlternateContact',
      recipientAccountId: '111111111111',
      userIdentity: { type: 'AssumedRole', arn: OPERATOR, sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::111111111111:role/Admin' } } },
      requestParameters: { accountId: '222222222222', alternateContactType: 'SECURITY', name: 'Jane Doe', emailAddress: 'jane@example.com' },
      ...detail,
    },
    ...envelope,
  };
}

test('a member\'s contact written by hand: the account, the type, the actor and the record\'s id; no value', () => {
  const parsed = handChangeOf(record(), [ROLE]);
  expect(parsed).toEqual({
    change: { accountId: '222222222222', setting: { kind: 'alternate contact', contactType: 'SECURITY' }, actor: OPERATOR, eventName: 'PutAlternateContact', eventId: 'a1b2c3' },
  });
  expect(JSON.stringify(parsed)).not.toMatch(/Jane Doe|jane@example.com/);
});

test.each([
  ['DeleteAlternateContact', { alternateContactType: 'BILLING' }, { kind: 'alternate contact', contactType: 'BILLING' }],
  ['PutContactInformation', {}, { kind: 'primary contact' }],
  ['PutAccountName', { accountName: 'x' }, { kind: 'account name' }],
])('%s: the setting it changed is read from the event name and the contact type', (eventName, request, setting) => {
  const parsed = handChangeOf(record({ eventName, requestParameters: { accountId: '222222222222', ...request } }), []);
  expect(parsed).toEqual({ change: expect.objectContaining({ setting, eventName }) });
});

test('a call without AccountId changed the caller\'s own account (the one whose trail recorded it)', () => {
  const parsed = handChangeOf(record({ requestParameters: { alternateContactType: 'SECURITY' } }), []);
  expect(parsed).toEqual({ change: expect.objectContaining({ accountId: '111111111111' }) });
});

test.each<[string, ReturnType<typeof record>, string]>([
  ['the stack\'s own role (session issuer)', record({ userIdentity: { arn: OPERATOR, sessionContext: { sessionIssuer: { arn: ROLE } } } }), 'the stack\'s own write'],
  ['the stack\'s own role (session ARN only)', record({ userIdentity: { arn: 'arn:aws:sts::111111111111:assumed-role/Stack-Handler/fn' } }), 'the stack\'s own write'],
  ['a refused call', record({ errorCode: 'AccessDeniedException' }), 'the call failed: it changed nothing'],
  ['a read', record({ eventName: 'GetAlternateContact' }), 'not an Account Management write of a setting a stack declares'],
  ['a Region request', record({ eventName: 'EnableRegion' }), 'not an Account Management write of a setting a stack declares'],
  ['another service', record({}, { source: 'aws.organizations' }), 'not an Account Management write of a setting a stack declares'],
  ['no account', record({ requestParameters: { accountId: '12', alternateContactType: 'SECURITY' } }), 'the record names no account'],
  ['no contact type', record({ requestParameters: { accountId: '222222222222', alternateContactType: 'OTHER' } }), 'the record names no alternate contact type'],
])('%s is not undone', (_case, event, why) => {
  expect(handChangeOf(event, [ROLE])).toEqual({ ignored: why });
});

test('an actor that is not a principal\'s ARN (a forged record could carry anything) is "unknown"; so are an odd id\'s records named afresh', () => {
  const parsed = handChangeOf(record({ userIdentity: { arn: 'jane@example.com' } }, { id: 'not an id!' }), []);
  expect(parsed).toEqual({ change: expect.objectContaining({ actor: 'unknown' }) });
  expect((parsed as { change: { eventId: string } }).change.eventId).toMatch(/^\d+$/);
});

/** The record as the rule's input transformer hands it over: its ids only, and `""` for each path the record lacks. */
function reduced(fields: { accountId?: string; issuer?: string; arn?: string } = {}) {
  return {
    source: 'aws.account',
    id: 'a1b2c3',
    account: '111111111111',
    detail: {
      eventSource: 'account.amazonaws.com',
      eventName: 'PutAlternateContact',
      errorCode: '',
      userIdentity: { arn: fields.arn ?? OPERATOR, sessionContext: { sessionIssuer: { arn: fields.issuer ?? '' } } },
      requestParameters: { accountId: fields.accountId ?? '', alternateContactType: 'SECURITY' },
      recipientAccountId: '111111111111',
    },
  };
}

test('as the rule hands it over: a standalone call by a user (no accountId, no session issuer) changed the caller\'s own account', () => {
  expect(handChangeOf(reduced({ arn: 'arn:aws:iam::111111111111:user/operator' }), [ROLE])).toEqual({
    change: { accountId: '111111111111', setting: { kind: 'alternate contact', contactType: 'SECURITY' }, actor: 'arn:aws:iam::111111111111:user/operator', eventName: 'PutAlternateContact', eventId: 'a1b2c3' },
  });
  expect(handChangeOf(reduced({ accountId: '222222222222' }), [ROLE])).toEqual({ change: expect.objectContaining({ accountId: '222222222222' }) });
  expect(handChangeOf(reduced({ issuer: ROLE }), [ROLE])).toEqual({ ignored: 'the stack\'s own write' });
});

test.each([['absent', undefined], ['null', null], ['empty', '']])('errorCode, accountId and session issuer %s are read alike: no error, the caller\'s own account', (_case, value) => {
  const event = record({
    errorCode: value,
    userIdentity: { arn: OPERATOR, sessionContext: { sessionIssuer: { arn: value } } },
    requestParameters: { accountId: value, alternateContactType: 'SECURITY' },
  });
  expect(handChangeOf(event, [ROLE])).toEqual({ change: expect.objectContaining({ accountId: '111111111111', actor: OPERATOR }) });
  // A real error code still means a refused call.
  expect(handChangeOf(record({ errorCode: 'ValidationException' }), [ROLE])).toEqual({ ignored: 'the call failed: it changed nothing' });
});
