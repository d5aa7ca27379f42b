/*
 * Bundle size and load time: each handler's bundle (its Lambda asset directory holds that one file) and the
 * CLI's, as built now and before issue 18, against the @aws-sdk/client-* packages each holds loaded unbundled
 * from node_modules, as a handler relying on the SDK's files would load them.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { buildBoth, Built, BUNDLES, kib, ROOT } from './bundles';
import { machine, quick, Section, summarize, table } from './stats';
import { BUNDLE_GOAL_KIB } from '../projenrc/check-package';

const RUNS = quick() ? 2 : 10;
const CHAIN = 'assets/cli/credential-chain/index.js';

/** Milliseconds `require` of the modules takes in a fresh `node` (cwd the project root, so that packages resolve). */
function loadMs(modules: string[]): number {
  const script = 'const t = process.hrtime.bigint(); for (const m of JSON.parse(process.argv[1])) require(m); '
    + 'process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));';
  return Number(execFileSync(process.execPath, ['-e', script, JSON.stringify(modules)], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  }));
}

/** Milliseconds of a fresh `node` process running the CLI's `--version`, as the parent sees it. */
function cliMs(file: string): number {
  const started = process.hrtime.bigint();
  execFileSync(process.execPath, [file, '--version'], { cwd: ROOT, encoding: 'utf8' });
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const gzipped = (built: Built) => zlib.gzipSync(fs.readFileSync(built.file), { level: 9 }).length;
const short = (clients: string[]) => clients.map(c => c.replace('@aws-sdk/client-', '')).join(', ');

export async function bundleSizeBenchmark(): Promise<Section> {
  const loadBefore = os.loadavg()[0];
  const rows: Array<Array<string | number>> = [];
  const sizes: string[] = [];
  for (const bundle of BUNDLES) {
    const { now, before } = buildBoth(bundle);
    const shipped = fs.statSync(path.join(ROOT, bundle.asset)).size;
    if (shipped !== now.bytes) throw new Error(`${bundle.asset} (${shipped} bytes) is not what its task builds (${now.bytes}): run \`npx projen bundle\``);
    const cli = bundle.name === 'cli';
    const measure = (file: string) => (cli ? cliMs(file) : loadMs([file]));
    // Warm-up (page cache), then the three take turns in each run.
    [now.file, before.file].forEach(measure);
    if (!cli) loadMs(now.clients);
    const times = { now: [] as number[], before: [] as number[], sdk: [] as number[] };
    for (let run = 0; run < RUNS; run++) {
      times.now.push(measure(now.file));
      times.before.push(measure(before.file));
      if (!cli) times.sdk.push(loadMs(now.clients));
    }
    sizes.push(`${bundle.name} ${kib(now.bytes)} (${kib(before.bytes)} as built before issue 18)`);
    rows.push([
      bundle.name === 'cli' ? 'CLI (bin)' : `${bundle.name} handler`,
      `${kib(before.bytes)} (gzip ${kib(gzipped(before))})`,
      `**${kib(now.bytes)}** (gzip ${kib(gzipped(now))})`,
      now.bytes <= BUNDLE_GOAL_KIB * 1024 ? `within ${BUNDLE_GOAL_KIB} KiB` : `**over ${BUNDLE_GOAL_KIB} KiB**`,
      short(now.clients),
      summarize(times.before, 1),
      summarize(times.now, 1),
      cli ? '—' : summarize(times.sdk, 1),
    ]);
  }
  return {
    readme: `bundles ${sizes.join(', ')}, against a goal of ${BUNDLE_GOAL_KIB} KiB each`,
    title: 'Bundle size and load time',
    method: `${machine(loadBefore)}. Each bundle built twice into a temporary directory from the same sources: "now" with the esbuild arguments `
      + 'of its `npx projen bundle` task (checked to be the shipped file byte for byte): the SDK\'s ES modules (`--main-fields=module,main`, '
      + 'so that only the commands and schemas used are kept), minified with the names kept (`--minify --keep-names`), and for the handlers '
      + 'the environment\'s credentials in place of the default credential chain and no event-stream code (esbuild aliases); "before" '
      + 'as the build was before issue 18: the handlers unminified, the CLI minified, both from the SDK\'s CommonJS files. A handler\'s '
      + 'Lambda asset directory holds its bundle alone, so the bundle is all the function ships (gzip -9 for an idea of the zipped asset). '
      + `Goal (issue 18): at most ${BUNDLE_GOAL_KIB} KiB; the packaging check (projenrc/check-package.ts) fails above it. `
      + 'SDK clients: the @aws-sdk/client-* packages in esbuild\'s metafile. Load: `process.hrtime` '
      + `around the \`require\` in a fresh \`node\`, ${RUNS} runs after a warm-up (page cache), the three taking turns; median (min-max) in ms; `
      + 'the bare SDK is the same clients `require`d from node_modules (the SDK\'s CommonJS files, which load their credential providers only '
      + 'when used). For the CLI: a fresh `node` running `--version`, the process as the parent sees it. The CLI\'s SDK credential chain '
      + `(profiles, SSO, credential_process, roles to assume) is a bundle of its own, ${kib(fs.statSync(path.join(ROOT, CHAIN)).size)} `
      + '(assets/cli/credential-chain/index.js), which the tool loads only when the environment holds no keys or a profile is named.',
    body: table(
      ['bundle', 'before', 'now', 'goal', 'SDK clients it holds', 'load before (ms)', 'load now (ms)', 'those clients unbundled (ms)'],
      rows,
    ),
  };
}
