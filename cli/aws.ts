import {
  AccountClient,
  GetAccountInformationCommand,
  GetAlternateContactCommand,
  GetContactInformationCommand,
  GetRegionOptStatusCommand,
  ListRegionsCommand,
  RegionOptStatus,
} from '@aws-sdk/client-account';
import { CloudFormationClient, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { PRIMARY_FIELDS, SettingKey, Template } from './declared';
import { errorName, isThrottling } from '../lambda/shared/errors';
import { resolveTargets, TargetSpec } from '../lambda/shared/organizations';
import { Pacer } from '../lambda/shared/pacer';
import { DeadlineRetryStrategy } from '../lambda/shared/pacing';
import { resolveTarget } from '../lambda/shared/target';

/*
 * The tool's AWS side: read-only calls, the Account Management ones paced under the calling account's
 * quotas by the pacer the organization reconciler uses (lambda/shared/pacer.ts), and a clear error
 * naming the permission when a read is denied.
 */

/** What the tool may call, and for how long it retries. */
export const READ_PERMISSIONS = [
  'account:GetAlternateContact', 'account:GetContactInformation', 'account:GetAccountInformation', 'account:GetRegionOptStatus',
  'account:ListRegions', 'cloudformation:GetTemplate', 'organizations:ListAccounts', 'organizations:ListAccountsForParent',
  'organizations:ListChildren', 'organizations:DescribeAccount', 'sts:GetCallerIdentity',
];

/** A read's current value: a contact's fields, a name, or a Region's status; undefined when there is none. */
export type Current =
  | { readonly kind: 'contact'; readonly fields: Readonly<Record<string, string | undefined>> }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'region'; readonly status: RegionOptStatus };

/** Calls beyond this many at once wait in the pacer anyway. */
const CONCURRENCY = 16;

export class Aws {
  public readonly pacer: Pacer;
  private readonly account: AccountClient;
  private callerAccount?: Promise<string>;
  private readonly targets = new Map<string, Promise<string[]>>();

  /** @param deadline epoch ms after which throttled and failed calls are not made again */
  constructor(private readonly deadline: number) {
    this.pacer = new Pacer(deadline);
    this.account = new AccountClient(this.config('account', { retryThrottling: false }));
  }

  /** The account whose credentials the tool runs with. */
  public caller(): Promise<string> {
    this.callerAccount ??= new STSClient(this.config('sts')).send(new GetCallerIdentityCommand({}))
      .then(answer => answer.Account!, error => { throw denied('sts:GetCallerIdentity', 'the caller', error); });
    return this.callerAccount;
  }

  /** The accounts a baseline's targets resolve to, as its reconciler resolves them (each spec once). */
  public resolve(spec: TargetSpec): Promise<string[]> {
    const key = JSON.stringify(spec);
    let accounts = this.targets.get(key);
    if (!accounts) {
      accounts = resolveTargets(new OrganizationsClient(this.config('organizations')), spec)
        .catch(error => { throw denied('organizations:ListAccounts', 'the organization', error); });
      this.targets.set(key, accounts);
    }
    return accounts;
  }

  /** The template CloudFormation holds for a stack (in `region`, or the tool's), or undefined when the stack does not exist. */
  public async deployedTemplate(stackName: string, region?: string): Promise<Template | undefined> {
    try {
      const client = new CloudFormationClient({ ...this.config('cloudformation'), ...(region ? { region } : {}) });
      const answer = await client.send(new GetTemplateCommand({ StackName: stackName }));
      return JSON.parse(answer.TemplateBody ?? '{}') as Template;
    } catch (error) {
      if (errorName(error) === 'ValidationError' && /does not exist/.test(String((error as Error).message))) return undefined;
      throw denied('cloudformation:GetTemplate', `stack ${stackName}`, error);
    }
  }

  /** What one setting of one account holds now. */
  public async read(accountId: string, key: SettingKey): Promise<Current | undefined> {
    const target = resolveTarget(accountId, await this.caller());
    const input = { AccountId: target.accountIdParameter };
    if (key.endsWith(' alternate contact')) {
      const type = key.split(' ')[0] as 'BILLING';
      const answer = await this.call('GetAlternateContact', accountId, () => this.account.send(new GetAlternateContactCommand({ ...input, AlternateContactType: type })));
      const contact = answer?.AlternateContact;
      return contact ? { kind: 'contact', fields: { Name: contact.Name, Title: contact.Title, EmailAddress: contact.EmailAddress, PhoneNumber: contact.PhoneNumber } } : undefined;
    }
    if (key === 'primary contact') {
      const answer = await this.call('GetContactInformation', accountId, () => this.account.send(new GetContactInformationCommand(input)));
      const info = answer?.ContactInformation as Record<string, string | undefined> | undefined;
      return info ? { kind: 'contact', fields: Object.fromEntries(PRIMARY_FIELDS.map(field => [field, info[field] || undefined])) } : undefined;
    }
    if (key === 'account name') {
      const answer = await this.call('GetAccountInformation', accountId, () => this.account.send(new GetAccountInformationCommand(input)));
      return answer?.AccountName !== undefined ? { kind: 'name', name: answer.AccountName } : undefined;
    }
    const region = key.slice('Region '.length);
    const answer = await this.call('GetRegionOptStatus', accountId, () => this.account.send(new GetRegionOptStatusCommand({ ...input, RegionName: region })));
    return answer?.RegionOptStatus ? { kind: 'region', status: answer.RegionOptStatus } : undefined;
  }

  /** The opt-in Regions enabled (or enabling) in an account. */
  public async enabledOptInRegions(accountId: string): Promise<string[]> {
    const target = resolveTarget(accountId, await this.caller());
    const regions: string[] = [];
    let token: string | undefined;
    do {
      const input = { AccountId: target.accountIdParameter, RegionOptStatusContains: ['ENABLED', 'ENABLING'] as RegionOptStatus[], NextToken: token };
      const page = await this.call('ListRegions', accountId, () => this.account.send(new ListRegionsCommand(input)));
      for (const region of page?.Regions ?? []) {
        if (region.RegionName && (region.RegionOptStatus === 'ENABLED' || region.RegionOptStatus === 'ENABLING')) regions.push(region.RegionName);
      }
      token = page?.NextToken;
    } while (token);
    return regions.sort();
  }

  /** Each item through `fn`, several at once (the pacer keeps them under the quotas); `progress` after each. */
  public async each<T, R>(items: T[], fn: (item: T) => Promise<R>, progress?: () => void): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await fn(items[index]);
        progress?.();
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
    return results;
  }

  /** A paced read; not found is undefined, a denial names the permission. */
  private async call<T>(operation: string, accountId: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.pacer.call(operation, fn);
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return undefined;
      throw denied(`account:${operation}`, `account ${accountId}`, error);
    }
  }

  private config(service: string, options?: { retryThrottling?: boolean }) {
    return { region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1', retryStrategy: new DeadlineRetryStrategy(this.deadline, service, options) };
  }
}

/** An error that says which permission a denied read needs; other errors say what failed. */
function denied(permission: string, on: string, error: unknown): Error {
  const name = errorName(error);
  const message = (error as Error)?.message ?? String(error);
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnauthorizedOperation') {
    return new Error(`Reading ${on} was denied: the tool needs ${permission} (the README lists the read-only policy it needs). The service answered: ${message}`);
  }
  if (isThrottling(error)) return new Error(`Reading ${on} was still throttled when the tool's time ran out (${permission}). The service answered: ${message}`);
  return new Error(`Reading ${on} failed (${permission}): ${name ? `${name}: ` : ''}${message}`);
}
