import type { Aws } from './aws';
import { ContactTypeName, MAX_BASELINE_PROPERTY_BYTES } from '../src/contract';

/*
 * `import`: what accounts hold now, written as TypeScript that declares it with the library's
 * constructs, so that a first deploy of it changes nothing. Per account (an AccountBaseline each), or
 * for an organization (one OrganizationBaseline: what every account shares in the baseline, the rest
 * in overrides, Regions only some accounts have as RegionOptIn constructs).
 */

const TYPES: ContactTypeName[] = ['BILLING', 'OPERATIONS', 'SECURITY'];
/** PutContactInformation's field names, and the construct's. */
const PRIMARY_PROPS: Record<string, string> = {
  FullName: 'fullName',
  CompanyName: 'companyName',
  AddressLine1: 'addressLine1',
  AddressLine2: 'addressLine2',
  AddressLine3: 'addressLine3',
  City: 'city',
  DistrictOrCounty: 'districtOrCounty',
  StateOrRegion: 'stateOrRegion',
  PostalCode: 'postalCode',
  CountryCode: 'countryCode',
  PhoneNumber: 'phoneNumber',
  WebsiteUrl: 'websiteUrl',
};
const CONTACT_PROPS: Record<string, string> = { Name: 'name', Title: 'title', EmailAddress: 'emailAddress', PhoneNumber: 'phoneNumber' };

/** What one account holds. */
export interface AccountSettings {
  readonly accountId: string;
  readonly contacts: Partial<Record<ContactTypeName, Record<string, string | undefined>>>;
  readonly primaryContact?: Record<string, string | undefined>;
  readonly accountName?: string;
  readonly enabledRegions: string[];
}

export interface ImportOptions {
  /** Read the account names too (GetAccountInformation, 1 per second). */
  readonly names: boolean;
}

/** Reads what each account holds; `tick` after each account. */
export async function readAccounts(aws: Aws, accountIds: string[], options: ImportOptions, tick?: () => void): Promise<AccountSettings[]> {
  return aws.each(accountIds, async accountId => {
    const contacts: AccountSettings['contacts'] = {};
    for (const type of TYPES) {
      const current = await aws.read(accountId, `${type} alternate contact`);
      if (current?.kind === 'contact') contacts[type] = { ...current.fields };
    }
    const primary = await aws.read(accountId, 'primary contact');
    const name = options.names ? await aws.read(accountId, 'account name') : undefined;
    return {
      accountId,
      contacts,
      primaryContact: primary?.kind === 'contact' ? { ...primary.fields } : undefined,
      accountName: name?.kind === 'name' ? name.name : undefined,
      enabledRegions: await aws.enabledOptInRegions(accountId),
    };
  }, tick);
}

/** The source of a stack with an AccountBaseline per account. */
export function accountsSource(accounts: AccountSettings[], env: Env): string {
  const constructs = accounts.map(account => {
    const props = [
      `accountId: ${str(account.accountId)},`,
      ...contactsProp(account.contacts),
      ...(account.primaryContact ? [`primaryContact: ${primaryLiteral(account.primaryContact)},`] : []),
      ...(account.accountName !== undefined ? [`accountName: ${str(account.accountName)},`] : []),
      ...(account.enabledRegions.length ? [`enabledRegions: [${account.enabledRegions.map(str).join(', ')}],`] : []),
    ];
    return `    new AccountBaseline(this, ${str(`Account${account.accountId}`)}, {\n${indent(props, 6)}\n    });`;
  });
  return source(['AccountBaseline'], constructs, env, `the settings of ${accounts.length} account(s)`);
}

/** Which accounts an organization import covers. */
export interface OrganizationScope {
  readonly organizationalUnitIds: string[];
}

/**
 * The source of a stack with one OrganizationBaseline over the accounts (and a RegionOptIn per Region
 * that only some have). Overrides too many for one baseline's properties go to further baselines over
 * their accounts, which the first one excludes.
 */
export function organizationSource(accounts: AccountSettings[], scope: OrganizationScope, env: Env): string {
  const baselineContacts: AccountSettings['contacts'] = {};
  for (const type of TYPES) {
    const shared = sharedValue(accounts.map(a => a.contacts[type]));
    if (shared) baselineContacts[type] = shared;
  }
  const primary = sharedValue(accounts.map(a => a.primaryContact));
  const regions = accounts.length ? accounts[0].enabledRegions.filter(r => accounts.every(a => a.enabledRegions.includes(r))) : [];

  const overrides = accounts.flatMap(account => {
    const contacts = Object.fromEntries(TYPES
      .filter(type => account.contacts[type] && !same(account.contacts[type], baselineContacts[type]))
      .map(type => [type, account.contacts[type]!]));
    const ownPrimary = account.primaryContact && !same(account.primaryContact, primary) ? account.primaryContact : undefined;
    const props = [
      ...contactsProp(contacts),
      ...(ownPrimary ? [`primaryContact: ${primaryLiteral(ownPrimary)},`] : []),
      ...(account.accountName !== undefined ? [`accountName: ${str(account.accountName)},`] : []),
    ];
    if (!props.length) return [];
    const document = { alternateContacts: contacts, primaryContact: ownPrimary, accountName: account.accountName };
    const bytes = JSON.stringify({ [account.accountId]: document }).length;
    return [{ accountId: account.accountId, source: `{\n${indent([`accountId: ${str(account.accountId)},`, ...props], 2)}\n},`, bytes }];
  });
  const shared = [
    ...contactsProp(baselineContacts),
    ...(primary ? [`primaryContact: ${primaryLiteral(primary)},`] : []),
    ...(regions.length ? [`enabledRegions: [${regions.map(str).join(', ')}],`] : []),
  ];
  const sharedBytes = JSON.stringify({ baselineContacts, primary, regions }).length;
  const groups = inGroups(overrides, MAX_BASELINE_PROPERTY_BYTES * 0.9 - sharedBytes - 20 * overrides.length);
  const overridesProp = (group: typeof overrides) => (group.length ? ['overrides: [', ...indent(group.map(o => o.source), 2).split('\n'), '],'] : []);
  const separate = groups.slice(1).flat().map(o => o.accountId);
  const targets = [
    scope.organizationalUnitIds.length ? `organizationalUnitIds: [${scope.organizationalUnitIds.map(str).join(', ')}],` : 'allAccounts: true,',
    ...(separate.length ? [`excludeAccountIds: [${separate.map(str).join(', ')}], // in the baselines below`] : []),
  ];
  const constructs = [`    new OrganizationBaseline(this, 'Baseline', {\n${indent([...targets, ...shared, ...overridesProp(groups[0] ?? [])], 6)}\n    });`];
  groups.slice(1).forEach((group, i) => {
    const props = [`accountIds: [${group.map(o => str(o.accountId)).join(', ')}],`, ...shared, ...overridesProp(group)];
    constructs.push(`    new OrganizationBaseline(this, 'Baseline${i + 2}', {\n${indent(props, 6)}\n    });`);
  });
  for (const account of accounts) {
    for (const region of account.enabledRegions.filter(r => !regions.includes(r))) {
      constructs.push(`    new RegionOptIn(this, ${str(`Region${account.accountId}${region.replace(/-/g, '')}`)}, { accountId: ${str(account.accountId)}, regionName: ${str(region)} });`);
    }
  }
  const used = constructs.some(c => c.includes('new RegionOptIn')) ? ['OrganizationBaseline', 'RegionOptIn'] : ['OrganizationBaseline'];
  return source(used, constructs, env, `the settings of ${accounts.length} account(s) of the organization`);
}

/** Consecutive groups whose bytes stay within `budget` each (one item at least per group). */
function inGroups<T extends { bytes: number }>(items: T[], budget: number): T[][] {
  const groups: T[][] = [];
  let size = Infinity;
  for (const item of items) {
    if (size + item.bytes > budget) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1].push(item);
    size += item.bytes;
  }
  return groups;
}

/** The stack's environment: the account and Region it deploys from. */
export interface Env {
  readonly account: string;
  readonly region: string;
}

function source(imports: string[], constructs: string[], env: Env, what: string): string {
  return `// Generated by \`cdk-account-management import\` on ${new Date().toISOString().slice(0, 10)}: ${what} as they were then.
// Deployed as it is, it changes nothing in those accounts; edit it to change them.
import { App, Stack, StackProps } from 'aws-cdk-lib';
import { ${imports.join(', ')} } from 'cdk-account-management';
import { Construct } from 'constructs';

export class ImportedAccountSettings extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

${constructs.join('\n')}
  }
}

if (require.main === module) {
  const app = new App();
  new ImportedAccountSettings(app, 'ImportedAccountSettings', { env: { account: ${str(env.account)}, region: ${str(env.region)} } });
}
`;
}

/** The value every account holds, or, if every account holds one, the most common (the others override it). */
function sharedValue<T extends Record<string, string | undefined>>(values: Array<T | undefined>): T | undefined {
  if (values.length === 0 || values.some(v => v === undefined)) return undefined;
  const counts = new Map<string, { value: T; count: number }>();
  for (const value of values as T[]) {
    const key = JSON.stringify(normalized(value));
    counts.set(key, { value, count: (counts.get(key)?.count ?? 0) + 1 });
  }
  return [...counts.values()].sort((a, b) => b.count - a.count)[0].value;
}

function normalized(value: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v).sort(([a], [b]) => a.localeCompare(b))) as Record<string, string>;
}

function same(a: Record<string, string | undefined> | undefined, b: Record<string, string | undefined> | undefined): boolean {
  return a !== undefined && b !== undefined && JSON.stringify(normalized(a)) === JSON.stringify(normalized(b));
}

function contactsProp(contacts: AccountSettings['contacts']): string[] {
  const entries = TYPES.filter(type => contacts[type]).map(type => `${type.toLowerCase()}: ${literal(contacts[type]!, CONTACT_PROPS)},`);
  return entries.length ? ['alternateContacts: {', ...entries.map(e => `  ${e}`), '},'] : [];
}

function primaryLiteral(fields: Record<string, string | undefined>): string {
  return literal(fields, PRIMARY_PROPS);
}

/** `{ prop: 'value', … }` of the fields that have a value, named as the construct names them. */
function literal(fields: Record<string, string | undefined>, names: Record<string, string>): string {
  return `{ ${Object.entries(names).filter(([field]) => fields[field]).map(([field, prop]) => `${prop}: ${str(fields[field]!)}`).join(', ')} }`;
}

function str(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, '\\\'').replace(/\n/g, '\\n')}'`;
}

function indent(lines: string[], spaces: number): string {
  const pad = ' '.repeat(spaces);
  return lines.join('\n').split('\n').map(line => `${pad}${line}`).join('\n');
}
