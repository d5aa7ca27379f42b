import * as http from 'http';
import { AddressInfo } from 'net';
import { AccountService, FakeAccount, RegionOptStatus } from './account';
import { CloudFormationService } from './cloudformation';
import { LocalCloudTrail } from './cloudtrail';
import { LocalCloudTrailApi } from './cloudtrail-api';
import { CallRecord, ConnectionReset, Deferred, Fault, Faults, NoAnswer, RateLimits, RateQuota } from './common';
import { EventBus } from './eventbridge';
import { Front, route } from './front';
import { IamService } from './iam';
import { LambdaService } from './lambda';
import { Organization, OrganizationsAccountStatus } from './organizations';
import { ObjectStore } from './s3';
import { StackSetService } from './stacksets';
import { StepFunctionsService } from './step-functions';
import { Principal, SecurityTokenService } from './sts';

export * from './account';
export * from './cloudformation';
export * from './cloudtrail';
export * from './cloudtrail-api';
export * from './common';
export * from './deployment';
export * from './event-bus-policy';
export * from './eventbridge';
export * from './iam';
export * from './lambda';
export * from './organizations';
export * from './s3';
export * from './s3-policy';
export * from './stacksets';
export * from './step-functions';
export * from './sts';

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
  /** The CloudFormation StackSets delegated administrator (CallAs DELEGATED_ADMIN). @default none */
  readonly cloudFormationDelegatedAdminAccountId?: string;
  /** How long an ENABLING or DISABLING transition takes. @default 0 */
  readonly regionTransitionMs?: number;
  /** Rate quotas to enforce per caller account and operation. @default none */
  readonly rateQuotas?: Record<string, RateQuota>;
  /**
   * Whom the Account Management quotas apply to: the calling account (as this library assumes), or each
   * target account (what the service may do; the reconciler then goes faster). @default 'caller'
   */
  readonly quotaScope?: 'caller' | 'target';
  /**
   * How long each Account Management and STS call takes to be answered, in milliseconds (divided by the
   * time scale); other calls are served meanwhile. @default 0 (answered at once)
   */
  readonly latencyMs?: number;
  /**
   * A signed request whose X-Amz-Date is further than this from the services' clock is refused, as AWS refuses
   * one more than 15 minutes off (900_000). @default undefined (requests are served whatever their time)
   */
  readonly requestTimeLimitMs?: number;
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
  /** The management account's default bus (other accounts': `eventBusOf`). */
  public readonly eventBus = new EventBus();
  /** The IAM roles of every account (the member footprint's). */
  public readonly iam = new IamService();
  /** The sessions that the local STS's AssumeRole issued. */
  public readonly sts = new SecurityTokenService();
  public readonly lambda = new LambdaService();
  public readonly stepFunctions = new StepFunctionsService(this.lambda);
  /** The management account's trail: off until a test turns `logging` on. */
  public readonly cloudTrail = new LocalCloudTrail(this.eventBus, () => this.managementAccountId, () => this.clock());
  /** Service-managed StackSets and their instances in member accounts. */
  public readonly stackSets: StackSetService;
  /** The organization's CloudFormation StackSets delegated administrator. */
  public cloudFormationDelegatedAdminAccountId?: string;
  /** The trails that CloudTrail's API describes (by default, what `cloudTrail.logging` implies). */
  public readonly cloudTrailApi = new LocalCloudTrailApi(() => this.managementAccountId, () => this.cloudTrail.logging, id => this.members.has(id));
  /** The account whose credentials call the services. */
  public callerAccountId: string;
  /** Whom the Account Management quotas apply to: the calling account, or each target account. */
  public quotaScope: 'caller' | 'target';
  /** How long each Account Management and STS call takes to be answered (ms, divided by the time scale). */
  public latencyMs: number;
  /** The clock of Region transitions and quotas (and of the answers' `Date` where request times are checked); tests may replace it. */
  public clock: () => number;
  /** How far a request's X-Amz-Date may be from `clock` (ms) before it is refused; undefined: not checked, and `Date` is this process's time. */
  public requestTimeLimitMs: number | undefined;
  public readonly calls: CallRecord[] = [];
  private readonly faults = new Faults();
  private watchers: Array<{ match: (call: CallRecord) => boolean; resolve: (call: CallRecord) => void }> = [];
  private readonly limits = new RateLimits(() => this.clock());
  private readonly server: http.Server;
  private readonly buses = new Map<string, EventBus>();
  private readonly front: Front = {
    aws: this,
    faults: this.faults,
    limits: this.limits,
    record: (call, principal) => this.record(call, principal),
    later: answer => this.later(answer),
  };
  /** Answers that wait for the latency. */
  private readonly delayed = new Deferred();

  private constructor(options: LocalAwsOptions) {
    this.clock = () => Date.now();
    const management = options.managementAccountId ?? '111111111111';
    this.organization = new Organization(management, id => this.accountApi.accounts.get(id)?.name);
    this.accountApi = new AccountService(this.organization, () => this.clock());
    this.cloudFormation = new CloudFormationService(() => this.clock());
    this.callerAccountId = management;
    this.organization.trustedAccess = options.trustedAccess ?? true;
    this.organization.delegatedAdminAccountId = options.delegatedAdminAccountId;
    this.cloudFormationDelegatedAdminAccountId = options.cloudFormationDelegatedAdminAccountId;
    this.stackSets = new StackSetService(this);
    this.buses.set(management, this.wire(this.eventBus, management));
    // An organization trail's events of a member's calls reach that member's bus.
    this.cloudTrail.memberBus = id => (this.organization.members.has(id) ? this.eventBusOf(id) : undefined);
    this.accountApi.regionTransitionMs = options.regionTransitionMs ?? 0;
    this.limits.quotas = options.rateQuotas ?? {};
    this.quotaScope = options.quotaScope ?? 'caller';
    this.latencyMs = options.latencyMs ?? 0;
    this.requestTimeLimitMs = options.requestTimeLimitMs;
    this.addAccount(management);
    for (const id of options.memberAccountIds ?? []) this.addAccount(id, { member: true });
    for (const id of options.standaloneAccountIds ?? []) this.addAccount(id);
    // Step Functions' status changes reach the default bus of the state machine's account, whose rules invoke their targets asynchronously.
    this.stepFunctions.onStatusChange = event => this.eventBusOf(event.account).put(event);
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

  /** The default event bus of an account (the management account's is `eventBus`; others are made on first use). */
  public eventBusOf(accountId: string): EventBus {
    let bus = this.buses.get(accountId);
    if (!bus) {
      bus = this.wire(new EventBus(), accountId);
      this.buses.set(accountId, bus);
    }
    return bus;
  }

  public async close(): Promise<void> {
    this.cloudTrail.stop();
    this.stackSets.stop();
    this.delayed.clear();
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
    if (options.member) this.organization.addMember(id);
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

  /** Makes `bus` the default bus of `accountId`: its rules' targets are Lambda functions or other accounts' buses. */
  private wire(bus: EventBus, accountId: string): EventBus {
    bus.accountId = accountId;
    bus.orgIdOf = id => (this.organization.members.has(id) ? this.organization.id : undefined);
    bus.busOf = id => this.eventBusOf(id);
    bus.deliverTo = (arn, payload) => this.lambda.invokeAsync(arn, payload);
    return bus;
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
      // Where request times are checked, the answers carry the services' time, from which a client learns its skew; else Node's
      // own (this process's time), so that a test that moves the services' clock alone (a session expired early) is not followed.
      if (this.requestTimeLimitMs !== undefined) res.setHeader('date', new Date(this.clock()).toUTCString());
      try {
        route(this.front, req, Buffer.concat(chunks).toString('utf8'), res);
      } catch (error) {
        if (error instanceof NoAnswer) return this.record({ operation: error.message, status: 0, errorType: 'no answer' });
        if (!(error instanceof ConnectionReset)) throw error;
        this.record({ operation: error.message, status: 0, errorType: 'ECONNRESET' });
        req.socket.destroy();
      }
    });
  }

  private later(answer: () => void): void {
    this.delayed.after(this.latencyMs, answer);
  }

  private record(call: Omit<CallRecord, 'caller' | 'at'>, principal?: Principal): void {
    const record: CallRecord = { ...call, caller: principal?.accountId ?? this.callerAccountId, at: this.clock() };
    // Only sessions' calls name their principal: the records of the other callers keep their shape.
    if (principal?.session) Object.assign(record, { principal: principal.arn });
    this.calls.push(record);
    const matched = this.watchers.filter(w => w.match(record));
    this.watchers = this.watchers.filter(w => !matched.includes(w));
    matched.forEach(w => w.resolve(record));
  }
}
