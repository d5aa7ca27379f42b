/*
 * The member sessions against the local STS (lambda/shared/member-sessions.ts through reconcileAccount, in
 * this process, signed as the management account's user): STS's throttling slows AssumeRole down under the
 * step's pacer instead of sending accounts to the management account, and a role that IAM has not made
 * assumable yet (created moments ago) is asked for again about 10 seconds after its first refusal.
 */
import { Desired, reconcileAccount } from '../lambda/organization/accounts';
import { Invocation } from '../lambda/shared/clients';
import { ASSUME_ROLE, assumeRoleQuota, forgetMemberSessions } from '../lambda/shared/member-sessions';
import { DOCUMENTED_QUOTAS, Pacer } from '../lambda/shared/pacer';
import { CallRecord, PolicyDocument, scaledQuotas } from '../local';
import { useSmallOrganization } from './small-organization';
import { MANAGEMENT } from './support';
import { MEMBER_ROLE_SESSION } from '../src/contract';

const TIME_SCALE = 50;
const MEMBERS = Array.from({ length: 50 }, (_, i) => String(240000000000 + i));
const ROLE = 'AccountManagementMember';
const USER = `arn:aws:iam::${MANAGEMENT}:user/local`;

jest.setTimeout(60_000);

const org = useSmallOrganization(MEMBERS, {}, TIME_SCALE);

const TRUST: PolicyDocument = {
  Version: '2012-10-17',
  Statement: { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MANAGEMENT}:root` }, Action: 'sts:AssumeRole', Condition: { ArnEquals: { 'aws:PrincipalArn': USER } } },
};
const CONTACTS: PolicyDocument = {
  Version: '2012-10-17',
  Statement: { Effect: 'Allow', Action: ['account:GetAlternateContact', 'account:PutAlternateContact'], Resource: '*' },
};

const invocation = () => new Invocation({ invokedFunctionArn: `arn:aws:lambda:us-east-1:${MANAGEMENT}:function:reconciler`, getRemainingTimeInMillis: () => 600_000 });
const pacer = () => new Pacer(Date.now() + 600_000, {}, { ...DOCUMENTED_QUOTAS, [ASSUME_ROLE]: assumeRoleQuota() });
const wanted = async () => true;
const desired = (title: string): Desired => ({
  contacts: { SECURITY: { Name: 'Security Desk', Title: title, EmailAddress: 'desk@example.com', PhoneNumber: '+1 206-555-0100' } }, remove: [],
});
const asMember = (c: CallRecord) => c.caller === c.target && c.accountIdParameter === undefined && c.principal?.endsWith(`/${ROLE}/${MEMBER_ROLE_SESSION}`);
const fromManagement = (c: CallRecord) => c.caller === MANAGEMENT && c.accountIdParameter === c.target;
const contactCalls = (accountId?: string) => org.aws.calls.filter(c => ['GetAlternateContact', 'PutAlternateContact'].includes(c.operation)
  && (accountId === undefined || c.target === accountId));

let logged: unknown[];
/** Added to the real clock (this process's and the services'): a test moves time on without waiting for it. */
let skew: number;

beforeEach(() => {
  forgetMemberSessions();
  for (const id of MEMBERS) org.aws.iam.deleteRole(id, ROLE);
  logged = [];
  jest.spyOn(console, 'info').mockImplementation(line => void logged.push(line));
  skew = 0;
  const now = Date.now.bind(Date);
  jest.spyOn(Date, 'now').mockImplementation(() => now() + skew);
  org.aws.clock = () => Date.now();
  org.aws.rateQuotas = scaledQuotas(TIME_SCALE);
});

afterEach(() => {
  jest.restoreAllMocks();
});

test('under STS\'s throttling (5 AssumeRole a second for the calling account, 50 members at once), every member is called as itself', async () => {
  org.aws.rateQuotas = { ...scaledQuotas(TIME_SCALE), [ASSUME_ROLE]: { rate: 5 * TIME_SCALE, burst: 5 } };
  // STS's answers to the first calls: throttled whatever pace this machine sends them at (the quota alone throttles only a fast one).
  org.aws.injectFault({ operation: ASSUME_ROLE, status: 429, count: 10 });
  for (const id of MEMBERS) org.aws.iam.putRole(id, ROLE, TRUST, { contacts: CONTACTS });
  const paced = pacer();

  const outcomes = await Promise.all(MEMBERS.map(id => reconcileAccount(invocation(), paced, id, desired('Lead'), wanted, ROLE)));

  expect(outcomes.every(o => o.outcome === 'applied')).toBe(true);
  for (const id of MEMBERS) expect(org.aws.account(id).alternateContacts.get('SECURITY')?.Title).toBe('Lead');
  expect(contactCalls().filter(c => !asMember(c))).toEqual([]);
  const calls = org.aws.callsOf(ASSUME_ROLE);
  const throttled = calls.filter(c => c.errorType === 'Throttling');
  expect(calls.filter(c => c.status === 200)).toHaveLength(MEMBERS.length);
  expect(calls.length).toBe(MEMBERS.length + throttled.length);
  // Every throttle went to the step's pacer (none retried out of its sight, none sent an account to the management account).
  expect(throttled.length).toBeGreaterThanOrEqual(10);
  expect(paced.stats.throttled).toBe(throttled.length);
  expect(logged.filter(line => (line as { setting?: string }).setting === 'member role')).toEqual([]);
});

test('STS still throttling at the step\'s deadline leaves the account for the next step, not for the management account', async () => {
  org.aws.rateQuotas = { ...scaledQuotas(TIME_SCALE), [ASSUME_ROLE]: { rate: 0, burst: 0 } };
  const [member] = MEMBERS;
  org.aws.iam.putRole(member, ROLE, TRUST, { contacts: CONTACTS });
  const shortStep = new Pacer(Date.now() + 100, {}, { ...DOCUMENTED_QUOTAS, [ASSUME_ROLE]: assumeRoleQuota() });

  expect(await reconcileAccount(invocation(), shortStep, member, desired('Lead'), wanted, ROLE)).toEqual({ outcome: 'unfinished' });
  expect(org.aws.callsOf(ASSUME_ROLE).every(c => c.errorType === 'Throttling')).toBe(true);
  expect(contactCalls()).toEqual([]);

  // The next step, STS calm again, calls as the member.
  org.aws.rateQuotas = scaledQuotas(TIME_SCALE);
  expect(await reconcileAccount(invocation(), pacer(), member, desired('Lead'), wanted, ROLE)).toEqual({ outcome: 'applied' });
  expect(contactCalls().map(asMember)).toEqual([true, true]);
});

describe('a role IAM has not made assumable yet', () => {
  const [MEMBER] = MEMBERS;
  const visit = () => reconcileAccount(invocation(), pacer(), MEMBER, desired('Lead'), wanted, ROLE);
  const assumeRoles = () => org.aws.callsOf(ASSUME_ROLE).map(c => c.status);
  /** Ten seconds at the time scale, and a little more. */
  const tenSeconds = 10_000 / TIME_SCALE + 1;

  beforeEach(() => {
    // The clock stands still but for `skew`: one visit's few calls fit the pacer's and the services' bursts.
    const at = Date.now();
    jest.spyOn(Date, 'now').mockImplementation(() => at + skew);
  });

  test('put in place after the first refusal, it is used on the account\'s first visit 10 seconds later, the refusal logged once', async () => {
    expect(await visit()).toEqual({ outcome: 'applied' });
    expect(assumeRoles()).toEqual([403]);
    org.aws.iam.putRole(MEMBER, ROLE, TRUST, { contacts: CONTACTS });
    // Within the 10 seconds, handled from the management account without asking STS again.
    org.aws.account(MEMBER).alternateContacts.clear();
    expect(await visit()).toEqual({ outcome: 'applied' });
    expect(assumeRoles()).toEqual([403]);

    skew += tenSeconds;
    org.aws.account(MEMBER).alternateContacts.clear();
    expect(await visit()).toEqual({ outcome: 'applied' });
    expect(assumeRoles()).toEqual([403, 200]);
    expect(org.aws.callsOf('PutAlternateContact').map(c => (asMember(c) ? 'member' : fromManagement(c) ? 'management' : 'other')))
      .toEqual(['management', 'management', 'member']);
    const lines = logged.filter(line => (line as { setting?: string }).setting === 'member role');
    expect(lines).toEqual([expect.objectContaining({ accountId: MEMBER, operation: ASSUME_ROLE, outcome: expect.stringContaining('AccessDenied') })]);
    expect(JSON.stringify(logged)).not.toContain('desk@example.com');
  });

  test('still refused 10 seconds later, it is remembered for 5 minutes, then asked for again', async () => {
    await visit();
    skew += tenSeconds;
    await visit();
    expect(assumeRoles()).toEqual([403, 403]);
    skew += 5 * 60_000 / TIME_SCALE - 2;
    await visit();
    expect(assumeRoles()).toEqual([403, 403]);

    org.aws.iam.putRole(MEMBER, ROLE, TRUST, { contacts: CONTACTS });
    skew += 2;
    org.aws.account(MEMBER).alternateContacts.clear();
    await visit();
    expect(assumeRoles()).toEqual([403, 403, 200]);
    expect(contactCalls(MEMBER).filter(asMember).map(c => c.operation)).toEqual(['GetAlternateContact', 'PutAlternateContact']);
    expect(logged.filter(line => (line as { setting?: string }).setting === 'member role')).toHaveLength(1);
  });
});
