import * as fs from 'fs';
import * as path from 'path';
import type { Template } from './declared';

/*
 * The stacks of a cloud assembly (what `cdk synth` writes to cdk.out), nested assemblies (CDK Pipelines'
 * stages) included: their names, the account they deploy to, and their templates.
 */

export interface AssemblyStack {
  /** The stack's name in CloudFormation. */
  readonly stackName: string;
  /** How the CDK shows it (`Stage/Stack`), which `--stack` also accepts. */
  readonly displayName: string;
  /** The account of the stack's environment, if the app names one. */
  readonly account?: string;
  /** The Region of the stack's environment, if the app names one. */
  readonly region?: string;
  readonly template: Template;
}

interface Manifest {
  readonly artifacts?: Record<string, {
    readonly type: string;
    readonly environment?: string;
    readonly displayName?: string;
    readonly properties?: { readonly templateFile?: string; readonly stackName?: string; readonly directoryName?: string };
  }>;
}

/** Whether `dir` holds a cloud assembly. */
export function isAssembly(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'manifest.json'));
}

/** Every stack of the assembly in `dir`. */
export function readAssembly(dir: string): AssemblyStack[] {
  const file = path.join(dir, 'manifest.json');
  if (!isAssembly(dir)) {
    throw new Error(`${dir} is not a cloud assembly (no manifest.json): run \`cdk synth\` first, or name the assembly with --app`);
  }
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  const stacks: AssemblyStack[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      stacks.push(...readAssembly(path.join(dir, artifact.properties.directoryName)));
    } else if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      const [, account, region] = /^aws:\/\/(\d{12}|[^/]*)\/([a-z]{2}(?:-[a-z]+)+-\d)?/.exec(artifact.environment ?? '') ?? [];
      stacks.push({
        stackName: artifact.properties.stackName ?? id,
        displayName: artifact.displayName ?? id,
        account: /^\d{12}$/.test(account ?? '') ? account : undefined,
        region,
        template: JSON.parse(fs.readFileSync(path.join(dir, artifact.properties.templateFile), 'utf8')) as Template,
      });
    }
  }
  return stacks;
}

/** The stacks named (by stack name or display name), all of them when none is; an unknown name is an error. */
export function selectStacks(stacks: AssemblyStack[], names: string[]): AssemblyStack[] {
  if (names.length === 0) return stacks;
  return names.map(name => {
    const stack = stacks.find(s => s.stackName === name || s.displayName === name);
    if (!stack) throw new Error(`No stack named ${name} in the assembly; it has ${stacks.map(s => s.displayName).join(', ') || 'none'}`);
    return stack;
  });
}
