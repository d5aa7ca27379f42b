/*
 * Runs the benchmarks, prints their tables and writes them to docs/PERFORMANCE.md.
 *
 *   npx projen bench
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { coldStartBenchmark } from './cold-start';
import { organizationScaleBenchmark } from './organization-scale';
import { regionWaiterBenchmark } from './region-waiter';
import { Section } from './stats';
import { synthBenchmark } from './synth';
import { FakeAccountApi } from '../test/fake-account-api';

/** Read against the tables above; kept by hand, so it says what the tables show, not numbers of its own. */
const WHERE_IT_LOSES = `## Where this library loses

- **Cold start.** The contacts handler's bundle holds the CloudFormation client as well (for the
  check that keeps a renamed construct's contact on Delete). It is evaluated only on a Delete, but
  its code is parsed with the rest, so loading the bundle takes longer than loading the bare
  @aws-sdk/client-account from node_modules; the first create itself costs the same. Code
  splitting (an ESM bundle with a separate chunk for the Delete path) would close the gap.
- **Small stacks.** The Provider framework adds a function of its own, so the library has two
  Lambda functions and a few more resources than one AwsCustomResource sharing a role; at 10
  settings that shared-role stack also synthesizes a little faster. From 100 settings on the
  library is smaller, faster to synthesize, and the only one whose IAM policies stay within IAM's
  limits while still naming the accounts and contact types.
- **Settings per stack.** Like AwsCustomResource, the single-setting constructs cost one resource
  per setting, so a stack tops out near 490 settings; OrganizationBaseline is the way past it.
`;

async function main(): Promise<void> {
  // One fake for the benchmarks that run handlers in this process: they keep their clients (and so
  // the endpoint) across invocations.
  const fake = await FakeAccountApi.start({ memberAccountIds: Array.from({ length: 1000 }, (_, i) => String(200000000000 + i)) });
  fake.useForSdkClients();
  const only = process.argv.slice(2);
  const benchmarks: Array<[string, () => Promise<Section>]> = [
    ['synth', synthBenchmark],
    ['cold-start', coldStartBenchmark],
    ['region', () => regionWaiterBenchmark(fake)],
    ['organization', () => organizationScaleBenchmark(fake)],
  ];
  const sections: Section[] = [];
  try {
    for (const [name, run] of benchmarks) {
      if (only.length && !only.includes(name)) continue;
      const section = await run();
      console.log(`\n## ${section.title}\n\n${section.body}\n`);
      sections.push(section);
    }
  } finally {
    await fake.close();
  }
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node.js ${process.version}, ${os.platform()}`;
  const doc = [
    '# Performance',
    '',
    `Measured by \`npx projen bench\` on ${new Date().toISOString().slice(0, 10)}, on ${machine}. Every figure comes from that one run.`,
    '',
    ...sections.flatMap(s => [`## ${s.title}`, '', s.method, '', s.body, '']),
    WHERE_IT_LOSES,
  ].join('\n');
  if (only.length === 0) {
    fs.mkdirSync(path.join(__dirname, '..', 'docs'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, '..', 'docs', 'PERFORMANCE.md'), doc);
    console.log('Written to docs/PERFORMANCE.md');
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
