/*
 * The reconciler's Region step against the local Account API (regionsStep in this process): a converged
 * re-run keeps several reads in flight at once instead of reading one Region after the other, and a step
 * that meets the in-progress limits waits within itself for the transitions it knows to be due, asking
 * for the next as a slot frees, without asking again while the limit it was refused at still holds.
 */
import { AccountClient, GetRegionOptStatusCommand } from '@aws-sdk/client-account';
import { MAX_AHEAD } from '../lambda/organization/read-ahead';
import { NO_REGIONS, regionsStep } from '../lambda/organization/regions';
import { Invocation } from '../lambda/shared/clients';
import { DOCUMENTED_QUOTAS, Pacer } from '../lambda/shared/pacer';
import { OPT_IN_REGIONS, scaledQuotas } from '../local';
import { useSmallOrganization } from './small-organization';
import { MANAGEMENT } from './support';

const TIME_SCALE = 50;
const MEMBERS = Array.from({ length: 8 }, (_, i) => String(260000000000 + i));
const REGIONS = OPT_IN_REGIONS.slice(0, 2);
const PAIRS = MEMBERS.length * REGIONS.length;

jest.setTimeout(60_000);

const org = useSmallOrganization(MEMBERS, {}, TIME_SCALE);

const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${MANAGEMENT}:function:reconciler`;
const invocation = () => new Invocation({ invokedFunctionArn: FUNCTION_ARN, getRemainingTimeInMillis: () => 600_000 });
const wanted = async () => true;
/** One step, with a minute (real time) to go. */
const step = (progress = NO_REGIONS, pacer = new Pacer(Date.now() + 60_000)) => {
  return regionsStep(invocation(), pacer, MEMBERS, REGIONS, progress, pacer.deadline, wanted);
};

beforeEach(() => {
  org.aws.rateQuotas = scaledQuotas(TIME_SCALE);
});

afterEach(() => {
  jest.restoreAllMocks();
  org.aws.latencyMs = 0;
  org.aws.accountApi.maxTransitionsPerOrganization = 20;
});

test('a converged re-run reads several Regions at once, each once, and writes nothing', async () => {
  for (const id of MEMBERS) for (const region of REGIONS) org.aws.setRegionStatus(id, region, 'ENABLED');
  // Each answer takes a second of the service's time: reads one after the other would never overlap.
  org.aws.latencyMs = 1_000;
  let inFlight = 0;
  let most = 0;
  const send = AccountClient.prototype.send;
  jest.spyOn(AccountClient.prototype, 'send').mockImplementation(async function (this: AccountClient, command: unknown) {
    const read = command instanceof GetRegionOptStatusCommand;
    if (read) most = Math.max(most, ++inFlight);
    try {
      return await (send as (c: unknown) => Promise<unknown>).call(this, command);
    } finally {
      if (read) inFlight--;
    }
  } as typeof send);

  const result = await step();

  expect(result.done).toBe(true);
  expect(most).toBeGreaterThan(1);
  expect(most).toBeLessThanOrEqual(MAX_AHEAD);
  const reads = org.aws.callsOf('GetRegionOptStatus');
  expect(reads.filter(c => c.status === 200)).toHaveLength(PAIRS);
  expect(new Set(reads.map(c => `${c.target}`)).size).toBe(MEMBERS.length);
  expect(org.aws.callsOf('EnableRegion')).toEqual([]);
});

test('a step refused at the in-progress limit waits within itself for the transitions due, and asks again only as slots free', async () => {
  const limit = 3;
  org.aws.accountApi.maxTransitionsPerOrganization = limit;
  // Transitions of 10 s, which an earlier step has seen: the step waits for them within itself (the fake's clock is real: 200 ms each).
  org.aws.regionTransitionMs = 10_000 / TIME_SCALE;
  // Without EnableRegion's rate quota, every refusal is the limit's.
  const { EnableRegion: _rate, ...quotas } = scaledQuotas(TIME_SCALE);
  org.aws.rateQuotas = quotas;

  const pacer = new Pacer(Date.now() + 60_000);
  const result = await step({ ...NO_REGIONS, transitionSeconds: [9, 10] }, pacer);

  expect(result.done).toBe(true);
  expect(result.progress).toMatchObject({ enabled: PAIRS, failed: 0, inFlight: [] });
  for (const id of MEMBERS) for (const region of REGIONS) expect(org.aws.regionStatus(id, region)).toBe('ENABLED');
  const enables = org.aws.callsOf('EnableRegion');
  expect(enables.filter(c => c.status === 200)).toHaveLength(PAIRS);
  // Refused once (asked twice, once after slowing down; a transition may end between the two), then never asked while the limit it met held.
  expect(enables.filter(c => c.status === 429).length).toBeLessThanOrEqual(3);
  // A refusal for the limits did not slow the requests that followed it (a throttle takes 15 % off).
  expect(pacer.rateOf('EnableRegion')).toBeGreaterThan(DOCUMENTED_QUOTAS.EnableRegion.rate * 0.9);
});

test('without a transition seen to end, a refused step leaves the wait to the waiter', async () => {
  org.aws.accountApi.maxTransitionsPerOrganization = 3;
  // Until settled: none ends while the step runs.
  org.aws.regionTransitionMs = Infinity;

  const result = await step();

  expect(result).toMatchObject({ done: false, waiting: true });
  expect(org.aws.callsOf('EnableRegion').filter(c => c.status === 200)).toHaveLength(3);
});
