import { Aws, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** What one declared setting needs on one account. */
export interface AccountGrant {
  /** The account the setting targets; undefined for the deploying account. */
  readonly accountId?: string;
  /** The `account:*` actions the handler calls for it. */
  readonly actions: string[];
  /** A multi-valued condition key that narrows the actions (e.g. `account:AlternateContactTypes`). */
  readonly conditionKey?: string;
  /** The value of `conditionKey` this setting needs. */
  readonly conditionValue?: string;
}

/** One grant of one account: actions, and the one condition value they are narrowed to. */
interface Need {
  readonly actions: string[];
  readonly conditionKey?: string;
  readonly conditionValue?: string;
}

interface AccountEntry {
  readonly resources: string[];
  /** The managed policy that lists this account. */
  part?: PolicyPart;
  /** needKey → need. */
  readonly needs: Map<string, Need>;
}

interface PolicyPart {
  readonly accounts: AccountEntry[];
  /** needKey → how many of the part's accounts have it. */
  readonly needs: Map<string, number>;
  /** An upper bound of the rendered policy's size. */
  chars: number;
}

/** A managed policy holds 6,144 characters; this leaves room for the estimate's error. */
const MAX_CHARS_PER_POLICY = 5_600;
/** What an account's ARN costs in a statement (resolved, with quotes and comma). */
const CHARS_PER_ARN = 50;
/** What a statement costs besides its ARNs: effect, actions, condition (about 170 for the longest). */
const CHARS_PER_STATEMENT = 200;
/** A role attaches 10 managed policies by default; AWSLambdaBasicExecutionRole is one of them. */
const MAX_POLICIES = 9;

/**
 * The handler role's Account Management permissions, grown by each declared setting and rendered when
 * the template is written: statements that list exactly the accounts that need their actions, narrowed
 * by the condition values those accounts need (accounts that need the same values share a statement).
 * Never `*` for the account.
 *
 * The statements are spread over managed policies whose size is bounded as they grow (an account's
 * statements stay in one policy), so that a stack with hundreds of settings stays within IAM's limits.
 */
export class AccountApiPolicy extends Construct {
  private readonly accounts = new Map<string, AccountEntry>();
  private readonly parts: PolicyPart[] = [];

  constructor(scope: Construct, id: string, private readonly role: iam.IRole) {
    super(scope, id);
  }

  /** Adds what one setting needs; the same need on the same account is added once. */
  public grant(grant: AccountGrant): void {
    const resources = accountArns(this, grant.accountId);
    const accountKey = resources.join(' ');
    let entry = this.accounts.get(accountKey);
    if (!entry) {
      entry = { resources, needs: new Map() };
      this.accounts.set(accountKey, entry);
    }
    const actions = [...grant.actions].sort();
    const needKey = `${actions.join(',')}|${grant.conditionKey ?? ''}|${grant.conditionValue ?? ''}`;
    if (entry.needs.has(needKey)) return;
    // An account alone in its policy stays there whatever it needs: moving it would only leave an empty policy.
    const overBudget = entry.part && entry.part.chars + cost(entry.part, entry.resources, [needKey]) > MAX_CHARS_PER_POLICY;
    if (entry.part && overBudget && entry.part.accounts.length > 1) {
      leave(entry.part, entry);
      entry.part = undefined;
    }
    entry.needs.set(needKey, { actions, conditionKey: grant.conditionKey, conditionValue: grant.conditionValue });
    if (entry.part) add(entry.part, entry.resources, [needKey]);
    else this.place(entry);
  }

  /** Puts the account into the last policy if it fits, else into a new one. */
  private place(entry: AccountEntry): void {
    const keys = [...entry.needs.keys()];
    const last = this.parts[this.parts.length - 1];
    if (last && last.chars + cost(last, entry.resources, keys) <= MAX_CHARS_PER_POLICY) {
      entry.part = last;
    } else {
      if (this.parts.length === MAX_POLICIES) {
        throw new Error(`The settings of stack ${Stack.of(this).node.path} target more accounts than the handler role's ${MAX_POLICIES} policies can list; `
          + 'spread them over several stacks, or use an OrganizationBaseline');
      }
      entry.part = { accounts: [], needs: new Map(), chars: 0 };
      this.parts.push(entry.part);
      const part = entry.part;
      new iam.CfnManagedPolicy(this, `Part${this.parts.length}`, {
        description: 'cdk-account-management: the Account Management calls of the settings this stack declares',
        roles: [this.role.roleName],
        policyDocument: Lazy.any({ produce: () => render(part.accounts) }),
      });
    }
    entry.part.accounts.push(entry);
    add(entry.part, entry.resources, keys);
  }
}

/** What adding `needKeys` for an account with `resources` costs `part`, at most. */
function cost(part: PolicyPart, resources: string[], needKeys: string[]): number {
  return needKeys.reduce((sum, key) => sum + resources.length * CHARS_PER_ARN + (part.needs.has(key) ? 0 : CHARS_PER_STATEMENT), 0);
}

function add(part: PolicyPart, resources: string[], needKeys: string[]): void {
  part.chars += cost(part, resources, needKeys);
  for (const key of needKeys) part.needs.set(key, (part.needs.get(key) ?? 0) + 1);
}

function leave(part: PolicyPart, entry: AccountEntry): void {
  part.accounts.splice(part.accounts.indexOf(entry), 1);
  for (const key of entry.needs.keys()) {
    const count = part.needs.get(key)! - 1;
    part.chars -= entry.resources.length * CHARS_PER_ARN + (count === 0 ? CHARS_PER_STATEMENT : 0);
    if (count === 0) part.needs.delete(key);
    else part.needs.set(key, count);
  }
}

/**
 * A statement per set of actions and condition value, listing the accounts that need it (so never more
 * than `cost` estimated); statements of the same actions that list the same accounts are merged, so
 * accounts that need the same contact types (or Regions) share one statement.
 */
function render(accounts: AccountEntry[]): iam.PolicyDocument {
  const byNeed = new Map<string, { need: Need; entries: AccountEntry[] }>();
  for (const entry of accounts) {
    for (const [key, need] of entry.needs) {
      const group = byNeed.get(key) ?? { need, entries: [] };
      group.entries.push(entry);
      byNeed.set(key, group);
    }
  }
  const statements = new Map<string, { need: Need; entries: AccountEntry[]; values: string[] }>();
  for (const { need, entries } of byNeed.values()) {
    const key = `${need.actions.join(',')}|${need.conditionKey ?? ''}|${entries.map(e => e.resources.join(' ')).join(';')}`;
    const statement = statements.get(key) ?? { need, entries, values: [] };
    if (need.conditionValue !== undefined) statement.values.push(need.conditionValue);
    statements.set(key, statement);
  }
  return new iam.PolicyDocument({
    statements: [...statements.values()].map(({ need, entries, values }) => new iam.PolicyStatement({
      actions: need.actions,
      resources: entries.flatMap(entry => entry.resources),
      conditions: need.conditionKey && values.length > 0
        ? { 'ForAnyValue:StringEquals': { [need.conditionKey]: [...values].sort() } }
        : undefined,
    })),
  });
}

/**
 * The ARNs the handler's calls for `accountId` are authorized against. A call without AccountId
 * (standalone context) is checked against `account::<caller>:account`; a call with it (organizations
 * context) against `account::<management account>:account/o-<org>/<accountId>`, whose management
 * account and organization are not known at synth, hence their wildcards.
 */
export function accountArns(scope: Construct, accountId: string | undefined): string[] {
  const stack = Stack.of(scope);
  const standalone = (account: string) => `arn:${Aws.PARTITION}:account::${account}:account`;
  const member = (account: string) => `arn:${Aws.PARTITION}:account::*:account/o-*/${account}`;
  if (accountId === undefined) return [standalone(Aws.ACCOUNT_ID)];
  if (Token.isUnresolved(accountId) || Token.isUnresolved(stack.account)) {
    // The handler calls in standalone context when accountId turns out to be the deploying account.
    return [member(accountId), standalone(Aws.ACCOUNT_ID)];
  }
  return accountId === stack.account ? [standalone(accountId)] : [member(accountId)];
}
