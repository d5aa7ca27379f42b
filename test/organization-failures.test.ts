/*
 * One account never rolls back the organization: by default (FailDeployOn.LISTED_ACCOUNTS) an account the
 * baseline reaches only through an OU, failing (a service control policy that denies the Account API,
 * modelled by a 403 AccessDeniedException on that account's calls), is reported and the deploy succeeds;
 * an account the baseline lists fails the deploy; ANY_ACCOUNT and NO_ACCOUNT tighten and loosen that.
 * A rolled-back deploy puts back only what it wrote. Deployed through the local CloudFormation.
 */
import { Stack } from 'aws-cdk-lib';
import { useSmallOrganization } from './small-organization';
import { captureConsole, stackOf } from './support';
import { AlternateContactDetails, DeployWaitsFor, FailDeployOn, OrganizationBaseline, OrganizationBaselineProps } from '../src';
import { BASELINE_EVENTS } from '../src/contract';

const TIME_SCALE = 50;
const MEMBERS = Array.from({ length: 6 }, (_, i) => String(230000000000 + i));
const OU = 'ou-root-failures';
const [DENIED, ...OTHERS] = MEMBERS;

jest.setTimeout(120_000);

const org = useSmallOrganization(MEMBERS, { [OU]: MEMBERS }, TIME_SCALE);

beforeEach(() => {
  // A service control policy denies the Account API in DENIED.
  org.aws.injectFault({ operation: 'PutAlternateContact', status: 403, errorType: 'AccessDeniedException', count: 1_000, when: body => body.AccountId === DENIED });
});

const SECURITY: AlternateContactDetails = { name: 'Security Desk', title: 'Lead', emailAddress: 'desk@example.com', phoneNumber: '+1 206-555-0100' };

function stack(props: Partial<OrganizationBaselineProps>): Stack {
  return stackOf(s => new OrganizationBaseline(s, 'Baseline', { alternateContacts: { security: SECURITY }, ...props }));
}

async function deploy(scope: Stack): Promise<{ status?: string; reasons: string[] }> {
  const { result } = await captureConsole(() => org.cfn.deploy(scope));
  await org.aws.stepFunctions.settled();
  return { status: result?.status, reasons: (result?.failures ?? []).map(f => f.reason) };
}

function holders(): string[] {
  return MEMBERS.filter(id => org.aws.account(id).alternateContacts.has('SECURITY'));
}

test('an account reached through an OU that fails is reported, and the deploy succeeds for the others', async () => {
  const events = org.aws.eventBus.events.length;
  expect((await deploy(stack({ organizationalUnitIds: [OU] }))).status).toBe('CREATE_COMPLETE');

  expect(holders()).toEqual(OTHERS);
  const [event] = org.aws.eventBus.events.slice(events);
  expect(event.DetailType).toBe(BASELINE_EVENTS.failed);
  expect(JSON.parse(event.Detail).failures).toEqual([expect.objectContaining({ accountId: DENIED })]);
});

test('a listed account that fails fails the deploy, naming it, and the rollback undoes only what the deploy wrote', async () => {
  const { status, reasons } = await deploy(stack({ accountIds: MEMBERS }));

  expect(status).toBe('ROLLBACK_COMPLETE');
  expect(reasons.join(' ')).toMatch(new RegExp(`failed for 1 account\\(s\\): ${DENIED}`));
  expect(holders()).toEqual([]);
});

test.each([
  [FailDeployOn.ANY_ACCOUNT, 'ROLLBACK_COMPLETE', []],
  [FailDeployOn.NO_ACCOUNT, 'CREATE_COMPLETE', OTHERS],
])('failDeployOn %s: an OU account that fails gives %s', async (failDeployOn, expected, holding) => {
  const listedOrNot = failDeployOn === FailDeployOn.NO_ACCOUNT ? { accountIds: MEMBERS } : { organizationalUnitIds: [OU] };
  expect((await deploy(stack({ ...listedOrNot, failDeployOn }))).status).toBe(expected);
  expect(holders()).toEqual(holding);
});

describe('a run that fails as a whole says so in an event, whether or not a deploy waits for it', () => {
  test.each([
    ['a step that fails (its report sends it)', 'Lambda.Unknown', /Lambda\.Unknown: the step broke/],
    ['an execution that fails where no Catch sees it (the execution\'s end sends it)', 'States.Runtime', /FAILED: .*States\.Runtime/],
  ])('%s', async (_, error, expected) => {
    org.aws.clearFaults();
    org.aws.stepFunctions.injectTaskFault({ state: 'Step', error, cause: 'the step broke', count: 1 });
    const events = org.aws.eventBus.events.length;

    expect((await deploy(stack({ organizationalUnitIds: [OU], deployWaitsFor: DeployWaitsFor.NOTHING }))).status).toBe('CREATE_COMPLETE');
    await org.aws.lambda.settled();

    const sent = org.aws.eventBus.events.slice(events).filter(e => e.Source === BASELINE_EVENTS.source);
    expect(sent.map(e => e.DetailType)).toEqual([BASELINE_EVENTS.failed]);
    expect(JSON.parse(sent[0].Detail).error).toMatch(expected);
  });
});
