import { ACCOUNT_ID, ApiError } from './common';

/*
 * The organization the local services share, and the read side of AWS Organizations over it (awsJson1_1:
 * ListAccounts, ListAccountsForParent, ListChildren, ListParents, DescribeAccount): its management
 * account, members, a root and nested organizational units, members' statuses, trusted access for
 * account.amazonaws.com and the Account Management delegated administrator.
 */

/** An account's status in AWS Organizations. */
export type OrganizationsAccountStatus = 'ACTIVE' | 'SUSPENDED';

/** The x-amz-target prefix of the Organizations API (awsJson1_1). */
export const ORGANIZATIONS_TARGET_PREFIX = 'AWSOrganizationsV20161128.';
const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
const PARENT_ID = /^(?:r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;
const CHILD_ID = /^(?:\d{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/;
/** The page size of the List* operations: their default and their maximum MaxResults. */
const MAX_RESULTS = 20;
/** 2020-01-01T00:00:00Z, in the epoch seconds awsJson1_1 uses for timestamps. */
const JOINED_TIMESTAMP = 1577836800;

/** An Organizations error: HTTP 400 with `{"__type", "message"}` and any extra members (Reason). */
export class OrganizationsApiError extends ApiError {
  constructor(type: string, message: string, readonly members: Record<string, string> = {}) {
    super(400, type, message);
  }
}

function inputError(reason: string, message: string): OrganizationsApiError {
  return new OrganizationsApiError('InvalidInputException', message, { Reason: reason });
}

export class Organization {
  /** The organization's root: the parent of every member and OU not placed elsewhere. */
  public readonly rootId = 'r-root0';
  /** The organization's id, as aws:PrincipalOrgID and aws:ResourceOrgID give it. */
  public readonly id = 'o-exampleorgid';
  /** Accounts of the organization (the management account included). */
  public readonly members = new Set<string>();
  public trustedAccess = true;
  public delegatedAdminAccountId?: string;
  /** Organizational units, by id, with their parent's id. */
  private readonly organizationalUnits = new Map<string, string>();
  /** Members placed under an OU; the others are under the root. */
  private readonly accountParents = new Map<string, string>();
  /** Members' status; ACTIVE unless set. */
  private readonly statuses = new Map<string, OrganizationsAccountStatus>();

  constructor(public readonly managementAccountId: string, private readonly nameOf: (id: string) => string | undefined) {
    this.members.add(managementAccountId);
  }

  public isAdmin(caller: string): boolean {
    return this.members.has(caller) && (caller === this.managementAccountId || caller === this.delegatedAdminAccountId);
  }

  public status(accountId: string): OrganizationsAccountStatus {
    return this.statuses.get(accountId) ?? 'ACTIVE';
  }

  /** Creates an organizational unit (id like 'ou-root0-abcd1234') under the root or another OU. */
  public addOrganizationalUnit(id: string, parentId: string = this.rootId): string {
    if (!OU_ID.test(id)) throw new Error(`${id} is not an organizational unit id (${OU_ID.source})`);
    if (this.organizationalUnits.has(id)) throw new Error(`organizational unit ${id} already exists`);
    if (!this.parentExists(parentId)) throw new Error(`no parent ${parentId}`);
    this.organizationalUnits.set(id, parentId);
    return id;
  }

  /** Moves a member account under the root or an OU. */
  public moveAccount(accountId: string, parentId: string): void {
    if (!this.members.has(accountId)) throw new Error(`account ${accountId} is not a member of the organization`);
    if (!this.parentExists(parentId)) throw new Error(`no parent ${parentId}`);
    this.accountParents.set(accountId, parentId);
  }

  /** Sets a member account's status (SUSPENDED: closed). */
  public setAccountStatus(accountId: string, status: OrganizationsAccountStatus): void {
    if (!this.members.has(accountId)) throw new Error(`account ${accountId} is not a member of the organization`);
    this.statuses.set(accountId, status);
  }

  /** The account leaves the organization (or is removed from it). */
  public removeMember(accountId: string): void {
    this.members.delete(accountId);
    this.accountParents.delete(accountId);
    this.statuses.delete(accountId);
  }

  /** Answers one Organizations operation for `caller`. */
  public dispatch(operation: string, body: Record<string, unknown>, caller: string): unknown {
    if (!this.isAdmin(caller)) {
      throw new OrganizationsApiError('AccessDeniedException', `You don't have permissions to access this resource. (User: arn:aws:sts::${caller}:assumed-role/handler is not authorized to perform: organizations:${operation})`);
    }
    switch (operation) {
      case 'ListAccounts':
        return this.page(operation, '', body, [...this.members], 'Accounts', id => this.describe(id));
      case 'ListAccountsForParent': {
        const parentId = this.parent(body);
        const accounts = [...this.members].filter(id => this.parentOf(id) === parentId);
        return this.page(operation, parentId, body, accounts, 'Accounts', id => this.describe(id));
      }
      case 'ListChildren': {
        const parentId = this.parent(body);
        const childType = this.string(body, 'ChildType', /^(ORGANIZATIONAL_UNIT|ACCOUNT)$/, 'INVALID_ENUM');
        const children = childType === 'ACCOUNT'
          ? [...this.members].filter(id => this.parentOf(id) === parentId)
          : [...this.organizationalUnits].filter(([, parent]) => parent === parentId).map(([id]) => id);
        return this.page(operation, `${parentId}/${childType}`, body, children, 'Children', id => ({ Id: id, Type: childType }));
      }
      case 'ListParents': {
        const childId = this.string(body, 'ChildId', CHILD_ID, 'INVALID_PATTERN');
        if (!this.members.has(childId) && !this.organizationalUnits.has(childId)) {
          throw new OrganizationsApiError('ChildNotFoundException', `We can't find an organizational unit (OU) or AWS account with the ChildId ${childId} that you specified.`);
        }
        return this.page(operation, childId, body, [this.parentOf(childId)], 'Parents',
          id => ({ Id: id, Type: id === this.rootId ? 'ROOT' : 'ORGANIZATIONAL_UNIT' }));
      }
      case 'DescribeAccount': {
        const accountId = this.string(body, 'AccountId', ACCOUNT_ID, 'INVALID_PATTERN');
        if (!this.members.has(accountId)) {
          throw new OrganizationsApiError('AccountNotFoundException', `We can't find an AWS account with the AccountId ${accountId} that you specified, or the account whose credentials you used to make this request isn't a member of an organization.`);
        }
        return { Account: this.describe(accountId) };
      }
      default:
        throw new OrganizationsApiError('UnknownOperationException', `Unknown operation ${operation}`);
    }
  }

  /** One page of a List* result, with a NextToken bound to the operation and its parameters. */
  private page<T>(operation: string, scope: string, body: Record<string, unknown>, items: T[], key: string, render: (item: T) => unknown): unknown {
    const maxResults = body.MaxResults ?? MAX_RESULTS;
    if (typeof maxResults !== 'number' || !Number.isInteger(maxResults)) {
      throw new OrganizationsApiError('SerializationException', 'MaxResults must be an integer');
    }
    if (maxResults < 1) throw inputError('MIN_VALUE_EXCEEDED', 'MaxResults must be at least 1');
    if (maxResults > MAX_RESULTS) throw inputError('MAX_VALUE_EXCEEDED', `MaxResults must be at most ${MAX_RESULTS}`);
    let start = 0;
    if (body.NextToken !== undefined && body.NextToken !== null) {
      const token = typeof body.NextToken === 'string' ? Buffer.from(body.NextToken, 'base64url').toString('utf8') : '';
      const match = /^(.*)#(\d+)$/.exec(token);
      if (!match || match[1] !== `${operation}:${scope}` || Number(match[2]) > items.length) {
        throw inputError('INVALID_NEXT_TOKEN', 'The NextToken is not valid for this request');
      }
      start = Number(match[2]);
    }
    const end = start + maxResults;
    const page: Record<string, unknown> = { [key]: items.slice(start, end).map(render) };
    if (end < items.length) page.NextToken = Buffer.from(`${operation}:${scope}#${end}`, 'utf8').toString('base64url');
    return page;
  }

  private string(body: Record<string, unknown>, field: string, pattern: RegExp, reason: string): string {
    const value = body[field];
    if (value === undefined || value === null) throw inputError('INPUT_REQUIRED', `${field} is required`);
    if (typeof value !== 'string' || !pattern.test(value)) throw inputError(reason, `${field} is not valid: it must match ${pattern.source}`);
    return value;
  }

  private parent(body: Record<string, unknown>): string {
    const parentId = this.string(body, 'ParentId', PARENT_ID, 'INVALID_PATTERN');
    if (!this.parentExists(parentId)) {
      throw new OrganizationsApiError('ParentNotFoundException', `We can't find a root or OU with the ParentId ${parentId} that you specified.`);
    }
    return parentId;
  }

  private describe(id: string): Record<string, unknown> {
    const status = this.status(id);
    return {
      Id: id,
      Arn: `arn:aws:organizations::${this.managementAccountId}:account/o-exampleorgid/${id}`,
      Email: `account-${id}@example.com`,
      Name: this.nameOf(id) ?? `account-${id}`,
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
}
