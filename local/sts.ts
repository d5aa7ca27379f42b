import { createHash, randomBytes } from 'crypto';
import type * as http from 'http';
import { ApiError, awsQueryError, xmlText as xml } from './common';
import type { Front } from './front';
import { evaluatePolicies } from './iam';

/*
 * Who calls the local services, and the local STS that makes new callers: a request's principal comes from
 * the access key of its SigV4 signature (a function's role, a session that AssumeRole issued, or else the
 * account's user), and AssumeRole issues a session of a role whose trust policy allows the caller.
 */

/** Credentials AssumeRole issued: a session of a role, until its expiration. */
export interface LocalSession {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** The role's account, the session's calls' account. */
  readonly accountId: string;
  readonly roleArn: string;
  readonly roleName: string;
  readonly sessionName: string;
  /** `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  readonly arn: string;
  readonly assumedRoleId: string;
  /** When the credentials expire (the services' clock, ms). */
  readonly expiration: number;
}

/** Who signed a request. */
export interface Principal {
  /** The calling account: the quotas' and the records' caller. */
  readonly accountId: string;
  /** What GetCallerIdentity answers: the user's ARN, or the role session's (assumed-role) ARN. */
  readonly arn: string;
  /** The role of a function or of a session. */
  readonly roleArn?: string;
  readonly sessionName?: string;
  /** The session, for credentials that AssumeRole issued. */
  readonly session?: LocalSession;
  /** Why the credentials are refused: an expired session, or a session key signed with another token. */
  readonly refused?: 'expired' | 'invalid';
}

/** The sessions the local STS issued, by access key. */
export class SecurityTokenService {
  private readonly sessions = new Map<string, LocalSession>();

  public issue(roleArn: string, sessionName: string, expiration: number): LocalSession {
    const [, accountId, roleName] = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn) ?? [];
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const session: LocalSession = {
      accessKeyId,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(60).toString('base64'),
      accountId,
      roleArn,
      roleName,
      sessionName,
      arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
      assumedRoleId: `AROA${createHash('sha256').update(roleArn).digest('hex').slice(0, 17).toUpperCase()}:${sessionName}`,
      expiration,
    };
    this.sessions.set(accessKeyId, session);
    return session;
  }

  public session(accessKeyId: string): LocalSession | undefined {
    return this.sessions.get(accessKeyId);
  }
}

/** The principal that signed a request, from the access key of its Authorization header (and its session token). */
export function principalOf(front: Front, headers: http.IncomingHttpHeaders): Principal {
  const aws = front.aws;
  const accessKey = /Credential=([^/]+)\//.exec(String(headers.authorization ?? ''))?.[1] ?? '';
  const session = aws.sts.session(accessKey);
  if (session) {
    const refused = headers['x-amz-security-token'] !== session.sessionToken ? 'invalid' : aws.clock() >= session.expiration ? 'expired' : undefined;
    return { accountId: session.accountId, arn: session.arn, roleArn: session.roleArn, sessionName: session.sessionName, session, refused };
  }
  // Functions sign with temporary (ASIA) keys: other keys skip the search through every function.
  const role = accessKey.startsWith('ASIA') ? aws.lambda.principalOf(accessKey) : undefined;
  if (role) {
    // A function's role made by a stack without an account (unknown-account) calls as the services' caller, as before.
    const account = /^arn:aws:iam::(\d{12}):role\//.exec(role)?.[1];
    const accountId = account !== undefined && aws.accounts.has(account) ? account : aws.callerAccountId;
    const roleName = role.split('/').pop()!;
    return { accountId, arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${roleName}`, roleArn: role, sessionName: roleName };
  }
  return { accountId: aws.callerAccountId, arn: `arn:aws:iam::${aws.callerAccountId}:user/local` };
}

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** STS (awsQuery): GetCallerIdentity and AssumeRole, answered after the services' latency. */
export function serveSts(front: Front, principal: Principal, raw: string, res: http.ServerResponse): void {
  const params = new URLSearchParams(raw);
  const action = params.get('Action') ?? '';
  const operation = `sts:${action}`;
  const requestId = `req-${front.aws.calls.length + 1}`;
  let target: string | undefined;
  const answer = (status: number, body: string, errorType?: string) => front.later(() => {
    front.record({ operation, target, status, errorType }, principal);
    res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }).end(body);
  });
  try {
    // The awsQuery services (STS, IAM) name it ExpiredToken, a 403; the JSON services ExpiredTokenException.
    if (principal.refused === 'expired') throw new ApiError(403, 'ExpiredToken', 'The security token included in the request is expired');
    if (principal.refused === 'invalid') throw new ApiError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    front.faults.take(operation, Object.fromEntries(params));
    // As in AWS, an action is looked up at the request's Version: the tool and the handlers build these requests themselves.
    const version = params.get('Version') || 'NO_VERSION_SPECIFIED';
    if (version !== '2011-06-15') throw new ApiError(400, 'InvalidAction', `Could not find operation ${action} for version ${version}`);
    let result: string;
    if (action === 'GetCallerIdentity') {
      const userId = principal.session?.assumedRoleId ?? (principal.roleArn ? `AROALOCAL:${principal.sessionName}` : 'AIDALOCAL');
      result = `<Arn>${xml(principal.arn)}</Arn><UserId>${xml(userId)}</UserId><Account>${principal.accountId}</Account>`;
    } else if (action === 'AssumeRole') {
      front.limits.take(operation, principal.accountId);
      const session = assumeRole(front, principal, params);
      target = session.accountId;
      result = '<Credentials>'
        + `<AccessKeyId>${session.accessKeyId}</AccessKeyId><SecretAccessKey>${xml(session.secretAccessKey)}</SecretAccessKey>`
        + `<SessionToken>${xml(session.sessionToken)}</SessionToken><Expiration>${isoSeconds(session.expiration)}</Expiration>`
        + `</Credentials><AssumedRoleUser><AssumedRoleId>${xml(session.assumedRoleId)}</AssumedRoleId><Arn>${xml(session.arn)}</Arn></AssumedRoleUser>`;
    } else {
      throw new ApiError(400, 'InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
    }
    answer(200, `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result>`
      + `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const typed = awsQueryError(error);
    const type = typed.status >= 500 ? 'Receiver' : 'Sender';
    answer(typed.status, `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${typed.type}</Code><Message>${xml(typed.message)}</Message></Error>`
      + `<RequestId>${requestId}</RequestId></ErrorResponse>`, typed.type);
  }
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function validation(message: string): ApiError {
  return new ApiError(400, 'ValidationError', message);
}

/** AssumeRole's checks, in AWS's order: the parameters, then the role and its trust policy. */
function assumeRole(front: Front, principal: Principal, params: URLSearchParams): LocalSession {
  const aws = front.aws;
  const roleArn = params.get('RoleArn');
  const sessionName = params.get('RoleSessionName');
  if (roleArn === null) throw validation('1 validation error detected: Value null at \'roleArn\' failed to satisfy constraint: Member must not be null');
  if (sessionName === null) throw validation('1 validation error detected: Value null at \'roleSessionName\' failed to satisfy constraint: Member must not be null');
  if (roleArn.length < 20 || roleArn.length > 2048) {
    throw validation(`1 validation error detected: Value '${roleArn}' at 'roleArn' failed to satisfy constraint: Member must have length between 20 and 2048`);
  }
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
    throw validation(`1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64`);
  }
  const duration = params.get('DurationSeconds') === null ? 3600 : Number(params.get('DurationSeconds'));
  if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
    throw validation(`1 validation error detected: Value '${params.get('DurationSeconds')}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`);
  }
  const [, accountId, roleName] = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn) ?? [];
  const role = accountId === undefined ? undefined : aws.iam.role(accountId, roleName);
  const orgIdOf = (account: string) => (aws.members.has(account) ? aws.organization.id : undefined);
  const decision = role === undefined ? 'implicitDeny' : evaluatePolicies([role.assumeRolePolicy], {
    action: 'sts:AssumeRole',
    principal: { arns: [principal.arn, ...(principal.roleArn ? [principal.roleArn] : [])], accountId: principal.accountId },
    context: {
      'aws:PrincipalArn': principal.roleArn ?? principal.arn,
      'aws:PrincipalAccount': principal.accountId,
      'aws:PrincipalOrgID': orgIdOf(principal.accountId),
      'aws:ResourceOrgID': orgIdOf(role.accountId),
      'aws:ResourceAccount': role.accountId,
    },
  });
  if (decision !== 'allow' || role === undefined) {
    throw new ApiError(403, 'AccessDenied', `User: ${principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
  }
  // Checked once the caller may assume the role, as AWS does: a session assuming a role (role chaining) gets an hour at most.
  if (principal.session !== undefined && duration > 3600) {
    throw validation('The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  }
  if (duration > (role.maxSessionDuration ?? 3600)) throw validation('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  return aws.sts.issue(role.arn, sessionName, aws.clock() + duration * 1000);
}
