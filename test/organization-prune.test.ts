/*
 * pruneUndeclared deletes the baseline's contacts from accounts that left its targets, and only from
 * those: an excluded account is left untouched, as the documentation says, and an account whose
 * targeting cannot be told (an Organizations call denied) fails alone, reported in the generation's
 * event, while the step goes on with the others. Deployed through the local CloudFormation, with an
 * organization whose OU loses accounts between two deploys.
 */
import { Stack } from 'aws-cdk-lib';
import { LocalAws, LocalCloudFormation, scaledQuotas } from '../local';
import { captureConsole, Local, MANAGEMENT, stackOf, startLocal, stopLocal } from './support';
import { AlternateContactDetails, DeployWaitsFor, OrganizationBaseline, OrganizationBaselineProps } from '../src';
import { BASELINE_EVENTS } from '../src/contract';

const TIME_SCALE = 50;
const MEMBERS = Array.from({ length: 6 }, (_, i) => String(220000000000 + i));
const OU = 'ou-root-prunedou';
const [EXCLUDED, DENIED, LEFT, ...STAYING] = MEMBERS;

jest.setTimeout(120_000);

let local: Local;
let aws: LocalAws;
let cfn: LocalCloudFormation;

beforeAll(async () => {
  local = await startLocal({ memberAccountIds: MEMBERS, rateQuotas: scaledQuotas(TIME_SCALE) }, TIME_SCALE);
  aws = local.aws;
  aws.addOrganizationalUnit(OU);
});

afterAll(async () => {
  await stopLocal(local);
});

beforeEach(() => {
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
  aws.callerAccountId = MANAGEMENT;
  aws.trustedAccess = true;
  aws.stepFunctions.waitMs = 10;
  aws.clearCalls();
  aws.clearFaults();
  for (const id of MEMBERS) aws.moveAccount(id, OU);
  for (const account of aws.accounts.values()) account.alternateContacts.clear();
  aws.s3.buckets.clear();
  cfn = new LocalCloudFormation(aws);
});

afterEach(async () => {
  await aws.stepFunctions.settled();
  await aws.lambda.settled();
});

const SECURITY: AlternateContactDetails = { name: 'Security Desk', title: 'Lead', emailAddress: 'desk@example.com', phoneNumber: '+1 206-555-0100' };

function stack(props: Partial<OrganizationBaselineProps>): Stack {
  return stackOf(s => new OrganizationBaseline(s, 'Baseline', {
    organizationalUnitIds: [OU], alternateContacts: { security: SECURITY }, pruneUndeclared: true, ...props,
  }));
}

async function deploy(scope: Stack): Promise<string | undefined> {
  const { result } = await captureConsole(() => cfn.deploy(scope));
  await aws.stepFunctions.settled();
  return result?.status;
}

function holders(): string[] {
  return MEMBERS.filter(id => aws.account(id).alternateContacts.has('SECURITY'));
}

test('an account excluded from the targets keeps its contacts', async () => {
  expect(await deploy(stack({}))).toBe('CREATE_COMPLETE');
  expect(holders()).toEqual(MEMBERS);

  expect(await deploy(stack({ excludeAccountIds: [EXCLUDED] }))).toBe('UPDATE_COMPLETE');
  expect(holders()).toEqual(MEMBERS);
  expect(aws.callsOf('DeleteAlternateContact')).toEqual([]);
});

test('an account whose targeting cannot be told fails alone, reported; the others are pruned and the execution ends', async () => {
  expect(await deploy(stack({ deployWaitsFor: DeployWaitsFor.NOTHING }))).toBe('CREATE_COMPLETE');
  aws.moveAccount(DENIED, aws.rootId);
  aws.moveAccount(LEFT, aws.rootId);
  // Whether DENIED came back into the OU is asked of Organizations, which denies it.
  aws.injectFault({ operation: 'organizations:ListParents', status: 403, errorType: 'AccessDeniedException', count: 100, when: body => body.ChildId === DENIED });
  const events = aws.eventBus.events.length;

  expect(await deploy(stack({ deployWaitsFor: DeployWaitsFor.NOTHING, alternateContacts: { security: { ...SECURITY, title: 'Duty Lead' } } }))).toBe('UPDATE_COMPLETE');

  expect(holders()).toEqual([EXCLUDED, DENIED, ...STAYING]);
  const [event] = aws.eventBus.events.slice(events);
  expect(event.DetailType).toBe(BASELINE_EVENTS.failed);
  const detail = JSON.parse(event.Detail);
  expect(detail.accounts.failed).toBe(1);
  expect(detail.failures).toEqual([expect.objectContaining({ accountId: DENIED, reason: expect.stringContaining('AccessDeniedException') })]);
  expect(aws.stepFunctions.executions.at(-1)?.status).toBe('SUCCEEDED');
});
