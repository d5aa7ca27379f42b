import * as http from 'http';
import { AddressInfo } from 'net';

/*
 * A local HTTP fake of the AWS Account Management API (REST-JSON, as @aws-sdk/client-account speaks
 * it) and of CloudFormation's ListStackResources and DescribeStacks (awsQuery), faithful to the reference guide where the
 * handlers depend on it: the data types' constraints (ValidationException with its fieldList), the
 * standalone and organizations contexts (AccessDeniedException for a management account naming itself,
 * for a non-member, or without trusted access), ResourceNotFoundException for a missing contact,
 * asynchronous Region transitions with the 6-per-account and 20-per-organization limits, the rate
 * quotas, and injectable faults (429, 5xx).
 *
 * Point a client at it with AWS_ENDPOINT_URL_ACCOUNT / AWS_ENDPOINT_URL_CLOUDFORMATION = `endpoint`.
 *
 * It also fakes the read side of AWS Organizations (awsJson1_1: ListAccounts, ListAccountsForParent,
 * ListChildren, ListParents, DescribeAccount) over the organization's members, a root and nested
 * organizational units; point a client at it with AWS_ENDPOINT_URL_ORGANIZATIONS = `endpoint`.
 */

export type AlternateContactType = 'BILLING' | 'OPERATIONS' | 'SECURITY';
export type RegionOptStatus = 'ENABLED' | 'ENABLING' | 'DISABLING' | 'DISABLED' | 'ENABLED_BY_DEFAULT';

export interface AlternateContact {
  Name: string;
  Title: string;
  EmailAddress: string;
  PhoneNumber: string;
}

export type ContactInformation = Record<string, string>;

interface RegionState {
  status: RegionOptStatus;
  /** When an ENABLING/DISABLING transition ends (clock ms). */
  until?: number;
}

export interface FakeAccount {
  readonly id: string;
  name: string;
  readonly alternateContacts: Map<AlternateContactType, AlternateContact>;
  contactInformation?: ContactInformation;
  readonly regions: Map<string, RegionState>;
}

/** One request the fake answered. */
export interface CallRecord {
  readonly operation: string;
  readonly caller: string;
  /** The account the call targeted (the caller's own account in standalone context). */
  readonly target?: string;
  readonly accountIdParameter?: string;
  readonly status: number;
  readonly errorType?: string;
  readonly at: number;
}

export interface Fault {
  /** Only this operation (e.g. 'PutAlternateContact'); every operation when omitted. */
  readonly operation?: string;
  /** 429 (TooManyRequestsException), 500 (InternalServerException) or 503 (ServiceUnavailable). */
  readonly status: 429 | 500 | 503;
  /** How many requests in a row get the fault. */
  readonly count: number;
}

export interface RateQuota {
  /** Requests per second, per caller account. */
  readonly rate: number;
  readonly burst: number;
}

/** The reference's Quotas table. */
export const REFERENCE_RATE_QUOTAS: Record<string, RateQuota> = {
  DeleteAlternateContact: { rate: 1, burst: 6 },
  DisableRegion: { rate: 1, burst: 1 },
  EnableRegion: { rate: 1, burst: 1 },
  GetAlternateContact: { rate: 10, burst: 15 },
  GetContactInformation: { rate: 10, burst: 15 },
  GetRegionOptStatus: { rate: 5, burst: 5 },
  ListRegions: { rate: 5, burst: 5 },
  PutAlternateContact: { rate: 5, burst: 8 },
  PutContactInformation: { rate: 5, burst: 8 },
};

export interface FakeAccountApiOptions {
  /** The organization's management account. @default '111111111111' */
  readonly managementAccountId?: string;
  /** Member accounts besides the management account. @default [] */
  readonly memberAccountIds?: string[];
  /** A standalone account outside the organization. @default none */
  readonly standaloneAccountIds?: string[];
  /** Trusted access for account.amazonaws.com. @default true */
  readonly trustedAccess?: boolean;
  /** The Account Management delegated administrator. @default none */
  readonly delegatedAdminAccountId?: string;
  /** How long an ENABLING or DISABLING transition takes. @default 0 */
  readonly regionTransitionMs?: number;
  /** Rate quotas to enforce per caller account and operation. @default none */
  readonly rateQuotas?: Record<string, RateQuota>;
}

/** Regions enabled by default (introduced before March 20, 2019). */
export const DEFAULT_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ap-south-1', 'ap-northeast-1', 'ap-northeast-2',
  'ap-northeast-3', 'ap-southeast-1', 'ap-southeast-2', 'ca-central-1', 'eu-central-1', 'eu-west-1',
  'eu-west-2', 'eu-west-3', 'eu-north-1', 'sa-east-1',
];
/** Opt-in Regions, disabled by default. */
export const OPT_IN_REGIONS = [
  'af-south-1', 'ap-east-1', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5',
  'ap-southeast-7', 'ca-west-1', 'eu-south-1', 'eu-south-2', 'eu-central-2', 'il-central-1',
  'me-south-1', 'me-central-1', 'mx-central-1',
];

const MAX_TRANSITIONS_PER_ACCOUNT = 6;
const MAX_TRANSITIONS_PER_ORGANIZATION = 20;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly fieldList?: Array<{ name: string; message: string }>,
  ) {
    super(message);
  }
}

function validationError(field: string, constraint: string): ApiError {
  return new ApiError(400, 'ValidationException', `1 validation error detected: Value at '${field}' failed to satisfy constraint: ${constraint}`,
    [{ name: field, message: constraint }]);
}

interface StringConstraint {
  readonly required?: boolean;
  readonly min?: number;
  readonly max: number;
  readonly pattern?: RegExp;
}

function checkString(body: Record<string, unknown>, field: string, opts: StringConstraint): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (opts.required) throw validationError(field, 'Member must not be null');
    return undefined;
  }
  if (typeof value !== 'string') throw validationError(field, 'Member must be a string');
  if (value.length < (opts.min ?? 1) || value.length > opts.max) {
    throw validationError(field, `Member must have length between ${opts.min ?? 1} and ${opts.max}`);
  }
  if (opts.pattern && !opts.pattern.test(value)) throw validationError(field, `Member must satisfy regular expression pattern: ${opts.pattern.source}`);
  return value;
}

const ACCOUNT_ID = /^\d{12}$/;
const EMAIL = /^[\s]*[\w+=.#|!&-]+@[\w.-]+\.[\w]+[\s]*$/;
const ALTERNATE_PHONE = /^[\s0-9()+-]+$/;
const PRIMARY_PHONE = /^[+][\s0-9()-]+$/;
const ACCOUNT_NAME = /^[ -;=?-~]+$/;
const CONTACT_TYPES: AlternateContactType[] = ['BILLING', 'OPERATIONS', 'SECURITY'];

/** An account's status in AWS Organizations. */
export type OrganizationsAccountStatus = 'ACTIVE' | 'SUSPENDED';

/** The x-amz-target prefix of the Organizations API (awsJson1_1). */
const ORGANIZATIONS_TARGET_PREFIX = 'AWSOrganizationsV20161128.';
const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
const PARENT_ID = /^(?:r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;
const CHILD_ID = /^(?:\d{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;
/** The page size of the List* operations: their default and their maximum MaxResults. */
const ORGANIZATIONS_MAX_RESULTS = 20;
/** 2020-01-01T00:00:00Z, in the epoch seconds awsJson1_1 uses for timestamps. */
const JOINED_TIMESTAMP = 1577836800;

/** An Organizations error: HTTP 400 with `{"__type", "message"}` and any extra members (Reason). */
class OrganizationsApiError extends ApiError {
  constructor(type: string, message: string, readonly members: Record<string, string> = {}) {
    super(400, type, message);
  }
}

function organizationsInputError(reason: string, message: string): OrganizationsApiError {
  return new OrganizationsApiError('InvalidInputException', message, { Reason: reason });
}

/** A CloudFormation stack resource, as ListStackResources reports it. */
export interface StackResource {
  LogicalResourceId: string;
  PhysicalResourceId: string;
  ResourceType: string;
  ResourceStatus: string;
}

export class FakeAccountApi {
  public static async start(options: FakeAccountApiOptions = {}): Promise<FakeAccountApi> {
    const fake = new FakeAccountApi(options);
    await new Promise<void>(resolve => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  public readonly managementAccountId: string;
  public readonly accounts = new Map<string, FakeAccount>();
  /** Accounts of the organization (the management account included). */
  public readonly members = new Set<string>();
  public trustedAccess: boolean;
  public delegatedAdminAccountId?: string;
  /** The account whose credentials call the API. */
  public callerAccountId: string;
  public regionTransitionMs: number;
  public rateQuotas: Record<string, RateQuota>;
  /** The clock the fake uses for transitions and quotas; tests may replace it. */
  public clock: () => number;
  public readonly calls: CallRecord[] = [];
  /** Every Region transition started, with the time it ends. */
  public readonly transitions: Array<{ accountId: string; regionName: string; status: RegionOptStatus; endsAt: number }> = [];
  /** CloudFormation stacks, by stack id, for ListStackResources. */
  public readonly stacks = new Map<string, StackResource[]>();
  /** SSM parameters (name → value), for GetParameter and PutParameter; create them before use. */
  public readonly parameters = new Map<string, string>();
  /** CloudFormation stack statuses, by stack id, for DescribeStacks. */
  public readonly stackStatuses = new Map<string, string>();
  /** The organization's root: the parent of every member and OU not placed elsewhere. */
  public readonly rootId = 'r-root0';
  /** Organizational units, by id, with their parent's id. */
  private readonly organizationalUnits = new Map<string, string>();
  /** Members placed under an OU (moveAccount); the others are under the root. */
  private readonly accountParents = new Map<string, string>();
  /** Members' Organizations status; ACTIVE unless set. */
  private readonly accountStatuses = new Map<string, OrganizationsAccountStatus>();

  private readonly server: http.Server;
  private faults: Array<Fault & { remaining: number }> = [];
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  private constructor(options: FakeAccountApiOptions) {
    this.clock = () => Date.now();
    this.managementAccountId = options.managementAccountId ?? '111111111111';
    this.callerAccountId = this.managementAccountId;
    this.trustedAccess = options.trustedAccess ?? true;
    this.delegatedAdminAccountId = options.delegatedAdminAccountId;
    this.regionTransitionMs = options.regionTransitionMs ?? 0;
    this.rateQuotas = options.rateQuotas ?? {};
    for (const id of [this.managementAccountId, ...(options.memberAccountIds ?? [])]) {
      this.addAccount(id);
      this.members.add(id);
    }
    for (const id of options.standaloneAccountIds ?? []) this.addAccount(id);
    this.server = http.createServer((req, res) => this.serve(req, res));
    this.server.keepAliveTimeout = 1000;
  }

  public get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * Points this process's AWS SDK clients at the fake, with a Region and made-up credentials. Handlers
   * keep their clients across invocations: call it before their first call, once per process.
   */
  public useForSdkClients(): void {
    for (const service of ['ACCOUNT', 'CLOUDFORMATION', 'ORGANIZATIONS', 'SSM']) process.env[`AWS_ENDPOINT_URL_${service}`] = this.endpoint;
    process.env.AWS_REGION = 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFAKE';
    process.env.AWS_SECRET_ACCESS_KEY = 'fake';
  }

  public addAccount(id: string, options: { member?: boolean } = {}): FakeAccount {
    const account: FakeAccount = {
      id,
      name: `account-${id}`,
      alternateContacts: new Map(),
      regions: new Map<string, RegionState>([
        ...DEFAULT_REGIONS.map((r): [string, RegionState] => [r, { status: 'ENABLED_BY_DEFAULT' }]),
        ...OPT_IN_REGIONS.map((r): [string, RegionState] => [r, { status: 'DISABLED' }]),
      ]),
    };
    this.accounts.set(id, account);
    if (options.member) this.members.add(id);
    return account;
  }

  public account(id: string): FakeAccount {
    const account = this.accounts.get(id);
    if (!account) throw new Error(`no account ${id} in the fake`);
    return account;
  }

  /** The Region's status now, after any transition that has ended. */
  public regionStatus(accountId: string, region: string): RegionOptStatus | undefined {
    const state = this.account(accountId).regions.get(region);
    if (!state) return undefined;
    this.settle(state);
    return state.status;
  }

  /** Starts a transition as if someone had called Enable/DisableRegion by hand. */
  public setRegionStatus(accountId: string, region: string, status: RegionOptStatus, untilMs?: number): void {
    this.account(accountId).regions.set(region, { status, until: untilMs === undefined ? undefined : this.clock() + untilMs });
  }

  /** Creates an organizational unit (id like 'ou-root0-abcd1234') under the root or another OU. */
  public addOrganizationalUnit(id: string, parentId: string = this.rootId): string {
    if (!OU_ID.test(id)) throw new Error(`${id} is not an organizational unit id (${OU_ID.source})`);
    if (this.organizationalUnits.has(id)) throw new Error(`organizational unit ${id} already exists in the fake`);
    if (!this.parentExists(parentId)) throw new Error(`no parent ${parentId} in the fake`);
    this.organizationalUnits.set(id, parentId);
    return id;
  }

  /** Moves a member account under the root or an OU. */
  public moveAccount(accountId: string, parentId: string): void {
    if (!this.members.has(accountId)) throw new Error(`account ${accountId} is not a member of the fake's organization`);
    if (!this.parentExists(parentId)) throw new Error(`no parent ${parentId} in the fake`);
    this.accountParents.set(accountId, parentId);
  }

  /** Sets a member account's Organizations status (ACTIVE by default). */
  public setAccountStatus(accountId: string, status: OrganizationsAccountStatus): void {
    if (!this.members.has(accountId)) throw new Error(`account ${accountId} is not a member of the fake's organization`);
    this.accountStatuses.set(accountId, status);
  }

  public injectFault(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.count });
  }

  public clearCalls(): void {
    this.calls.length = 0;
    this.transitions.length = 0;
  }

  /** The calls of one operation. */
  public callsOf(operation: string): CallRecord[] {
    return this.calls.filter(call => call.operation === operation);
  }

  public async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const amzTarget = req.headers['x-amz-target'];
      if (typeof amzTarget === 'string' && amzTarget.startsWith('AmazonSSM.')) {
        this.serveParameters(amzTarget.slice('AmazonSSM.'.length), raw, res);
      } else if (typeof amzTarget === 'string' && amzTarget.startsWith(ORGANIZATIONS_TARGET_PREFIX)) {
        this.serveOrganizations(amzTarget.slice(ORGANIZATIONS_TARGET_PREFIX.length), raw, res);
      } else if (req.url === '/' || (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        this.serveCloudFormation(raw, res);
      } else {
        this.serveAccount((req.url ?? '/').replace(/^\//, '').split('?')[0], raw, res);
      }
    });
  }

  private serveAccount(route: string, raw: string, res: http.ServerResponse): void {
    const operation = route.charAt(0).toUpperCase() + route.slice(1);
    const caller = this.callerAccountId;
    let body: Record<string, unknown> = {};
    let target: string | undefined;
    const accountIdParameter = (() => {
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        body = {};
      }
      return typeof body.AccountId === 'string' ? body.AccountId : undefined;
    })();
    const respond = (status: number, payload?: unknown, errorType?: string) => {
      this.calls.push({ operation, caller, target, accountIdParameter, status, errorType, at: this.clock() });
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-requestid': `req-${this.calls.length}` };
      if (errorType) headers['x-amzn-errortype'] = errorType;
      res.writeHead(status, headers);
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    try {
      this.applyFaultsAndQuotas(operation, caller);
      target = this.resolveTarget(operation, caller, body);
      respond(200, this.dispatch(operation, this.account(target), body));
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

  private applyFaultsAndQuotas(operation: string, caller: string): void {
    const fault = this.faults.find(f => f.remaining > 0 && (f.operation === undefined || f.operation === operation));
    if (fault) {
      fault.remaining--;
      this.faults = this.faults.filter(f => f.remaining > 0);
      if (fault.status === 429) throw new ApiError(429, 'TooManyRequestsException', 'Rate exceeded');
      if (fault.status === 503) throw new ApiError(503, 'ServiceUnavailable', 'Service unavailable');
      throw new ApiError(500, 'InternalServerException', 'Internal failure');
    }
    const quota = this.rateQuotas[operation];
    if (!quota) return;
    const key = `${caller}/${operation}`;
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: quota.burst, at: now };
    bucket.tokens = Math.min(quota.burst, bucket.tokens + ((now - bucket.at) / 1000) * quota.rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) throw new ApiError(429, 'TooManyRequestsException', 'Rate exceeded');
    bucket.tokens -= 1;
  }

  /** Standalone context without AccountId; organizations context with it, from the management account or the delegated admin. */
  private resolveTarget(operation: string, caller: string, body: Record<string, unknown>): string {
    const accountId = checkString(body, 'AccountId', { max: 12, min: 12, pattern: ACCOUNT_ID });
    if (!this.accounts.has(caller)) throw new ApiError(403, 'AccessDeniedException', `Account ${caller} is not known`);
    if (accountId === undefined) return caller;
    const isAdmin = caller === this.managementAccountId || caller === this.delegatedAdminAccountId;
    if (!this.members.has(caller) || !isAdmin) {
      throw new ApiError(403, 'AccessDeniedException', `User: arn:aws:sts::${caller}:assumed-role/handler is not authorized to perform: account:${operation} on resource: arn:aws:account::${this.managementAccountId}:account/o-exampleorgid/${accountId}`);
    }
    if (!this.trustedAccess) {
      throw new ApiError(403, 'AccessDeniedException', 'The request failed because your organization does not have trusted access enabled for account.amazonaws.com');
    }
    if (accountId === this.managementAccountId && caller === this.managementAccountId) {
      throw new ApiError(403, 'AccessDeniedException', 'The management account can\'t specify its own AccountId; call the operation in standalone context');
    }
    if (!this.members.has(accountId)) {
      throw new ApiError(403, 'AccessDeniedException', `Account ${accountId} is not a member of the organization`);
    }
    return accountId;
  }

  private dispatch(operation: string, account: FakeAccount, body: Record<string, unknown>): unknown {
    switch (operation) {
      case 'PutAlternateContact': {
        const type = this.contactType(body);
        account.alternateContacts.set(type, {
          Name: checkString(body, 'Name', { required: true, max: 64 })!,
          Title: checkString(body, 'Title', { required: true, max: 50 })!,
          EmailAddress: checkString(body, 'EmailAddress', { required: true, max: 254, pattern: EMAIL })!,
          PhoneNumber: checkString(body, 'PhoneNumber', { required: true, max: 25, pattern: ALTERNATE_PHONE })!,
        });
        return undefined;
      }
      case 'GetAlternateContact': {
        const type = this.contactType(body);
        const contact = account.alternateContacts.get(type);
        if (!contact) throw new ApiError(404, 'ResourceNotFoundException', 'No contact of the specified type is associated with the account');
        return { AlternateContact: { ...contact, AlternateContactType: type } };
      }
      case 'DeleteAlternateContact': {
        const type = this.contactType(body);
        if (!account.alternateContacts.delete(type)) {
          throw new ApiError(404, 'ResourceNotFoundException', 'No contact of the specified type is associated with the account');
        }
        return undefined;
      }
      case 'PutContactInformation':
        account.contactInformation = this.contactInformation(body.ContactInformation);
        return undefined;
      case 'GetContactInformation':
        if (!account.contactInformation) throw new ApiError(404, 'ResourceNotFoundException', 'No contact information');
        return { ContactInformation: account.contactInformation };
      case 'PutAccountName':
        account.name = checkString(body, 'AccountName', { required: true, max: 50, pattern: ACCOUNT_NAME })!;
        return undefined;
      case 'GetAccountInformation':
        return { AccountId: account.id, AccountName: account.name, AccountCreatedDate: '2020-01-01T00:00:00Z' };
      case 'GetRegionOptStatus': {
        const region = this.region(account, body);
        return { RegionName: region.name, RegionOptStatus: region.state.status };
      }
      case 'ListRegions':
        return {
          Regions: [...account.regions.entries()].map(([name, state]) => {
            this.settle(state);
            return { RegionName: name, RegionOptStatus: state.status };
          }),
        };
      case 'EnableRegion':
      case 'DisableRegion':
        this.transition(account, body, operation === 'EnableRegion');
        return undefined;
      default:
        throw new ApiError(404, 'UnknownOperationException', `Unknown operation ${operation}`);
    }
  }

  private contactType(body: Record<string, unknown>): AlternateContactType {
    const type = body.AlternateContactType as AlternateContactType;
    if (!CONTACT_TYPES.includes(type)) throw validationError('AlternateContactType', `Member must satisfy enum value set: [${CONTACT_TYPES.join(', ')}]`);
    return type;
  }

  private contactInformation(value: unknown): ContactInformation {
    if (typeof value !== 'object' || value === null) throw validationError('ContactInformation', 'Member must not be null');
    const body = value as Record<string, unknown>;
    const info: ContactInformation = {};
    const fields: Array<[string, StringConstraint]> = [
      ['FullName', { required: true, max: 50 }],
      ['AddressLine1', { required: true, max: 60 }],
      ['AddressLine2', { max: 60 }],
      ['AddressLine3', { max: 60 }],
      ['City', { required: true, max: 50 }],
      ['CompanyName', { max: 50 }],
      ['CountryCode', { required: true, min: 2, max: 2 }],
      ['DistrictOrCounty', { max: 50 }],
      ['PhoneNumber', { required: true, max: 20, pattern: PRIMARY_PHONE }],
      ['PostalCode', { required: true, max: 20 }],
      ['StateOrRegion', { max: 50 }],
      ['WebsiteUrl', { max: 256 }],
    ];
    for (const [field, opts] of fields) {
      const v = checkString(body, field, opts);
      if (v !== undefined) info[field] = v;
    }
    if (['US', 'CA', 'GB', 'DE', 'JP', 'IN', 'BR'].includes(info.CountryCode) && info.StateOrRegion === undefined) {
      throw validationError('StateOrRegion', 'Member is required for this CountryCode');
    }
    return info;
  }

  private region(account: FakeAccount, body: Record<string, unknown>): { name: string; state: RegionState } {
    const name = checkString(body, 'RegionName', { required: true, max: 50 })!;
    const state = account.regions.get(name);
    if (!state) throw validationError('RegionName', `${name} is not a valid Region`);
    this.settle(state);
    return { name, state };
  }

  private settle(state: RegionState): void {
    if (state.until !== undefined && this.clock() >= state.until) {
      state.status = state.status === 'ENABLING' ? 'ENABLED' : state.status === 'DISABLING' ? 'DISABLED' : state.status;
      state.until = undefined;
    }
  }

  private inProgress(accounts: Iterable<FakeAccount>): number {
    let count = 0;
    for (const account of accounts) {
      for (const state of account.regions.values()) {
        this.settle(state);
        if (state.status === 'ENABLING' || state.status === 'DISABLING') count++;
      }
    }
    return count;
  }

  private transition(account: FakeAccount, body: Record<string, unknown>, enable: boolean): void {
    const { name, state } = this.region(account, body);
    if (state.status === 'ENABLED_BY_DEFAULT') {
      throw validationError('RegionName', `${name} is enabled by default and cannot be ${enable ? 'enabled' : 'disabled'}`);
    }
    if (state.status === (enable ? 'ENABLED' : 'DISABLED')) return;
    if (state.status === 'ENABLING' || state.status === 'DISABLING') {
      throw new ApiError(409, 'ConflictException', `Region ${name} is currently in status ${state.status}; you cannot ${enable ? 'enable' : 'disable'} it until that completes`);
    }
    if (this.inProgress([account]) >= MAX_TRANSITIONS_PER_ACCOUNT) {
      throw new ApiError(429, 'TooManyRequestsException', `Account ${account.id} has ${MAX_TRANSITIONS_PER_ACCOUNT} Region opt requests in progress`);
    }
    const organization = [...this.members].map(id => this.accounts.get(id)!).filter(Boolean);
    if (this.members.has(account.id) && this.inProgress(organization) >= MAX_TRANSITIONS_PER_ORGANIZATION) {
      throw new ApiError(429, 'TooManyRequestsException', `The organization has ${MAX_TRANSITIONS_PER_ORGANIZATION} Region opt requests in progress`);
    }
    state.status = enable ? 'ENABLING' : 'DISABLING';
    state.until = this.clock() + this.regionTransitionMs;
    this.transitions.push({ accountId: account.id, regionName: name, status: enable ? 'ENABLED' : 'DISABLED', endsAt: state.until });
  }

  /** SSM Parameter Store's GetParameter and PutParameter (awsJson1_1), over `parameters`. */
  private serveParameters(operation: string, raw: string, res: http.ServerResponse): void {
    const body = JSON.parse(raw || '{}') as { Name?: string; Value?: string };
    const name = String(body.Name);
    const reply = (status: number, payload: unknown, errorType?: string) => {
      this.calls.push({ operation: `ssm:${operation}`, caller: this.callerAccountId, status, errorType, at: this.clock() });
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(payload));
    };
    if (operation === 'GetParameter' && this.parameters.has(name)) {
      reply(200, { Parameter: { Name: name, Type: 'String', Value: this.parameters.get(name), Version: 1 } });
    } else if (operation === 'PutParameter' && this.parameters.has(name) && typeof body.Value === 'string' && body.Value.length <= 4096) {
      this.parameters.set(name, body.Value);
      reply(200, { Version: 2, Tier: 'Standard' });
    } else if (operation === 'PutParameter' && this.parameters.has(name)) {
      reply(400, { __type: 'ParameterMaxVersionLimitExceeded', message: 'Value longer than 4096 characters' }, 'ValidationException');
    } else {
      reply(400, { __type: 'ParameterNotFound', message: `Parameter ${name} not found` }, 'ParameterNotFound');
    }
  }

  private serveOrganizations(operation: string, raw: string, res: http.ServerResponse): void {
    const caller = this.callerAccountId;
    let body: Record<string, unknown> = {};
    let parseError = false;
    try {
      const parsed: unknown = raw ? JSON.parse(raw) : {};
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
      else parseError = true;
    } catch {
      parseError = true;
    }
    const accountIdParameter = typeof body.AccountId === 'string' ? body.AccountId : undefined;
    const respond = (status: number, payload: unknown, errorType?: string) => {
      this.calls.push({ operation: `organizations:${operation}`, caller, accountIdParameter, status, errorType, at: this.clock() });
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${this.calls.length}` });
      res.end(JSON.stringify(payload));
    };
    try {
      if (parseError) throw new OrganizationsApiError('SerializationException', 'The request body is not a JSON object');
      this.applyFaultsAndQuotas(operation, caller);
      const isAdmin = caller === this.managementAccountId || caller === this.delegatedAdminAccountId;
      if (!this.members.has(caller) || !isAdmin) {
        throw new OrganizationsApiError('AccessDeniedException', `You don't have permissions to access this resource. (User: arn:aws:sts::${caller}:assumed-role/handler is not authorized to perform: organizations:${operation})`);
      }
      respond(200, this.dispatchOrganizations(operation, body));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // Faults keep their status (429, 5xx) under the names Organizations uses; the rest are 400s.
      const type = error.type === 'InternalServerException' ? 'ServiceException' : error.type;
      const members = error instanceof OrganizationsApiError ? error.members : {};
      const payload = { __type: type, message: error.message, Message: error.message, ...members };
      respond(error instanceof OrganizationsApiError ? 400 : error.status, payload, type);
    }
  }

  private dispatchOrganizations(operation: string, body: Record<string, unknown>): unknown {
    switch (operation) {
      case 'ListAccounts':
        return this.organizationsPage(operation, '', body, [...this.members], 'Accounts', id => this.organizationsAccount(id));
      case 'ListAccountsForParent': {
        const parentId = this.organizationsParent(body);
        const accounts = [...this.members].filter(id => this.parentOf(id) === parentId);
        return this.organizationsPage(operation, parentId, body, accounts, 'Accounts', id => this.organizationsAccount(id));
      }
      case 'ListChildren': {
        const parentId = this.organizationsParent(body);
        const childType = this.organizationsString(body, 'ChildType', /^(ORGANIZATIONAL_UNIT|ACCOUNT)$/, 'INVALID_ENUM');
        const children = childType === 'ACCOUNT'
          ? [...this.members].filter(id => this.parentOf(id) === parentId)
          : [...this.organizationalUnits].filter(([, parent]) => parent === parentId).map(([id]) => id);
        return this.organizationsPage(operation, `${parentId}/${childType}`, body, children, 'Children', id => ({ Id: id, Type: childType }));
      }
      case 'ListParents': {
        const childId = this.organizationsString(body, 'ChildId', CHILD_ID, 'INVALID_PATTERN');
        if (!this.members.has(childId) && !this.organizationalUnits.has(childId)) {
          throw new OrganizationsApiError('ChildNotFoundException', `We can't find an organizational unit (OU) or AWS account with the ChildId ${childId} that you specified.`);
        }
        const parentId = this.parentOf(childId);
        return this.organizationsPage(operation, childId, body, [parentId], 'Parents',
          id => ({ Id: id, Type: id === this.rootId ? 'ROOT' : 'ORGANIZATIONAL_UNIT' }));
      }
      case 'DescribeAccount': {
        const accountId = this.organizationsString(body, 'AccountId', ACCOUNT_ID, 'INVALID_PATTERN');
        if (!this.members.has(accountId)) {
          throw new OrganizationsApiError('AccountNotFoundException', `We can't find an AWS account with the AccountId ${accountId} that you specified, or the account whose credentials you used to make this request isn't a member of an organization.`);
        }
        return { Account: this.organizationsAccount(accountId) };
      }
      default:
        throw new OrganizationsApiError('UnknownOperationException', `Unknown operation ${operation}`);
    }
  }

  /** One page of a List* result, with a NextToken bound to the operation and its parameters. */
  private organizationsPage<T>(
    operation: string, scope: string, body: Record<string, unknown>, items: T[], key: string, render: (item: T) => unknown,
  ): unknown {
    const maxResults = body.MaxResults ?? ORGANIZATIONS_MAX_RESULTS;
    if (typeof maxResults !== 'number' || !Number.isInteger(maxResults)) {
      throw new OrganizationsApiError('SerializationException', 'MaxResults must be an integer');
    }
    if (maxResults < 1) throw organizationsInputError('MIN_VALUE_EXCEEDED', 'MaxResults must be at least 1');
    if (maxResults > ORGANIZATIONS_MAX_RESULTS) throw organizationsInputError('MAX_VALUE_EXCEEDED', `MaxResults must be at most ${ORGANIZATIONS_MAX_RESULTS}`);
    let start = 0;
    if (body.NextToken !== undefined && body.NextToken !== null) {
      const token = typeof body.NextToken === 'string' ? Buffer.from(body.NextToken, 'base64url').toString('utf8') : '';
      const match = /^(.*)#(\d+)$/.exec(token);
      if (!match || match[1] !== `${operation}:${scope}` || Number(match[2]) > items.length) {
        throw organizationsInputError('INVALID_NEXT_TOKEN', 'The NextToken is not valid for this request');
      }
      start = Number(match[2]);
    }
    const end = start + maxResults;
    const page: Record<string, unknown> = { [key]: items.slice(start, end).map(render) };
    if (end < items.length) page.NextToken = Buffer.from(`${operation}:${scope}#${end}`, 'utf8').toString('base64url');
    return page;
  }

  private organizationsString(body: Record<string, unknown>, field: string, pattern: RegExp, reason: string): string {
    const value = body[field];
    if (value === undefined || value === null) throw organizationsInputError('INPUT_REQUIRED', `${field} is required`);
    if (typeof value !== 'string' || !pattern.test(value)) throw organizationsInputError(reason, `${field} is not valid: it must match ${pattern.source}`);
    return value;
  }

  private organizationsParent(body: Record<string, unknown>): string {
    const parentId = this.organizationsString(body, 'ParentId', PARENT_ID, 'INVALID_PATTERN');
    if (!this.parentExists(parentId)) {
      throw new OrganizationsApiError('ParentNotFoundException', `We can't find a root or OU with the ParentId ${parentId} that you specified.`);
    }
    return parentId;
  }

  private organizationsAccount(id: string): Record<string, unknown> {
    const status = this.accountStatuses.get(id) ?? 'ACTIVE';
    return {
      Id: id,
      Arn: `arn:aws:organizations::${this.managementAccountId}:account/o-exampleorgid/${id}`,
      Email: `account-${id}@example.com`,
      Name: this.accounts.get(id)?.name ?? `account-${id}`,
      Status: status,
      State: status,
      JoinedMethod: 'CREATED',
      JoinedTimestamp: JOINED_TIMESTAMP,
    };
  }

  private parentExists(id: string): boolean {
    return id === this.rootId || this.organizationalUnits.has(id);
  }

  /** The parent of a member account or an OU. */
  private parentOf(childId: string): string {
    return this.organizationalUnits.get(childId) ?? this.accountParents.get(childId) ?? this.rootId;
  }

  private serveCloudFormation(raw: string, res: http.ServerResponse): void {
    const params = new URLSearchParams(raw);
    const action = params.get('Action') ?? '';
    const record = (status: number, errorType?: string) =>
      this.calls.push({ operation: `cloudformation:${action}`, caller: this.callerAccountId, status, errorType, at: this.clock() });
    const stackId = params.get('StackName') ?? '';
    const stack = this.stacks.get(stackId);
    if (action === 'DescribeStacks' && stack) {
      record(200);
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end('<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>'
        + `<StackId>${stackId}</StackId><StackName>baseline</StackName><StackStatus>${this.stackStatuses.get(stackId) ?? 'UPDATE_IN_PROGRESS'}</StackStatus>`
        + '<CreationTime>2026-01-01T00:00:00Z</CreationTime></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>');
      return;
    }
    if (action !== 'ListStackResources' || !stack) {
      const code = action !== 'ListStackResources' ? 'InvalidAction' : 'ValidationError';
      record(400, code);
      res.writeHead(400, { 'content-type': 'text/xml' });
      res.end(`<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>Stack does not exist</Message></Error><RequestId>r</RequestId></ErrorResponse>`);
      return;
    }
    // Pages of 100, as the service returns them.
    const start = Number(params.get('NextToken') ?? '0');
    const page = stack.slice(start, start + 100);
    const next = start + 100 < stack.length ? `<NextToken>${start + 100}</NextToken>` : '';
    const members = page.map(r => `<member><LogicalResourceId>${r.LogicalResourceId}</LogicalResourceId><PhysicalResourceId>${r.PhysicalResourceId}</PhysicalResourceId>`
      + `<ResourceType>${r.ResourceType}</ResourceType><ResourceStatus>${r.ResourceStatus}</ResourceStatus><LastUpdatedTimestamp>2026-01-01T00:00:00Z</LastUpdatedTimestamp></member>`).join('');
    record(200);
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(`<ListStackResourcesResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><ListStackResourcesResult><StackResourceSummaries>${members}</StackResourceSummaries>${next}</ListStackResourcesResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListStackResourcesResponse>`);
  }
}
