/*
 * `plan` says when the events that undo hand changes cannot arrive (issue 16): the trails of the deploying
 * account read through the local CloudTrail API, for stacks synthesized from the constructs.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { BILLING, SECURITY } from './fixtures';
import { Local, MANAGEMENT, runCli, startLocal, stopLocal } from './support';
import { LocalTrail } from '../local';
import { AccountSettingsProvider, AlternateContact, AlternateContactType, OrganizationBaseline } from '../src';

jest.setTimeout(120_000);

const MEMBERS = ['500000000001', '500000000002'];
const OU = 'ou-root-trails01';
const TRAIL_ARN = (name: string, region = 'us-east-1') => `arn:aws:cloudtrail:${region}:${MANAGEMENT}:trail/${name}`;
const NO_TRAIL = `Hand changes will not be undone (stack Settings): no trail in account ${MANAGEMENT} logs management write events in us-east-1`;
const NO_ORGANIZATION_TRAIL = 'Hand changes inside member accounts will not be undone (Members/Baseline, memberFootprint): '
  + `no organization trail (as account ${MANAGEMENT} sees them) logs management write events in us-east-1`;

let local: Local;
let workDir: string;

beforeAll(async () => {
  local = await startLocal({ memberAccountIds: MEMBERS });
  local.aws.addOrganizationalUnit(OU);
  for (const id of MEMBERS) local.aws.moveAccount(id, OU);
  workDir = fs.mkdtempSync(path.join(__dirname, 'cli-trails.out.'));
});

afterAll(async () => {
  await stopLocal(local);
  fs.rmSync(workDir, { recursive: true, force: true });
});

beforeEach(() => {
  local.aws.cloudTrail.logging = false;
  local.aws.cloudTrailApi.trails = undefined;
  local.aws.clearFaults();
  local.aws.clearCalls();
});

/** A stack of a new app, synthesized (with the path metadata `cdk synth` writes): its cloud assembly's directory. */
function synth(name: string, build: (stack: Stack) => void): string {
  const app = new App({ outdir: fs.mkdtempSync(path.join(workDir, 'cdk.out.')), context: { 'aws:cdk:enable-path-metadata': true } });
  build(new Stack(app, name, { env: { account: MANAGEMENT, region: 'us-east-1' } }));
  return app.synth().directory;
}

/** A single contact whose hand changes are undone. */
function settings(restoreHandChanges = true): string {
  return synth('Settings', stack => {
    AccountSettingsProvider.getOrCreate(stack, { restoreHandChanges });
    new AlternateContact(stack, 'SecurityOfA', { accountId: MEMBERS[0], type: AlternateContactType.SECURITY, ...SECURITY });
  });
}

/** A baseline over the OU that undoes hand changes, with a member footprint. */
function members(): string {
  return synth('Members', stack => {
    new OrganizationBaseline(stack, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { billing: BILLING }, restoreHandChanges: true, memberFootprint: {} });
  });
}

async function plan(dir: string): Promise<{ code: number; out: string; lines: string[] }> {
  const text = await runCli('plan', '--app', dir);
  const json = await runCli('plan', '--app', dir, '--json');
  const lines: string[] = JSON.parse(json.out).handChanges;
  // The text prints each line after the table, as JSON lists it.
  for (const line of lines) expect(text.out).toContain(`\n${line}\n`);
  expect(text.code).toBe(json.code);
  return { code: text.code, out: text.out, lines };
}

function trails(...list: LocalTrail[]): void {
  local.aws.cloudTrailApi.trails = list;
}

test('no trail: one line says hand changes will not be undone and how to create a trail; the plan\'s outcome is unchanged', async () => {
  const { code, lines } = await plan(settings());

  expect(code).toBe(2);
  expect(lines).toEqual([`${NO_TRAIL}. Create one: aws cloudtrail create-trail --name … --s3-bucket-name … --is-multi-region-trail --region us-east-1, `
    + 'then aws cloudtrail start-logging --name …']);
  expect(local.aws.callsOf('cloudtrail:DescribeTrails')).toHaveLength(2);
});

test('a trail that logs management events in every Region: nothing is said', async () => {
  local.aws.cloudTrail.logging = true;

  const { out, lines } = await plan(settings());

  expect(lines).toEqual([]);
  expect(out).not.toContain('Hand changes');
  expect(local.aws.callsOf('cloudtrail:GetTrailStatus')).toHaveLength(2);
});

test('a stack that does not restore hand changes: no trail is read, nothing is said', async () => {
  const { lines } = await plan(settings(false));

  expect(lines).toEqual([]);
  expect(local.aws.calls.filter(c => c.operation.startsWith('cloudtrail:'))).toEqual([]);
});

test('a trail that is not logging: start it', async () => {
  trails({ name: 'main', logging: false });

  const { lines } = await plan(settings());

  expect(lines).toEqual([`${NO_TRAIL} (trail main is not logging). Start it: aws cloudtrail start-logging --name ${TRAIL_ARN('main')}`]);
});

test('a trail that logs only read events (basic or advanced selectors): let it log writes', async () => {
  trails({ name: 'reads', eventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: true }] });
  const basic = await plan(settings());
  trails({ name: 'reads', advancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }, { Field: 'readOnly', Equals: ['true'] }] }] });
  const advanced = await plan(settings());

  const expected = `${NO_TRAIL} (trail reads logs no management write events). Let it log write events: aws cloudtrail put-event-selectors `
    + `--trail-name ${TRAIL_ARN('reads')} --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]'`;
  expect(basic.lines).toEqual([expected]);
  expect(advanced.lines).toEqual([expected]);
});

test('advanced selectors of management events (writes only, or all): nothing is said', async () => {
  trails({ name: 'writes', advancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }, { Field: 'readOnly', Equals: ['false'] }] }] });
  const writes = await plan(settings());
  trails({ name: 'data', advancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }] }] },
    { name: 'all', advancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }] });
  const all = await plan(settings());

  expect(writes.lines).toEqual([]);
  expect(all.lines).toEqual([]);
});

test('a single-Region trail of another Region delivers nothing in us-east-1; a multi-Region one homed there does (read by its ARN)', async () => {
  trails({ name: 'ireland', homeRegion: 'eu-west-1', multiRegion: false });
  const single = await plan(settings());
  trails({ name: 'everywhere', homeRegion: 'eu-west-1', multiRegion: true });
  const multi = await plan(settings());

  expect(single.lines).toEqual([expect.stringMatching(new RegExp(`^${escape(NO_TRAIL)}\\. Create one: `))]);
  expect(multi.lines).toEqual([]);
  expect(local.aws.callsOf('cloudtrail:GetEventSelectors').map(c => c.status)).toEqual([200, 200]);
});

test('a baseline with a member footprint needs an organization trail: a trail of the account alone is not enough', async () => {
  trails({ name: 'account-only' });
  const accountOnly = await plan(members());
  trails({ name: 'organization', organizationTrail: true });
  const organization = await plan(members());

  expect(accountOnly.lines).toEqual([`${NO_ORGANIZATION_TRAIL}. Create one: aws cloudtrail create-trail --name … --s3-bucket-name … `
    + '--is-multi-region-trail --is-organization-trail --region us-east-1, then aws cloudtrail start-logging --name …']);
  expect(organization.lines).toEqual([]);
});

test('a stopped organization trail: both the account\'s and the members\' changes go unseen, each said once', async () => {
  trails({ name: 'organization', organizationTrail: true, logging: false });

  const { lines } = await plan(members());

  expect(lines).toEqual([
    expect.stringContaining('Hand changes will not be undone (stack Members): no trail in account'),
    `${NO_ORGANIZATION_TRAIL} (trail organization is not logging). Start it: aws cloudtrail start-logging --name ${TRAIL_ARN('organization')}`,
  ]);
});

test('reading the trails is denied: the plan says it could not check, and does not fail', async () => {
  local.aws.injectFault({ operation: 'cloudtrail:DescribeTrails', status: 403, errorType: 'AccessDeniedException', count: 2 });

  const { code, lines } = await plan(settings());

  expect(code).toBe(2);
  expect(lines).toEqual([`Could not check whether hand changes will be undone in account ${MANAGEMENT} (stack Settings): reading its trails was denied `
    + '(the tool needs cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus and cloudtrail:GetEventSelectors).']);
});

test('a connection reset once: the read is tried again, and the check still says what it found', async () => {
  local.aws.injectFault({ operation: 'cloudtrail:GetEventSelectors', status: 'reset', count: 1 });
  trails({ name: 'main', logging: false });

  const { lines } = await plan(settings());

  expect(lines).toEqual([expect.stringContaining('(trail main is not logging). Start it: ')]);
  expect(local.aws.callsOf('cloudtrail:GetEventSelectors').map(c => c.errorType)).toEqual(['ECONNRESET', undefined, undefined]);
});

test('a stack of another account: its trails are not read, and the plan says it could not check them', async () => {
  const dir = synth('Elsewhere', stack => {
    new OrganizationBaseline(stack, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { billing: BILLING }, restoreHandChanges: true });
  });
  const manifest = path.join(dir, 'manifest.json');
  fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace(`aws://${MANAGEMENT}/`, 'aws://999999999999/'));

  const { lines } = await plan(dir);

  expect(lines).toEqual([expect.stringMatching(/^Could not check whether hand changes will be undone in account 999999999999 \(stack Elsewhere\)/)]);
  expect(local.aws.callsOf('cloudtrail:DescribeTrails')).toEqual([]);
});

describe('the local CloudTrail API, as strict as AWS where the tool depends on it', () => {
  const api = () => local.aws.cloudTrailApi;
  const auth = (region: string) => `AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20261207/${region}/cloudtrail/aws4_request`;
  const names = (caller: string, region: string, includeShadowTrails?: boolean) =>
    (api().dispatch('DescribeTrails', { includeShadowTrails }, caller, auth(region)) as { trailList: Array<{ Name: string }> }).trailList.map(t => t.Name);

  beforeEach(() => trails(
    { name: 'home', homeRegion: 'eu-west-1', multiRegion: true },
    { name: 'organization', organizationTrail: true, logging: false },
    { name: 'ireland', homeRegion: 'eu-west-1', multiRegion: false },
  ));

  test('a Region sees its own trails, and with shadows (the default) other Regions\' multi-Region trails and, from a member, the organization\'s', () => {
    expect(names(MANAGEMENT, 'us-east-1')).toEqual(['home', 'organization']);
    expect(names(MANAGEMENT, 'us-east-1', false)).toEqual(['organization']);
    expect(names(MANAGEMENT, 'eu-west-1')).toEqual(['home', 'organization', 'ireland']);
    expect(names(MEMBERS[0], 'us-east-1')).toEqual(['organization']);
    expect(names('999999999999', 'us-east-1')).toEqual([]);
  });

  test('a shadow trail is found by its ARN only; an unknown one is TrailNotFoundException', () => {
    expect(() => api().dispatch('GetTrailStatus', { Name: 'home' }, MANAGEMENT, auth('us-east-1'))).toThrow('Unknown trail: home');
    expect(api().dispatch('GetTrailStatus', { Name: TRAIL_ARN('home', 'eu-west-1') }, MANAGEMENT, auth('us-east-1'))).toEqual({ IsLogging: true });
    expect(api().dispatch('GetTrailStatus', { Name: 'organization' }, MANAGEMENT, auth('us-east-1'))).toEqual({ IsLogging: false });
    expect(() => api().dispatch('GetEventSelectors', { TrailName: TRAIL_ARN('ireland', 'eu-west-1') }, MANAGEMENT, auth('us-east-1')))
      .toThrow(expect.objectContaining({ type: 'TrailNotFoundException' }));
    expect(() => api().dispatch('GetEventSelectors', {}, MANAGEMENT, auth('us-east-1'))).toThrow(expect.objectContaining({ type: 'InvalidTrailNameException' }));
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
