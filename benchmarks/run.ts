/*
 * Runs the benchmarks, prints their tables and writes them to docs/PERFORMANCE.md.
 *
 *   npx projen bench                                  every benchmark; writes docs/PERFORMANCE.md
 *   npx projen bench deploy-at-once region            only these: printed, and their sections of docs/PERFORMANCE.md replaced
 *   BENCH_QUICK=1 npx projen bench                    small sizes and few runs, to check that they work (nothing written)
 *
 * Benchmarks: synth, bundle-size, cold-start, deploy-at-once, region, organization, members, plan.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bundleSizeBenchmark } from './bundle-size';
import { coldStartBenchmark } from './cold-start';
import { deployAtOnceBenchmark } from './deploy-at-once';
import { memberAccountsBenchmark } from './member-accounts';
import { organizationScaleBenchmark } from './organization-scale';
import { planBenchmark } from './plan';
import { regionWaiterBenchmark } from './region-waiter';
import { quick, Section } from './stats';
import { synthBenchmark } from './synth';

/** Read against the tables above; kept by hand, so it says what the tables show, not numbers of its own. */
const WHERE_IT_LOSES = `## Where this library loses

- **Cold start and bundle size.** Every bundle is within 300 KiB: a handler holds one SDK client,
  Account Management's, with only the commands it sends, minified with the names kept; its calls to
  CloudFormation, Organizations, Step Functions, S3, STS and EventBridge are signed requests of its own
  (lambda/shared/signed-request.ts), without those clients, so it carries their retries, errors and
  parsing itself, and what the SDK would fix for free (a new field, clock skew) it must follow by hand.
  The CLI's SDK credential chain (profiles, SSO) is a second bundle, loaded only when a profile needs
  it. The handler's first create also makes two CloudFormation calls the bare SDK does not make (the
  confirmation that keeps forged or stale requests from acting); the bundle loads faster than the
  unbundled SDK, which makes up for them on this machine.
- **Throttled calls under contention.** CloudFormation starts all of a stack's settings at once; their
  requests share the calling account's quota by a schedule that each computes alone (its rank among
  the settings of the operation that the deploy began, from its resource's Metadata or the stack's
  newest events; rank ÷ rate after CloudFormation began it), with no shared service. A request that
  starts after its slot (a cold start, Lambda's queue), whose wait ends a slot late, or that is
  throttled calls in a lane after the crowd's last slot, one slot per rank at 0.8 of the quota, so a
  single late request of a high rank waits after the crowd for longer than it would need alone. Each request reads its resource,
  the stack's status and, in an update, a page of the stack's events (about 2 to 3 reads). Anything
  else the account does with the same operation during the deploy is not in the schedule, and meets
  the crowd's calls at the quota's rate. AwsCustomResource makes fewer calls only because each gives up
  after the SDK's 3 attempts, and its stack rolls back. OrganizationBaseline paces all its calls from
  one execution of the stack's waiter, with a token bucket per operation that starts at the documented
  rate and probes above it, so a small share of its calls are answered 429 by design (the organization
  table counts them).
- **Small stacks.** The library's stack has one function, one role and one log group (with its
  retention) for all its settings, and a couple of resources more than AwsCustomResource sharing one
  role, whose function logs to a group that Lambda creates without expiry. Its template is the
  smallest at every size, and it is the only one whose IAM policies stay within IAM's limits while
  still naming the accounts and contact types.
- **Region opt-ins across an organization.** The reconciler looks at a Region transition again when the
  durations it has seen say it is due, and reads only the transitions that are due; a step waits within
  itself for a transition due within a minute and asks for the next as the slot frees, and after the
  service refused one it asks for no other until one of its own has ended. What remains: each step (5
  minutes) still pays its start, the in-progress limits are learned from one refusal per step, and until
  the reconciler has seen a transition end it looks every 20 seconds (the organization table shows how much
  that costs; there each step's calls also count S times their local latency). The "Region Opt-In Status Change"
  events, which the service sends to the calling account on a best-effort basis, do not wake the reconciler:
  the waiter's Wait state cannot be cut short, so an event could only start a second writer beside the
  execution's steps, or the waiter (which every setting of the stack shares) would wait on a task token.
  A converged re-run keeps several reads in flight at the pacer's rate; the pacer stops probing above the
  documented rate once a throttle there shows the quota to be the caller's, and keeps a little under it.
- **Settings per stack.** Like AwsCustomResource, the single-setting constructs cost one resource
  per setting, so a stack tops out near 490 settings; OrganizationBaseline is the way past it.
`;

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  // Each benchmark starts the local services it needs (local/), and stops them.
  const benchmarks: Array<[string, () => Promise<Section>]> = [
    ['synth', synthBenchmark],
    ['bundle-size', bundleSizeBenchmark],
    ['cold-start', coldStartBenchmark],
    ['deploy-at-once', deployAtOnceBenchmark],
    ['region', regionWaiterBenchmark],
    ['organization', organizationScaleBenchmark],
    ['members', memberAccountsBenchmark],
    ['plan', planBenchmark],
  ];
  const unknown = only.filter(name => !benchmarks.some(([known]) => known === name));
  if (unknown.length > 0) throw new Error(`Unknown benchmark ${unknown.join(', ')}; the benchmarks are ${benchmarks.map(([name]) => name).join(', ')}`);
  const sections: Section[] = [];
  for (const [name, run] of benchmarks) {
    if (only.length && !only.includes(name)) continue;
    const started = Date.now();
    const section = await run();
    console.log(`\n## ${section.title}\n\n${section.method}\n\n${section.body}\n\n(${name}: ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
    sections.push(section);
  }
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node.js ${process.version}, ${os.platform()}`;
  const doc = [
    '# Performance',
    '',
    `Measured by \`npx projen bench\` on ${new Date().toISOString().slice(0, 10)}, on ${machine}; \`npx projen bench <name>\` measures one section again, `
      + 'and each section\'s method names the machine\'s load when it was measured.',
    '',
    ...sections.flatMap(s => [`## ${s.title}`, '', s.method, '', s.body, '']),
    WHERE_IT_LOSES,
  ].join('\n');
  if (quick()) return;
  writeReadmeFigures(sections);
  const file = path.join(__dirname, '..', 'docs', 'PERFORMANCE.md');
  if (only.length === 0 || !fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, doc);
    console.log('Written to docs/PERFORMANCE.md');
  } else {
    // The hand-kept reading is replaced too, so that it follows what the sections measure now.
    const updated = sections.reduce(withSection, fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, `${updated.slice(0, updated.indexOf('## Where this library loses'))}${WHERE_IT_LOSES}`);
    console.log(`Sections of docs/PERFORMANCE.md replaced: ${sections.map(s => s.title).join('; ')}`);
  }
}

/**
 * The README's performance summary: each section's headline figures, written between the README's
 * `<!-- bench:<title> -->` markers, so that they come from the same run as docs/PERFORMANCE.md.
 */
function writeReadmeFigures(sections: Section[]): void {
  const file = path.join(__dirname, '..', 'README.md');
  let readme = fs.readFileSync(file, 'utf8');
  const date = new Date().toISOString().slice(0, 10);
  for (const section of sections) {
    if (!section.readme) continue;
    const marker = `<!-- bench:${section.title} -->`;
    const start = readme.indexOf(marker);
    const end = readme.indexOf(marker, start + 1);
    if (start < 0 || end < 0) throw new Error(`README.md has no pair of ${marker} markers for the section's figures`);
    readme = `${readme.slice(0, start + marker.length)}\n- ${section.readme} (${date}).\n${readme.slice(end)}`;
  }
  fs.writeFileSync(file, readme);
}

/** The document with `section` in place of its namesake (or before "Where this library loses" if it is new). */
function withSection(doc: string, section: Section): string {
  const text = `## ${section.title}\n\n${section.method}\n\n${section.body}\n\n`;
  const start = doc.indexOf(`## ${section.title}\n`);
  if (start < 0) return doc.replace('## Where this library loses', `${text}## Where this library loses`);
  const end = doc.indexOf('\n## ', start + 1);
  return `${doc.slice(0, start)}${text}${doc.slice(end + 1)}`;
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
