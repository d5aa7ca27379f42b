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
