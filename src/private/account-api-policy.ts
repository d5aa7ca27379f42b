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
  /** actions + condition key → the condition values needed. */
  readonly needs: Map<string, { actions: string[]; conditionKey?: string; values: Set<string> }>;
}

/**
 * The handler role's Account Management permissions, grown by each declared setting and rendered when
 * the template is written: one statement per distinct set of actions and condition values, listing the
 * ARNs of exactly the accounts that need it. Never `*` for the account.
 */
export class AccountApiPolicy extends Construct {
  private readonly accounts = new Map<string, AccountEntry>();

  constructor(scope: Construct, id: string, role: iam.IRole) {
    super(scope, id);
    new iam.CfnPolicy(this, 'Resource', {
      policyName: 'AccountManagementApi',
      roles: [role.roleName],
      policyDocument: Lazy.any({ produce: () => this.render() }),
    });
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
    }
    if (grant.conditionValue !== undefined) need.values.add(grant.conditionValue);
  }

  private render(): iam.PolicyDocument {
    const statements = new Map<string, iam.PolicyStatement>();
    for (const entry of this.accounts.values()) {
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
