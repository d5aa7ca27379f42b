/*
 * The local STS and who calls: AssumeRole issues sessions of roles whose trust policy allows the caller
 * (the member footprint's role trusts only the reconciler's role, in the role's own organization), a
 * session's Account API calls are its account's own (standalone context, its quotas, allowed by its
 * role's policy only), sessions expire by the services' clock, and answers can be made to take time.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AccountClient, GetAlternateContactCommand, GetRegionOptStatusCommand, PutAccountNameCommand, PutAlternateContactCommand } from '@aws-sdk/client-account';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { LocalAws, PolicyDocument } from '../local';

const MANAGEMENT = '111111111111';
const MEMBER_A = '222222222222';
const MEMBER_B = '333333333333';
const OUTSIDER = '444444444444';
const RECONCILER = `arn:aws:iam::${MANAGEMENT}:role/reconciler`;
const MEMBER_ROLE = 'member-role';
const roleArn = (accountId: string) => `arn:aws:iam::${accountId}:role/${MEMBER_ROLE}`;

interface Credentials { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
const USER: Credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' };

/** The member footprint's trust: the management account's reconciler role, from the role's own organization. */
const MEMBER_TRUST: PolicyDocument = {
  Version: '2012-10-17',
  Statement: {
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${MANAGEMENT}:root` },
    Action: 'sts:AssumeRole',
    Condition: { ArnEquals: { 'aws:PrincipalArn': RECONCILER }, StringEquals: { 'aws:PrincipalOrgID': '${aws:ResourceOrgID}' } },
  },
};

const MEMBER_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['account:GetAlternateContact', 'account:PutAlternateContact'],
      Resource: 'arn:aws:account::*:account',
      Condition: { 'ForAllValues:StringEquals': { 'account:AlternateContactTypes': ['SECURITY', 'OPERATIONS'] } },
    },
    { Effect: 'Allow', Action: 'account:GetRegion*', Resource: '*' },
  ],
};

const CONTACT = { AlternateContactType: 'SECURITY' as const, Name: 'Sec', Title: 'CISO', EmailAddress: 'sec@example.com', PhoneNumber: '+1 555 0100' };

let aws: LocalAws;
const clients: Array<{ destroy(): void }> = [];
let now: number;

function sts(credentials: Credentials = USER): STSClient {
  const client = new STSClient({ endpoint: aws.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  clients.push(client);
  return client;
}

function account(credentials: Credentials): AccountClient {
  const client = new AccountClient({ endpoint: aws.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  clients.push(client);
  return client;
}

type Session = Credentials & { expiration?: Date };

async function assume(by: Credentials, arn: string, sessionName = 'reconcile', durationSeconds?: number): Promise<Session> {
  const command = new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: sessionName, DurationSeconds: durationSeconds });
  const { Credentials: c } = await sts(by).send(command);
  return { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken!, expiration: c!.Expiration };
}

/** The reconciler's session (the tests' user assumes the reconciler role, as the function's credentials would be). */
const reconciler = () => assume(USER, RECONCILER, 'reconciler');

async function failure(promise: Promise<unknown>): Promise<{ name?: string; status?: number; message?: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('the request succeeded');
}

beforeAll(async () => {
  aws = await LocalAws.start({ memberAccountIds: [MEMBER_A, MEMBER_B], standaloneAccountIds: [OUTSIDER] });
  aws.useForSdkClients();
});

afterAll(async () => {
  clients.forEach(client => client.destroy());
  await aws.close();
});

beforeEach(() => {
  now = Date.parse('2026-01-01T00:00:00Z');
  aws.clock = () => now;
  aws.rateQuotas = {};
  aws.latencyMs = 0;
  aws.clearCalls();
  aws.callerAccountId = MANAGEMENT;
  for (const id of [MANAGEMENT, MEMBER_A, MEMBER_B]) aws.account(id).alternateContacts.clear();
  aws.iam.putRole(MANAGEMENT, 'reconciler', { Statement: { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MANAGEMENT}:user/local` }, Action: 'sts:AssumeRole' } });
  for (const id of [MEMBER_A, MEMBER_B, OUTSIDER]) aws.iam.putRole(id, MEMBER_ROLE, MEMBER_TRUST, { account: MEMBER_POLICY });
});

describe('AssumeRole', () => {
  test('the reconciler assumes a member role; the session is the member account\'s, as GetCallerIdentity tells', async () => {
    const session = await assume(await reconciler(), roleArn(MEMBER_A), 'reconcile', 900);

    expect(session.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(session.expiration).toEqual(new Date(now + 900_000));
    expect(await sts(session).send(new GetCallerIdentityCommand({}))).toMatchObject({
      Account: MEMBER_A, Arn: `arn:aws:sts::${MEMBER_A}:assumed-role/${MEMBER_ROLE}/reconcile`, UserId: expect.stringMatching(/^AROA[A-Z0-9]+:reconcile$/),
    });
    expect(aws.callsOf('sts:AssumeRole')).toEqual([
      expect.objectContaining({ caller: MANAGEMENT, target: MANAGEMENT, status: 200 }),
      expect.objectContaining({ caller: MANAGEMENT, target: MEMBER_A, status: 200, principal: `arn:aws:sts::${MANAGEMENT}:assumed-role/reconciler/reconciler` }),
    ]);
  });

  test('a function whose execution role is the reconciler\'s assumes the member role with its own key', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'local-sts-'));
    const arn = `arn:aws:lambda:us-east-1:${MANAGEMENT}:function:reconciler`;
    try {
      // The function answers the access key its calls are signed with, as the local Lambda gives its role's.
      fs.writeFileSync(path.join(directory, 'index.js'), 'exports.handler = async () => process.env.AWS_ACCESS_KEY_ID;');
      aws.lambda.register({ arn, codeDirectory: directory, handler: 'index.handler', timeoutSeconds: 10, role: RECONCILER });
      const key = await aws.lambda.invoke(arn, {}) as string;
      const fn = { accessKeyId: key, secretAccessKey: 'function' };

      expect(await sts(fn).send(new GetCallerIdentityCommand({}))).toMatchObject({ Account: MANAGEMENT, Arn: `arn:aws:sts::${MANAGEMENT}:assumed-role/reconciler/reconciler` });
      await assume(fn, roleArn(MEMBER_A));
      expect(aws.callsOf('sts:AssumeRole')).toEqual([expect.objectContaining({ caller: MANAGEMENT, target: MEMBER_A, status: 200 })]);
    } finally {
      aws.lambda.unregister(arn);
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });

  test('another principal of the management account is refused: the trust names the reconciler role only', async () => {
    expect(await failure(assume(USER, roleArn(MEMBER_A)))).toEqual({
      name: 'AccessDenied',
      status: 403,
      message: `User: arn:aws:iam::${MANAGEMENT}:user/local is not authorized to perform: sts:AssumeRole on resource: ${roleArn(MEMBER_A)}`,
    });
  });

  test('a role in an account outside the organization is refused: its aws:ResourceOrgID is absent', async () => {
    const session = await reconciler();
    expect(await failure(assume(session, roleArn(OUTSIDER)))).toMatchObject({ name: 'AccessDenied', status: 403 });
    // The same trust in a member account allows it: only the organization differs.
    await assume(session, roleArn(MEMBER_B));
  });

  test('a caller outside the organization is refused though its role has the reconciler\'s name', async () => {
    aws.iam.putRole(OUTSIDER, 'reconciler', { Statement: { Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' } });
    const outsider = await assume(USER, `arn:aws:iam::${OUTSIDER}:role/reconciler`, 'outsider');
    expect(await failure(assume(outsider, roleArn(MEMBER_A)))).toMatchObject({ name: 'AccessDenied', status: 403 });
  });

  test('a missing role and an explicit Deny are refused', async () => {
    const session = await reconciler();
    aws.iam.deleteRole(MEMBER_A, MEMBER_ROLE);
    expect(await failure(assume(session, roleArn(MEMBER_A)))).toMatchObject({ name: 'AccessDenied', status: 403 });

    aws.iam.putRole(MEMBER_B, MEMBER_ROLE, { Statement: [...[MEMBER_TRUST.Statement].flat(), { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sts:*' }] });
    expect(await failure(assume(session, roleArn(MEMBER_B)))).toMatchObject({ name: 'AccessDenied', status: 403 });
    expect(aws.callsOf('sts:AssumeRole').map(call => call.errorType)).toEqual([undefined, 'AccessDenied', 'AccessDenied']);
  });

  test('bad input is a ValidationError', async () => {
    expect(await failure(assume(await reconciler(), roleArn(MEMBER_A), 'reconcile', 600))).toMatchObject({ name: 'ValidationError', status: 400 });
    expect(await failure(assume(await reconciler(), roleArn(MEMBER_A), 'a b'))).toMatchObject({ name: 'ValidationError', status: 400 });
  });

  test('a session lasts the role\'s MaxSessionDuration at most (an hour by default), and an hour when a session assumes it', async () => {
    expect(await failure(assume(USER, RECONCILER, 'reconciler', 7200))).toEqual({
      name: 'ValidationError', status: 400, message: 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    });
    aws.iam.putRole(MEMBER_A, MEMBER_ROLE, MEMBER_TRUST, {}, { maxSessionDuration: 43200 });
    expect(await failure(assume(await reconciler(), roleArn(MEMBER_A), 'reconcile', 7200))).toMatchObject({
      name: 'ValidationError', message: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    });
    aws.iam.putRole(MANAGEMENT, 'reconciler', { Statement: { Effect: 'Allow', Principal: { AWS: MANAGEMENT }, Action: 'sts:AssumeRole' } }, {}, { maxSessionDuration: 43200 });
    expect((await assume(USER, RECONCILER, 'reconciler', 43200)).expiration).toEqual(new Date(now + 43200_000));
  });

  test('AssumeRole is throttled per calling account', async () => {
    aws.rateQuotas = { 'sts:AssumeRole': { rate: 0.001, burst: 2 } };
    const session = await reconciler();
    const member = await assume(session, roleArn(MEMBER_A));
    expect(await failure(assume(session, roleArn(MEMBER_B)))).toMatchObject({ name: 'Throttling', status: 400 });

    // The member account's own bucket is full: its session assumes a role of its account.
    aws.iam.putRole(MEMBER_A, 'self', { Statement: { Effect: 'Allow', Principal: { AWS: MEMBER_A }, Action: 'sts:AssumeRole' } });
    await assume(member, `arn:aws:iam::${MEMBER_A}:role/self`);
    expect(aws.callsOf('sts:AssumeRole').map(call => [call.caller, call.status])).toEqual([
      [MANAGEMENT, 200], [MANAGEMENT, 200], [MANAGEMENT, 400], [MEMBER_A, 200],
    ]);
  });
});

describe('a session\'s Account API calls', () => {
  test('are the member\'s own: standalone context, recorded with the member as caller and target', async () => {
    const member = account(await assume(await reconciler(), roleArn(MEMBER_A)));
    await member.send(new PutAlternateContactCommand(CONTACT));

    expect(aws.account(MEMBER_A).alternateContacts.get('SECURITY')).toMatchObject({ Name: 'Sec' });
    expect(aws.account(MANAGEMENT).alternateContacts.size).toBe(0);
    expect(aws.callsOf('PutAlternateContact')).toEqual([expect.objectContaining({
      caller: MEMBER_A,
      target: MEMBER_A,
      accountIdParameter: undefined,
      status: 200,
      principal: `arn:aws:sts::${MEMBER_A}:assumed-role/${MEMBER_ROLE}/reconcile`,
    })]);
  });

  test('are refused for a contact type or an action the role\'s policy does not allow', async () => {
    const member = account(await assume(await reconciler(), roleArn(MEMBER_A)));

    expect(await failure(member.send(new PutAlternateContactCommand({ ...CONTACT, AlternateContactType: 'BILLING' })))).toEqual({
      name: 'AccessDeniedException',
      status: 403,
      message: `User: arn:aws:sts::${MEMBER_A}:assumed-role/${MEMBER_ROLE}/reconcile is not authorized to perform: account:PutAlternateContact `
        + `on resource: arn:aws:account::${MEMBER_A}:account because no identity-based policy allows the account:PutAlternateContact action`,
    });
    expect(await failure(member.send(new PutAccountNameCommand({ AccountName: 'renamed' })))).toMatchObject({ name: 'AccessDeniedException', status: 403 });
    expect(aws.account(MEMBER_A).alternateContacts.size).toBe(0);
    expect(aws.account(MEMBER_A).name).toBe(`account-${MEMBER_A}`);
    await member.send(new GetRegionOptStatusCommand({ RegionName: 'af-south-1' }));
  });

  test('naming another account is refused: a member is no administrator', async () => {
    aws.iam.putRole(MEMBER_A, MEMBER_ROLE, MEMBER_TRUST, { all: { Statement: { Effect: 'Allow', Action: 'account:*', Resource: '*' } } });
    const member = account(await assume(await reconciler(), roleArn(MEMBER_A)));
    expect(await failure(member.send(new GetAlternateContactCommand({ AccountId: MEMBER_B, AlternateContactType: 'SECURITY' }))))
      .toMatchObject({ name: 'AccessDeniedException', status: 403 });
  });

  test('fail with ExpiredTokenException (STS: ExpiredToken) once the session expired by the services\' clock', async () => {
    const session = await assume(await reconciler(), roleArn(MEMBER_A), 'reconcile', 900);
    await account(session).send(new GetRegionOptStatusCommand({ RegionName: 'af-south-1' }));

    now += 900_000;
    expect(await failure(account(session).send(new GetRegionOptStatusCommand({ RegionName: 'af-south-1' })))).toMatchObject({ name: 'ExpiredTokenException', status: 403 });
    expect(await failure(sts(session).send(new GetCallerIdentityCommand({})))).toMatchObject({ name: 'ExpiredToken', status: 403 });
  });

  test('a session key with another session token is refused', async () => {
    const session = await assume(await reconciler(), roleArn(MEMBER_A));
    const forged = { ...session, sessionToken: 'forged' };
    expect(await failure(account(forged).send(new GetRegionOptStatusCommand({ RegionName: 'af-south-1' })))).toMatchObject({ name: 'UnrecognizedClientException', status: 403 });
  });

  test('count against each member\'s own quota, not the management account\'s', async () => {
    aws.rateQuotas = { GetRegionOptStatus: { rate: 0.001, burst: 1 } };
    const reconcilerSession = await reconciler();
    const a = account(await assume(reconcilerSession, roleArn(MEMBER_A)));
    const b = account(await assume(reconcilerSession, roleArn(MEMBER_B)));
    const get = { RegionName: 'af-south-1' };

    await a.send(new GetRegionOptStatusCommand(get));
    expect(await failure(a.send(new GetRegionOptStatusCommand(get)))).toMatchObject({ name: 'TooManyRequestsException', status: 429 });
    await b.send(new GetRegionOptStatusCommand(get));
    await account(USER).send(new GetRegionOptStatusCommand(get));
    expect(aws.callsOf('GetRegionOptStatus').map(call => [call.caller, call.status])).toEqual([
      [MEMBER_A, 200], [MEMBER_A, 429], [MEMBER_B, 200], [MANAGEMENT, 200],
    ]);
  });

  test('reach the management account\'s trail as the assumed role\'s session', async () => {
    aws.cloudTrail.logging = true;
    try {
      aws.iam.putRole(MANAGEMENT, 'reconciler', { Statement: { Effect: 'Allow', Principal: { AWS: MANAGEMENT }, Action: 'sts:AssumeRole' } },
        { account: MEMBER_POLICY });
      await account(await reconciler()).send(new PutAlternateContactCommand(CONTACT));
      aws.cloudTrail.flush();
    } finally {
      aws.cloudTrail.logging = false;
    }
    expect(aws.cloudTrail.delivered.map(d => d.event.detail.userIdentity)).toEqual([expect.objectContaining({
      type: 'AssumedRole',
      arn: `arn:aws:sts::${MANAGEMENT}:assumed-role/reconciler/reconciler`,
      accountId: MANAGEMENT,
      sessionContext: expect.objectContaining({ sessionIssuer: expect.objectContaining({ arn: RECONCILER, accountId: MANAGEMENT }) }),
    })]);
  });
});

describe('latency', () => {
  test('an answer comes after the latency, while other calls are answered, and is recorded when it is answered', async () => {
    const member = account(await assume(await reconciler(), roleArn(MEMBER_A)));
    // Long enough that the other call is answered first however loaded the machine (it takes milliseconds).
    aws.latencyMs = 5_000;
    const slow = member.send(new PutAlternateContactCommand(CONTACT));
    // The write is made at once; only its answer waits.
    while (!aws.account(MEMBER_A).alternateContacts.has('SECURITY')) await new Promise(resolve => setTimeout(resolve, 5));
    aws.latencyMs = 0;
    now += 1_000;

    await member.send(new GetAlternateContactCommand({ AlternateContactType: 'SECURITY' }));
    expect(aws.calls.filter(call => !call.operation.startsWith('sts:')).map(call => call.operation)).toEqual(['GetAlternateContact']);
    now += 1_000;
    await slow;
    expect(aws.calls.filter(call => !call.operation.startsWith('sts:')).map(call => [call.operation, call.at - Date.parse('2026-01-01T00:00:00Z')])).toEqual([
      ['GetAlternateContact', 1_000], ['PutAlternateContact', 2_000],
    ]);
  }, 20_000);
});
