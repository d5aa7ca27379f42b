/*
 * The metrics a single setting's put publishes (one per put, by kind of setting), read from the settings
 * handler's log lines in a local deploy: one contact written, one account name denied.
 */
import { captureConsole, Local, MANAGEMENT, stackOf, startLocal, stopLocal } from './support';
import { LocalCloudFormation } from '../local';
import { AccountName, AlternateContact, AlternateContactType } from '../src';
import { METRICS } from '../src/contract';

const MEMBER_A = '222222222222';
const MEMBER_B = '333333333333';

jest.setTimeout(60_000);

let local: Local;

beforeAll(async () => {
  local = await startLocal({ memberAccountIds: [MEMBER_A, MEMBER_B] }, 50);
  local.aws.callerAccountId = MANAGEMENT;
  local.aws.trustedAccess = true;
});

afterAll(async () => {
  await stopLocal(local);
});

const CONTACT = { type: AlternateContactType.SECURITY, name: 'Metrics Team', title: 'Duty', emailAddress: 'metrics-team@example.com', phoneNumber: '+1 206-555-0111' };

test('each put publishes SettingsWritten or SettingsFailed for its kind of setting, and no value', async () => {
  local.aws.injectFault({ operation: 'PutAccountName', status: 403, errorType: 'AccessDeniedException', count: 100 });
  const stack = stackOf(s => {
    new AlternateContact(s, 'Security', { ...CONTACT, accountId: MEMBER_A });
    new AccountName(s, 'Name', { accountId: MEMBER_B, accountName: 'metrics-name' });
  });

  const { output, error } = await captureConsole(() => new LocalCloudFormation(local.aws).deploy(stack));
  expect(error).toBeUndefined();

  const lines = output.split('\n').filter(line => line.includes('"_aws"'));
  const published = lines.map(line => JSON.parse(line)).map(document => {
    const [directive] = document._aws.CloudWatchMetrics;
    expect(directive).toMatchObject({ Namespace: METRICS.namespace, Dimensions: [[METRICS.dimensions.setting]] });
    const metrics = Object.fromEntries(directive.Metrics.map((m: { Name: string }) => [m.Name, document[m.Name]]));
    return { setting: document[METRICS.dimensions.setting], metrics };
  });
  expect(published).toEqual(expect.arrayContaining([
    { setting: 'SECURITY alternate contact', metrics: { [METRICS.settings.written]: 1 } },
    { setting: 'account name', metrics: { [METRICS.settings.failed]: 1 } },
  ]));
  expect(published.filter(p => p.metrics[METRICS.settings.failed] === 1)).toHaveLength(1);
  for (const line of lines) for (const value of [...Object.values(CONTACT), 'metrics-name']) expect(line).not.toContain(`"${value}"`);
});
