/*
 * A rolled-back OrganizationBaseline update gives each account back what it held before the failed
 * deploy: a deploy's run keeps, in the stack's store and before its first write to an account, what that
 * account held; the rollback's run puts it back (a value the deploy overwrote, hand-made or drifted, gets
 * its earlier value; a contact the deploy created is deleted), and never prunes with the record the
 * failed deploy widened. Deployed through the local CloudFormation with a resource that fails after the
 * baseline (its update done and answered) or beside it (cancelled while its generation writes).
 */
import { Stack } from 'aws-cdk-lib';
import type { LocalCloudFormation } from '../local';
import { useSmallOrganization } from './small-organization';
import { addBreaker, BREAKER, captureConsole, MANAGEMENT, stackOf } from './support';
import { AlternateContactDetails, OrganizationBaseline, OrganizationBaselineProps } from '../src';

const TIME_SCALE = 50;
const MEMBERS = Array.from({ length: 6 }, (_, i) => String(210000000000 + i));
const OU = 'ou-root-rollback';
const [HAND_BILLING, DRIFTED, ...OTHERS] = MEMBERS;

jest.setTimeout(120_000);

const org = useSmallOrganization(MEMBERS, { [OU]: MEMBERS }, TIME_SCALE);

function details(label: string): AlternateContactDetails {
  return { name: `${label} Desk`, title: `${label} Lead`, emailAddress: `${label.toLowerCase()}@example.com`, phoneNumber: '+1 206-555-0100' };
}

const SECURITY_BEFORE = details('Before');
const SECURITY_AFTER = details('After');
const BILLING_DECLARED = details('Billing');
const BILLING_BY_HAND = details('Hand');
const DRIFT = details('Drift');

function fields(d: AlternateContactDetails) {
  return { Name: d.name, Title: d.title, EmailAddress: d.emailAddress, PhoneNumber: d.phoneNumber };
}

function contactsOf(accountId: string): Record<string, unknown> {
  return Object.fromEntries(org.aws.account(accountId).alternateContacts);
}

/** The baseline over the OU, and a resource that a deploy may break: after the baseline, or beside it. */
function stack(props: Partial<OrganizationBaselineProps>, breaker: 'after' | 'beside'): Stack {
  return stackOf(s => {
    const baseline = new OrganizationBaseline(s, 'Baseline', { organizationalUnitIds: [OU], ...props });
    addBreaker(s);
    if (breaker === 'after') s.node.findChild(BREAKER).node.addDependency(baseline);
  });
}

async function deploy(scope: Stack, options: Parameters<LocalCloudFormation['deploy']>[1] = {}): Promise<string> {
  const { result, output } = await captureConsole(() => org.cfn.deploy(scope, options));
  await org.aws.stepFunctions.settled();
  return `${result?.status}\n${output}`;
}

describe.each([true, false])('pruneUndeclared: %s', (prune) => {
  const BEFORE = { alternateContacts: { security: SECURITY_BEFORE }, pruneUndeclared: prune };
  const AFTER = { alternateContacts: { security: SECURITY_AFTER, billing: BILLING_DECLARED }, pruneUndeclared: prune };

  test('an update rolled back after it converged restores every account as it was, hand-made and drifted values included', async () => {
    expect(await deploy(stack(BEFORE, 'after'))).toMatch(/^CREATE_COMPLETE/);
    org.aws.account(HAND_BILLING).alternateContacts.set('BILLING', fields(BILLING_BY_HAND));
    org.aws.account(DRIFTED).alternateContacts.set('SECURITY', fields(DRIFT));

    const output = await deploy(stack(AFTER, 'after'), { breakResources: { [BREAKER]: {} } });
    expect(output).toMatch(/^UPDATE_ROLLBACK_COMPLETE/);

    expect(contactsOf(HAND_BILLING)).toEqual({ SECURITY: fields(SECURITY_BEFORE), BILLING: fields(BILLING_BY_HAND) });
    expect(contactsOf(DRIFTED)).toEqual({ SECURITY: fields(DRIFT) });
    for (const id of OTHERS) expect(contactsOf(id)).toEqual({ SECURITY: fields(SECURITY_BEFORE) });
    // The values were kept in the store (encrypted), never in a log line; and forgotten once restored.
    for (const value of Object.values(BILLING_BY_HAND)) expect(output).not.toContain(value);
    const keys = [...org.aws.s3.buckets.values()].flatMap(bucket => [...bucket.keys()]);
    expect(keys.filter(key => key.includes('/priors/'))).toEqual([]);
  });

  test('an update cancelled while its generation writes restores the accounts it reached, and leaves the others as they were', async () => {
    expect(await deploy(stack(BEFORE, 'beside'))).toMatch(/^CREATE_COMPLETE/);
    org.aws.account(HAND_BILLING).alternateContacts.set('BILLING', fields(BILLING_BY_HAND));

    const writing = org.aws.nextCall(c => c.operation === 'PutAlternateContact' && c.status === 200);
    expect(await deploy(stack(AFTER, 'beside'), { breakResources: { [BREAKER]: { when: writing } } })).toMatch(/^UPDATE_ROLLBACK_COMPLETE/);

    expect(contactsOf(HAND_BILLING)).toEqual({ SECURITY: fields(SECURITY_BEFORE), BILLING: fields(BILLING_BY_HAND) });
    for (const id of [DRIFTED, ...OTHERS]) expect(contactsOf(id)).toEqual({ SECURITY: fields(SECURITY_BEFORE) });
  });
});

test('a rolled-back update of the account names gives each account its earlier name back', async () => {
  const named = (suffix: string) => ({ alternateContacts: { security: SECURITY_BEFORE }, overrides: MEMBERS.map(accountId => ({ accountId, accountName: `${accountId}-${suffix}` })) });
  expect(await deploy(stack(named('v1'), 'after'))).toMatch(/^CREATE_COMPLETE/);
  org.aws.account(DRIFTED).name = 'renamed-by-hand';

  expect(await deploy(stack(named('v2'), 'after'), { breakResources: { [BREAKER]: {} } })).toMatch(/^UPDATE_ROLLBACK_COMPLETE/);
  expect(org.aws.account(DRIFTED).name).toBe('renamed-by-hand');
  for (const id of [HAND_BILLING, ...OTHERS]) expect(org.aws.account(id).name).toBe(`${id}-v1`);
});

test('a stack whose creation is rolled back undoes what the baseline wrote before its Delete is answered', async () => {
  org.aws.account(HAND_BILLING).alternateContacts.set('BILLING', fields(BILLING_BY_HAND));
  const declared = { alternateContacts: { security: SECURITY_AFTER, billing: BILLING_DECLARED } };

  expect(await deploy(stack(declared, 'after'), { breakResources: { [BREAKER]: {} } })).toMatch(/^ROLLBACK_COMPLETE/);
  expect(contactsOf(HAND_BILLING)).toEqual({ BILLING: fields(BILLING_BY_HAND) });
  for (const id of [DRIFTED, ...OTHERS]) expect(contactsOf(id)).toEqual({});
});

test('after a rollback, the record is what it was before the failed deploy: a later scheduled prune leaves the hand-made contact', async () => {
  const before = { alternateContacts: { security: SECURITY_BEFORE }, pruneUndeclared: true };
  expect(await deploy(stack(before, 'after'))).toMatch(/^CREATE_COMPLETE/);
  org.aws.account(HAND_BILLING).alternateContacts.set('BILLING', fields(BILLING_BY_HAND));
  const after = { alternateContacts: { security: SECURITY_BEFORE, billing: BILLING_DECLARED }, pruneUndeclared: true };
  expect(await deploy(stack(after, 'after'), { breakResources: { [BREAKER]: {} } })).toMatch(/^UPDATE_ROLLBACK_COMPLETE/);

  // The baseline's schedule, delivered as its rule would.
  const resources = org.cfn.stackOf('Settings').resources;
  const baseline = [...resources.values()].find(r => r.ResourceType === 'Custom::AccountOrganizationBaseline')!;
  const handler = [...resources.values()].find(r => r.ResourceType === 'AWS::Lambda::Function' && r.LogicalResourceId.startsWith('OrganizationBaselineProviderHandler'))!;
  const { BaselineId, Store } = org.cfn.resourceProperties('Settings', baseline.LogicalResourceId);
  const functionArn = `arn:aws:lambda:us-east-1:${MANAGEMENT}:function:${handler.PhysicalResourceId}`;
  const executions = org.aws.stepFunctions.executions.length;
  const { error } = await captureConsole(() => org.aws.lambda.invoke(functionArn, { Trigger: 'schedule', BaselineId, Store }));
  await org.aws.stepFunctions.settled();
  expect(error).toBeUndefined();
  expect(org.aws.stepFunctions.executions.slice(executions).map(e => e.status)).toEqual(['SUCCEEDED']);

  expect(contactsOf(HAND_BILLING)).toEqual({ SECURITY: fields(SECURITY_BEFORE), BILLING: fields(BILLING_BY_HAND) });
});
