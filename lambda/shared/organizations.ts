import type { JsonClient } from './aws-json';
import { retriesExhausted, ServiceError } from './errors';

/** The fields of an Organizations account that are read here (never its name or e-mail). */
interface Account {
  readonly Id?: string;
  /** ACTIVE, SUSPENDED or PENDING_CLOSURE (deprecated for State). */
  readonly Status?: string;
  /** ACTIVE, SUSPENDED, PENDING_ACTIVATION, PENDING_CLOSURE or CLOSED. */
  readonly State?: string;
}

interface AccountsPage {
  readonly Accounts?: Account[];
}

/** Which accounts a setting applies to. */
export interface TargetSpec {
  /** These accounts, as given (not checked against AWS Organizations). */
  readonly accountIds?: string[];
  /** The ACTIVE accounts under these organizational units, nested OUs included. */
  readonly organizationalUnitIds?: string[];
  /** Every ACTIVE account of the organization. */
  readonly allAccounts?: boolean;
  /** Never these accounts, whatever else the spec says. */
  readonly excludeAccountIds?: string[];
}

const LIST_PERMISSIONS = 'organizations:ListAccounts, organizations:ListAccountsForParent, organizations:ListChildren, '
  + 'organizations:ListParents and organizations:DescribeAccount';

/** The likely fix for a failed Organizations call, or undefined when there is nothing better to say than the error. */
function hint(error: ServiceError): string | undefined {
  switch (error.name) {
    case 'AccessDeniedException':
      return `deploy from the management account or the delegated administrator, which may call organizations:List* (${LIST_PERMISSIONS}), `
        + 'and check that no service control policy or permissions boundary denies the handler role these actions';
    case 'AWSOrganizationsNotInUseException':
      return 'the account is not a member of an organization: list the accounts in accountIds instead';
    case 'ParentNotFoundException':
    case 'ChildNotFoundException':
      return 'check that every id in organizationalUnitIds is an organizational unit of this organization';
    case 'AccountNotFoundException':
      return 'check that the account is a member of this organization';
    case 'InvalidInputException':
      return 'check that organizationalUnitIds look like ou-xxxx-xxxxxxxx and account ids have 12 digits';
    default:
      return retriesExhausted(error, 'AWS Organizations');
  }
}

/** An error a person can act on: the operation and its parameter, what the service said and the likely fix. */
function organizationsFailure(operation: string, error: unknown): Error {
  const serviceError = (error ?? {}) as ServiceError;
  const name = serviceError.name ?? 'Error';
  const said = serviceError.message ? `${name}: ${serviceError.message}` : name;
  const fix = hint(serviceError);
  return new Error(`AWS Organizations ${operation} failed: ${said}${fix ? `; ${fix}` : ''}`, { cause: error });
}

/** Runs one Organizations call (or paginated series), turning its failure into an actionable error. */
async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw organizationsFailure(operation, error);
  }
}

function isActive(account: Account): boolean {
  return (account.State ?? account.Status) === 'ACTIVE';
}

async function activeAccounts(pages: AsyncIterable<{ Accounts?: Account[] }>): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of pages) {
    for (const account of page.Accounts ?? []) {
      if (account.Id && isActive(account)) ids.push(account.Id);
    }
  }
  return ids;
}

/** Every ACTIVE account of the organization. */
function listActiveAccounts(client: JsonClient): Promise<string[]> {
  return call('ListAccounts', () => activeAccounts(client.pages<AccountsPage>('ListAccounts', {})));
}

/** The ACTIVE accounts directly under one parent. */
function listActiveAccountsForParent(client: JsonClient, parentId: string): Promise<string[]> {
  return call(`ListAccountsForParent (ParentId ${parentId})`,
    () => activeAccounts(client.pages<AccountsPage>('ListAccountsForParent', { ParentId: parentId })));
}

/** The OUs directly under one parent. */
function listChildOrganizationalUnits(client: JsonClient, parentId: string): Promise<string[]> {
  return call(`ListChildren (ParentId ${parentId}, ChildType ORGANIZATIONAL_UNIT)`, async () => {
    const ids: string[] = [];
    const pages = client.pages<{ Children?: Array<{ Id?: string }> }>('ListChildren', { ParentId: parentId, ChildType: 'ORGANIZATIONAL_UNIT' });
    for await (const page of pages) {
      for (const child of page.Children ?? []) {
        if (child.Id) ids.push(child.Id);
      }
    }
    return ids;
  });
}

/** The parent of an account or an OU: its id and whether it is the root. */
function parentOf(client: JsonClient, childId: string): Promise<{ id: string; root: boolean } | undefined> {
  return call(`ListParents (ChildId ${childId})`, async () => {
    for await (const page of client.pages<{ Parents?: Array<{ Id?: string; Type?: string }> }>('ListParents', { ChildId: childId })) {
      const parent = (page.Parents ?? []).find(p => p.Id);
      if (parent) return { id: parent.Id!, root: parent.Type === 'ROOT' };
    }
    return undefined;
  });
}

/** The ACTIVE accounts under the OUs, their nested OUs included; each OU is visited once. */
async function accountsUnder(client: JsonClient, organizationalUnitIds: string[]): Promise<string[]> {
  const visited = new Set<string>();
  const accounts: string[] = [];
  let level = [...new Set(organizationalUnitIds)];
  while (level.length > 0) {
    const next: string[] = [];
    for (const ou of level) {
      if (visited.has(ou)) continue;
      visited.add(ou);
      accounts.push(...await listActiveAccountsForParent(client, ou));
      next.push(...await listChildOrganizationalUnits(client, ou));
    }
    level = next;
  }
  return accounts;
}

/**
 * The ACTIVE accounts the spec targets, sorted, without duplicates and without the excluded ones.
 * Organizations is called only when OUs or allAccounts are given. OUs include their nested OUs
 * (ListChildren recursion + ListAccountsForParent). Explicit accountIds are included as given.
 */
export async function resolveTargets(client: JsonClient, spec: TargetSpec): Promise<string[]> {
  const excluded = new Set(spec.excludeAccountIds ?? []);
  const targets = new Set(spec.accountIds ?? []);
  const organizationalUnitIds = spec.organizationalUnitIds ?? [];
  const found = spec.allAccounts
    ? await listActiveAccounts(client)
    : organizationalUnitIds.length > 0 ? await accountsUnder(client, organizationalUnitIds) : [];
  for (const id of found) targets.add(id);
  return [...targets].filter(id => !excluded.has(id)).sort();
}

/**
 * Whether one account (e.g. one that just joined) falls under the spec: explicit id; allAccounts; or one
 * of its ancestors (ListParents up to the root) is one of the OUs; never when excluded. As with
 * resolveTargets, an account found through allAccounts or an OU counts only while it is an ACTIVE member
 * of the organization (DescribeAccount); an explicit id counts as given, without any call.
 */
export async function isTargeted(client: JsonClient, spec: TargetSpec, accountId: string): Promise<boolean> {
  if ((spec.excludeAccountIds ?? []).includes(accountId)) return false;
  if ((spec.accountIds ?? []).includes(accountId)) return true;
  const organizationalUnitIds = new Set(spec.organizationalUnitIds ?? []);
  if (!spec.allAccounts && organizationalUnitIds.size === 0) return false;

  try {
    if (!spec.allAccounts && !await underAny(client, accountId, organizationalUnitIds)) return false;
    const { Account: account } = await call(`DescribeAccount (AccountId ${accountId})`,
      () => client.send<{ Account?: Account }>('DescribeAccount', { AccountId: accountId }));
    return account !== undefined && isActive(account);
  } catch (error) {
    // An account outside the organization is not targeted; any other failure is.
    if (notAMember(error)) return false;
    throw error;
  }
}

/** Whether one of the account's ancestors, up to the root, is one of the OUs. */
async function underAny(client: JsonClient, accountId: string, organizationalUnitIds: Set<string>): Promise<boolean> {
  const seen = new Set<string>();
  let child = accountId;
  for (;;) {
    const parent = await parentOf(client, child);
    if (!parent || parent.root || seen.has(parent.id)) return false;
    if (organizationalUnitIds.has(parent.id)) return true;
    seen.add(parent.id);
    child = parent.id;
  }
}

function notAMember(error: unknown): boolean {
  const name = ((error as { cause?: ServiceError } | undefined)?.cause ?? {}).name;
  return name === 'AccountNotFoundException' || name === 'ChildNotFoundException';
}

/** Where an account stands in the organization, as far as a setting of it is concerned. */
export type Membership = 'member' | 'not a member' | 'closed';

/**
 * Whether the account is (still) an active member of the caller's organization: DescribeAccount answers
 * AccountNotFoundException for an account that left it or never was in it, and SUSPENDED (Status) or
 * PENDING_CLOSURE / CLOSED (State) for a closed one. Undefined when Organizations cannot tell (the caller
 * may not call DescribeAccount, or it kept failing).
 */
export async function membershipOf(client: JsonClient, accountId: string): Promise<Membership | undefined> {
  try {
    const { Account: account } = await client.send<{ Account?: Account }>('DescribeAccount', { AccountId: accountId });
    if (!account) return undefined;
    return isActive(account) ? 'member' : 'closed';
  } catch (error) {
    return (error as ServiceError).name === 'AccountNotFoundException' ? 'not a member' : undefined;
  }
}
