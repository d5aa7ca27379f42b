import * as http from 'http';
import { AddressInfo } from 'net';
import { AccountService, FakeAccount, RegionOptStatus } from './account';
import { CloudFormationService, cloudFormationError } from './cloudformation';
import { LocalCloudTrail } from './cloudtrail';
import { CLOUDTRAIL_TARGET_PREFIX, LocalCloudTrailApi } from './cloudtrail-api';
import { ApiError, CallRecord, ConnectionReset, Fault, Faults, RateLimits, RateQuota } from './common';
import { EventBus } from './eventbridge';
import { IamService } from './iam';
import { LambdaService } from './lambda';
import { Organization, OrganizationsApiError, OrganizationsAccountStatus, ORGANIZATIONS_TARGET_PREFIX } from './organizations';
import { ObjectStore } from './s3';
import { serveS3 } from './s3-front';
import { STEP_FUNCTIONS_TARGET_PREFIX, StepFunctionsService } from './step-functions';

export * from './account';
export * from './cloudformation';
export * from './cloudtrail';
export * from './cloudtrail-api';
export * from './common';
export * from './deployment';
export * from './eventbridge';
export * from './iam';
export * from './lambda';
export * from './organizations';
export * from './s3';
export * from './s3-policy';
export * from './step-functions';

/*
 * The AWS services this library's handlers call, run locally behind one HTTP server: Account
 * Management, Organizations, CloudFormation's stack reads and custom-resource responses, S3, EventBridge
 * and Step Functions, with Lambda running the handlers' bundles in-process. The tests, the
 * benchmarks and the local demo use them; they are not shipped in the package.
 *
 * Point the SDK clients of this process at it with `useForSdkClients()`.
 */

export interface LocalAwsOptions {
  /** The organization's management account. @default '111111111111' */
  readonly managementAccountId?: string;
  /** Member accounts besides the management account. @default [] */
  readonly memberAccountIds?: string[];
  /** Accounts outside the organization. @default none */
  readonly standaloneAccountIds?: string[];
  /** Trusted access for account.amazonaws.com. @default true */
  readonly trustedAccess?: boolean;
  /** The Account Management delegated administrator. @default none */
  readonly delegatedAdminAccountId?: string;
  /** How long an ENABLING or DISABLING transition takes. @default 0 */
  readonly regionTransitionMs?: number;
  /** Rate quotas to enforce per caller account and operation. @default none */
  readonly rateQuotas?: Record<string, RateQuota>;
  /**
   * Whom the Account Management quotas apply to: the calling account (as this library assumes), or each
   * target account (what the service may do; the reconciler then goes faster). @default 'caller'
   */
  readonly quotaScope?: 'caller' | 'target';
}

export class LocalAws {
  /** Starts the services on a free port of 127.0.0.1. */
  public static async start(options: LocalAwsOptions = {}): Promise<LocalAws> {
    const aws = new LocalAws(options);
    await new Promise<void>(resolve => aws.server.listen(0, '127.0.0.1', resolve));
    return aws;
  }

  public readonly organization: Organization;
  public readonly accountApi: AccountService;
  public readonly cloudFormation: CloudFormationService;
  public readonly s3 = new ObjectStore();
  public readonly eventBus = new EventBus();
  /** The IAM roles of every account (the member footprint's). */
  public readonly iam = new IamService();
  public readonly lambda = new LambdaService();
  public readonly stepFunctions = new StepFunctionsService(this.lambda);
  /** The management account's trail: off until a test turns `logging` on. */
  public readonly cloudTrail = new LocalCloudTrail(this.eventBus, () => this.managementAccountId, () => this.clock());
  /** The trails that CloudTrail's API describes (by default, what `cloudTrail.logging` implies). */
  public readonly cloudTrailApi = new LocalCloudTrailApi(() => this.managementAccountId, () => this.cloudTrail.logging, id => this.members.has(id));
  /** The account whose credentials call the services. */
  public callerAccountId: string;
  /** Whom the Account Management quotas apply to: the calling account, or each target account. */
  public quotaScope: 'caller' | 'target';
  /** The clock of Region transitions and quotas; tests may replace it. */
  public clock: () => number;
  public readonly calls: CallRecord[] = [];
  private readonly faults = new Faults();
  private watchers: Array<{ match: (call: CallRecord) => boolean; resolve: (call: CallRecord) => void }> = [];
  private readonly limits = new RateLimits(() => this.clock());
  private readonly server: http.Server;

  private constructor(options: LocalAwsOptions) {
    this.clock = () => Date.now();
    const management = options.managementAccountId ?? '111111111111';
    this.organization = new Organization(management, id => this.accountApi.accounts.get(id)?.name);
    this.accountApi = new AccountService(this.organization, () => this.clock());
    this.cloudFormation = new CloudFormationService(() => this.clock());
    this.callerAccountId = management;
    this.organization.trustedAccess = options.trustedAccess ?? true;
    this.organization.delegatedAdminAccountId = options.delegatedAdminAccountId;
    this.accountApi.regionTransitionMs = options.regionTransitionMs ?? 0;
    this.limits.quotas = options.rateQuotas ?? {};
    this.quotaScope = options.quotaScope ?? 'caller';
    this.addAccount(management);
    for (const id of options.memberAccountIds ?? []) this.addAccount(id, { member: true });
    for (const id of options.standaloneAccountIds ?? []) this.addAccount(id);
    // Step Functions' status changes reach the default bus, whose rules invoke their targets asynchronously.
    this.stepFunctions.onStatusChange = event => this.eventBus.put(event);
    this.eventBus.deliverTo = (arn, payload) => this.lambda.invokeAsync(arn, payload);
    this.server = http.createServer((req, res) => this.serve(req, res));
    // Idle connections are kept 10 s: clients reuse them rather than open one per call (CPU that the benchmarks count).
    this.server.keepAliveTimeout = 10_000;
  }

  public get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * Points this process's AWS SDK clients at the local services, with a Region and made-up credentials.
   * Handlers keep their HTTP connections across invocations: call it before their first call.
   */
  public useForSdkClients(): void {
    for (const service of ['ACCOUNT', 'CLOUDFORMATION', 'ORGANIZATIONS', 'SFN', 'S3', 'EVENTBRIDGE', 'STS', 'CLOUDTRAIL']) process.env[`AWS_ENDPOINT_URL_${service}`] = this.endpoint;
    process.env.AWS_REGION = 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID = 'AKIDLOCAL';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
  }

  public async close(): Promise<void> {
    this.cloudTrail.stop();
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }

  // --- the organization and its accounts ---

  public get managementAccountId(): string {
    return this.organization.managementAccountId;
  }

  public get accounts(): Map<string, FakeAccount> {
    return this.accountApi.accounts;
  }

  /** Accounts of the organization (the management account included). */
  public get members(): Set<string> {
    return this.organization.members;
  }

  public get trustedAccess(): boolean {
    return this.organization.trustedAccess;
  }

  public set trustedAccess(value: boolean) {
    this.organization.trustedAccess = value;
  }

  public get rootId(): string {
    return this.organization.rootId;
  }

  public addAccount(id: string, options: { member?: boolean } = {}): FakeAccount {
    const account = this.accountApi.addAccount(id);
    if (options.member) this.organization.members.add(id);
    return account;
  }

  public account(id: string): FakeAccount {
    return this.accountApi.account(id);
  }

  public addOrganizationalUnit(id: string, parentId?: string): string {
    return this.organization.addOrganizationalUnit(id, parentId);
  }

  public moveAccount(accountId: string, parentId: string): void {
    this.organization.moveAccount(accountId, parentId);
  }

  public setAccountStatus(accountId: string, status: OrganizationsAccountStatus): void {
    this.organization.setAccountStatus(accountId, status);
  }

  // --- Regions ---

  public get regionTransitionMs(): number {
    return this.accountApi.regionTransitionMs;
  }

  public set regionTransitionMs(value: number) {
    this.accountApi.regionTransitionMs = value;
  }

  public get transitions() {
    return this.accountApi.transitions;
  }

  public regionStatus(accountId: string, region: string): RegionOptStatus | undefined {
    return this.accountApi.regionStatus(accountId, region);
  }

  public setRegionStatus(accountId: string, region: string, status: RegionOptStatus, untilMs?: number): void {
    this.accountApi.setRegionStatus(accountId, region, status, untilMs);
  }

  // --- quotas, faults and the record of calls ---

  public get rateQuotas(): Record<string, RateQuota> {
    return this.limits.quotas;
  }

  public set rateQuotas(quotas: Record<string, RateQuota>) {
    this.limits.quotas = quotas;
    this.limits.refill();
  }

  public injectFault(fault: Fault): void {
    this.faults.inject(fault);
  }

  public clearFaults(): void {
    this.faults.clear();
  }

  public clearCalls(): void {
    this.calls.length = 0;
    this.accountApi.transitions.length = 0;
  }

  /** The first call from now on that matches: a cue for a test to act at a point of a deploy. */
  public nextCall(match: (call: CallRecord) => boolean): Promise<CallRecord> {
    return new Promise(resolve => this.watchers.push({ match, resolve }));
  }

  /** The calls of one operation ('PutAlternateContact', 'cloudformation:DescribeStacks'…). */
  public callsOf(operation: string): CallRecord[] {
    return this.calls.filter(call => call.operation === operation);
  }

  // --- the HTTP side ---

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      try {
        this.route(req, Buffer.concat(chunks).toString('utf8'), res);
      } catch (error) {
        if (!(error instanceof ConnectionReset)) throw error;
        this.record({ operation: error.message, status: 0, errorType: 'ECONNRESET' });
        req.socket.destroy();
      }
    });
  }

  private route(req: http.IncomingMessage, raw: string, res: http.ServerResponse): void {
    const url = req.url ?? '/';
    const target = req.headers['x-amz-target'];
    // The service a signed request is for, from its SigV4 credential scope.
    const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
    if (req.method === 'PUT' && url.startsWith('/cloudformation-response/')) {
      // Faults of 'cloudformation:Response' stand for S3 refusing the answer's PUT (it is then not received).
      try {
        this.faults.take('cloudformation:Response');
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        this.record({ operation: 'cloudformation:Response', status: error.status, errorType: error.type });
        res.writeHead(error.status).end(error.message);
        return;
      }
      const answer = this.cloudFormation.receiveResponse(url.slice('/cloudformation-response/'.length), raw);
      res.writeHead(answer.status).end(answer.body);
    } else if (service === 's3') {
      serveS3({
        s3: this.s3,
        endpoint: this.endpoint,
        takeFault: operation => this.faults.take(operation),
        record: call => this.record(call),
        principalOf: accessKey => this.lambda.principalOf(accessKey) ?? `arn:aws:iam::${this.callerAccountId}:user/local`,
      }, req.method ?? 'GET', url, raw, res, req.headers);
    } else if (typeof target === 'string' && target.startsWith('AWSEvents.')) {
      this.serveJson('events', target.slice('AWSEvents.'.length), raw, res, '1.1', body => this.eventBus.dispatch(target.slice('AWSEvents.'.length), body));
    } else if (typeof target === 'string' && target.startsWith(ORGANIZATIONS_TARGET_PREFIX)) {
      const operation = target.slice(ORGANIZATIONS_TARGET_PREFIX.length);
      this.serveJson('organizations', operation, raw, res, '1.1', body => this.organization.dispatch(operation, body, this.callerAccountId));
    } else if (typeof target === 'string' && target.startsWith(STEP_FUNCTIONS_TARGET_PREFIX)) {
      const operation = target.slice(STEP_FUNCTIONS_TARGET_PREFIX.length);
      this.serveJson('states', operation, raw, res, '1.0', body => this.stepFunctions.dispatch(operation, body));
    } else if (typeof target === 'string' && target.startsWith(CLOUDTRAIL_TARGET_PREFIX)) {
      const operation = target.slice(CLOUDTRAIL_TARGET_PREFIX.length);
      this.serveJson('cloudtrail', operation, raw, res, '1.1', body => this.cloudTrailApi.dispatch(operation, body, this.callerAccountId, String(req.headers.authorization ?? '')));
    } else if (service === 'sts') {
      this.serveCallerIdentity(res);
    } else if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      this.serveCloudFormation(raw, res);
    } else {
      const role = this.lambda.principalOf(/Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '');
      this.serveAccount(url.replace(/^\//, '').split('?')[0], raw, res, role);
    }
  }

  private record(call: Omit<CallRecord, 'caller' | 'at'>): void {
    const record = { ...call, caller: this.callerAccountId, at: this.clock() };
    this.calls.push(record);
    const matched = this.watchers.filter(w => w.match(record));
    this.watchers = this.watchers.filter(w => !matched.includes(w));
    matched.forEach(w => w.resolve(record));
  }

  private serveAccount(route: string, raw: string, res: http.ServerResponse, role?: string): void {
    const operation = route.charAt(0).toUpperCase() + route.slice(1);
    const caller = this.callerAccountId;
    let body: Record<string, unknown> = {};
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      body = {};
    }
    const accountIdParameter = typeof body.AccountId === 'string' ? body.AccountId : undefined;
    let target: string | undefined;
    const respond = (status: number, payload?: unknown, errorType?: string) => {
      this.record({ operation, target, accountIdParameter, status, errorType });
      const errorMessage = (payload as { message?: string } | undefined)?.message;
      this.cloudTrail.record({ operation, caller, role, body, status, errorType, errorMessage });
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-requestid': `req-${this.calls.length}` };
      if (errorType) headers['x-amzn-errortype'] = errorType;
      res.writeHead(status, headers);
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    try {
      this.faults.take(operation, body);
      target = this.accountApi.resolveTarget(operation, caller, body);
      this.limits.take(operation, this.quotaScope === 'caller' ? caller : target);
      respond(200, this.accountApi.dispatch(operation, this.accountApi.account(target), body));
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

  /** The awsJson protocols (Organizations, SSM, Step Functions, EventBridge): `{"__type", "message"}` errors. */
  private serveJson(
    service: string, operation: string, raw: string, res: http.ServerResponse, version: '1.0' | '1.1',
    dispatch: (body: Record<string, unknown>) => unknown,
  ): void {
    const name = `${service}:${operation}`;
    let body: Record<string, unknown> = {};
    const respond = (status: number, payload: unknown, errorType?: string) => {
      this.record({ operation: name, accountIdParameter: typeof body.AccountId === 'string' ? body.AccountId : undefined, status, errorType });
      res.writeHead(status, { 'content-type': `application/x-amz-json-${version}`, 'x-amzn-requestid': `req-${this.calls.length}` });
      res.end(JSON.stringify(payload));
    };
    try {
      const parsed: unknown = raw ? JSON.parse(raw) : {};
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ApiError(400, 'SerializationException', 'The request body is not a JSON object');
      body = parsed as Record<string, unknown>;
      this.faults.take(name, body);
      this.limits.take(name, this.callerAccountId);
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

  /** STS GetCallerIdentity (awsQuery), the one STS call the tools make: the caller is the account the services act for. */
  private serveCallerIdentity(res: http.ServerResponse): void {
    const account = this.callerAccountId;
    this.record({ operation: 'sts:GetCallerIdentity', status: 200 });
    res.writeHead(200, { 'content-type': 'text/xml' }).end('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
      + `<Arn>arn:aws:iam::${account}:user/local</Arn><UserId>AIDALOCAL</UserId><Account>${account}</Account>`
      + '</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>');
  }

  private serveCloudFormation(raw: string, res: http.ServerResponse): void {
    const params = new URLSearchParams(raw);
    const operation = `cloudformation:${params.get('Action') ?? ''}`;
    try {
      this.faults.take(operation, Object.fromEntries(params));
      this.limits.take(operation, this.callerAccountId);
      const body = this.cloudFormation.dispatch(params.get('Action') ?? '', params);
      this.record({ operation, status: 200 });
      res.writeHead(200, { 'content-type': 'text/xml' }).end(body);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // CloudFormation names throttling "Throttling" (HTTP 400) and its server errors "InternalFailure".
      const typed = error.status === 429 ? new ApiError(400, 'Throttling', 'Rate exceeded')
        : error.status >= 500 ? new ApiError(error.status, 'InternalFailure', error.message) : error;
      this.record({ operation, status: typed.status, errorType: typed.type });
      res.writeHead(typed.status, { 'content-type': 'text/xml' }).end(cloudFormationError(typed));
    }
  }
}
