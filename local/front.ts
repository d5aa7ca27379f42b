import type * as http from 'http';
import { cloudFormationError } from './cloudformation';
import { CLOUDTRAIL_TARGET_PREFIX } from './cloudtrail-api';
import { ApiError, awsQueryError, CallRecord, Faults, RateLimits } from './common';
import { evaluatePolicies } from './iam';
import type { LocalAws } from './index';
import { OrganizationsApiError, ORGANIZATIONS_TARGET_PREFIX } from './organizations';
import { serveS3 } from './s3-front';
import { STEP_FUNCTIONS_TARGET_PREFIX } from './step-functions';
import { Principal, principalOf, serveSts } from './sts';

/*
 * The local services' HTTP fronts: a request is routed to its service by its target header, its SigV4
 * credential scope or its content type, takes its faults and quota, is served and recorded as a call.
 */

/** What the fronts need of the local services: their public side, and the faults, quotas and record they keep. */
export interface Front {
  readonly aws: LocalAws;
  readonly faults: Faults;
  readonly limits: RateLimits;
  /** Who signed the request being served. */
  readonly principal?: Principal;
  /** Records a call of the principal (the services' caller when omitted). */
  record(call: Omit<CallRecord, 'caller' | 'at'>, principal?: Principal): void;
  /** Answers after the services' latency (at once without one). */
  later(answer: () => void): void;
}

export function route(services: Front, req: http.IncomingMessage, raw: string, res: http.ServerResponse): void {
  const aws = services.aws;
  const principal = principalOf(services, req.headers);
  // Every call of this request is the principal's.
  const front: Front = { ...services, principal, record: (call, by = principal) => services.record(call, by) };
  const url = req.url ?? '/';
  const target = req.headers['x-amz-target'];
  // The service a signed request is for, from its SigV4 credential scope.
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
  if (service !== undefined && refusedForTime(front, service, req, res)) return;
  if (req.method === 'PUT' && url.startsWith('/cloudformation-response/')) {
    // Faults of 'cloudformation:Response' stand for S3 refusing the answer's PUT (it is then not received).
    try {
      front.faults.take('cloudformation:Response');
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      front.record({ operation: 'cloudformation:Response', status: error.status, errorType: error.type });
      res.writeHead(error.status).end(error.message);
      return;
    }
    const answer = aws.cloudFormation.receiveResponse(url.slice('/cloudformation-response/'.length), raw);
    res.writeHead(answer.status).end(answer.body);
  } else if (service === 's3') {
    serveS3({
      s3: aws.s3,
      endpoint: aws.endpoint,
      takeFault: operation => front.faults.take(operation),
      record: call => front.record(call),
      // A bucket policy names a role, which covers its sessions (a function's and AssumeRole's alike).
      principalOf: () => principal.roleArn ?? principal.arn,
    }, req.method ?? 'GET', url, raw, res, req.headers);
  } else if (service !== undefined && service in JSON_SERVICES && !(typeof target === 'string' && target.startsWith(JSON_SERVICES[service].prefix))) {
    // An awsJson service answers a request without its X-Amz-Target (or with another service's) as an unknown operation.
    unknownOperation(front, service, String(target ?? ''), res);
  } else if (typeof target === 'string' && target.startsWith('AWSEvents.')) {
    serveJson(front, 'events', target.slice('AWSEvents.'.length), raw, req, res, body => aws.eventBus.dispatch(target.slice('AWSEvents.'.length), body));
  } else if (typeof target === 'string' && target.startsWith(ORGANIZATIONS_TARGET_PREFIX)) {
    const operation = target.slice(ORGANIZATIONS_TARGET_PREFIX.length);
    serveJson(front, 'organizations', operation, raw, req, res, body => aws.organization.dispatch(operation, body, principal.accountId));
  } else if (typeof target === 'string' && target.startsWith(STEP_FUNCTIONS_TARGET_PREFIX)) {
    const operation = target.slice(STEP_FUNCTIONS_TARGET_PREFIX.length);
    serveJson(front, 'states', operation, raw, req, res, body => aws.stepFunctions.dispatch(operation, body));
  } else if (typeof target === 'string' && target.startsWith(CLOUDTRAIL_TARGET_PREFIX)) {
    const operation = target.slice(CLOUDTRAIL_TARGET_PREFIX.length);
    serveJson(front, 'cloudtrail', operation, raw, req, res, body => aws.cloudTrailApi.dispatch(operation, body, principal.accountId, String(req.headers.authorization ?? '')));
  } else if (service === 'sts') {
    serveSts(front, principal, raw, res);
  } else if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    serveCloudFormation(front, raw, res);
  } else {
    serveAccount(front, url.replace(/^\//, '').split('?')[0], raw, res, principal);
  }
}

/** An X-Amz-Date (`20261207T090000Z`) as epoch ms; NaN if it is none. */
function amzDate(text: string): number {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(text);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

/**
 * Refuses a request signed too far from the services' clock (`requestTimeLimitMs`), with the error each
 * protocol's services answer: S3's RequestTimeTooSkewed, awsJson's InvalidSignatureException, awsQuery's SignatureDoesNotMatch.
 */
function refusedForTime(front: Front, service: string, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const limit = front.aws.requestTimeLimitMs;
  const signedAt = amzDate(String(req.headers['x-amz-date'] ?? ''));
  const now = front.aws.clock();
  if (limit === undefined || Number.isNaN(signedAt) || Math.abs(now - signedAt) <= limit) return false;
  const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const expired = `Signature expired: ${stamp(signedAt)} is now earlier than ${stamp(now - limit)} (${stamp(now)} - ${limit / 60_000} min.)`;
  let status: number;
  let type: string;
  if (service === 's3') {
    [status, type] = [403, 'RequestTimeTooSkewed'];
    res.writeHead(status, { 'content-type': 'application/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${type}</Code>`
      + `<Message>The difference between the request time and the current time is too large.</Message><MaxAllowedSkewMilliseconds>${limit}`
      + '</MaxAllowedSkewMilliseconds></Error>');
  } else if (service in JSON_SERVICES || service === 'account') {
    [status, type] = [service === 'account' ? 403 : 400, 'InvalidSignatureException'];
    res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.coral.service/` })
      .end(JSON.stringify({ __type: type, message: expired }));
  } else {
    [status, type] = [403, 'SignatureDoesNotMatch'];
    res.writeHead(status, { 'content-type': 'text/xml' }).end(`<ErrorResponse><Error><Type>Sender</Type><Code>${type}</Code><Message>${expired}</Message>`
      + '</Error><RequestId>r</RequestId></ErrorResponse>');
  }
  front.record({ operation: `${service}:signature`, status, errorType: type });
  return true;
}

function callerOf(front: Front): string {
  return front.principal?.accountId ?? front.aws.callerAccountId;
}

function serveAccount(front: Front, path: string, raw: string, res: http.ServerResponse, principal: Principal): void {
  const aws = front.aws;
  const operation = path.charAt(0).toUpperCase() + path.slice(1);
  const caller = principal.accountId;
  let body: Record<string, unknown> = {};
  try {
    body = raw ? JSON.parse(raw) : {};
  } catch {
    body = {};
  }
  const accountIdParameter = typeof body.AccountId === 'string' ? body.AccountId : undefined;
  let target: string | undefined;
  const requestId = `req-${aws.calls.length + 1}`;
  const respond = (status: number, payload?: unknown, errorType?: string) => front.later(() => {
    front.record({ operation, target, accountIdParameter, status, errorType });
    const errorMessage = (payload as { message?: string } | undefined)?.message;
    const sessionName = principal.session?.sessionName;
    aws.cloudTrail.record({ operation, caller, role: principal.roleArn, sessionName, body, status, errorType, errorMessage });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-requestid': requestId };
    if (errorType) headers['x-amzn-errortype'] = errorType;
    res.writeHead(status, headers);
    res.end(payload === undefined ? '' : JSON.stringify(payload));
  });
  try {
    if (principal.refused === 'expired') throw new ApiError(403, 'ExpiredTokenException', 'The security token included in the request is expired');
    if (principal.refused === 'invalid') throw new ApiError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (principal.session) authorize(front, principal, operation, body);
    front.faults.take(operation, body);
    target = aws.accountApi.resolveTarget(operation, caller, body);
    front.limits.take(operation, aws.quotaScope === 'caller' ? caller : target);
    respond(200, aws.accountApi.dispatch(operation, aws.accountApi.account(target), body));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const payload: Record<string, unknown> = { message: error.message };
    if (error.fieldList) {
      payload.fieldList = error.fieldList;
      payload.reason = 'fieldValidationFailed';
    }
    respond(error.status, payload, error.type);
  }
}

/** A session's call is allowed by its role's inline policies (functions' and users' calls are not evaluated). */
function authorize(front: Front, principal: Principal, operation: string, body: Record<string, unknown>): void {
  const aws = front.aws;
  const session = principal.session!;
  const accountId = typeof body.AccountId === 'string' ? body.AccountId : undefined;
  const resource = accountId === undefined ? `arn:aws:account::${session.accountId}:account`
    : `arn:aws:account::${aws.managementAccountId}:account/${aws.organization.id}/${accountId}`;
  const role = aws.iam.role(session.accountId, session.roleName);
  const decision = evaluatePolicies(Object.values(role?.policies ?? {}), {
    action: `account:${operation}`,
    resource,
    context: {
      'account:AlternateContactTypes': typeof body.AlternateContactType === 'string' ? [body.AlternateContactType] : undefined,
      'account:TargetRegion': typeof body.RegionName === 'string' ? body.RegionName : undefined,
      'aws:PrincipalArn': session.roleArn,
      'aws:PrincipalAccount': session.accountId,
      'aws:PrincipalOrgID': aws.members.has(session.accountId) ? aws.organization.id : undefined,
    },
  });
  if (decision !== 'allow') {
    const why = decision === 'explicitDeny' ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the account:${operation} action`;
    throw new ApiError(403, 'AccessDeniedException', `User: ${session.arn} is not authorized to perform: account:${operation} on resource: ${resource} ${why}`);
  }
}

/** The awsJson services by signing name: their X-Amz-Target's prefix and the protocol's version (its content type). */
const JSON_SERVICES: Record<string, { readonly prefix: string; readonly version: '1.0' | '1.1' }> = {
  events: { prefix: 'AWSEvents.', version: '1.1' },
  organizations: { prefix: ORGANIZATIONS_TARGET_PREFIX, version: '1.1' },
  states: { prefix: STEP_FUNCTIONS_TARGET_PREFIX, version: '1.0' },
  cloudtrail: { prefix: CLOUDTRAIL_TARGET_PREFIX, version: '1.1' },
};

/** What an awsJson service answers a request it cannot route to one of its operations. */
function unknownOperation(front: Front, service: string, target: string, res: http.ServerResponse, version = JSON_SERVICES[service].version): void {
  const type = 'UnknownOperationException';
  front.record({ operation: `${service}:${target.split('.').pop() || 'unknown'}`, status: 400, errorType: type });
  res.writeHead(400, { 'content-type': `application/x-amz-json-${version}`, 'x-amzn-requestid': `req-${front.aws.calls.length}` });
  res.end(JSON.stringify({ __type: `com.amazon.coral.service#${type}`, message: null }));
}

/** The awsJson protocols (Organizations, SSM, Step Functions, EventBridge): `{"__type", "message"}` errors. */
function serveJson(
  front: Front, service: string, operation: string, raw: string, req: http.IncomingMessage, res: http.ServerResponse,
  dispatch: (body: Record<string, unknown>) => unknown,
): void {
  const { version } = JSON_SERVICES[service];
  // The service reads only its own protocol's content type: any other is not routed to the operation.
  if ((req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() !== `application/x-amz-json-${version}`) {
    unknownOperation(front, service, operation, res);
    return;
  }
  const name = `${service}:${operation}`;
  let body: Record<string, unknown> = {};
  const respond = (status: number, payload: unknown, errorType?: string) => {
    front.record({ operation: name, accountIdParameter: typeof body.AccountId === 'string' ? body.AccountId : undefined, status, errorType });
    res.writeHead(status, { 'content-type': `application/x-amz-json-${version}`, 'x-amzn-requestid': `req-${front.aws.calls.length}` });
    res.end(JSON.stringify(payload));
  };
  try {
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ApiError(400, 'SerializationException', 'The request body is not a JSON object');
    body = parsed as Record<string, unknown>;
    front.faults.take(name, body);
    front.limits.take(name, callerOf(front));
    respond(200, dispatch(body));
  } catch (error) {
    if (error instanceof SyntaxError) {
      respond(400, { __type: 'SerializationException', message: 'The request body is not JSON' }, 'SerializationException');
      return;
    }
    if (!(error instanceof ApiError)) throw error;
    // Faults keep their status (429, 5xx) under the names these services use; the rest are 400s.
    const type = error.type === 'InternalServerException' && service === 'organizations' ? 'ServiceException' : error.type;
    const members = error instanceof OrganizationsApiError ? error.members : {};
    const payload = { __type: type, message: error.message, Message: error.message, ...members };
    respond(error instanceof OrganizationsApiError ? 400 : error.status, payload, type);
  }
}

function serveCloudFormation(front: Front, raw: string, res: http.ServerResponse): void {
  const params = new URLSearchParams(raw);
  const operation = `cloudformation:${params.get('Action') ?? ''}`;
  try {
    front.faults.take(operation, Object.fromEntries(params));
    front.limits.take(operation, callerOf(front));
    const body = front.aws.cloudFormation.dispatch(params.get('Action') ?? '', params);
    front.record({ operation, status: 200 });
    res.writeHead(200, { 'content-type': 'text/xml' }).end(body);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const typed = awsQueryError(error);
    front.record({ operation, status: typed.status, errorType: typed.type });
    res.writeHead(typed.status, { 'content-type': 'text/xml' }).end(cloudFormationError(typed));
  }
}
