import * as fs from 'fs';
import * as path from 'path';
import { Stack, Stage, Token } from 'aws-cdk-lib';

/*
 * A synthesized stack as the local CloudFormation reads it: its template, its staged assets, the
 * dependencies between its resources, and what custom resources receive.
 */

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Condition?: string;
}

export interface Template {
  readonly Resources: Record<string, TemplateResource>;
  readonly Parameters?: Record<string, { Default?: Json }>;
  readonly Conditions?: Record<string, Json>;
  readonly Mappings?: Record<string, Record<string, Record<string, Json>>>;
}

/** A synthesized stack: its template and where its assets were staged. */
export interface Artifact {
  readonly template: Template;
  /** Asset hash → the staged directory or file. */
  readonly assets: Map<string, string>;
  readonly account: string;
  readonly region: string;
}

/** A deployed resource. */
export interface Deployed {
  readonly logicalId: string;
  readonly type: string;
  readonly definition: TemplateResource;
  /** The properties as last applied (resolved; for custom resources, as sent). */
  readonly properties: Record<string, Json>;
  readonly physicalId: string;
  readonly attributes: Record<string, string>;
}


export function synthesize(stack: Stack, defaultAccount: string): Artifact {
  const stage = Stage.of(stack);
  if (!stage) throw new Error(`${stack.node.path} is not in an app`);
  const assembly = stage.synth();
  const artifact = assembly.getStackArtifact(stack.artifactId);
  const assets = new Map<string, string>();
  for (const manifest of assembly.artifacts) {
    const file = (manifest as { file?: string }).file;
    if (!file || !file.endsWith('.assets.json')) continue;
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { files?: Record<string, { source: { path: string } }> };
    for (const [hash, entry] of Object.entries(parsed.files ?? {})) assets.set(hash, path.join(assembly.directory, entry.source.path));
  }
  return {
    template: { Resources: {}, ...artifact.template },
    assets,
    account: Token.isUnresolved(stack.account) ? defaultAccount : stack.account,
    region: Token.isUnresolved(stack.region) ? 'us-east-1' : stack.region,
  };
}

/** The resources a resource depends on: DependsOn, and every Ref, Fn::GetAtt and Fn::Sub reference. */
export function dependencies(resource: TemplateResource, template: Template): Set<string> {
  const deps = new Set<string>([resource.DependsOn ?? []].flat());
  const visit = (value: Json): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    if (typeof value.Ref === 'string') deps.add(value.Ref);
    if (value['Fn::GetAtt']) deps.add(Array.isArray(value['Fn::GetAtt']) ? value['Fn::GetAtt'][0] : String(value['Fn::GetAtt']).split('.')[0]);
    if (value['Fn::Sub']) {
      const text = Array.isArray(value['Fn::Sub']) ? value['Fn::Sub'][0] : value['Fn::Sub'];
      for (const match of String(text).matchAll(/\$\{([^!}][^}.]*)/g)) deps.add(match[1]);
    }
    Object.values(value).forEach(visit);
  };
  visit(resource.Properties ?? {});
  return new Set([...deps].filter(id => id in template.Resources));
}

/** CloudFormation delivers a custom resource's scalar properties as strings. */
export function stringified(value: Json): Json {
  if (Array.isArray(value)) return value.map(stringified);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringified(v)]));
  return value === null || value === undefined ? value : String(value);
}

export function isCustom(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}
