import { setMaxListeners } from 'events';
import {
  AccountClient,
  GetAccountInformationCommand,
  GetAlternateContactCommand,
  GetContactInformationCommand,
  GetRegionOptStatusCommand,
  ListRegionsCommand,
  RegionOptStatus,
} from '@aws-sdk/client-account';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { MiddlewareStack } from '@smithy/types';
import { PRIMARY_FIELDS, SettingKey, Template } from './declared';
import { ToolJsonClient, ToolRetryStrategy } from './tool-retries';
import { Departure, departureOfState, departureReason } from '../lambda/shared/account-api';
import { JsonApi, JsonClient, organizationsApi } from '../lambda/shared/aws-json';
import { queryCall, queryEndpoint, xmlText } from '../lambda/shared/aws-query';
import { CloudFormation, CloudFormationOptions } from '../lambda/shared/cloudformation';
import { errorName, isThrottling, ServiceError } from '../lambda/shared/errors';
import { membershipOf, resolveTargets, TargetSpec } from '../lambda/shared/organizations';
import { Pacer } from '../lambda/shared/pacer';
import type { SignedCaller } from '../lambda/shared/signed-request';
import { resolveTarget } from '../lambda/shared/target';

/*
 * The tool's AWS side: read-only calls, the Account Management ones paced under the calling account's
 * quotas by the pacer the organization reconciler uses (lambda/shared/pacer.ts), and a clear error
 * naming the permission when a read is denied.
 */

/** What the tool may call, and for how long it retries. */
export const READ_PERMISSIONS = [
  'account:GetAlternateContact', 'account:GetContactInformation', 'account:GetAccountInformation', 'account:GetRegionOptStatus',
  'account:ListRegions', 'cloudformation:GetTemplate', 'cloudformation:DescribeStackResource', 'organizations:ListAccounts',
  'organizations:ListAccountsForParent', 'organizations:ListChildren', 'organizations:DescribeAccount', 'states:ListExecutions',
  'states:DescribeExecution', 'states:GetExecutionHistory', 'sts:GetCallerIdentity', 'cloudtrail:DescribeTrails', 'cloudtrail:GetTrailStatus',
  'cloudtrail:GetEventSelectors',
];

/** A read's current value: a contact's fields (a primary contact's with its phone's VerificationStatus), a name, or a Region's status. */
export type Current =
  | { readonly kind: 'contact'; readonly fields: Readonly<Record<string, string | undefined>>; readonly phoneVerification?: string }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'region'; readonly status: RegionOptStatus };

/** Calls beyond this many at once wait in the pacer anyway. */
const CONCURRENCY = 16;
/** How long a connection may take to open, and the first call (which tells whether AWS can be reached at all) to answer. */
const CONNECT_MS = 5_000;
const FIRST_ANSWER_MS = 10_000;
/** A later call with no answer for this long is abandoned and retried, until the deadline. */
const ANSWER_MS = 60_000;
/** Waits on throttling or failing calls are told on stderr at most this often. */
const NOTICE_EVERY_MS = 10_000;

/** Where the tool calls, and how long it may take. */
export interface AwsOptions {
  /** How long the whole run may take: calls are retried until then, and none is made after. */
  readonly timeoutMs: number;
  /** The named profile of the shared config files (else AWS_PROFILE, else the default one). */
  readonly profile?: string;
  /** The Region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's Region, us-east-1). */
  readonly region?: string;
  /** Where the tool tells why it waits (stderr). */
  readonly notice?: (line: string) => void;
}

/** The Region to use, and where it came from, in the order the AWS CLI reads them. */
export async function resolveRegion(options: { region?: string; profile?: string }): Promise<{ region: string; source: string }> {
  if (options.region) return { region: options.region, source: '--region' };
  for (const variable of ['AWS_REGION', 'AWS_DEFAULT_REGION']) {
    if (process.env[variable]) return { region: process.env[variable]!, source: variable };
  }
  const profile = options.profile ?? process.env.AWS_PROFILE ?? 'default';
  try {
    // The SDK's own loader reads the profile's `region` from the shared config files.
    const region = await new AccountClient({ profile }).config.region();
    if (region) return { region, source: `profile ${profile}` };
  } catch {
    // No Region in the profile: the fallback below says so.
  }
  return { region: 'us-east-1', source: `no --region, AWS_REGION or Region in profile ${profile}, so us-east-1` };
}

/** A read that found the account closed, suspended, not yet active or gone from the organization: reported, as the reconciler skips it. */
export class DepartedAccount extends Error {
  constructor(public readonly accountId: string, public readonly reason: Departure) {
    super(`Account ${accountId}: ${departureReason(reason)}`);
  }
}

export class Aws {
  /** What `connect` resolved, for messages and the generated source. */
  public static async connect(options: AwsOptions): Promise<Aws> {
    const { region, source } = await resolveRegion(options);
    return new Aws(options, region, source);
  }

  public readonly pacer: Pacer;
  public readonly deadline: number;
  private readonly account: AccountClient;
  private readonly organizations: JsonClient;
  private callerAccount?: Promise<string>;
  private readonly targets = new Map<string, Promise<string[]>>();
  private readonly stopper = new AbortController();
  private readonly membership = new Map<string, ReturnType<typeof membershipOf>>();
  /** The last endpoint called, and whether any call has had an answer (then AWS can be reached). */
  private lastEndpoint?: string;
  private reached = false;
  private lastNotice = 0;

  private constructor(private readonly options: AwsOptions, public readonly region: string, public readonly regionSource: string) {
    this.deadline = Date.now() + options.timeoutMs;
    // Every call in flight listens to the one signal that stops the run: many at once are expected, not a leak.
    setMaxListeners(1_000, this.stopper.signal);
    this.pacer = new Pacer(this.deadline);
    this.account = this.watched(new AccountClient(this.config('account', { retryThrottling: false })));
    this.organizations = this.json(organizationsApi(this.region));
  }

  /** The account whose credentials the tool runs with: the first call, which fails within seconds when AWS cannot be reached. */
  public caller(): Promise<string> {
    this.callerAccount ??= this.callerIdentity()
      .catch(error => { throw this.unreachable(error) ?? denied('sts:GetCallerIdentity', 'the caller', error); });
    return this.callerAccount;
  }

  /** STS's GetCallerIdentity, signed here (awsQuery, as CloudFormation's reads). */
  private async callerIdentity(): Promise<string> {
    const { caller, options } = this.signed('sts', this.region, FIRST_ANSWER_MS);
    return xmlText(await queryCall(caller, { service: 'sts', version: '2011-06-15', action: 'GetCallerIdentity', ...options }), 'Account')!;
  }

  /** What was tried, for a message: the endpoint, the Region and where it came from, the profile. */
  public tried(): string {
    const profile = this.options.profile ?? process.env.AWS_PROFILE;
    return `endpoint ${this.lastEndpoint ?? 'not reached'}, Region ${this.region} (${this.regionSource}), `
      + `${profile ? `profile ${profile}` : 'the default credentials (no --profile or AWS_PROFILE)'}`;
  }

  /** Ends the run: calls in flight are aborted and no other is made (the first error stops the readers). */
  public stop(): void {
    this.stopper.abort();
  }

  /** `work`, or an error once the --timeout has passed (every call is then stopped). */
  public async within<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Gave up after the --timeout of ${duration(this.options.timeoutMs)}: calls were still unanswered `
        + `or retried (${this.tried()}). Check the network and the service's health, or give a longer --timeout`)), Math.max(0, this.deadline - Date.now()));
    });
    try {
      return await Promise.race([work, expired]);
    } catch (error) {
      this.stop();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Tells on stderr why the tool waits, at most every few seconds. */
  public notice(why: string): void {
    const now = Date.now();
    if (now - this.lastNotice < NOTICE_EVERY_MS) return;
    this.lastNotice = now;
    this.options.notice?.(`Waiting: ${why}; retrying until the --timeout (${duration(Math.max(0, this.deadline - now))} left)\n`);
  }

  /** The error of a first call that had no answer at all: what was tried and what to check. */
  private unreachable(error: unknown): Error | undefined {
    const e = error as ServiceError & { code?: string };
    if (this.reached || e?.$metadata?.httpStatusCode || errorName(error) === 'CredentialsProviderError') {
      return errorName(error) === 'CredentialsProviderError'
        ? new Error(`No credentials (${this.tried()}): ${e.message}. Check the profile (--profile or AWS_PROFILE) and its credentials, `
          + 'or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY')
        : undefined;
    }
    const cause = [e?.code, e?.name !== 'Error' ? e?.name : undefined, e?.message].filter(Boolean).join(': ').replace(/\.+$/, '');
    return new Error(`Could not reach AWS (${this.tried()}): ${cause}. Check the network route to the endpoint (and HTTPS_PROXY if one is needed), `
      + 'the Region (--region), the profile (--profile), and any AWS_ENDPOINT_URL variable');
  }

  /** The accounts a baseline's targets resolve to, as its reconciler resolves them (each spec once). */
  public resolve(spec: TargetSpec): Promise<string[]> {
    const key = JSON.stringify(spec);
    let accounts = this.targets.get(key);
    if (!accounts) {
      accounts = resolveTargets(this.organizations, spec)
        .catch(error => { throw denied('organizations:ListAccounts', 'the organization', error); });
      this.targets.set(key, accounts);
    }
    return accounts;
  }

  /** The template CloudFormation holds for a stack (in `region`, or the tool's), or undefined when the stack does not exist. */
  public async deployedTemplate(stackName: string, region?: string): Promise<Template | undefined> {
    try {
      const answer = await this.cloudFormation(region).getTemplate({ StackName: stackName });
      return JSON.parse(answer.TemplateBody ?? '{}') as Template;
    } catch (error) {
      if (errorName(error) === 'ValidationError' && /does not exist/.test(String((error as Error).message))) return undefined;
      throw denied('cloudformation:GetTemplate', `stack ${stackName}`, error);
    }
  }

  /** CloudFormation's reads (in `region`, or the tool's), signed here: its SDK client and the awsQuery code it brings would weigh on the bundle. */
  public cloudFormation(region = this.region): CloudFormation {
    const { caller, options } = this.signed('cloudformation', region);
    return new CloudFormation(caller, options);
  }

  /**
   * How the tool signs a call itself (awsQuery: STS, CloudFormation): with the clients' credentials, retried
   * as they are until the --timeout, stopped with the run, its endpoint noted for the message of a call that gets no answer.
   */
  private signed(service: string, region: string, answerMs?: number): { caller: SignedCaller; options: CloudFormationOptions } {
    const { requestHandler, retryStrategy } = this.config(service, { answerMs });
    const endpoint = queryEndpoint(service, region).origin;
    const caller: SignedCaller = {
      deadline: this.deadline,
      config: () => {
        this.lastEndpoint = endpoint;
        return { requestHandler };
      },
    };
    return { caller, options: { region, credentials: this.credentials(), retryStrategy, abortSignal: this.stopper.signal } };
  }

  /** What one setting of one account holds now. */
  public async read(accountId: string, key: SettingKey): Promise<Current | undefined> {
    const target = resolveTarget(accountId, await this.caller());
    const input = { AccountId: target.accountIdParameter };
    if (key.endsWith(' alternate contact')) {
      const type = key.split(' ')[0] as 'BILLING';
      const answer = await this.call('GetAlternateContact', accountId, () => this.account.send(new GetAlternateContactCommand({ ...input, AlternateContactType: type }), this.sendOptions()));
      const contact = answer?.AlternateContact;
      return contact ? { kind: 'contact', fields: { Name: contact.Name, Title: contact.Title, EmailAddress: contact.EmailAddress, PhoneNumber: contact.PhoneNumber } } : undefined;
    }
    if (key === 'primary contact') {
      const answer = await this.call('GetContactInformation', accountId, () => this.account.send(new GetContactInformationCommand(input), this.sendOptions()));
      const info = answer?.ContactInformation as Record<string, string | undefined> | undefined;
      const fields = info && Object.fromEntries(PRIMARY_FIELDS.map(field => [field, info[field] || undefined]));
      return fields ? { kind: 'contact', fields, phoneVerification: answer?.VerificationStatus } : undefined;
    }
    if (key === 'account name') {
      const answer = await this.call('GetAccountInformation', accountId, () => this.account.send(new GetAccountInformationCommand(input), this.sendOptions()));
      return answer?.AccountName !== undefined ? { kind: 'name', name: answer.AccountName } : undefined;
    }
    const region = key.slice('Region '.length);
    const answer = await this.call('GetRegionOptStatus', accountId, () => this.account.send(new GetRegionOptStatusCommand({ ...input, RegionName: region }), this.sendOptions()));
    return answer?.RegionOptStatus ? { kind: 'region', status: answer.RegionOptStatus } : undefined;
  }

  /** The opt-in Regions enabled (or enabling) in an account. */
  public async enabledOptInRegions(accountId: string): Promise<string[]> {
    const target = resolveTarget(accountId, await this.caller());
    const regions: string[] = [];
    let token: string | undefined;
    do {
      const input = { AccountId: target.accountIdParameter, RegionOptStatusContains: ['ENABLED', 'ENABLING'] as RegionOptStatus[], NextToken: token };
      const page = await this.call('ListRegions', accountId, () => this.account.send(new ListRegionsCommand(input), this.sendOptions()));
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
      while (next < items.length && !this.stopper.signal.aborted) {
        const index = next++;
        try {
          results[index] = await fn(items[index]);
        } catch (error) {
          // The first error ends the run: the other workers take no other item, and calls in flight are aborted.
          this.stop();
          throw error;
        }
        progress?.();
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
    return results;
  }

  /** A paced read; not found is undefined, a closed or departed account is a DepartedAccount, a denial names the permission. */
  private async call<T>(operation: string, accountId: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.pacer.call(operation, () => fn().catch(error => {
        if (isThrottling(error)) this.notice(`account:${operation} is throttled, the tool slows down`);
        throw error;
      }));
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return undefined;
      if (this.stopper.signal.aborted) throw error;
      if (errorName(error) === 'AccessDeniedException' && accountId !== await this.caller()) {
        // As the reconciler does: a read refused for a member is first checked against its membership.
        let membership = this.membership.get(accountId);
        if (!membership) this.membership.set(accountId, membership = membershipOf(this.organizations, accountId));
        const gone = await membership;
        if (gone === 'closed' || gone === 'not a member') throw new DepartedAccount(accountId, gone);
        // A member that refuses: its AccountState may say why (suspended, not yet activated).
        const state = gone === 'member' ? await this.accountState(accountId) : undefined;
        if (state) throw new DepartedAccount(accountId, state);
      }
      throw denied(`account:${operation}`, `account ${accountId}`, error);
    }
  }

  /** GetAccountInformation's AccountState, when it says the account cannot be read or written; undefined otherwise. */
  private async accountState(accountId: string): Promise<Departure | undefined> {
    const input = { AccountId: resolveTarget(accountId, await this.caller()).accountIdParameter };
    const answer = await this.pacer.call('GetAccountInformation', () => this.account.send(new GetAccountInformationCommand(input), this.sendOptions()))
      .catch(() => undefined);
    return departureOfState(answer?.AccountState);
  }

  /** The credentials the clients sign with (the profile's chain), for the calls the tool signs itself (cli/trails.ts). */
  public credentials() {
    return this.account.config.credentials;
  }

  /** An awsJson service called without its SDK client (lambda/shared/aws-json.ts), signed with the profile's credentials, retried as the clients are. */
  public json(api: JsonApi): JsonClient {
    const config = this.config(api.service);
    const caller = {
      deadline: this.deadline,
      // Each attempt asks for the handler: the endpoint is then the last one called, for the message of a call with no answer.
      config: () => {
        this.lastEndpoint = api.url.origin;
        return config;
      },
    };
    return new ToolJsonClient(this, api.service, caller, api, this.credentials());
  }

  private sendOptions() {
    return { abortSignal: this.stopper.signal };
  }

  public config(service: string, options: { retryThrottling?: boolean; answerMs?: number } = {}) {
    const client = {
      region: this.region,
      ...(this.options.profile ? { profile: this.options.profile } : {}),
      // Without throwOnRequestTimeout, a request with no answer only logs a warning and waits on.
      requestHandler: new NodeHttpHandler({
        connectionTimeout: CONNECT_MS,
        requestTimeout: options.answerMs ?? ANSWER_MS,
        throwOnRequestTimeout: true,
      }),
      retryStrategy: new ToolRetryStrategy(this, service, options.retryThrottling ?? true),
    };
    return client;
  }

  /** The client, noting the endpoint of each of its requests (for the message of a call that gets no answer). */
  public watched<C extends { middlewareStack: Pick<MiddlewareStack<any, any>, 'add'> }>(client: C): C { // eslint-disable-line @typescript-eslint/no-explicit-any
    client.middlewareStack.add(next => async args => {
      const request = args.request as { protocol?: string; hostname?: string; port?: number };
      if (request?.hostname) this.lastEndpoint = `${request.protocol ?? 'https:'}//${request.hostname}${request.port ? `:${request.port}` : ''}`;
      return next(args);
    }, { step: 'build', name: 'cdkAccountManagementEndpoint' });
    return client;
  }

  public answered(): void {
    this.reached = true;
  }

  public get connected(): boolean {
    return this.reached;
  }

  public get stopped(): boolean {
    return this.stopper.signal.aborted;
  }
}

/** 90_000 → "1m30s". */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  const parts = [[Math.floor(s / 3600), 'h'], [Math.floor(s / 60) % 60, 'm'], [s % 60, 's']].filter(([n]) => n) as Array<[number, string]>;
  return parts.map(([n, unit]) => `${n}${unit}`).join('') || '0s';
}

/** An error that says which permission a denied read needs; other errors say what failed. */
export function denied(permission: string, on: string, error: unknown): Error {
  const name = errorName(error);
  const message = (error as Error)?.message ?? String(error);
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnauthorizedOperation') {
    return new Error(`Reading ${on} was denied: the tool needs ${permission} (the README lists the read-only policy it needs). The service answered: ${message}`);
  }
  if (isThrottling(error)) return new Error(`Reading ${on} was still throttled when the tool's time ran out (${permission}). The service answered: ${message}`);
  return new Error(`Reading ${on} failed (${permission}): ${name ? `${name}: ` : ''}${message}`);
}
