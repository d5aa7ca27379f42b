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

interface AccountEntry {
  readonly resources: string[];
  /** The managed policy that lists this account. */
  part?: PolicyPart;
  /** actions + condition key → the condition values needed. */
  readonly needs: Map<string, { actions: string[]; conditionKey?: string; values: Set<string> }>;
}

/** ARNs one managed policy lists at the most: about 50 characters each, within its 6,144. */
const MAX_ARNS_PER_POLICY = 100;
/** A role attaches 10 managed policies by default; AWSLambdaBasicExecutionRole is one of them. */
const MAX_POLICIES = 9;

interface PolicyPart {
  readonly accounts: AccountEntry[];
  arns: number;
}

/**
 * The handler role's Account Management permissions, grown by each declared setting and rendered when
 * the template is written: one statement per distinct set of actions and condition values, listing the
 * ARNs of exactly the accounts that need it. Never `*` for the account.
 *
 * The statements are spread over managed policies of at most 100 ARNs each (an account's statements
 * stay in one policy), so that a stack with hundreds of settings stays within IAM's size limits.
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
    const needKey = `${actions.join(',')}|${grant.conditionKey ?? ''}`;
    let need = entry.needs.get(needKey);
    if (!need) {
      need = { actions, conditionKey: grant.conditionKey, values: new Set() };
      entry.needs.set(needKey, need);
      this.place(entry, resources.length);
    }
    if (grant.conditionValue !== undefined) need.values.add(grant.conditionValue);
  }

  /** Keeps the account's ARNs, now `added` more, in a policy with room for all of them. */
  private place(entry: AccountEntry, added: number): void {
    if (entry.part && entry.part.arns + added <= MAX_ARNS_PER_POLICY) {
      entry.part.arns += added;
      return;
    }
    const arns = entry.resources.length * entry.needs.size;
    if (entry.part) {
      entry.part.accounts.splice(entry.part.accounts.indexOf(entry), 1);
      entry.part.arns -= arns - added;
    }
    entry.part = this.partWithRoom(arns);
    entry.part.accounts.push(entry);
    entry.part.arns += arns;
  }

  /** The last policy if it has room for `arns` more ARNs, else a new one. */
  private partWithRoom(arns: number): PolicyPart {
    const last = this.parts[this.parts.length - 1];
    if (last && last.arns + arns <= MAX_ARNS_PER_POLICY) return last;
    if (this.parts.length === MAX_POLICIES) {
      throw new Error(`The settings of stack ${Stack.of(this).node.path} target more accounts than the handler role's ${MAX_POLICIES} policies can list `
        + `(${MAX_POLICIES * MAX_ARNS_PER_POLICY} account grants); spread them over several stacks`);
    }
    const part: PolicyPart = { accounts: [], arns: 0 };
    this.parts.push(part);
    new iam.CfnManagedPolicy(this, `Part${this.parts.length}`, {
      description: 'cdk-account-management: the Account Management calls of the settings this stack declares',
      roles: [this.role.roleName],
      policyDocument: Lazy.any({ produce: () => render(part.accounts) }),
    });
    return part;
  }
}

function render(accounts: AccountEntry[]): iam.PolicyDocument {
  const statements = new Map<string, iam.PolicyStatement>();
  for (const entry of accounts) {
    for (const need of entry.needs.values()) {
      const values = [...need.values].sort();
      const key = `${need.actions.join(',')}|${need.conditionKey ?? ''}|${values.join(',')}`;
      let statement = statements.get(key);
      if (!statement) {
        statement = new iam.PolicyStatement({ actions: need.actions });
        if (need.conditionKey && values.length > 0) {
          statement.addCondition('ForAnyValue:StringEquals', { [need.conditionKey]: values });
        }
        statements.set(key, statement);
      }
      statement.addResources(...entry.resources);
    }
  }
  return new iam.PolicyDocument({ statements: [...statements.values()] });
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
