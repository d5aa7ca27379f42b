/*
 * IAM roles of every account of the local organization, as the member footprint's StackSet instances put
 * them there: a role's trust policy (who may assume it) and its inline policies (what its sessions may
 * call). The local STS and Account API evaluate them (see `evaluate*` below, when present).
 */

/** A policy statement, as IAM documents hold it. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: PolicyStatement | PolicyStatement[];
}

export interface LocalRole {
  readonly accountId: string;
  readonly name: string;
  readonly arn: string;
  readonly assumeRolePolicy: PolicyDocument;
  /** Inline policies by name. */
  readonly policies: Record<string, PolicyDocument>;
}

export class IamService {
  private readonly roles = new Map<string, LocalRole>();

  /** Creates or replaces the role `name` of `accountId`. */
  public putRole(accountId: string, name: string, assumeRolePolicy: PolicyDocument, policies: Record<string, PolicyDocument> = {}): LocalRole {
    const role: LocalRole = { accountId, name, arn: `arn:aws:iam::${accountId}:role/${name}`, assumeRolePolicy, policies };
    this.roles.set(`${accountId}/${name}`, role);
    return role;
  }

  public deleteRole(accountId: string, name: string): boolean {
    return this.roles.delete(`${accountId}/${name}`);
  }

  public role(accountId: string, name: string): LocalRole | undefined {
    return this.roles.get(`${accountId}/${name}`);
  }

  /** The roles of one account, or of all. */
  public rolesOf(accountId?: string): LocalRole[] {
    return [...this.roles.values()].filter(role => accountId === undefined || role.accountId === accountId);
  }
}

/** The statements of a policy document, as a list. */
export function statementsOf(document: PolicyDocument): PolicyStatement[] {
  return Array.isArray(document.Statement) ? document.Statement : [document.Statement];
}
