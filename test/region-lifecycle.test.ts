/*
 * RegionOptIn's handlers across whole lifecycles: onEvent, then isComplete polled as the Provider
 * framework's waiter does, with the real SDK client against the local fake, whose Region transitions
 * take a set time and respect the 6-per-account and 20-per-organization limits.
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { FakeAccountApi } from './fake-account-api';
import { captureConsole, Properties, propertiesOf, SimulatedStack } from './simulated-stack';
import { isComplete, onEvent } from '../lambda/region';
import { RegionOptIn, RegionOptInProps } from '../src';

const MANAGEMENT = '111111111111';
const MEMBER = '222222222222';
const OTHER_MEMBER = '333333333333';
const TRANSITION_MS = 300;
const POLL_MS = 40;

jest.setTimeout(60_000);

let fake: FakeAccountApi;

beforeAll(async () => {
  fake = await FakeAccountApi.start({ managementAccountId: MANAGEMENT, memberAccountIds: [MEMBER, OTHER_MEMBER], regionTransitionMs: TRANSITION_MS });
  fake.useForSdkClients();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  jest.spyOn(console, 'info').mockImplementation(() => undefined); // the handlers' log lines
  fake.callerAccountId = MANAGEMENT;
  fake.trustedAccess = true;
  fake.regionTransitionMs = TRANSITION_MS;
  fake.clearCalls();
  for (const id of [MANAGEMENT, MEMBER, OTHER_MEMBER]) {
    for (const [regionName, state] of fake.account(id).regions) {
      if (state.status !== 'ENABLED_BY_DEFAULT') fake.setRegionStatus(id, regionName, 'DISABLED');
    }
  }
});

/** The custom resource properties RegionOptIn declares, via a synthesized stack. */
function region(props: Partial<RegionOptInProps> = {}): Properties {
  const stack = new Stack(new App(), 'Props');
  return propertiesOf(new RegionOptIn(stack, 'Region', { regionName: 'af-south-1', accountId: MEMBER, ...props }));
}

function simulatedStack(): SimulatedStack {
  return new SimulatedStack(fake, onEvent, fake.callerAccountId, { isComplete, pollMs: POLL_MS });
}

describe('enable and disable', () => {
  test('a disabled Region is enabled once and the deploy ends when it is ENABLED', async () => {
    const stack = simulatedStack();
    const physicalId = await stack.create('CapeTown', region());

    expect(physicalId).toBe(`${MEMBER}/region/af-south-1`);
    expect(fake.regionStatus(MEMBER, 'af-south-1')).toBe('ENABLED');
    expect(stack.lastOutcome?.Data.OptStatus).toBe('ENABLED');
    expect(fake.callsOf('EnableRegion')).toHaveLength(1);
    expect(fake.callsOf('EnableRegion')[0]).toMatchObject({ accountIdParameter: MEMBER, status: 200 });
    expect(stack.lastOutcome!.polls).toBeGreaterThan(1);
  });

  test.each(['ENABLED', 'ENABLED_BY_DEFAULT'] as const)('a Region already %s needs no call', async (status) => {
    const regionName = status === 'ENABLED' ? 'af-south-1' : 'eu-west-1';
    if (status === 'ENABLED') fake.setRegionStatus(MEMBER, regionName, 'ENABLED');
    const stack = simulatedStack();
    await stack.create('Region', region({ regionName }));

    expect(fake.callsOf('EnableRegion')).toHaveLength(0);
    expect(stack.lastOutcome).toMatchObject({ Data: { OptStatus: status }, polls: 1 });
  });

  test('an enabled Region is disabled and the deploy ends when it is DISABLED', async () => {
    fake.setRegionStatus(MEMBER, 'af-south-1', 'ENABLED');
    const stack = simulatedStack();
    await stack.create('Region', region({ enabled: false }));

    expect(fake.regionStatus(MEMBER, 'af-south-1')).toBe('DISABLED');
    expect(fake.callsOf('DisableRegion')).toHaveLength(1);
    expect(stack.lastOutcome?.Data.OptStatus).toBe('DISABLED');
  });

  test('a Region that is ENABLING is waited on, never requested again', async () => {
    fake.setRegionStatus(MEMBER, 'af-south-1', 'ENABLING', TRANSITION_MS);
    const stack = simulatedStack();
    await stack.create('Region', region());

    expect(fake.callsOf('EnableRegion')).toHaveLength(0);
    expect(fake.regionStatus(MEMBER, 'af-south-1')).toBe('ENABLED');
  });

  test('a Region that is DISABLING is waited on until DISABLED, then enabled, without a conflict', async () => {
    fake.setRegionStatus(MEMBER, 'af-south-1', 'DISABLING', TRANSITION_MS);
    const stack = simulatedStack();
    await stack.create('Region', region());

    expect(fake.regionStatus(MEMBER, 'af-south-1')).toBe('ENABLED');
    expect(fake.callsOf('EnableRegion').map(c => c.status)).toEqual([200]);
    expect(fake.calls.filter(c => c.errorType === 'ConflictException')).toHaveLength(0);
  });

  test('without waitForCompletion the deploy ends as soon as the transition has started', async () => {
    const stack = simulatedStack();
    await stack.create('Region', region({ waitForCompletion: false }));

    expect(stack.lastOutcome).toMatchObject({ Data: { OptStatus: 'ENABLING' }, polls: 1 });
    expect(fake.regionStatus(MEMBER, 'af-south-1')).toBe('ENABLING');
  });

  test('the management account\'s own Region is enabled in standalone context', async () => {
    const stack = simulatedStack();
    await stack.create('Region', region({ accountId: MANAGEMENT }));

    expect(fake.callsOf('EnableRegion')[0]).toMatchObject({ accountIdParameter: undefined, target: MANAGEMENT });
    expect(fake.regionStatus(MANAGEMENT, 'af-south-1')).toBe('ENABLED');
  });
});

describe('quotas and faults', () => {
  test('10 Regions of one account complete under the 6-in-progress limit without a failure', async () => {
    const stack = simulatedStack();
    const regions = ['af-south-1', 'ap-east-1', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ca-west-1',
      'eu-south-1', 'eu-south-2', 'eu-central-2', 'il-central-1'];

    await Promise.all(regions.map(regionName => stack.create(regionName, region({ regionName }))));

    for (const regionName of regions) expect(fake.regionStatus(MEMBER, regionName)).toBe('ENABLED');
    const enables = fake.callsOf('EnableRegion');
    expect(enables.filter(c => c.status === 200)).toHaveLength(10);
    expect(enables.some(c => c.errorType === 'TooManyRequestsException')).toBe(true);
  });

  test('25 Regions across the organization complete under the 20-in-progress limit', async () => {
    fake.addAccount('444444444444', { member: true });
    fake.addAccount('555555555555', { member: true });
    const stack = simulatedStack();
    const declared = ['222222222222', '333333333333', '444444444444', '555555555555', MANAGEMENT].flatMap(accountId =>
      ['af-south-1', 'ap-east-1', 'ap-south-2', 'ca-west-1', 'eu-south-1'].map(regionName => ({ accountId, regionName })));

    await Promise.all(declared.map(({ accountId, regionName }) => stack.create(`${accountId}-${regionName}`, region({ accountId, regionName }))));

    for (const { accountId, regionName } of declared) expect(fake.regionStatus(accountId, regionName)).toBe('ENABLED');
    expect(fake.callsOf('EnableRegion').some(c => c.errorType === 'TooManyRequestsException')).toBe(true);
  });

  test('bursts of throttling and server errors while polling end with the Region enabled', async () => {
    fake.injectFault({ operation: 'GetRegionOptStatus', status: 429, count: 4 });
    fake.injectFault({ operation: 'EnableRegion', status: 500, count: 2 });
    const stack = simulatedStack();
    await stack.create('Region', region());

    expect(fake.regionStatus(MEMBER, 'af-south-1')).toBe('ENABLED');
  });

  test('a transition that outlives the timeout fails saying so, and the next deploy resumes it', async () => {
    fake.regionTransitionMs = 1500;
    const stack = simulatedStack();
    const properties = { ...region(), TimeoutSeconds: '0.5' };
    await expect(stack.create('Region', properties)).rejects.toThrow(
      `EnableRegion for the Region af-south-1 of account ${MEMBER} is still in progress (status ENABLING) after 0 minutes; the service can take hours. `
      + 'The next deploy resumes waiting for it (it does not request it again); set waitForCompletion: false to complete as soon as the transition has started.');
    expect(fake.regionStatus(MEMBER, 'af-south-1')).toBe('ENABLING');

    // The next deploy: CloudFormation creates the resource again.
    await stack.create('Region', region());
    expect(fake.regionStatus(MEMBER, 'af-south-1')).toBe('ENABLED');
    expect(fake.callsOf('EnableRegion')).toHaveLength(1);
    expect(fake.calls.filter(c => c.errorType === 'ConflictException')).toHaveLength(0);
  });

  test('an AccessDenied while waiting fails the resource at once, not at the timeout', async () => {
    fake.regionTransitionMs = 5000;
    const stack = simulatedStack();
    const started = Date.now();
    const creating = stack.create('Region', region());
    await new Promise(resolve => setTimeout(resolve, 200));
    fake.trustedAccess = false;

    await expect(creating).rejects.toThrow(/^GetRegionOptStatus for the Region af-south-1 of account 222222222222 \(organizations mode\) failed: AccessDeniedException: .*; check that trusted access/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test('AccessDenied when starting fails at once with the hint', async () => {
    fake.trustedAccess = false;
    const stack = simulatedStack();
    await expect(stack.create('Region', region())).rejects.toThrow(/^GetRegionOptStatus .* failed: AccessDeniedException/);
    expect(fake.callsOf('EnableRegion')).toHaveLength(0);
  });

  test('disabling a Region that is enabled by default is an error that says so', async () => {
    const stack = simulatedStack();
    // Synth refuses enabled: false for eu-west-1; a token resolved at deploy time would not be refused.
    const properties = { ...region({ regionName: 'af-south-1' }), RegionName: 'eu-west-1', Enabled: 'false' };
    await expect(stack.create('Region', properties)).rejects.toThrow(
      `DisableRegion for the Region eu-west-1 of account ${MEMBER} is not possible: eu-west-1 is enabled by default and cannot be disabled; declare enabled: true or remove the RegionOptIn`);
  });
});

describe('delete, replacement and rollback', () => {
  test('with RemovalPolicy.DESTROY, removing the resource disables the Region and waits for it', async () => {
    const stack = simulatedStack();
    await stack.create('Region', region({ removalPolicy: RemovalPolicy.DESTROY }));
    await stack.delete('Region');

    expect(fake.regionStatus(MEMBER, 'af-south-1')).toBe('DISABLED');
    expect(fake.callsOf('DisableRegion')).toHaveLength(1);
  });

  test('removing the resource of a Region enabled by default leaves it, whatever the policy', async () => {
    const stack = simulatedStack();
    await stack.create('Region', region({ regionName: 'eu-west-1', removalPolicy: RemovalPolicy.DESTROY }));
    await stack.delete('Region');

    expect(fake.callsOf('DisableRegion')).toHaveLength(0);
  });

  test('a renamed construct keeps its Region enabled, even with DESTROY', async () => {
    const stack = simulatedStack();
    await stack.create('Region', region({ removalPolicy: RemovalPolicy.DESTROY }));
    await stack.rename('Region', 'Renamed');

    expect(fake.regionStatus(MEMBER, 'af-south-1')).toBe('ENABLED');
    expect(fake.callsOf('DisableRegion')).toHaveLength(0);
  });

  test('a change of account with DESTROY enables the new account\'s Region, then disables the old one', async () => {
    const stack = simulatedStack();
    await stack.create('Region', region({ removalPolicy: RemovalPolicy.DESTROY }));
    expect(await stack.update('Region', region({ accountId: OTHER_MEMBER, removalPolicy: RemovalPolicy.DESTROY })))
      .toBe(`${OTHER_MEMBER}/region/af-south-1`);

    expect(fake.regionStatus(OTHER_MEMBER, 'af-south-1')).toBe('ENABLED');
    expect(fake.regionStatus(MEMBER, 'af-south-1')).toBe('DISABLED');
  });

  test('a rollback that meets a transition in progress completes at once, leaving it to the next deploy', async () => {
    const stack = simulatedStack();
    fake.regionTransitionMs = 60_000;
    await stack.create('Region', region({ enabled: false }));
    await stack.update('Region', region({ enabled: true, waitForCompletion: false }));
    expect(fake.regionStatus(MEMBER, 'af-south-1')).toBe('ENABLING');

    await stack.rollback('Region', region({ enabled: false }));
    expect(stack.lastOutcome).toMatchObject({ Data: { OptStatus: 'ENABLING', Rollback: 'true' }, polls: 1 });
    expect(fake.callsOf('DisableRegion')).toHaveLength(0);
  });

  test('a rolled-back Create with DESTROY leaves the Region enabled', async () => {
    const stack = simulatedStack();
    await stack.create('Region', region({ removalPolicy: RemovalPolicy.DESTROY }));
    await stack.during('ROLLBACK_IN_PROGRESS', () => stack.delete('Region'));

    expect(fake.regionStatus(MEMBER, 'af-south-1')).toBe('ENABLED');
    expect(fake.callsOf('DisableRegion')).toHaveLength(0);
  });

  test('a rollback requests the old state without waiting for it', async () => {
    const stack = simulatedStack();
    await stack.create('Region', region({ enabled: false }));
    await stack.update('Region', region({ enabled: true }));
    expect(fake.regionStatus(MEMBER, 'af-south-1')).toBe('ENABLED');

    await stack.rollback('Region', region({ enabled: false }));
    expect(stack.lastOutcome).toMatchObject({ Data: { OptStatus: 'DISABLING' }, polls: 1 });
    expect(fake.callsOf('DisableRegion')).toHaveLength(1);
  });
});

test('the declared timeout and flags reach the handler as strings it parses', () => {
  const stack = new Stack(new App(), 'Props');
  new RegionOptIn(stack, 'Region', { regionName: 'af-south-1', pollInterval: Duration.seconds(45), timeout: Duration.minutes(20) });
  expect(propertiesOf(stack.node.findChild('Region'))).toMatchObject({ TimeoutSeconds: '1200', Enabled: 'true', WaitForCompletion: 'true' });
});

test('handler logs name the Region and the account, and nothing else', async () => {
  const { output } = await captureConsole(() => simulatedStack().create('Region', region()));
  const lines = output.split('\n').filter(Boolean).map(line => JSON.parse(line));
  expect(lines.length).toBeGreaterThan(1);
  for (const line of lines) expect(line).toMatchObject({ setting: 'Region af-south-1', accountId: MEMBER });
});
