/*
 * IAM roles of every account of the local organization, as the member footprint's StackSet instances put
 * them there: a role's trust policy (who may assume it) and its inline policies (what its sessions may
 * call). The local STS and Account API evaluate them with `evaluatePolicies`.
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
  /** The longest session AssumeRole issues for it, in seconds (IAM's default: one hour). */
  readonly maxSessionDuration?: number;
}

export class IamService {
  private readonly roles = new Map<string, LocalRole>();

  /** Creates or replaces the role `name` of `accountId`. */
  public putRole(
    accountId: string, name: string, assumeRolePolicy: PolicyDocument, policies: Record<string, PolicyDocument> = {},
    options: { maxSessionDuration?: number } = {},
  ): LocalRole {
    const role: LocalRole = { accountId, name, arn: `arn:aws:iam::${accountId}:role/${name}`, assumeRolePolicy, policies, ...options };
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

/** A condition key's value in a request's context: single- or multi-valued; absent when undefined. */
export type ConditionValue = string | string[] | undefined;

/** What a policy is evaluated for. */
export interface PolicyRequest {
  /** The action ('sts:AssumeRole', 'account:PutAlternateContact'). */
  readonly action: string;
  /** The resource, for identity policies; trust policies' statements name none. */
  readonly resource?: string;
  /** The ARNs the caller goes by and its account, for trust policies' Principal. */
  readonly principal?: { readonly arns: string[]; readonly accountId: string };
  /** Condition keys (case-insensitive) and the policy variables, by name. */
  readonly context: Record<string, ConditionValue>;
}

/** An explicit Deny wins over any Allow; without an Allow the request is denied implicitly. */
export type PolicyDecision = 'allow' | 'explicitDeny' | 'implicitDeny';

/** Evaluates the documents' statements (Action/NotAction, Resource, Principal, Condition) for a request. */
export function evaluatePolicies(documents: PolicyDocument[], request: PolicyRequest): PolicyDecision {
  const context = new Map(Object.entries(request.context).map(([key, value]) => [key.toLowerCase(), value]));
  const matching = documents.flatMap(statementsOf).filter(statement => statementMatches(statement, request, context));
  if (matching.some(statement => statement.Effect === 'Deny')) return 'explicitDeny';
  return matching.some(statement => statement.Effect === 'Allow') ? 'allow' : 'implicitDeny';
}

function listOf(value: unknown): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** `*` and `?` wildcards, as IAM matches actions (case-insensitively) and resources. */
function globMatches(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.split('').map(c => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

function statementMatches(statement: PolicyStatement, request: PolicyRequest, context: Map<string, ConditionValue>): boolean {
  const actionMatches = (patterns: string[]) => patterns.some(p => globMatches(p, request.action, true));
  const actionMatched = statement.Action !== undefined ? actionMatches(listOf(statement.Action))
    : statement.NotAction !== undefined && !actionMatches(listOf(statement.NotAction));
  if (!actionMatched) return false;
  // A trust policy's statement names no resource; an identity policy's must name the request's.
  if (request.resource !== undefined && !listOf(statement.Resource).some(p => globMatches(p, request.resource!))) return false;
  if (request.principal !== undefined && !principalMatches(statement.Principal, request.principal)) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, block]) =>
    Object.entries(block).every(([key, values]) => conditionMatches(operator, context.get(key.toLowerCase()), listOf(values), context)));
}

function principalMatches(principal: unknown, caller: { arns: string[]; accountId: string }): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) return false;
  return listOf((principal as Record<string, unknown>).AWS).some(p => p === '*' || caller.arns.includes(p)
    || p === caller.accountId || p === `arn:aws:iam::${caller.accountId}:root`);
}

/** How each operator matches one context value against one policy value (their Not forms negate them). */
const OPERATORS: Record<string, (value: string, pattern: string) => boolean> = {
  StringEquals: (v, p) => v === p,
  StringLike: (v, p) => globMatches(p, v),
  ArnEquals: (v, p) => v === p,
  ArnLike: arnLike,
};

/** ArnLike matches each of an ARN's six parts on its own, so a wildcard never spans a colon of the first five. */
function arnLike(value: string, pattern: string): boolean {
  const parts = (arn: string) => {
    const split = arn.split(':');
    return split.length < 6 ? undefined : [...split.slice(0, 5), split.slice(5).join(':')];
  };
  const [v, p] = [parts(value), parts(pattern)];
  return v !== undefined && p !== undefined && p.every((part, i) => globMatches(part, v[i]));
}

function conditionMatches(operatorName: string, contextValue: ConditionValue, policyValues: string[], context: Map<string, ConditionValue>): boolean {
  const [, set, base, ifExists] = /^(ForAllValues:|ForAnyValue:)?(\w+?)(IfExists)?$/.exec(operatorName) ?? [];
  const negated = /^(String|Arn)Not/.test(base ?? '');
  const match = OPERATORS[(base ?? '').replace(/^(String|Arn)Not/, '$1')];
  // An operator unknown here matches nothing: a test would see its statement ignored rather than wrongly applied.
  if (!match) return false;
  const values = listOf(contextValue);
  if (contextValue === undefined && ifExists) return true;
  // Policy variables resolve from the context; a value naming an absent one matches nothing.
  const resolved = policyValues.flatMap(p => {
    let missing = false;
    const out = p.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      const value = context.get(name.toLowerCase());
      if (typeof value !== 'string') missing = true;
      return typeof value === 'string' ? value : '';
    });
    return missing ? [] : [out];
  });
  const one = (value: string) => resolved.some(p => match(value, p));
  if (set === 'ForAllValues:') return values.every(value => (negated ? !one(value) : one(value)));
  if (set === 'ForAnyValue:') return values.some(value => (negated ? !one(value) : one(value)));
  // A key absent from the context fails a positive condition and satisfies a negated one.
  if (contextValue === undefined) return negated;
  return negated ? !values.some(one) : values.some(one);
}
