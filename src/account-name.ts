import { Construct } from 'constructs';
import { AccountSettingsProvider } from './account-settings-provider';
import { AccountNameProperties, RESOURCE_TYPES } from './contract';
import { claimSetting } from './private/setting-claims';
import { validateAccountId, validateAccountName } from './validation';

/**
 * Properties of an `AccountName`.
 */
export interface AccountNameProps {
  /**
   * The account's name, 1-50 printable ASCII characters other than `<` and `>`.
   */
  readonly accountName: string;

  /**
   * The 12-digit id of the account to name (organizations mode).
   *
   * @default - the account the stack deploys to (standalone mode)
   */
  readonly accountId?: string;
}

/**
 * The name of an AWS account.
 *
 * Creating or updating the resource writes the name (PutAccountName). An account always has a name:
 * removing the resource leaves the name as it was last written.
 *
 * @example
 * import { AccountName } from 'cdk-account-management';
 *
 * new AccountName(this, 'Name', { accountId: '111111111111', accountName: 'workload-prod' });
 */
export class AccountName extends Construct {
  /** The account id that was named, as resolved by the handler. */
  public readonly attrAccountId: string;

  constructor(scope: Construct, id: string, props: AccountNameProps) {
    super(scope, id);
    validateAccountId('accountId', props.accountId);
    validateAccountName('accountName', props.accountName);
    claimSetting(this, 'account name', props.accountId);

    const provider = AccountSettingsProvider.getOrCreate(this);
    provider._grant({ accountId: props.accountId, actions: ['account:PutAccountName'] });

    const properties: AccountNameProperties = { Setting: 'AccountName', AccountId: props.accountId, AccountName: props.accountName };
    const resource = provider._resource(this, RESOURCE_TYPES.accountName, properties);
    provider._pace(resource, 'PutAccountName');
    this.attrAccountId = resource.getAttString('AccountId');
  }
}
