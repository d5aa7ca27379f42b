/*
 * RegionOptIn's waiter: enable N Regions of one account at once against the local fake, whose
 * transitions take a fixed time, with the handlers polled as the Provider framework's waiter does.
 * Per N: how long after the last Region reached ENABLED its resource reported complete (the detection
 * latency, bounded by one poll interval), and the API calls made.
 */
import { App, Stack } from 'aws-cdk-lib';
import { summarize, Section, table } from './stats';
import { isComplete, onEvent } from '../lambda/region';
import { RegionOptIn } from '../src';
import { FakeAccountApi, OPT_IN_REGIONS } from '../test/fake-account-api';
import { propertiesOf, SimulatedStack } from '../test/simulated-stack';

const MEMBER = '200000000000';
/** Scaled down from the real defaults (30 s polls, minutes of transition) so that a run takes seconds. */
const POLL_MS = 300;
const TRANSITION_MS = 1500;
const RUNS = 5;

export async function regionWaiterBenchmark(fake: FakeAccountApi): Promise<Section> {
  fake.rateQuotas = {};
  const quiet = console.info;
  console.info = () => undefined;
  const rows: Array<Array<string | number>> = [];
  try {
    for (const n of [1, 6, 10]) {
      const latencies: number[] = [];
      const totals: number[] = [];
      let calls = '';
      for (let run = 0; run < RUNS; run++) {
        for (const regionName of OPT_IN_REGIONS) fake.setRegionStatus(MEMBER, regionName, 'DISABLED');
        fake.clearCalls();
        // Transitions end at a different phase of the poll cycle in each run, as they do for real.
        fake.regionTransitionMs = TRANSITION_MS + Math.round((run * POLL_MS) / RUNS);
        const stack = new SimulatedStack(fake, onEvent, fake.callerAccountId, { isComplete, pollMs: POLL_MS });
        const regions = OPT_IN_REGIONS.slice(0, n);
        const started = Date.now();
        const completedAt = new Map<string, number>();
        await Promise.all(regions.map(async regionName => {
          await stack.create(regionName, properties(regionName));
          completedAt.set(regionName, Date.now());
        }));
        // The Region that reached ENABLED last, and when its resource said so.
        const last = fake.transitions.reduce((a, b) => (b.endsAt > a.endsAt ? b : a));
        latencies.push(completedAt.get(last.regionName)! - last.endsAt);
        totals.push(Date.now() - started);
        const count = (op: string, error?: string) => fake.callsOf(op).filter(c => !error || c.errorType === error).length;
        calls = `${count('GetRegionOptStatus')} Get, ${count('EnableRegion')} Enable (${count('EnableRegion', 'TooManyRequestsException')} refused by the 6-in-progress limit)`;
      }
      rows.push([n, summarize(latencies), POLL_MS, summarize(totals), calls]);
    }
  } finally {
    console.info = quiet;
  }
  return {
    title: 'RegionOptIn: detection latency and API calls',
    method: `N Regions of one account enabled at once against the local fake; each transition takes ${TRANSITION_MS} ms plus 0-${POLL_MS} ms (a different phase of the poll cycle in each run) and the waiter polls every ${POLL_MS} ms `
      + `(the real defaults are 30 s and minutes: the latency scales with the poll interval). ${RUNS} runs per N; median (min-max). `
      + 'Latency: from the moment the last Region reached ENABLED to its resource reporting complete. Calls: of the last run.',
    body: table(['N Regions', 'latency after the last ENABLED (ms)', 'poll interval (ms)', 'whole deploy (ms)', 'API calls'], rows),
  };
}

function properties(regionName: string) {
  const stack = new Stack(new App(), 'Bench');
  return propertiesOf(new RegionOptIn(stack, 'Region', { regionName, accountId: MEMBER }));
}
