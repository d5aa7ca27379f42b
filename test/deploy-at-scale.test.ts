/*
 * A stack of 300 settings deployed at once, as CloudFormation starts them, under the reference's
 * quotas applied to the calling account (time runs faster for the handlers and the quotas alike).
 */
import { LocalCloudFormation, scaledQuotas } from '../local';
import { Local, stackOf, startLocal, stopLocal } from './support';
import { AccountName, AlternateContact, AlternateContactType, PrimaryContact } from '../src';

const TIME_SCALE = 10;
const ACCOUNTS = Array.from({ length: 60 }, (_, i) => String(200000000000 + i));
const TYPES = [AlternateContactType.BILLING, AlternateContactType.OPERATIONS, AlternateContactType.SECURITY];

jest.setTimeout(180_000);

let local: Local;

beforeAll(async () => {
  local = await startLocal({ memberAccountIds: ACCOUNTS, rateQuotas: scaledQuotas(TIME_SCALE) }, TIME_SCALE);
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
});

afterAll(async () => {
  await stopLocal(local);
});

test('300 settings of 60 accounts (3 alternate contacts, the primary contact and the name of each) all succeed at once', async () => {
  const stack = stackOf(s => {
    for (const accountId of ACCOUNTS) {
      for (const type of TYPES) {
        new AlternateContact(s, `${type}${accountId}`, { accountId, type, name: `${type} desk`, title: 'Desk', emailAddress: `${type.toLowerCase()}@example.com`, phoneNumber: '+1 206-555-0100' });
      }
      new PrimaryContact(s, `Primary${accountId}`, {
        accountId, fullName: 'Cloud Platform Team', addressLine1: '410 Terry Ave N', city: 'Seattle', stateOrRegion: 'WA', postalCode: '98109', countryCode: 'US', phoneNumber: '+1 206-555-0100',
      });
      new AccountName(s, `Name${accountId}`, { accountId, accountName: `workload-${accountId}` });
    }
  });

  const result = await new LocalCloudFormation(local.aws).deploy(stack);

  expect(result.failures).toEqual([]);
  expect(result.status).toBe('CREATE_COMPLETE');
  for (const accountId of ACCOUNTS) {
    const account = local.aws.account(accountId);
    expect([...account.alternateContacts.keys()].sort()).toEqual(TYPES);
    expect(account.contactInformation?.City).toBe('Seattle');
    expect(account.name).toBe(`workload-${accountId}`);
  }
  // The requests shared the quota by their schedule, from reads they make anyway: a stack being created
  // reads no stack events, and the stack's status once per request (a throttled put may read it again).
  expect(local.aws.callsOf('cloudformation:DescribeStackEvents')).toEqual([]);
  expect(local.aws.callsOf('cloudformation:DescribeStacks').length).toBeLessThanOrEqual(local.aws.lambda.invocations.length * 2);
  // Every account was written (each holds its three contacts, above); a put whose answer the handler did not get (a
  // loaded machine) is made again, and PutAlternateContact is idempotent, so a few contacts may be written twice.
  const written = local.aws.callsOf('PutAlternateContact').filter(c => c.status === 200);
  expect(new Set(written.map(c => c.target))).toEqual(new Set(ACCOUNTS));
  expect(written.length).toBeGreaterThanOrEqual(180);
});
