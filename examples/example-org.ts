/*
 * The example organization and the stack that declares its settings: the app both `npx projen example`
 * (synthesize it) and `npx projen demo` (deploy it locally) use.
 *
 * - The management account (the one that deploys): its three alternate contacts and its primary
 *   contact (standalone mode).
 * - workload-prod and workload-staging: their names, and Cape Town enabled in prod (organizations mode).
 * - The Workloads OU (three accounts, one nested in the Data OU): an OrganizationBaseline with the
 *   security and billing contacts and the company's primary contact, and the data platform's own
 *   security contact as an override.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import {
  AccountName,
  AlternateContact,
  AlternateContactType,
  DeployWaitsFor,
  OrganizationBaseline,
  PrimaryContact,
  PrimaryContactDetails,
  RegionOptIn,
} from '../src';

export const MANAGEMENT = '111111111111';
export const PROD = '222222222222';
export const STAGING = '333333333333';
export const WORKLOADS_OU = 'ou-root-workloads';
export const DATA_OU = 'ou-root-dataplatf';
/** The Workloads OU's accounts: two directly in it, one in its nested Data OU. */
export const WORKLOAD_ACCOUNTS = ['444444444444', '555555555555'];
export const DATA_PLATFORM = '666666666666';

export const CONTACTS = {
  billing: { name: 'Finance Operations', title: 'Accounts Payable', emailAddress: 'aws-billing@example.com', phoneNumber: '+1 206-555-0101' },
  operations: { name: 'Cloud Platform On-Call', title: 'Platform Operations', emailAddress: 'aws-ops@example.com', phoneNumber: '+1 206-555-0102' },
  security: { name: 'Security Operations Center', title: 'SOC', emailAddress: 'aws-security@example.com', phoneNumber: '+1 206-555-0103' },
};

export const COMPANY: PrimaryContactDetails = {
  fullName: 'Cloud Platform Team',
  companyName: 'Example Corp',
  addressLine1: '410 Terry Ave N',
  city: 'Seattle',
  stateOrRegion: 'WA',
  postalCode: '98109',
  countryCode: 'US',
  phoneNumber: '+1 206-555-0100',
  websiteUrl: 'https://example.com',
};

export interface ExampleOptions {
  /** Leave out the management account's operations contact (to show what removing a construct does). */
  readonly withoutOperationsContact?: boolean;
  /** How often the Region's deploy checks the transition. @default 30 seconds */
  readonly regionPollInterval?: Duration;
}

/** The example stack, in a new app. */
export function exampleStack(options: ExampleOptions = {}, app = new App()): Stack {
  const stack = new Stack(app, 'OrgBaseline', { env: { account: MANAGEMENT, region: 'us-east-1' } });

  // The deploying account (standalone mode).
  for (const [key, type] of [['billing', AlternateContactType.BILLING], ['operations', AlternateContactType.OPERATIONS], ['security', AlternateContactType.SECURITY]] as const) {
    if (key === 'operations' && options.withoutOperationsContact) continue;
    new AlternateContact(stack, `Management${type}`, { type, ...CONTACTS[key] });
  }
  new PrimaryContact(stack, 'ManagementPrimaryContact', COMPANY);

  // Two member accounts, one setting at a time (organizations mode).
  new AccountName(stack, 'ProdName', { accountId: PROD, accountName: 'workload-prod' });
  new AccountName(stack, 'StagingName', { accountId: STAGING, accountName: 'workload-staging' });
  new RegionOptIn(stack, 'ProdCapeTown', { accountId: PROD, regionName: 'af-south-1', pollInterval: options.regionPollInterval });

  // Every account of the Workloads OU, nested OUs included.
  new OrganizationBaseline(stack, 'Workloads', {
    organizationalUnitIds: [WORKLOADS_OU],
    alternateContacts: { security: CONTACTS.security, billing: CONTACTS.billing },
    primaryContact: COMPANY,
    overrides: [{
      accountId: DATA_PLATFORM,
      accountName: 'data-platform',
      alternateContacts: {
        security: { name: 'Data Security', title: 'Data Protection Officer', emailAddress: 'data-security@example.com', phoneNumber: '+44 20 7946 0000' },
      },
    }],
    deployWaitsFor: DeployWaitsFor.CONTACTS,
  });
  return stack;
}
