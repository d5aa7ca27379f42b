/*
 * The main job: a realistic org baseline, synthesized. The deploying (management) account's contacts
 * and primary contact, plus three member accounts' alternate contacts and names, declared in one stack.
 * Prints what the stack declares (never the contact values) and what it costs in resources.
 *
 *   npx projen example
 */
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import {
  AccountName,
  AlternateContact,
  AlternateContactProps,
  AlternateContactType,
  PrimaryContact,
} from '../src';

const CONTACTS: Record<AlternateContactType, Omit<AlternateContactProps, 'type' | 'accountId'>> = {
  [AlternateContactType.BILLING]: { name: 'Finance Operations', title: 'Accounts Payable', emailAddress: 'aws-billing@example.com', phoneNumber: '+1 206-555-0101' },
  [AlternateContactType.OPERATIONS]: { name: 'Cloud Platform On-Call', title: 'Platform Operations', emailAddress: 'aws-ops@example.com', phoneNumber: '+1 206-555-0102' },
  [AlternateContactType.SECURITY]: { name: 'Security Operations Center', title: 'SOC', emailAddress: 'aws-security@example.com', phoneNumber: '+1 206-555-0103' },
};

const MEMBERS = [
  { accountId: '222222222222', name: 'workload-prod' },
  { accountId: '333333333333', name: 'workload-staging' },
  // A per-account override: the data platform has its own security contact.
  { accountId: '444444444444', name: 'data-platform', security: { name: 'Data Security', title: 'Data Protection Officer', emailAddress: 'data-security@example.com', phoneNumber: '+44 20 7946 0000' } },
];

const app = new App({ outdir: path.join(__dirname, 'cdk.out') });
const stack = new Stack(app, 'OrgBaseline', { env: { account: '111111111111', region: 'us-east-1' } });

// The deploying account: its three alternate contacts and its primary contact (standalone mode).
for (const type of Object.values(AlternateContactType)) {
  new AlternateContact(stack, `Management${type}`, { type, ...CONTACTS[type] });
}
new PrimaryContact(stack, 'ManagementPrimaryContact', {
  fullName: 'Cloud Platform Team',
  companyName: 'Example Corp',
  addressLine1: '410 Terry Ave N',
  city: 'Seattle',
  stateOrRegion: 'WA',
  postalCode: '98109',
  countryCode: 'US',
  phoneNumber: '+1 206-555-0100',
  websiteUrl: 'https://example.com',
});

// Member accounts (organizations mode).
for (const member of MEMBERS) {
  for (const type of Object.values(AlternateContactType)) {
    const contact = type === AlternateContactType.SECURITY && member.security ? member.security : CONTACTS[type];
    new AlternateContact(stack, `${member.name}-${type}`, { accountId: member.accountId, type, ...contact });
  }
  new AccountName(stack, `${member.name}-name`, { accountId: member.accountId, accountName: member.name });
}

const assembly = app.synth();
const template = assembly.getStackByName(stack.stackName).template;
const resources = Object.entries<{ Type: string; Properties: Record<string, any> }>(template.Resources);

const rows = resources
  .filter(([, r]) => r.Type.startsWith('Custom::'))
  .map(([logicalId, r]) => ({
    account: r.Properties.AccountId ?? '(deploying account)',
    setting: r.Properties.Setting + (r.Properties.AlternateContactType ? ` ${r.Properties.AlternateContactType}` : ''),
    resource: `${r.Type} ${logicalId}`,
  }))
  .sort((a, b) => a.account.localeCompare(b.account) || a.setting.localeCompare(b.setting));

const width = (key: keyof typeof rows[number]) => Math.max(key.length, ...rows.map(r => r[key].length));
const line = (r: typeof rows[number]) => `${r.account.padEnd(width('account'))}  ${r.setting.padEnd(width('setting'))}  ${r.resource}`;
console.log(`Stack ${stack.stackName} declares ${rows.length} settings:\n`);
console.log(line({ account: 'account', setting: 'setting', resource: 'resource' }));
rows.forEach(r => console.log(line(r)));

const count = (type: string) => resources.filter(([, r]) => r.Type === type).length;
const statements = resources
  .filter(([, r]) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
  .reduce((n, [, r]) => n + r.Properties.PolicyDocument.Statement.length, 0);
console.log(`\n${resources.length} resources in all: ${count('AWS::Lambda::Function')} Lambda functions, ${count('AWS::IAM::Role')} IAM roles, `
  + `${statements} IAM policy statements.`);
console.log(`Template written to ${path.relative(process.cwd(), assembly.directory)}/${stack.templateFile}`);
