/*
 * Integration app: the deploying account's contacts plus a member account's, and a member account's
 * opt-in Region, as a platform team would declare them. integ-runner checks its synthesized template against the committed snapshot.
 */
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccountName, AlternateContact, AlternateContactType, PrimaryContact, RegionOptIn } from '../src';

const app = new App();
const stack = new Stack(app, 'AccountSettingsInteg');

new AlternateContact(stack, 'Security', {
  type: AlternateContactType.SECURITY,
  name: 'Security Team',
  title: 'Security',
  emailAddress: 'security@example.com',
  phoneNumber: '+1 206-555-0100',
});
new AlternateContact(stack, 'MemberBilling', {
  accountId: '222222222222',
  type: AlternateContactType.BILLING,
  name: 'Finance',
  title: 'Accounts Payable',
  emailAddress: 'billing@example.com',
  phoneNumber: '+1 206-555-0101',
  removalPolicy: RemovalPolicy.RETAIN,
});
new PrimaryContact(stack, 'Primary', {
  fullName: 'Cloud Platform Team',
  companyName: 'Example Corp',
  addressLine1: '410 Terry Ave N',
  city: 'Seattle',
  stateOrRegion: 'WA',
  postalCode: '98109',
  countryCode: 'US',
  phoneNumber: '+1 206-555-0100',
});
new AccountName(stack, 'MemberName', { accountId: '222222222222', accountName: 'workload-prod' });
new RegionOptIn(stack, 'MemberCapeTown', { accountId: '222222222222', regionName: 'af-south-1' });

new IntegTest(app, 'AccountSettings', { testCases: [stack] });
