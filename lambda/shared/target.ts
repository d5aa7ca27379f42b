/**
 * The account a handler runs in, read from the function's own ARN
 * (arn:aws:lambda:<region>:<account>:function:<name>), so that no API call is needed.
 */
export function ownAccountId(invokedFunctionArn: string): string {
  const account = invokedFunctionArn.split(':')[4];
  if (!account || !/^\d{12}$/.test(account)) {
    throw new Error(`Cannot read the account id from the function ARN "${invokedFunctionArn}"`);
  }
  return account;
}

/** The account a setting applies to, and how to call the Account Management API for it. */
export interface Target {
  /** The account whose setting this is. */
  readonly accountId: string;
  /**
   * The AccountId parameter of the API call: undefined (standalone context) when the target is the
   * account the handler runs in, since the management account may not name itself.
   */
  readonly accountIdParameter: string | undefined;
  /** True when the call is made in organizations context. */
  readonly organizationsMode: boolean;
}

export function resolveTarget(declaredAccountId: string | undefined, ownAccount: string): Target {
  const accountId = declaredAccountId || ownAccount;
  const organizationsMode = accountId !== ownAccount;
  return { accountId, accountIdParameter: organizationsMode ? accountId : undefined, organizationsMode };
}
