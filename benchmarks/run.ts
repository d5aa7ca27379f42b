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

async function main(): Promise<void> {
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'AKIDFAKE';
  process.env.AWS_SECRET_ACCESS_KEY = 'fake';
  const only = process.argv.slice(2);
  const benchmarks: Array<[string, () => Promise<Section>]> = [
    ['synth', synthBenchmark],
    ['cold-start', coldStartBenchmark],
    ['region', regionWaiterBenchmark],
    ['organization', organizationScaleBenchmark],
  ];
  const sections: Section[] = [];
  for (const [name, run] of benchmarks) {
    if (only.length && !only.includes(name)) continue;
    const section = await run();
    console.log(`\n## ${section.title}\n\n${section.body}\n`);
    sections.push(section);
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
