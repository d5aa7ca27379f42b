/*
 * What `drift` ends with: for each kind of construct that drifted, how to put it back (issue 16),
 * against the local services with a stack deployed by the local CloudFormation.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { BILLING, OPERATIONS, SECURITY } from './fixtures';
import { destroyedAfterEach, Local, MANAGEMENT, runCli, startLocal, stopLocal } from './support';
import { whatToDo } from '../cli/guidance';
import type { Change } from '../cli/plan';
import { OPT_IN_REGIONS } from '../local';
import { AccountSettingsProvider, AlternateContact, AlternateContactDetails, AlternateContactType, OrganizationBaseline, RegionOptIn } from '../src';
import { RESOURCE_TYPES } from '../src/contract';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const MEMBERS = ['400000000001', '400000000002', '400000000003'];
const [MEMBER_A, MEMBER_B, MEMBER_C] = MEMBERS;
const REGION = OPT_IN_REGIONS[0];

jest.setTimeout(180_000);

let local: Local;
let workDir: string;
const deployed = destroyedAfterEach(() => local);

beforeAll(async () => {
  local = await startLocal({ memberAccountIds: MEMBERS }, 50);
  workDir = fs.mkdtempSync(path.join(__dirname, 'cli-drift.out.'));
});

afterAll(async () => {
  await stopLocal(local);
  fs.rmSync(workDir, { recursive: true, force: true });
});

beforeEach(() => {
  for (const id of [MANAGEMENT, ...MEMBERS]) {
    local.aws.account(id).alternateContacts.clear();
    for (const region of OPT_IN_REGIONS) local.aws.setRegionStatus(id, region, 'DISABLED');
  }
});

/** A contact for A, a Region for B, and a baseline over C reconciled every 12 hours; the settings restore hand changes if asked. */
async function deployStack(options: { restoreHandChanges?: boolean } = {}): Promise<string> {
  // The path metadata that `cdk synth` writes, so that constructs are named by their paths.
  const app = new App({ outdir: fs.mkdtempSync(path.join(workDir, 'cdk.out.')), context: { 'aws:cdk:enable-path-metadata': true } });
  const stack = new Stack(app, 'Settings', { env: { account: MANAGEMENT, region: 'us-east-1' } });
  if (options.restoreHandChanges) AccountSettingsProvider.getOrCreate(stack, { restoreHandChanges: true });
  new AlternateContact(stack, 'SecurityOfA', { accountId: MEMBER_A, type: AlternateContactType.SECURITY, ...SECURITY });
  new RegionOptIn(stack, 'RegionOfB', { accountId: MEMBER_B, regionName: REGION });
  new OrganizationBaseline(stack, 'Baseline', {
    accountIds: [MEMBER_C], alternateContacts: { billing: BILLING }, reconcileSchedule: events.Schedule.rate(Duration.hours(12)),
  });
  deployed.add(stack.stackName);
  const result = await local.cloudFormation.deploy(stack);
  expect(result.status).toBe('CREATE_COMPLETE');
  await local.aws.stepFunctions.settled();
  return app.synth().directory;
}

function contactOf(details: AlternateContactDetails) {
  return { Name: details.name, Title: details.title, EmailAddress: details.emailAddress, PhoneNumber: details.phoneNumber };
}

/** Every value of the declared contacts and of the hand-made one. */
const VALUES = [SECURITY, BILLING, OPERATIONS].flatMap(c => [c.name, c.title, c.emailAddress, c.phoneNumber]);

test('no drift: no guidance, in text or JSON', async () => {
  const dir = await deployStack();
  const json = await runCli('drift', '--app', dir, '--json');
  const text = await runCli('drift', '--app', dir);

  expect(json.code).toBe(0);
  expect(JSON.parse(json.out).whatToDo).toEqual([]);
  expect(text.code).toBe(0);
  expect(text.out).not.toContain('What to do');
});

test('a single AlternateContact and a baseline\'s contact drift: each kind says how to put it back, and no value is printed', async () => {
  const dir = await deployStack();
  local.aws.account(MEMBER_A).alternateContacts.delete('SECURITY');
  local.aws.account(MEMBER_C).alternateContacts.set('BILLING', contactOf(OPERATIONS));

  const json = await runCli('drift', '--app', dir, '--json');
  const text = await runCli('drift', '--app', dir);

  expect(json.code).toBe(2);
  const advice: Json[] = JSON.parse(json.out).whatToDo;
  expect(advice.map(g => g.kind)).toEqual(['AlternateContact', 'OrganizationBaseline']);
  const [single, baseline] = advice;
  expect(single.constructs).toEqual(['Settings/SecurityOfA']);
  expect(single.steps.join('\n')).toContain('Deploying the same app again does not put it back');
  expect(single.steps.join('\n')).toContain('`AccountSettingsProvider.getOrCreate(this, { restoreHandChanges: true })`');
  expect(single.steps.join('\n')).toContain(`\`aws account put-alternate-contact --account-id ${MEMBER_A} --alternate-contact-type SECURITY --name …`);
  expect(baseline.constructs).toEqual(['Settings/Baseline']);
  expect(baseline.steps.join('\n')).toContain('its next scheduled run puts it back (reconcileSchedule rate(12 hours): within 12 hours)');
  expect(baseline.steps.join('\n')).toContain('`restoreHandChanges: true`');
  expect(baseline.steps.join('\n')).toContain(`aws account put-alternate-contact --account-id ${MEMBER_C} --alternate-contact-type BILLING`);

  expect(text.code).toBe(2);
  const guidance = text.out.slice(text.out.indexOf('What to do:'));
  expect(guidance).toMatch(/^What to do:\n {2}AlternateContact \(Settings\/SecurityOfA\):\n {4}- Deploying/);
  expect(guidance).toMatch(/\n {2}OrganizationBaseline \(Settings\/Baseline\):\n/);
  expect(guidance).not.toContain('RegionOptIn');
  for (const value of VALUES) {
    expect(json.out).not.toContain(value);
    expect(text.out).not.toContain(value);
  }
});

test('a Region drifts: restoreHandChanges is not offered, a forced update or the AWS CLI is; a stack that restores hand changes is told why it did not', async () => {
  const dir = await deployStack({ restoreHandChanges: true });
  local.aws.setRegionStatus(MEMBER_B, REGION, 'DISABLED');
  local.aws.account(MEMBER_A).alternateContacts.delete('SECURITY');

  const drift = JSON.parse((await runCli('drift', '--app', dir, '--json')).out);
  const advice: Json[] = drift.whatToDo;

  expect(advice.map(g => g.kind)).toEqual(['AlternateContact', 'RegionOptIn']);
  const [single, region] = advice;
  expect(single.steps.join('\n')).toContain('Stack Settings has restoreHandChanges on, yet this change was not undone: no trail in the stack\'s account '
    + 'delivered it (drift says after its table when no trail logs management write events in us-east-1), or it was made from within the member '
    + 'account, which single settings do not see: an OrganizationBaseline with `memberFootprint` and an organization trail does.');
  // No trail logs in the local services' account: drift says so after its table.
  expect(drift.handChanges).toEqual([expect.stringMatching(/^Hand changes will not be undone \(stack Settings\): no trail in account 111111111111 /)]);
  expect(single.steps.join('\n')).not.toContain('getOrCreate');
  expect(region.constructs).toEqual(['Settings/RegionOfB']);
  expect(region.steps.join('\n')).toContain('restoreHandChanges does not cover Regions');
  expect(region.steps.join('\n')).toContain('pollInterval or timeout and deploy');
  expect(region.steps.join('\n')).toContain(`\`aws account enable-region --account-id ${MEMBER_B} --region-name ${REGION}\``);
});

describe('whatToDo, from the deployed templates', () => {
  const drifted = (account: string, setting: string, action: Change['action'], resource: string): Change =>
    ({ account, setting: setting as Change['setting'], action, resource, construct: resource });
  const reconcileRule = (logicalId: string, expression: string) => ({
    Type: 'AWS::Events::Rule',
    Properties: {
      ScheduleExpression: expression,
      Targets: [{ Input: { 'Fn::Join': ['', ['{"Trigger":"schedule","BaselineId":"b","Store":"', { Ref: 'Store' }, `","Resource":{"LogicalResourceId":"${logicalId}"}}`]] } }],
    },
  });
  const template = {
    Resources: {
      Daily: { Type: RESOURCE_TYPES.organizationBaseline, Properties: { RestoreHandChanges: 'true' } },
      DailyReconcile: reconcileRule('Daily', 'cron(0 3 * * ? *)'),
      Unscheduled: { Type: RESOURCE_TYPES.organizationBaseline, Properties: {} },
      Milan: { Type: RESOURCE_TYPES.regionOptIn, Properties: {} },
      Name: { Type: RESOURCE_TYPES.accountName, Properties: {} },
      Primary: { Type: RESOURCE_TYPES.primaryContact, Properties: {} },
      Other: { Type: 'AWS::S3::Bucket' },
    },
  };
  const stacks = [{ stackName: 'S', template }];

  test('a baseline\'s Regions: the schedule\'s expression or the lack of one, no restoreHandChanges, enable-region by hand', () => {
    const [guidance] = whatToDo([
      drifted(MEMBER_A, `Region ${REGION}`, 'enable', 'S/Daily'),
      drifted(MEMBER_B, `Region ${REGION}`, 'enable', 'S/Unscheduled'),
    ], stacks, MANAGEMENT);

    expect(guidance.kind).toBe('OrganizationBaseline');
    expect(guidance.constructs).toEqual(['S/Daily', 'S/Unscheduled']);
    expect(guidance.steps[0]).toBe('S/Daily: its next scheduled run puts it back (reconcileSchedule cron(0 3 * * ? *)).');
    expect(guidance.steps[1]).toMatch(/^S\/Unscheduled has no reconcileSchedule: give it one/);
    expect(guidance.steps.join('\n')).not.toContain('restoreHandChanges');
    expect(guidance.steps[2]).toContain(`\`aws account enable-region --account-id ${MEMBER_A} --region-name ${REGION}\``);
  });

  test('a baseline that restores hand changes: without a member footprint, memberFootprint and an organization trail are offered', () => {
    const [guidance] = whatToDo([drifted(MEMBER_A, 'BILLING alternate contact', 'write', 'S/Daily')], stacks, MANAGEMENT);

    expect(guidance.steps[1]).toBe('S/Daily has restoreHandChanges on, yet this change was not undone: no trail in the stack\'s account delivered it '
      + '(drift says after its table when no trail logs management write events in us-east-1), or it was made from within the member account, '
      + 'which the baseline sees with `memberFootprint: {}` and an organization trail (see the README\'s "Member accounts take part: memberFootprint").');
  });

  test('a baseline with a member footprint: the organization trail, or the StackSet that had not reached the account yet', () => {
    const footprinted = {
      Resources: {
        Members: { Type: RESOURCE_TYPES.organizationBaseline, Properties: { RestoreHandChanges: 'true', MemberRole: 'AccountSettingsMember-b1' }, DependsOn: ['Footprint'] },
        Footprint: { Type: 'AWS::CloudFormation::StackSet', Properties: { StackSetName: 'account-settings-b1' } },
      },
    };

    const [guidance] = whatToDo([
      drifted(MEMBER_A, 'BILLING alternate contact', 'write', 'F/Members'),
      drifted(MEMBER_B, 'primary contact', 'write', 'F/Members'),
    ], [{ stackName: 'F', template: footprinted }], MANAGEMENT);

    expect(guidance.steps[1]).toBe('F/Members has restoreHandChanges and a member footprint, yet this change was not undone: no organization trail '
      + 'delivered it (drift says after its table when no trail logs management write events in us-east-1), or the footprint\'s StackSet had not '
      + 'reached the account yet (a new account, in its first minutes): '
      + `\`aws cloudformation list-stack-instances --stack-set-name account-settings-b1 --stack-instance-account ${MEMBER_A}\`, `
      + `\`aws cloudformation list-stack-instances --stack-set-name account-settings-b1 --stack-instance-account ${MEMBER_B}\`.`);
    expect(guidance.steps.join('\n')).not.toContain('`memberFootprint: {}`');
  });

  test('the calling account is not named, a disabled Region is disabled again, commands past five are counted, and nothing unchanged or unknown is guided', () => {
    const names = MEMBERS.concat(['400000000004', '400000000005', '400000000006']).map(id => drifted(id, 'account name', 'write', 'S/Name'));
    const guidance = whatToDo([
      drifted(MANAGEMENT, `Region ${REGION}`, 'disable', 'S/Milan'),
      ...names,
      drifted(MEMBER_A, 'account name', 'unchanged', 'S/Other'),
      drifted(MEMBER_A, 'account name', 'write', 'S/Gone'),
      drifted(MEMBER_B, 'primary contact', 'write', 'S/Primary'),
    ], stacks, MANAGEMENT);

    expect(guidance.map(g => g.kind)).toEqual(['PrimaryContact', 'AccountName', 'RegionOptIn']);
    expect(guidance[0].steps.join('\n')).toContain(`\`aws account put-contact-information --account-id ${MEMBER_B} --contact-information FullName=…,`);
    expect(guidance[1].steps.join('\n')).toContain(' and 1 more.');
    expect(guidance[2].steps.join('\n')).toContain(`\`aws account disable-region --region-name ${REGION}\``);
    expect(whatToDo([drifted(MEMBER_A, 'account name', 'unchanged', 'S/Name')], stacks, MANAGEMENT)).toEqual([]);
  });
});
