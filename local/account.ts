import { ACCOUNT_ID, ApiError, checkString, StringConstraint, validationError } from './common';
import { Organization } from './organizations';

/*
 * The AWS Account Management API (REST-JSON, as @aws-sdk/client-account speaks it), faithful to the
 * reference guide where the handlers depend on it: the data types' constraints (ValidationException with
 * its fieldList), the standalone and organizations contexts (AccessDeniedException for a management
 * account naming itself, for a non-member or closed member, or without trusted access),
 * ResourceNotFoundException for a missing contact, and asynchronous Region transitions with the
 * 6-per-account and 20-per-organization limits.
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

export interface RegionState {
  status: RegionOptStatus;
  /** When an ENABLING/DISABLING transition ends (clock ms); Infinity until `settleRegion`. */
  until?: number;
}

/** GetAccountInformation's AccountState: where the account is in its lifecycle. */
export type AccountState = 'PENDING_ACTIVATION' | 'ACTIVE' | 'SUSPENDED' | 'CLOSED';

/** GetContactInformation's VerificationStatus of the primary contact's phone number. */
export type PhoneVerification = 'PENDING' | 'VERIFIED' | 'UNVERIFIED' | 'NOT_SUPPORTED';

export interface FakeAccount {
  readonly id: string;
  name: string;
  readonly alternateContacts: Map<AlternateContactType, AlternateContact>;
  contactInformation?: ContactInformation;
  readonly regions: Map<string, RegionState>;
  /**
   * The account's state, as GetAccountInformation reports it; not ACTIVE, every other operation on it is
   * refused (AccessDeniedException), as the service refuses a suspended or not yet activated account. @default 'ACTIVE'
   */
  state?: AccountState;
  /** When the account was created, as GetAccountInformation's AccountCreatedDate (RFC 3339). @default '2020-01-01T00:00:00Z' */
  createdDate?: string;
  /** The primary contact's phone verification; a PutContactInformation with another phone number makes it UNVERIFIED. @default not reported */
  phoneVerification?: PhoneVerification;
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

const EMAIL = /^[\s]*[\w+=.#|!&-]+@[\w.-]+\.[\w]+[\s]*$/;
const ALTERNATE_PHONE = /^[\s0-9()+-]+$/;
const PRIMARY_PHONE = /^[+][\s0-9()-]+$/;
const ACCOUNT_NAME = /^[ -;=?-~]+$/;
const CONTACT_TYPES: AlternateContactType[] = ['BILLING', 'OPERATIONS', 'SECURITY'];

export class AccountService {
  public readonly accounts = new Map<string, FakeAccount>();
  /** How long an ENABLING or DISABLING transition takes (clock ms); Infinity: until `settleRegion`. */
  public regionTransitionMs = 0;
  /** The in-progress limits; the handlers learn them only from the service's answers. */
  public maxTransitionsPerAccount = 6;
  public maxTransitionsPerOrganization = 20;
  /** Every Region transition started, with the time it ends. */
  public readonly transitions: Array<{ accountId: string; regionName: string; status: RegionOptStatus; endsAt: number }> = [];

  constructor(private readonly organization: Organization, private readonly clock: () => number) {}

  public addAccount(id: string): FakeAccount {
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
    return account;
  }

  public account(id: string): FakeAccount {
    const account = this.accounts.get(id);
    if (!account) throw new Error(`no account ${id} in the local services`);
    return account;
  }

  /** The Region's status now, after any transition that has ended. */
  public regionStatus(accountId: string, region: string): RegionOptStatus | undefined {
    const state = this.account(accountId).regions.get(region);
    if (!state) return undefined;
    this.settle(state);
    return state.status;
  }

  /** Sets a Region's status, as if someone had called Enable/DisableRegion by hand; a transition ends after `untilMs`. */
  public setRegionStatus(accountId: string, region: string, status: RegionOptStatus, untilMs?: number): void {
    this.account(accountId).regions.set(region, { status, until: untilMs === undefined ? undefined : this.clock() + untilMs });
  }

  /** Ends the Region's transition now (for transitions that last until told). */
  public settleRegion(accountId: string, region: string): void {
    const state = this.account(accountId).regions.get(region);
    if (state?.until !== undefined) state.until = this.clock();
  }

  /** The account a call targets: the caller's own without AccountId (standalone), or the named member from an administrator. */
  public resolveTarget(operation: string, caller: string, body: Record<string, unknown>): string {
    const accountId = checkString(body, 'AccountId', { max: 12, min: 12, pattern: ACCOUNT_ID });
    if (!this.accounts.has(caller)) throw new ApiError(403, 'AccessDeniedException', `Account ${caller} is not known`);
    if (accountId === undefined) return caller;
    const org = this.organization;
    if (!org.isAdmin(caller)) {
      throw new ApiError(403, 'AccessDeniedException', `User: arn:aws:sts::${caller}:assumed-role/handler is not authorized to perform: account:${operation} on resource: arn:aws:account::${org.managementAccountId}:account/o-exampleorgid/${accountId}`);
    }
    if (!org.trustedAccess) {
      throw new ApiError(403, 'AccessDeniedException', 'The request failed because your organization does not have trusted access enabled for account.amazonaws.com');
    }
    if (accountId === org.managementAccountId && caller === org.managementAccountId) {
      throw new ApiError(403, 'AccessDeniedException', 'The management account can\'t specify its own AccountId; call the operation in standalone context');
    }
    if (!org.members.has(accountId)) {
      throw new ApiError(403, 'AccessDeniedException', `Account ${accountId} is not a member of the organization`);
    }
    if (org.status(accountId) === 'SUSPENDED') {
      throw new ApiError(403, 'AccessDeniedException', `Account ${accountId} is suspended`);
    }
    // Only GetAccountInformation answers for an account that is not active: it tells its state.
    const state = this.accounts.get(accountId)?.state ?? 'ACTIVE';
    if (state !== 'ACTIVE' && operation !== 'GetAccountInformation') {
      throw new ApiError(403, 'AccessDeniedException', `User: arn:aws:sts::${caller}:assumed-role/handler is not authorized to perform: account:${operation} `
        + `on resource: arn:aws:account::${org.managementAccountId}:account/o-exampleorgid/${accountId}`);
    }
    return accountId;
  }

  public dispatch(operation: string, account: FakeAccount, body: Record<string, unknown>): unknown {
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
      case 'PutContactInformation': {
        const before = account.contactInformation?.PhoneNumber;
        account.contactInformation = this.contactInformation(body.ContactInformation);
        // A new phone number is not verified yet.
        if (account.phoneVerification && before !== account.contactInformation.PhoneNumber) account.phoneVerification = 'UNVERIFIED';
        return undefined;
      }
      case 'GetContactInformation':
        if (!account.contactInformation) throw new ApiError(404, 'ResourceNotFoundException', 'No contact information');
        return { ContactInformation: account.contactInformation, VerificationStatus: account.phoneVerification };
      case 'PutAccountName':
        account.name = checkString(body, 'AccountName', { required: true, max: 50, pattern: ACCOUNT_NAME })!;
        return undefined;
      case 'GetAccountInformation':
        return { AccountId: account.id, AccountName: account.name, AccountCreatedDate: account.createdDate ?? '2020-01-01T00:00:00Z', AccountState: account.state ?? 'ACTIVE' };
      case 'GetRegionOptStatus': {
        const region = this.region(account, body);
        return { RegionName: region.name, RegionOptStatus: region.state.status };
      }
      case 'ListRegions': {
        const statuses = Array.isArray(body.RegionOptStatusContains) ? body.RegionOptStatusContains as string[] : undefined;
        const regions = [...account.regions.entries()].map(([name, state]) => {
          this.settle(state);
          return { RegionName: name, RegionOptStatus: state.status };
        });
        return { Regions: regions.filter(r => !statuses || statuses.includes(r.RegionOptStatus)) };
      }
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
    if (this.inProgress([account]) >= this.maxTransitionsPerAccount) {
      throw new ApiError(429, 'TooManyRequestsException', `Account ${account.id} has ${this.maxTransitionsPerAccount} Region opt requests in progress`);
    }
    const members = [...this.organization.members].map(id => this.accounts.get(id)).filter((a): a is FakeAccount => a !== undefined);
    if (this.organization.members.has(account.id) && this.inProgress(members) >= this.maxTransitionsPerOrganization) {
      throw new ApiError(429, 'TooManyRequestsException', `The organization has ${this.maxTransitionsPerOrganization} Region opt requests in progress`);
    }
    state.status = enable ? 'ENABLING' : 'DISABLING';
    state.until = this.clock() + this.regionTransitionMs;
    this.transitions.push({ accountId: account.id, regionName: name, status: enable ? 'ENABLED' : 'DISABLED', endsAt: state.until });
  }
}
