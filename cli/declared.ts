import type {
  AlternateContactFields, BaselineDocument, ContactTypeName, OrganizationBaselineProperties, PrimaryContactFields, TargetSpec,
} from '../src/contract';
import { RESOURCE_TYPES } from '../src/contract';

/*
 * What a CloudFormation template declares with this library's constructs, read from their custom
 * resources' properties (the contract the handlers read, src/contract.ts): the settings of one account
 * each, and the organization baselines, whose accounts are known only once their targets are resolved.
 */

/** One setting of one account, named as the plan prints it. */
export type SettingKey = `${ContactTypeName} alternate contact` | 'primary contact' | 'account name' | `Region ${string}`;

/** What a setting holds: the fields of a contact, a name, or whether a Region is enabled. */
export type SettingValue =
  | { readonly kind: 'contact'; readonly fields: Readonly<Record<string, string | undefined>> }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'region'; readonly enabled: boolean };

/** What removing the construct does to the setting. */
export type OnRemove = 'delete' | 'disable' | 'keep';

export interface DeclaredSetting {
  /** The construct's resource: `<stack>/<logical id>`. */
  readonly resource: string;
  /** The construct's path in the app (from the template's aws:cdk:path metadata), else its resource. */
  readonly construct: string;
  /** The account, or undefined for the account the stack deploys to. */
  readonly accountId?: string;
  readonly key: SettingKey;
  readonly value: SettingValue;
  readonly onRemove: OnRemove;
}

export interface DeclaredBaseline {
  readonly resource: string;
  readonly construct: string;
  readonly targets: TargetSpec;
  readonly baseline: BaselineDocument;
  readonly prune: boolean;
  readonly removeOnDelete: boolean;
}

export interface Declarations {
  readonly settings: DeclaredSetting[];
  readonly baselines: DeclaredBaseline[];
}

/** A template's resources, as far as this module reads them. */
export interface Template {
  readonly Resources?: Record<string, {
    readonly Type: string;
    readonly Properties?: Record<string, unknown>;
    readonly DeletionPolicy?: string;
    readonly Metadata?: Record<string, unknown>;
  }>;
}

const CONTACT_FIELDS: Array<keyof AlternateContactFields> = ['Name', 'Title', 'EmailAddress', 'PhoneNumber'];
export const PRIMARY_FIELDS: Array<keyof PrimaryContactFields> = [
  'FullName', 'AddressLine1', 'AddressLine2', 'AddressLine3', 'City', 'CompanyName', 'CountryCode', 'DistrictOrCounty',
  'PhoneNumber', 'PostalCode', 'StateOrRegion', 'WebsiteUrl',
];

/** The settings and baselines that `template` (of stack `stack`) declares. */
export function declarationsOf(stack: string, template: Template): Declarations {
  const settings: DeclaredSetting[] = [];
  const baselines: DeclaredBaseline[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const at = `${stack}/${logicalId}`;
    const path = resource.Metadata?.['aws:cdk:path'];
    // A construct's custom resource is its descendant named Resource/Default: the path people wrote is that construct's.
    const construct = typeof path === 'string' ? path.replace(/(\/(Resource|Default))+$/, '') : at;
    const properties = resource.Properties ?? {};
    const text = (name: string) => literal(at, properties, name);
    const accountId = properties.AccountId === undefined ? undefined : text('AccountId');
    const retained = resource.DeletionPolicy === 'Retain' || resource.DeletionPolicy === 'RetainExceptOnCreate';
    switch (resource.Type) {
      case RESOURCE_TYPES.alternateContact:
        settings.push({
          resource: at,
          construct,
          accountId,
          key: `${text('AlternateContactType') as ContactTypeName} alternate contact`,
          value: { kind: 'contact', fields: fieldsOf(at, properties, CONTACT_FIELDS) },
          onRemove: retained ? 'keep' : 'delete',
        });
        break;
      case RESOURCE_TYPES.primaryContact:
        settings.push({ resource: at, construct, accountId, key: 'primary contact', value: { kind: 'contact', fields: fieldsOf(at, properties, PRIMARY_FIELDS) }, onRemove: 'keep' });
        break;
      case RESOURCE_TYPES.accountName:
        settings.push({ resource: at, construct, accountId, key: 'account name', value: { kind: 'name', name: text('AccountName') }, onRemove: 'keep' });
        break;
      case RESOURCE_TYPES.regionOptIn:
        settings.push({
          resource: at,
          construct,
          accountId,
          key: `Region ${text('RegionName')}`,
          value: { kind: 'region', enabled: text('Enabled') === 'true' },
          onRemove: retained ? 'keep' : 'disable',
        });
        break;
      case RESOURCE_TYPES.organizationBaseline: {
        const read = (name: keyof OrganizationBaselineProperties) => text(name);
        baselines.push({
          resource: at,
          construct,
          targets: JSON.parse(read('Targets')) as TargetSpec,
          baseline: JSON.parse(read('Baseline')) as BaselineDocument,
          prune: read('PruneUndeclared') === 'true',
          removeOnDelete: read('RemoveOnDelete') === 'true',
        });
        break;
      }
    }
  }
  return { settings, baselines };
}

/** A primary contact with every field (the reconciler writes them all: one left out is cleared). */
function everyField(primary: PrimaryContactFields): Record<string, string | undefined> {
  return Object.fromEntries(PRIMARY_FIELDS.map(field => [field, primary[field]]));
}

function fieldsOf(at: string, properties: Record<string, unknown>, names: string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map(name => [name, properties[name] === undefined ? undefined : literal(at, properties, name)]));
}

/** A property as a string; a value CloudFormation resolves only at deploy time cannot be planned. */
function literal(at: string, properties: Record<string, unknown>, name: string): string {
  const value = properties[name];
  if (typeof value === 'string') return value;
  throw new Error(`${at}: property ${name} is ${value === undefined ? 'missing' : `${JSON.stringify(value)}, known only at deploy time`}; `
    + 'declare the setting with plain values to plan it');
}

/** The settings an organization baseline declares for one of its accounts. */
export function baselineSettings(baseline: DeclaredBaseline, accountId: string): DeclaredSetting[] {
  const override = baseline.baseline.overrides[accountId] ?? {};
  const contacts = { ...baseline.baseline.alternateContacts, ...override.alternateContacts };
  const primary = override.primaryContact ?? baseline.baseline.primaryContact;
  const common = { resource: baseline.resource, construct: baseline.construct, accountId };
  return [
    ...Object.entries(contacts).map(([type, fields]): DeclaredSetting => ({
      ...common,
      key: `${type as ContactTypeName} alternate contact`,
      value: { kind: 'contact', fields: { ...fields } },
      onRemove: baseline.removeOnDelete ? 'delete' : 'keep',
    })),
    ...(primary ? [{ ...common, key: 'primary contact', value: { kind: 'contact', fields: everyField(primary) }, onRemove: 'keep' } satisfies DeclaredSetting] : []),
    ...(override.accountName !== undefined
      ? [{ ...common, key: 'account name', value: { kind: 'name', name: override.accountName }, onRemove: 'keep' } satisfies DeclaredSetting]
      : []),
    ...baseline.baseline.enabledRegions.map((region): DeclaredSetting => ({
      ...common, key: `Region ${region}`, value: { kind: 'region', enabled: true }, onRemove: 'keep',
    })),
  ];
}
