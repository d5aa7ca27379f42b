/*
 * The member footprint's sessions (lambda/shared/member-sessions.ts) against a scripted STS endpoint:
 * what AssumeRole sends, how AWS's XML answers and errors are read, and how sessions and refusals are
 * kept per account in the execution environment. The deploy-level behaviour is in organization-members.test.ts.
 */
import * as http from 'http';
import { AddressInfo } from 'net';
import { Invocation } from '../lambda/shared/clients';
import {
  ASSUME_ROLE, assumeRoleQuota, credentialsOf, forgetMemberSessions, memberRoleArn, memberSession, refusedMember, stsErrorCode,
} from '../lambda/shared/member-sessions';
import { DOCUMENTED_QUOTAS, Pacer } from '../lambda/shared/pacer';
import { MEMBER_ROLE_SESSION } from '../src/contract';

const OWN = '111111111111';
const MEMBER = '222222222222';
const OTHER = '333333333333';
const ROLE = 'AccountManagementMember';

/** AWS's AssumeRole answer, as the STS reference shows it. */
function assumeRoleAnswer(key: string, expiration: Date): string {
  return `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>none</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::${MEMBER}:assumed-role/${ROLE}/${MEMBER_ROLE_SESSION}</Arn>
      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:${MEMBER_ROLE_SESSION}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${key}</AccessKeyId>
      <SecretAccessKey>secret/of+${key}</SecretAccessKey>
      <SessionToken>token&amp;of=${key}</SessionToken>
      <Expiration>${expiration.toISOString()}</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>`;
}

function errorAnswer(code: string): string {
  return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>${code}</Code><Message>User: arn:aws:sts::${OWN}:assumed-role/fn/x is not authorized to perform: sts:AssumeRole</Message></Error>
  <RequestId>4d8d1d5c-0d51-4c5e-a36e-7a0f3d7f8d6e</RequestId>
</ErrorResponse>`;
}

type Scripted = { status: 200; expiresInMs: number } | { status: number; code: string };

/** A scripted STS: answers the next requests as scripted (else credentials for an hour), and records them. */
class ScriptedSts {
  public static async start(): Promise<ScriptedSts> {
    const sts = new ScriptedSts();
    await new Promise<void>(resolve => sts.server.listen(0, '127.0.0.1', resolve));
    return sts;
  }

  public script: Scripted[] = [];
  public readonly requests: Array<{ body: URLSearchParams; authorization: string; contentType: string }> = [];
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      this.requests.push({
        body: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
        authorization: String(req.headers.authorization),
        contentType: String(req.headers['content-type']),
      });
      const answer = this.script.shift() ?? { status: 200, expiresInMs: 3600_000 };
      if (answer.status === 200 && 'expiresInMs' in answer) {
        res.writeHead(200, { 'content-type': 'text/xml' }).end(assumeRoleAnswer(`ASIA${this.requests.length}`, new Date(Date.now() + answer.expiresInMs)));
      } else if ('code' in answer) {
        res.writeHead(answer.status, { 'content-type': 'text/xml' }).end(errorAnswer(answer.code));
      }
    });
  });

  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}

let sts: ScriptedSts;
const saved = { ...process.env };
let logged: unknown[];

beforeAll(async () => {
  sts = await ScriptedSts.start();
});

afterAll(async () => {
  await sts.close();
});

beforeEach(() => {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'ASIAFUNCTION',
    AWS_SECRET_ACCESS_KEY: 'function-secret',
    AWS_ENDPOINT_URL_STS: sts.url,
    // Backoffs (and the few minutes a refusal is remembered) 1000× shorter.
    CDK_ACCOUNT_MANAGEMENT_TIME_SCALE: '1000',
  });
  sts.script = [];
  sts.requests.length = 0;
  forgetMemberSessions();
  logged = [];
  jest.spyOn(console, 'info').mockImplementation(line => void logged.push(line));
});

afterEach(() => {
  process.env = { ...saved };
  jest.restoreAllMocks();
});

const invocation = () => new Invocation({ invokedFunctionArn: `arn:aws:lambda:us-east-1:${OWN}:function:reconciler`, getRemainingTimeInMillis: () => 600_000 });

describe('reading STS\'s answers', () => {
  test('the credentials of an AssumeRole answer, entities decoded', () => {
    const expiration = new Date('2026-12-07T07:00:00Z');
    expect(credentialsOf(assumeRoleAnswer('ASIAKEY', expiration))).toEqual({
      accessKeyId: 'ASIAKEY', secretAccessKey: 'secret/of+ASIAKEY', sessionToken: 'token&of=ASIAKEY', expiration,
    });
  });

  test('an answer without complete credentials is an error, not a session', () => {
    const incomplete = assumeRoleAnswer('ASIAKEY', new Date()).replace(/<SessionToken>.*<\/SessionToken>/, '');
    expect(() => credentialsOf(incomplete)).toThrow('without a complete set of credentials');
    expect(() => credentialsOf(errorAnswer('AccessDenied'))).toThrow('without a complete set of credentials');
  });

  test('the code of an error answer', () => {
    expect(stsErrorCode(errorAnswer('AccessDenied'))).toBe('AccessDenied');
    expect(stsErrorCode(errorAnswer('Throttling'))).toBe('Throttling');
    expect(stsErrorCode('<html>Bad gateway</html>')).toBeUndefined();
  });

  test('the role\'s ARN is in the function\'s partition', () => {
    expect(memberRoleArn('aws-cn', MEMBER, ROLE)).toBe(`arn:aws-cn:iam::${MEMBER}:role/${ROLE}`);
    const china = new Invocation({ invokedFunctionArn: `arn:aws-cn:lambda:cn-north-1:${OWN}:function:f`, getRemainingTimeInMillis: () => 1000 });
    expect(china.partition).toBe('aws-cn');
  });
});

describe('sessions', () => {
  test('AssumeRole is a signed awsQuery POST naming the member\'s role, the session name and an hour', async () => {
    const session = await memberSession(invocation(), MEMBER, ROLE);
    expect(session).toMatchObject({ accessKeyId: 'ASIA1', sessionToken: 'token&of=ASIA1' });
    expect(sts.requests).toHaveLength(1);
    const [request] = sts.requests;
    expect(Object.fromEntries(request.body)).toEqual({
      Action: 'AssumeRole', Version: '2011-06-15', RoleArn: `arn:aws:iam::${MEMBER}:role/${ROLE}`, RoleSessionName: MEMBER_ROLE_SESSION, DurationSeconds: '3600',
    });
    expect(request.contentType).toMatch(/^application\/x-www-form-urlencoded/);
    expect(request.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIAFUNCTION\/\d{8}\/us-east-1\/sts\/aws4_request/);
  });

  test('a session is reused for its account until 5 minutes before it expires, and each account has its own', async () => {
    sts.script = [{ status: 200, expiresInMs: 3600_000 }, { status: 200, expiresInMs: 3600_000 }];
    const first = await memberSession(invocation(), MEMBER, ROLE);
    expect(await memberSession(invocation(), MEMBER, ROLE)).toBe(first);
    const other = await memberSession(invocation(), OTHER, ROLE);
    expect(other?.accessKeyId).not.toBe(first?.accessKeyId);
    expect(sts.requests.map(r => r.body.get('RoleArn'))).toEqual([memberRoleArn('aws', MEMBER, ROLE), memberRoleArn('aws', OTHER, ROLE)]);

    // 56 minutes on, the session has 4 minutes left: a new one is asked for.
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 56 * 60_000);
    const renewed = await memberSession(invocation(), MEMBER, ROLE);
    expect(renewed?.accessKeyId).toBe('ASIA3');
    expect(sts.requests).toHaveLength(3);
  });

  test('accounts started at once for the same member share one AssumeRole', async () => {
    const [a, b] = await Promise.all([memberSession(invocation(), MEMBER, ROLE), memberSession(invocation(), MEMBER, ROLE)]);
    expect(a).toBe(b);
    expect(sts.requests).toHaveLength(1);
  });

  test('a refusal (AccessDenied) hands the account to the management account, is asked again 10 seconds later, then remembered a few minutes; logged once', async () => {
    // The clock stands still until the test moves it: 10 seconds are 10 ms at this time scale, the few minutes 300 ms.
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
    sts.script = [{ status: 403, code: 'AccessDenied' }];
    expect(await memberSession(invocation(), MEMBER, ROLE)).toBeUndefined();
    expect(await memberSession(invocation(), MEMBER, ROLE)).toBeUndefined();
    expect(sts.requests).toHaveLength(1);
    expect(logged).toEqual([expect.objectContaining({ setting: 'member role', accountId: MEMBER, operation: ASSUME_ROLE })]);
    expect(JSON.stringify(logged)).toContain('AccessDenied');

    // Ten seconds on, asked again (a role just created is refused until IAM has propagated it); refused again, it is remembered five minutes.
    clock.mockReturnValue(now + 11);
    sts.script = [{ status: 403, code: 'AccessDenied' }];
    expect(await memberSession(invocation(), MEMBER, ROLE)).toBeUndefined();
    expect(sts.requests).toHaveLength(2);
    clock.mockReturnValue(now + 11 + 299);
    expect(await memberSession(invocation(), MEMBER, ROLE)).toBeUndefined();
    expect(sts.requests).toHaveLength(2);

    // Five minutes on, the role is asked for again: the StackSet may have reached the account.
    clock.mockReturnValue(now + 11 + 301);
    expect(await memberSession(invocation(), MEMBER, ROLE)).toMatchObject({ accessKeyId: 'ASIA3' });
    expect(logged).toHaveLength(1);
  });

  test('throttling and 5xx are retried; when they last, the account is handled from the management account this time only', async () => {
    // At real time (backoffs of at most 250 and 500 ms, well within AssumeRole's 10 seconds of retries).
    process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = '1';
    sts.script = [{ status: 400, code: 'Throttling' }, { status: 500, code: 'InternalFailure' }];
    expect(await memberSession(invocation(), MEMBER, ROLE)).toMatchObject({ accessKeyId: 'ASIA3' });

    forgetMemberSessions();
    sts.requests.length = 0;
    // Every answer throttled until the 10 seconds of retries (10 ms at 1000×) are over.
    process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = '1000';
    sts.script = Array.from({ length: 1000 }, () => ({ status: 400, code: 'Throttling' }));
    expect(await memberSession(invocation(), MEMBER, ROLE)).toBeUndefined();
    const throttled = sts.requests.length;
    expect(logged).toEqual([expect.objectContaining({ accountId: MEMBER, error: 'Throttling' })]);
    sts.script = [];
    expect(await memberSession(invocation(), MEMBER, ROLE)).toBeDefined();
    expect(sts.requests.length).toBe(throttled + 1);
  });

  test('with a pacer, AssumeRole takes its tokens; throttling goes to the pacer at once, which slows down and asks again', async () => {
    const quotas = { ...DOCUMENTED_QUOTAS, [ASSUME_ROLE]: assumeRoleQuota() };
    const pacer = new Pacer(Date.now() + 600_000, {}, quotas);
    await memberSession(invocation(), MEMBER, ROLE, pacer);
    expect(pacer.stats).toEqual({ calls: 1, throttled: 0 });
    sts.script = [{ status: 400, code: 'Throttling' }, { status: 400, code: 'Throttling' }];
    expect(await memberSession(invocation(), OTHER, ROLE, pacer)).toMatchObject({ accessKeyId: 'ASIA4' });
    // Each throttle was one request (not retried inside the call), counted by the pacer.
    expect(sts.requests).toHaveLength(4);
    expect(pacer.stats).toEqual({ calls: 4, throttled: 2 });
    expect(pacer.state()[ASSUME_ROLE]).toBeLessThan(assumeRoleQuota().rate);
    expect(logged).toEqual([]);
  });

  test('with a pacer, STS still throttling at the step\'s deadline is thrown (the account is left for the next step), and not remembered', async () => {
    const pacer = new Pacer(Date.now() + 50, {}, { [ASSUME_ROLE]: assumeRoleQuota() });
    sts.script = Array.from({ length: 1000 }, () => ({ status: 400, code: 'Throttling' }));
    await expect(memberSession(invocation(), MEMBER, ROLE, pacer)).rejects.toMatchObject({ name: 'Throttling' });
    expect(logged).toEqual([]);
    sts.script = [];
    expect(await memberSession(invocation(), MEMBER, ROLE)).toBeDefined();
  });

  test('AssumeRole\'s pace is configurable, and never grows beyond it', () => {
    expect(assumeRoleQuota()).toEqual({ rate: 100, burst: 10, ceiling: 1, guessed: true });
    process.env.CDK_ACCOUNT_MANAGEMENT_ASSUME_ROLE_RATE = '250';
    expect(assumeRoleQuota()).toEqual({ rate: 250, burst: 25, ceiling: 1, guessed: true });
    const pacer = new Pacer(Date.now() + 600_000, { [ASSUME_ROLE]: 10_000 }, { [ASSUME_ROLE]: assumeRoleQuota() });
    expect(pacer.state()[ASSUME_ROLE]).toBe(250);
  });

  test('a session the Account API refuses is forgotten: the account is handled from the management account until it is asked again', async () => {
    await memberSession(invocation(), MEMBER, ROLE);
    jest.spyOn(Date, 'now').mockReturnValue(Date.now());
    refusedMember(invocation(), MEMBER, ROLE, 'the Account API refused the role\'s session (PutContactInformation: AccessDeniedException)');
    expect(await memberSession(invocation(), MEMBER, ROLE)).toBeUndefined();
    expect(sts.requests).toHaveLength(1);
    expect(logged).toEqual([expect.objectContaining({ accountId: MEMBER, outcome: expect.stringContaining('PutContactInformation: AccessDeniedException') })]);
  });

  test('a role the Account API keeps refusing (it lacks an action) is asked for again once after 10 seconds, then remembered for minutes', async () => {
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
    await memberSession(invocation(), MEMBER, ROLE);
    refusedMember(invocation(), MEMBER, ROLE, 'the Account API refused the role\'s session (PutAlternateContact: AccessDeniedException)');
    clock.mockReturnValue(now + 11);
    expect(await memberSession(invocation(), MEMBER, ROLE)).toBeDefined();
    refusedMember(invocation(), MEMBER, ROLE, 'the Account API refused the role\'s session (PutAlternateContact: AccessDeniedException)');
    clock.mockReturnValue(now + 11 + 299);
    expect(await memberSession(invocation(), MEMBER, ROLE)).toBeUndefined();
    expect(sts.requests).toHaveLength(2);
    expect(logged).toHaveLength(1);
  });
});
