/*
 * pruneUndeclared deletes the baseline's contacts from accounts that left its targets, and only from
 * those: an excluded account is left untouched, as the documentation says, and an account whose
 * targeting cannot be told (an Organizations call denied) fails alone, reported in the generation's
 * event, while the step goes on with the others. Deployed through the local CloudFormation, with an
 * organization whose OU loses accounts between two deploys.
 */
import { Stack } from 'aws-cdk-lib';
import { useSmallOrganization } from './small-organization';
import { captureConsole, stackOf } from './support';
import { AlternateContactDetails, DeployWaitsFor, OrganizationBaseline, OrganizationBaselineProps } from '../src';
import { BASELINE_EVENTS } from '../src/contract';

const TIME_SCALE = 50;
const MEMBERS = Array.from({ length: 6 }, (_, i) => String(220000000000 + i));
const OU = 'ou-root-prunedou';
const [EXCLUDED, DENIED, LEFT, ...STAYING] = MEMBERS;

jest.setTimeout(120_000);

const org = useSmallOrganization(MEMBERS, { [OU]: MEMBERS }, TIME_SCALE);

const SECURITY: AlternateContactDetails = { name: 'Security Desk', title: 'Lead', emailAddress: 'desk@example.com', phoneNumber: '+1 206-555-0100' };

function stack(props: Partial<OrganizationBaselineProps>): Stack {
  return stackOf(s => new OrganizationBaseline(s, 'Baseline', {
    organizationalUnitIds: [OU], alternateContacts: { security: SECURITY }, pruneUndeclared: true, ...props,
  }));
}

async function deploy(scope: Stack): Promise<string | undefined> {
  const { result } = await captureConsole(() => org.cfn.deploy(scope));
  await org.aws.stepFunctions.settled();
  return result?.status;
}

function holders(): string[] {
  return MEMBERS.filter(id => org.aws.account(id).alternateContacts.has('SECURITY'));
}

test('an account excluded from the targets keeps its contacts', async () => {
  expect(await deploy(stack({}))).toBe('CREATE_COMPLETE');
  expect(holders()).toEqual(MEMBERS);

  expect(await deploy(stack({ excludeAccountIds: [EXCLUDED] }))).toBe('UPDATE_COMPLETE');
  expect(holders()).toEqual(MEMBERS);
  expect(org.aws.callsOf('DeleteAlternateContact')).toEqual([]);
});

test('an account whose targeting cannot be told fails alone, reported; the others are pruned and the execution ends', async () => {
  expect(await deploy(stack({ deployWaitsFor: DeployWaitsFor.NOTHING }))).toBe('CREATE_COMPLETE');
  org.aws.moveAccount(DENIED, org.aws.rootId);
  org.aws.moveAccount(LEFT, org.aws.rootId);
  // Whether DENIED came back into the OU is asked of Organizations, which denies it.
  org.aws.injectFault({ operation: 'organizations:ListParents', status: 403, errorType: 'AccessDeniedException', count: 100, when: body => body.ChildId === DENIED });
  const events = org.aws.eventBus.events.length;

  expect(await deploy(stack({ deployWaitsFor: DeployWaitsFor.NOTHING, alternateContacts: { security: { ...SECURITY, title: 'Duty Lead' } } }))).toBe('UPDATE_COMPLETE');

  expect(holders()).toEqual([EXCLUDED, DENIED, ...STAYING]);
  const [event] = org.aws.eventBus.events.slice(events);
  expect(event.DetailType).toBe(BASELINE_EVENTS.failed);
  const detail = JSON.parse(event.Detail);
  expect(detail.accounts.failed).toBe(1);
  expect(detail.failures).toEqual([expect.objectContaining({ accountId: DENIED, reason: expect.stringContaining('AccessDeniedException') })]);
  expect(org.aws.stepFunctions.executions.at(-1)?.status).toBe('SUCCEEDED');
});
