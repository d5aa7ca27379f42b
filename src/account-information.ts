import { Construct } from 'constructs';
import { AccountSettingsProvider } from './account-settings-provider';
import { AccountInformationProperties, RESOURCE_TYPES } from './contract';
import { validateAccountId } from './validation';

/**
 * Properties of an `AccountInformation`.
 */
export interface AccountInformationProps {
  /**
   * The 12-digit id of the account to read (organizations mode: the stack deploys to the management
   * account or the Account Management delegated administrator).
   *
   * @default - the account the stack deploys to (standalone mode)
   */
  readonly accountId?: string;

  /**
   * Any value: a deploy that changes it reads the account again. CloudFormation sends the resource an
   * Update only when its properties change, so without it the attributes keep the values read when the
   * resource was created or last updated. Pass a value that changes on every deploy (a build id, a
   * timestamp from the CDK app) to read them on every deploy.
   *
   * @default - the account is read when the resource is created, and again only when `accountId` changes
   */
  readonly refreshToken?: string;
}

/**
 * What the Account Management API's GetAccountInformation says about an account, as attributes a
 * stack can use (outputs, other resources' properties). It writes nothing, and removing it
 * changes nothing in the account.
 *
 * The attributes are read when the resource is created or updated, not on every deploy: set
 * `refreshToken` to read them again.
 *
 * @example
 * import { CfnOutput } from 'aws-cdk-lib';
 * import { AccountInformation } from 'cdk-account-management';
 *
 * const info = new AccountInformation(this, 'Workload', { accountId: '111111111111' });
 * new CfnOutput(this, 'WorkloadState', { value: info.accountState });
 */
export class AccountInformation extends Construct {
  /** The account id that was read, as resolved by the handler. */
  public readonly attrAccountId: string;

  /** The account's name (GetAccountInformation's AccountName). */
  public readonly accountName: string;

  /** When the account was created, ISO 8601 (e.g. `2020-01-01T00:00:00.000Z`). */
  public readonly accountCreatedDate: string;

  /**
   * The account's state as the service gives it: `PENDING_ACTIVATION`, `ACTIVE`, `SUSPENDED` or `CLOSED`.
   * A member that refuses the read (one closed or gone from the organization, for instance) fails the deploy, saying why.
   */
  public readonly accountState: string;

  constructor(scope: Construct, id: string, props: AccountInformationProps = {}) {
    super(scope, id);
    validateAccountId('accountId', props.accountId);

    const provider = AccountSettingsProvider.getOrCreate(this);
    provider._grant({ accountId: props.accountId, actions: ['account:GetAccountInformation'] });

    const properties: AccountInformationProperties = { AccountId: props.accountId, RefreshToken: props.refreshToken };
    const resource = provider._resource(this, RESOURCE_TYPES.accountInformation, properties);
    this.attrAccountId = resource.getAttString('AccountId');
    this.accountName = resource.getAttString('AccountName');
    this.accountCreatedDate = resource.getAttString('AccountCreatedDate');
    this.accountState = resource.getAttString('AccountState');
  }
}
