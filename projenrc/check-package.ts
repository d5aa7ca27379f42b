/*
 * The packaging task's last step: fails when the packed tarball lacks what an installed package needs
 * (the jsii assembly, the compiled library, each handler bundle, the command-line tool's executable bin,
 * a source map a bundle names), holds assets no step made, or a bundle over its size budget, so that a
 * broken or bloated package is never made.
 *
 *   ts-node projenrc/check-package.ts dist/js/<tarball>.tgz <file the package needs>…
 */
import { execFileSync } from 'child_process';

/** Issue 18's goal for every bundle: at most this many KiB (a handler's asset directory is its one file). */
export const BUNDLE_GOAL_KIB = 300;

/** A file in the tarball: its mode's permission string (`-rwxr-xr-x`) and its size in bytes. */
type Listing = Map<string, { mode: string; bytes: number }>;

function list(tarball: string): Listing {
  const listing: Listing = new Map();
  for (const line of execFileSync('tar', ['-tvzf', tarball], { encoding: 'utf8' }).split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 6 || !fields[0].startsWith('-')) continue;
    listing.set(fields[fields.length - 1], { mode: fields[0], bytes: Number(fields[2]) });
  }
  return listing;
}

function read(tarball: string, file: string): string {
  return execFileSync('tar', ['-xzOf', tarball, file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** What is wrong with the tarball, one line each; empty when it holds what the package needs. */
export function problems(tarball: string, required: string[]): string[] {
  const listing = list(tarball);
  const found: string[] = [];
  const inPackage = (file: string) => `package/${file.replace(/^\.\//, '')}`;
  const manifest = JSON.parse(read(tarball, 'package/package.json')) as { bin?: Record<string, string> };
  for (const file of ['package.json', '.jsii', 'lib/index.js', 'lib/index.d.ts', ...required]) {
    if (!listing.has(inPackage(file))) found.push(`${file} is missing`);
  }
  for (const [name, file] of Object.entries(manifest.bin ?? {})) {
    const mode = listing.get(inPackage(file))?.mode;
    if (mode === undefined) {
      found.push(`the bin ${name} (${file}) is missing`);
      continue;
    }
    if (!/^-..x/.test(mode)) found.push(`the bin ${name} (${file}) is not executable (${mode})`);
    if (!read(tarball, inPackage(file)).startsWith('#!/usr/bin/env node')) found.push(`the bin ${name} (${file}) does not start with #!/usr/bin/env node`);
  }
  const made = new Set([...required, ...Object.values(manifest.bin ?? {})].map(inPackage));
  for (const file of listing.keys()) {
    if (/^package\/assets\//.test(file) && !made.has(file)) found.push(`${file.slice('package/'.length)} is not a file the build makes (left from an earlier one?)`);
  }
  for (const [file, { bytes }] of listing) {
    if (!/^package\/assets\/.*\.js$/.test(file)) continue;
    const asset = file.slice('package/'.length);
    if (bytes > BUNDLE_GOAL_KIB * 1024) found.push(`${asset} is ${Math.ceil(bytes / 1024)} KiB, over its budget of ${BUNDLE_GOAL_KIB} KiB`);
  }
  for (const file of listing.keys()) {
    if (!/^package\/assets\/.*\.js$/.test(file)) continue;
    const map = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(read(tarball, file))?.[1];
    if (map === undefined || map.startsWith('data:')) continue;
    const mapFile = `${file.slice(0, file.lastIndexOf('/') + 1)}${map}`;
    if (!listing.has(mapFile)) found.push(`${file.slice('package/'.length)} names the source map ${map}, which is missing`);
  }
  return found;
}

if (require.main === module) {
  const [tarball, ...required] = process.argv.slice(2);
  const found = problems(tarball, required);
  if (found.length > 0) {
    process.stderr.write(`${tarball} is not a working package:\n${found.map(p => `  - ${p}`).join('\n')}\n`
      + 'Run `npx projen package:js` (it bundles, compiles and packs in order).\n');
    process.exit(1);
  }
  process.stdout.write(`${tarball}: every file the package needs is there\n`);
}
