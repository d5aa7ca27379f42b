import { Stack, Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';

/** Per app: "<account>/<setting>" → the path of the construct that declares it. */
const claimsByApp = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Records that `scope` declares `setting` (e.g. "alternate contact SECURITY") of an account, and throws
 * when another construct of the same app already does: two declarations would overwrite each other on
 * every deploy, and deleting one would remove what the other declares.
 *
 * An account given as a token cannot be compared at synth and is not recorded.
 */
export function claimSetting(scope: Construct, setting: string, accountId: string | undefined): void {
  const account = accountKey(scope, accountId);
  if (account === undefined) return;
  let claims = claimsByApp.get(scope.node.root);
  if (!claims) {
    claims = new Map();
    claimsByApp.set(scope.node.root, claims);
  }
  const key = `${account}/${setting}`;
  const holder = claims.get(key);
  if (holder !== undefined) {
    throw new Error(`The ${setting} of ${account} is already declared by ${holder}; declare each setting of an account once (${scope.node.path} declares it again)`);
  }
  claims.set(key, scope.node.path);
}

function accountKey(scope: Construct, accountId: string | undefined): string | undefined {
  if (accountId !== undefined) {
    return Token.isUnresolved(accountId) ? undefined : `account ${accountId}`;
  }
  const stack = Stack.of(scope);
  return Token.isUnresolved(stack.account)
    ? `the account that stack ${stack.node.path} deploys to`
    : `account ${stack.account}`;
}
