import { randomUUID } from 'crypto';
import { Deferred } from './common';
import type { EventBus, RuleTarget } from './eventbridge';
import type { IamService, PolicyDocument } from './iam';
import { Intrinsics } from './intrinsics';
import type { Organization } from './organizations';
import { Deployed, dependencies, Json, Template } from './template';

/*
 * CloudFormation StackSets with service-managed permissions, as AWS::CloudFormation::StackSet resources
 * create them: one stack instance per targeted active member account and Region (never the management
 * account), each deploying the member template's IAM roles and EventBridge rules to that account's local
 * services (other resource types are recorded without doing anything). With automatic deployment, accounts
 * that join, move or leave the targeted OUs, leave the organization or are suspended get or lose their
 * instances after `autoDeployDelayMs`; `hold()` keeps those changes pending until `release()`. As in AWS,
 * the account filters (AccountFilterType, Accounts) apply to the stack set's creation and updates only:
 * automatic deployment gives an instance to every account that comes under a targeted OU.
 * Kinder than AWS: an operation finishes at once and never fails for a reason of its own.
 */

/** CloudFormation's limit on a stack set's TemplateBody, in bytes. */
export const MAX_TEMPLATE_BODY_BYTES = 51_200;
const STACK_SET_NAME = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/;
const FILTER_TYPES = ['NONE', 'INTERSECTION', 'DIFFERENCE', 'UNION'];

/** What stack instances are deployed to. */
export interface StackSetServices {
  readonly organization: Organization;
  readonly iam: IamService;
  /** The organization's CloudFormation delegated administrator, if any. */
  readonly cloudFormationDelegatedAdminAccountId?: string;
  eventBusOf(accountId: string): EventBus;
}

/** A stack instance, as ListStackInstances shows it. */
export interface StackInstance {
  readonly accountId: string;
  readonly region: string;
  /** CURRENT: deployed with the stack set's template; OUTDATED: its deployment failed (see `reason`). */
  readonly status: 'CURRENT' | 'OUTDATED';
  readonly reason?: string;
  readonly stackName: string;
}

interface InstanceGroup {
  readonly organizationalUnitIds: string[];
  readonly filter: string;
  readonly accounts: string[];
  readonly regions: string[];
}

interface StackSet {
  readonly name: string;
  readonly template: Template;
  readonly groups: InstanceGroup[];
  readonly autoDeployment: boolean;
  /** The `account/region` keys under the targeted OUs (filters aside) when the stack set or automatic deployment last looked. */
  underOus: Set<string>;
  /** By `account/region`: the instance and what it deployed. */
  readonly instances: Map<string, StackInstance & { readonly resources: Deployed[] }>;
}

export class StackSetService {
  /** How long after an account's change automatic deployment acts on it, in simulated ms (divided by the time scale). */
  public autoDeployDelayMs = 0;
  private readonly stackSets = new Map<string, StackSet>();
  private held = false;
  private readonly deferred = new Deferred();

  constructor(private readonly services: StackSetServices) {
    services.organization.onChange.push(() => this.accountsChanged());
  }

  /**
   * Creates or updates the stack set an AWS::CloudFormation::StackSet resource of `ownerAccountId`'s stack
   * declares (its resolved properties; `previousName`, the name it was deployed with), and deploys its
   * instances; throws CloudFormation's error when it fails.
   */
  public put(properties: Record<string, Json>, ownerAccountId: string, previousName?: string): void {
    const name = String(properties.StackSetName ?? '');
    if (!STACK_SET_NAME.test(name)) throw handlerError(`StackSetName ${name} must satisfy regular expression pattern: ${STACK_SET_NAME.source}`);
    if (properties.PermissionModel !== 'SERVICE_MANAGED') {
      throw new Error(`The local StackSets support only PermissionModel SERVICE_MANAGED (got ${String(properties.PermissionModel)})`);
    }
    this.checkCaller(String(properties.CallAs ?? 'SELF'), ownerAccountId);
    const template = parseTemplate(properties.TemplateBody);
    const groups = ((properties.StackInstancesGroup ?? []) as Json[]).map(group => this.groupOf(group));
    const previous = this.stackSets.get(name);
    const stackSet: StackSet = {
      name,
      template,
      groups,
      autoDeployment: properties.AutoDeployment?.Enabled === true || properties.AutoDeployment?.Enabled === 'true',
      instances: previous?.instances ?? new Map(),
      underOus: new Set(),
    };
    this.stackSets.set(name, stackSet);
    // A new StackSetName replaces the stack set, as CloudFormation does: the old one's instances go.
    if (previousName !== undefined && previousName !== name) this.delete(previousName);
    // An update re-deploys every instance with the new template, as CloudFormation's UpdateStackSet operation does.
    if (previous) for (const key of [...stackSet.instances.keys()]) this.removeInstance(stackSet, key);
    const wanted = this.targetsOf(stackSet, true);
    for (const key of [...stackSet.instances.keys()]) if (!wanted.has(key)) this.removeInstance(stackSet, key);
    for (const key of wanted) if (!stackSet.instances.has(key)) this.createInstance(stackSet, key);
    stackSet.underOus = this.targetsOf(stackSet, false);
  }

  /** Deletes the stack set and every instance (what each created in its account). */
  public delete(name: string): void {
    const stackSet = this.stackSets.get(name);
    if (!stackSet) return;
    for (const key of [...stackSet.instances.keys()]) this.removeInstance(stackSet, key);
    this.stackSets.delete(name);
  }

  public names(): string[] {
    return [...this.stackSets.keys()];
  }

  /** The stack set's instances, by account then Region. */
  public instances(name: string): StackInstance[] {
    const stackSet = this.stackSets.get(name);
    if (!stackSet) throw new Error(`StackSet ${name} not found`);
    return [...stackSet.instances.values()].map(({ resources: _, ...instance }) => instance)
      .sort((a, b) => a.accountId.localeCompare(b.accountId) || a.region.localeCompare(b.region));
  }

  /** The targets (account, Region) automatic deployment has yet to give an instance, or to take it from. */
  public pending(name: string): { readonly missing: string[]; readonly extra: string[] } {
    const stackSet = this.stackSets.get(name);
    if (!stackSet) throw new Error(`StackSet ${name} not found`);
    const { missing, extra } = this.changesOf(stackSet);
    return { missing: missing.sort(), extra: extra.sort() };
  }

  /** Keeps automatic deployment from acting until `release()`: accounts the stack set has not reached yet. */
  public hold(): void {
    this.held = true;
  }

  /** Lets automatic deployment act on every change held since `hold()`. */
  public release(): void {
    this.held = false;
    this.accountsChanged();
  }

  /** Cancels the automatic deployments under way (the services are closing). */
  public stop(): void {
    this.deferred.clear();
  }

  private accountsChanged(): void {
    if (this.held) return;
    const act = () => {
      if (this.held) return;
      for (const stackSet of this.stackSets.values()) if (stackSet.autoDeployment) this.autoDeploy(stackSet);
    };
    this.deferred.after(this.autoDeployDelayMs, act);
  }

  private checkCaller(callAs: string, owner: string): void {
    const organization = this.services.organization;
    if (callAs === 'DELEGATED_ADMIN') {
      const admin = this.services.cloudFormationDelegatedAdminAccountId;
      if (owner !== admin || !organization.members.has(owner) || owner === organization.managementAccountId) {
        throw handlerError('Account used is not a delegated administrator');
      }
    } else if (callAs !== 'SELF') {
      throw handlerError(`CallAs ${callAs} must be one of SELF, DELEGATED_ADMIN`);
    } else if (owner !== organization.managementAccountId) {
      throw handlerError('You must be the management account or delegated admin account of an organization before operating a SERVICE_MANAGED stack set');
    }
  }

  private groupOf(group: Json): InstanceGroup {
    const targets = group?.DeploymentTargets ?? {};
    const organizationalUnitIds: string[] = targets.OrganizationalUnitIds ?? [];
    const filter = String(targets.AccountFilterType ?? 'NONE');
    const accounts: string[] = targets.Accounts ?? [];
    const regions: string[] = group?.Regions ?? [];
    if (organizationalUnitIds.length === 0) throw handlerError('OrganizationalUnitIds are required for a SERVICE_MANAGED stack set\'s DeploymentTargets');
    if (!FILTER_TYPES.includes(filter)) throw handlerError(`AccountFilterType ${filter} must be one of ${FILTER_TYPES.join(', ')}`);
    if (filter === 'NONE' && accounts.length > 0) throw handlerError('Accounts can be given only with an AccountFilterType of INTERSECTION, DIFFERENCE or UNION');
    if (regions.length === 0) throw handlerError('Regions must not be empty');
    for (const ou of organizationalUnitIds) {
      if (!this.services.organization.parentExists(ou)) throw handlerError(`OrganizationalUnitIds ${ou} not found in the organization`);
    }
    return { organizationalUnitIds, filter, accounts, regions };
  }

  /** The `account/region` keys the stack set targets now: active members under its OUs (`filtered`: by its account filters), never the management account. */
  private targetsOf(stackSet: StackSet, filtered: boolean): Set<string> {
    const organization = this.services.organization;
    const keys = new Set<string>();
    const members = [...organization.members].filter(id => id !== organization.managementAccountId && organization.status(id) === 'ACTIVE');
    for (const group of stackSet.groups) {
      const underOus = members.filter(id => {
        const ancestors = organization.ancestorsOf(id);
        return group.organizationalUnitIds.some(ou => ancestors.includes(ou));
      });
      const accounts = !filtered ? underOus : group.filter === 'INTERSECTION' ? underOus.filter(id => group.accounts.includes(id))
        : group.filter === 'DIFFERENCE' ? underOus.filter(id => !group.accounts.includes(id))
          : group.filter === 'UNION' ? [...new Set([...underOus, ...members.filter(id => group.accounts.includes(id))])]
            : underOus;
      for (const account of accounts) for (const region of group.regions) keys.add(`${account}/${region}`);
    }
    return keys;
  }

  /**
   * What automatic deployment does, filters aside: an instance for each account that came under the OUs
   * since it last looked; none for one that left them, left the organization or is no longer active.
   */
  private changesOf(stackSet: StackSet): { readonly now: Set<string>; readonly missing: string[]; readonly extra: string[] } {
    const now = this.targetsOf(stackSet, false);
    const organization = this.services.organization;
    const gone = (key: string) => {
      const accountId = key.split('/')[0];
      return (stackSet.underOus.has(key) && !now.has(key)) || !organization.members.has(accountId) || organization.status(accountId) !== 'ACTIVE';
    };
    return {
      now,
      missing: [...now].filter(key => !stackSet.underOus.has(key) && !stackSet.instances.has(key)),
      extra: [...stackSet.instances.keys()].filter(gone),
    };
  }

  private autoDeploy(stackSet: StackSet): void {
    const { now, missing, extra } = this.changesOf(stackSet);
    for (const key of extra) this.removeInstance(stackSet, key);
    for (const key of missing) this.createInstance(stackSet, key);
    stackSet.underOus = now;
  }

  private createInstance(stackSet: StackSet, key: string): void {
    const [accountId, region] = key.split('/');
    const stackName = `StackSet-${stackSet.name}-${randomUUID()}`;
    const deployed = new Map<string, Deployed>();
    const intrinsics = new Intrinsics({
      account: accountId,
      region,
      stackName,
      deployed,
      stackId: `arn:aws:cloudformation:${region}:${accountId}:stack/${stackName}/${randomUUID()}`,
    });
    let reason: string | undefined;
    try {
      for (const id of inDependencyOrder(stackSet.template)) {
        const definition = stackSet.template.Resources[id];
        if (!intrinsics.condition(stackSet.template, definition.Condition)) continue;
        const properties = intrinsics.resolve(definition.Properties ?? {}, stackSet.template) as Record<string, Json>;
        const physicalId = String(properties.RoleName ?? properties.Name ?? generatedName(stackName, id));
        const attributes: Record<string, string> = definition.Type === 'AWS::IAM::Role'
          ? { Ref: physicalId, Arn: `arn:aws:iam::${accountId}:role/${physicalId}`, RoleId: `AROA${id.toUpperCase()}` }
          : { Ref: physicalId, Arn: `arn:aws:local:${region}:${accountId}:${id}` };
        const resource: Deployed = { logicalId: id, type: definition.Type, definition, properties, physicalId, attributes };
        this.deployResource(accountId, resource);
        deployed.set(id, resource);
      }
    } catch (error) {
      // As a failed stack instance rolls its stack back, what it created is removed; the operation tolerates the failure.
      for (const resource of [...deployed.values()].reverse()) this.removeResource(accountId, resource);
      deployed.clear();
      reason = (error as Error).message;
    }
    stackSet.instances.set(key, { accountId, region, stackName, status: reason ? 'OUTDATED' : 'CURRENT', reason, resources: [...deployed.values()] });
  }

  private removeInstance(stackSet: StackSet, key: string): void {
    const instance = stackSet.instances.get(key);
    if (!instance) return;
    for (const resource of [...instance.resources].reverse()) this.removeResource(instance.accountId, resource);
    stackSet.instances.delete(key);
  }

  private deployResource(accountId: string, resource: Deployed): void {
    const props = resource.properties;
    if (resource.type === 'AWS::IAM::Role') {
      const policies: Record<string, PolicyDocument> = Object.fromEntries(((props.Policies ?? []) as Json[])
        .map(p => [String(p.PolicyName), p.PolicyDocument]));
      if (!props.AssumeRolePolicyDocument) throw new Error(`${resource.logicalId}: AssumeRolePolicyDocument is required`);
      if (this.services.iam.role(accountId, resource.physicalId)) throw new Error(`Resource handler returned message: "${resource.physicalId} already exists" (HandlerErrorCode: AlreadyExists)`);
      this.services.iam.putRole(accountId, resource.physicalId, props.AssumeRolePolicyDocument, policies);
    } else if (resource.type === 'AWS::Events::Rule' && props.EventPattern && props.State !== 'DISABLED') {
      if (props.EventBusName !== undefined && props.EventBusName !== 'default') throw new Error(`${resource.logicalId}: only the default bus exists locally`);
      this.services.eventBusOf(accountId).putRule(resource.physicalId, props.EventPattern, (props.Targets ?? []) as RuleTarget[]);
    }
  }

  private removeResource(accountId: string, resource: Deployed): void {
    if (resource.type === 'AWS::IAM::Role') this.services.iam.deleteRole(accountId, resource.physicalId);
    if (resource.type === 'AWS::Events::Rule') this.services.eventBusOf(accountId).removeRule(resource.physicalId);
  }
}

/** A name as CloudFormation generates it: the stack's and the logical id's, shortened to fit IAM's 64 characters, and a random suffix. */
function generatedName(stackName: string, logicalId: string): string {
  const suffix = randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase();
  const id = logicalId.slice(0, 24);
  return `${stackName.slice(0, 64 - id.length - suffix.length - 2)}-${id}-${suffix}`;
}

/** CloudFormation's answer when a resource handler refuses a request. */
function handlerError(message: string): Error {
  return new Error(`Resource handler returned message: "${message} (Service: CloudFormation, Status Code: 400)" (HandlerErrorCode: InvalidRequest)`);
}

/** The member template, from the TemplateBody (JSON only, as this library ships it), within CloudFormation's size limit. */
function parseTemplate(body: Json): Template {
  if (typeof body !== 'string') throw new Error('The local StackSets need a TemplateBody (a string); TemplateURL is not supported');
  if (Buffer.byteLength(body, 'utf8') > MAX_TEMPLATE_BODY_BYTES) {
    throw handlerError(`1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TEMPLATE_BODY_BYTES}`);
  }
  let template: Template;
  try {
    template = JSON.parse(body);
  } catch {
    throw handlerError('Template format error: JSON not well-formed.');
  }
  if (!template || typeof template.Resources !== 'object' || Object.keys(template.Resources).length === 0) {
    throw handlerError('Template format error: At least one Resources member must be defined.');
  }
  return template;
}

/** The template's resources, each after those it refers to. */
function inDependencyOrder(template: Template): string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (id: string) => {
    if (order.includes(id)) return;
    if (visiting.has(id)) throw new Error(`Template error: circular dependency at ${id}`);
    visiting.add(id);
    for (const dependency of dependencies(template.Resources[id], template)) visit(dependency);
    order.push(id);
  };
  Object.keys(template.Resources).forEach(visit);
  return order;
}
