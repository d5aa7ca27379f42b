/*
 * The bundles as `npx projen bundle` makes them (the esbuild arguments of its tasks in .projen/tasks.json), and
 * as the build made them before issue 18 (unminified handlers, the SDK's CommonJS files, the default credential
 * chain), built again into a temporary directory so that both are measured from the same sources.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.join(__dirname, '..');

export interface Bundle {
  /** 'settings', 'region', 'organization' or 'cli'. */
  readonly name: string;
  readonly entry: string;
  /** The shipped file (assets/…/index.js). */
  readonly asset: string;
}

export const BUNDLES: Bundle[] = [
  { name: 'settings', entry: 'lambda/settings/index.ts', asset: 'assets/lambda/settings/index/index.js' },
  { name: 'region', entry: 'lambda/region/index.ts', asset: 'assets/lambda/region/index/index.js' },
  { name: 'organization', entry: 'lambda/organization/index.ts', asset: 'assets/lambda/organization/index/index.js' },
  { name: 'cli', entry: 'cli/index.ts', asset: 'assets/cli/index/index.js' },
];

/** The esbuild arguments of the bundle's task, as `npx projen bundle` runs it. */
function taskArgs(bundle: Bundle): string[] {
  const tasks = JSON.parse(fs.readFileSync(path.join(ROOT, '.projen', 'tasks.json'), 'utf8')) as {
    tasks: Record<string, { steps?: Array<{ execArgs?: string[] }> }>;
  };
  const args = tasks.tasks[`bundle:${bundle.entry.replace(/\.ts$/, '')}`]?.steps?.[0]?.execArgs;
  if (!args || args[0] !== 'esbuild') throw new Error(`No esbuild task bundles ${bundle.entry}`);
  return args.slice(1);
}

/** The arguments of the build before issue 18: handlers unminified, the CLI minified, both from the SDK's CommonJS files. */
function beforeArgs(bundle: Bundle): string[] {
  return bundle.name === 'cli'
    ? ['--bundle', bundle.entry, '--target=node20', '--platform=node', '--minify', '--banner:js=#!/usr/bin/env node']
    : ['--bundle', bundle.entry, '--target=node22', '--platform=node'];
}

export interface Built {
  readonly file: string;
  readonly bytes: number;
  /** The @aws-sdk/client-* packages it holds, from esbuild's metafile. */
  readonly clients: string[];
}

function build(args: string[], outdir: string): Built {
  fs.mkdirSync(outdir, { recursive: true });
  const file = path.join(outdir, 'index.js');
  const meta = path.join(outdir, 'meta.json');
  const kept = args.filter(a => !a.startsWith('--outfile=') && !a.startsWith('--log-level='));
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'esbuild'), [...kept, `--outfile=${file}`, `--metafile=${meta}`, '--log-level=error'], { cwd: ROOT });
  const inputs = Object.keys((JSON.parse(fs.readFileSync(meta, 'utf8')) as { inputs: Record<string, unknown> }).inputs);
  const clients = new Set(inputs.map(input => /node_modules\/(@aws-sdk\/client-[^/]+)\//.exec(input)?.[1]).filter((c): c is string => !!c));
  fs.rmSync(meta);
  return { file, bytes: fs.statSync(file).size, clients: [...clients].sort() };
}

/** The bundle built now (into a temporary directory, with its task's arguments) and as it was built before issue 18. */
export function buildBoth(bundle: Bundle): { now: Built; before: Built } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${bundle.name}-`));
  return { now: build(taskArgs(bundle), path.join(dir, 'now')), before: build(beforeArgs(bundle), path.join(dir, 'before')) };
}

export const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
