import type { Invocation } from './clients';
import { paginateListStackResources } from './cloudformation';
import { describe, ServiceError } from './errors';
import { isTargeted, resolveTargets, TargetSpec } from './organizations';
import type { Answer } from './stack';
import { BaselineDocument, RESOURCE_TYPES } from '../../src/contract';

/*
 * What the other resources of a stack declare, read from its template: a Delete (or a baseline's removal
 * or prune) asks it before removing a setting, so that a setting that moves from one construct to another
 * of the same stack (a contact into an OrganizationBaseline, a baseline split in two) is never removed
 * by the resource it left. Each answer may be "cannot tell"; callers then leave the setting in place.
 */

/** A setting another resource may declare: an alternate contact type, or an enabled Region. */
export type Declared =
  | { readonly accountId: string; readonly contactType: string }
  | { readonly accountId: string; readonly regionName: string };

/** The resource asking: left out of the declarations it reads (its own are what it removes). */
export interface Asker {
  readonly LogicalResourceId: string;
  /** Left out only while it has this physical id: the same logical id with a new one declares its new target. */
  readonly PhysicalResourceId?: string;
}

/** A template value the handler can read, or `unknown` for one that CloudFormation resolves (a token). */
const UNKNOWN = Symbol('unknown');
type Value<T> = T | undefined | typeof UNKNOWN;

type Declaration =
  | { readonly kind: 'contact'; readonly logicalId: string; readonly accountId: Value<string>; readonly type: Value<string> }
  | { readonly kind: 'region'; readonly logicalId: string; readonly accountId: Value<string>; readonly regionName: Value<string> }
  | { readonly kind: 'baseline'; readonly logicalId: string; readonly targets: Value<TargetSpec>; readonly baseline: Value<BaselineDocument> };

/** Where a baseline's targets stand: explicit lists are read from the template, OUs and allAccounts from AWS Organizations. */
interface Targeting {
  resolved?: Promise<Set<string>>;
  readonly checked: Map<string, Promise<boolean>>;
}

export class StackDeclarations {
  /**
   * Reads the template and which of its resources live (one being deleted, or whose create failed,
   * declares nothing; while the stack itself is deleted, nothing does). `resolveTargets` lists each
   * baseline's accounts once (for a caller that asks about many accounts) instead of asking per account.
   */
  public static async read(
    invocation: Invocation, stackId: string, asker: Asker, options: { resolveTargets?: boolean } = {},
  ): Promise<Answer<StackDeclarations>> {
    const cloudFormation = invocation.cloudFormation();
    let operation = 'DescribeStacks';
    try {
      const stacks = await cloudFormation.describeStacks({ StackName: stackId });
      const status = stacks.Stacks?.[0]?.StackStatus ?? '';
      if (status.startsWith('DELETE_')) return { known: true, value: new StackDeclarations(invocation, stackId, [], false) };
      operation = 'ListStackResources';
      // A resource of the template not listed yet is about to be created: it declares what it will write.
      const listed = new Map<string, { status: string; physicalId: string }>();
      for await (const page of paginateListStackResources(cloudFormation, { StackName: stackId })) {
        for (const resource of page.StackResourceSummaries ?? []) {
          listed.set(resource.LogicalResourceId ?? '', { status: resource.ResourceStatus ?? '', physicalId: resource.PhysicalResourceId ?? '' });
        }
      }
      const dead = (logicalId: string) => {
        const state = listed.get(logicalId)?.status ?? '';
        return state.startsWith('DELETE_') || state === 'CREATE_FAILED';
      };
      const isAsker = (logicalId: string) => logicalId === asker.LogicalResourceId
        && (asker.PhysicalResourceId === undefined || listed.get(logicalId)?.physicalId === asker.PhysicalResourceId);
      operation = 'GetTemplate';
      const template = await cloudFormation.getTemplate({ StackName: stackId });
      const resources = (JSON.parse(template.TemplateBody ?? '{}') as Template).Resources ?? {};
      const declarations = Object.entries(resources)
        .filter(([logicalId]) => !dead(logicalId) && !isAsker(logicalId))
        .map(([logicalId, resource]) => declarationOf(logicalId, resource))
        .filter((d): d is Declaration => d !== undefined);
      return { known: true, value: new StackDeclarations(invocation, stackId, declarations, options.resolveTargets ?? false) };
    } catch (error) {
      return { known: false, why: `cloudformation:${operation} failed: ${describe((error ?? {}) as ServiceError)}` };
    }
  }

  private readonly targeting = new Map<string, Targeting>();
  /** The account a setting without AccountId belongs to: the stack's. */
  private readonly stackAccount: string;

  private constructor(
    private readonly invocation: Invocation, stackId: string, private readonly declarations: Declaration[], private readonly resolveAll: boolean,
  ) {
    this.stackAccount = stackId.split(':')[4] ?? '';
  }

  /** The logical id of a resource that declares the setting, undefined when none does. */
  public async declarer(setting: Declared): Promise<Answer<string | undefined>> {
    const contact = 'contactType' in setting;
    for (const declaration of this.declarations) {
      try {
        if (await this.declares(declaration, setting, contact)) return { known: true, value: declaration.logicalId };
      } catch (error) {
        return { known: false, why: `cannot tell whether ${declaration.logicalId} declares it: ${(error as Error).message}` };
      }
    }
    return { known: true, value: undefined };
  }

  private async declares(declaration: Declaration, setting: Declared, contact: boolean): Promise<boolean> {
    const matches = <T>(value: Value<T>, wanted: T) => value === UNKNOWN || value === wanted;
    switch (declaration.kind) {
      case 'contact':
        return contact && matches(declaration.accountId ?? this.stackAccount, setting.accountId)
          && matches(declaration.type, (setting as { contactType: string }).contactType);
      case 'region':
        return !contact && matches(declaration.accountId ?? this.stackAccount, setting.accountId)
          && matches(declaration.regionName, (setting as { regionName: string }).regionName);
      case 'baseline': {
        const { targets, baseline } = declaration;
        if (baseline !== UNKNOWN && baseline !== undefined) {
          const contacts = { ...baseline.alternateContacts, ...baseline.overrides[setting.accountId]?.alternateContacts };
          const declared = contact
            ? (setting as { contactType: string }).contactType in contacts
            : baseline.enabledRegions.includes((setting as { regionName: string }).regionName);
          if (!declared) return false;
        }
        if (targets === UNKNOWN || targets === undefined) return true;
        return this.targets(declaration.logicalId, targets, setting.accountId);
      }
    }
  }

  private async targets(logicalId: string, spec: TargetSpec, accountId: string): Promise<boolean> {
    if ((spec.excludeAccountIds ?? []).includes(accountId)) return false;
    if ((spec.accountIds ?? []).includes(accountId)) return true;
    if (!spec.allAccounts && (spec.organizationalUnitIds ?? []).length === 0) return false;
    let targeting = this.targeting.get(logicalId);
    if (!targeting) {
      targeting = { checked: new Map() };
      this.targeting.set(logicalId, targeting);
    }
    if (this.resolveAll) {
      targeting.resolved ??= resolveTargets(this.invocation.organizations(Infinity), spec).then(ids => new Set(ids));
      return (await targeting.resolved).has(accountId);
    }
    let checked = targeting.checked.get(accountId);
    if (!checked) {
      checked = isTargeted(this.invocation.organizations(), spec, accountId);
      targeting.checked.set(accountId, checked);
    }
    return checked;
  }
}

interface Template {
  readonly Resources?: Record<string, { readonly Type?: string; readonly Properties?: Record<string, unknown> }>;
}

function declarationOf(logicalId: string, resource: { Type?: string; Properties?: Record<string, unknown> }): Declaration | undefined {
  const properties = resource.Properties ?? {};
  switch (resource.Type) {
    case RESOURCE_TYPES.alternateContact:
      return { kind: 'contact', logicalId, accountId: text(properties.AccountId), type: text(properties.AlternateContactType) };
    case RESOURCE_TYPES.regionOptIn:
      // A Region declared disabled is not one that another resource's removal would take away.
      if (properties.Enabled === 'false') return undefined;
      return { kind: 'region', logicalId, accountId: text(properties.AccountId), regionName: text(properties.RegionName) };
    case RESOURCE_TYPES.organizationBaseline:
      return { kind: 'baseline', logicalId, targets: json<TargetSpec>(properties.Targets), baseline: json<BaselineDocument>(properties.Baseline) };
    default:
      return undefined;
  }
}

function text(value: unknown): Value<string> {
  if (value === undefined || value === '') return undefined;
  return typeof value === 'string' ? value : UNKNOWN;
}

function json<T>(value: unknown): Value<T> {
  if (typeof value !== 'string') return UNKNOWN;
  try {
    return JSON.parse(value) as T;
  } catch {
    return UNKNOWN;
  }
}
