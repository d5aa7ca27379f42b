import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Stack, Stage, Token } from 'aws-cdk-lib';
import type { CloudFormationService, CustomResourceResponse, LocalStack } from './cloudformation';
import { timeScale } from './common';
import type { LambdaService } from './lambda';
import type { ObjectStore } from './s3';
import type { StepFunctionsService } from './step-functions';

/*
 * CloudFormation's deploy lifecycle, played locally over a synthesized stack, with the semantics the
 * handlers meet in AWS:
 * - independent resources start at once; a resource starts when every resource it depends on
 *   (DependsOn, Ref, Fn::GetAtt, Fn::Sub) is done;
 * - custom resources get their requests by an asynchronous invocation of their service token, and
 *   complete when their function PUTs the answer to the request's ResponseURL (or when ServiceTimeout,
 *   an hour by default, has passed);
 * - when a resource fails, the requests still in progress are cancelled (their functions run on, and
 *   their answers are ignored) and the stack is rolled back at once: an Update with the old properties
 *   for each resource the deploy touched, a Delete for each resource it created, then the new physical
 *   resources of replacements are deleted;
 * - after a successful update, replaced physical resources and removed resources are deleted (the
 *   cleanup phase), except where a DeletionPolicy / UpdateReplacePolicy of Retain says otherwise.
 * Lambda functions, state machines and S3 buckets of the stack are deployed to the local services;
 * other resource types are recorded without doing anything.
 */

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Condition?: string;
}

interface Template {
  readonly Resources: Record<string, TemplateResource>;
  readonly Parameters?: Record<string, { Default?: Json }>;
  readonly Conditions?: Record<string, Json>;
  readonly Mappings?: Record<string, Record<string, Record<string, Json>>>;
}

/** A synthesized stack: its template and where its assets were staged. */
interface Artifact {
  readonly template: Template;
  /** Asset hash → the staged directory or file. */
  readonly assets: Map<string, string>;
  readonly account: string;
  readonly region: string;
}

/** A deployed resource. */
interface Deployed {
  readonly logicalId: string;
  readonly type: string;
  readonly definition: TemplateResource;
  /** The properties as last applied (resolved; for custom resources, as sent). */
  readonly properties: Record<string, Json>;
  readonly physicalId: string;
  readonly attributes: Record<string, string>;
}

/** One change of a resource's status, as CloudFormation's stack events show it. */
export interface StackEvent {
  readonly logicalId: string;
  readonly status: string;
  readonly reason?: string;
  readonly at: number;
}

export interface DeployResult {
  /** The stack's status at the end: CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE, DELETE_COMPLETE… */
  readonly status: string;
  /** The resources that failed (not those cancelled because of them), with CloudFormation's reason. */
  readonly failures: Array<{ readonly logicalId: string; readonly reason: string }>;
  readonly events: StackEvent[];
}

/** A resource that fails when CloudFormation gets to it, as an unrelated resource of the stack would. */
export interface Breakage {
  readonly reason?: string;
  /** Fails only once this has resolved (a test's cue), e.g. when a request it races has reached a point. */
  readonly when?: Promise<unknown>;
}

export interface DeployOptions {
  /** By logical id: resources (of any type) that fail when CloudFormation gets to them. */
  readonly breakResources?: Record<string, Breakage>;
}

/** What the engine needs of the local services. */
export interface LocalServices {
  readonly endpoint: string;
  readonly managementAccountId: string;
  readonly cloudFormation: CloudFormationService;
  readonly lambda: LambdaService;
  readonly stepFunctions: StepFunctionsService;
  readonly s3: ObjectStore;
}

const DEFAULT_SERVICE_TIMEOUT_SECONDS = 3600;

class Cancelled extends Error {}

export class LocalCloudFormation {
  private readonly deployments = new Map<string, StackDeployment>();

  constructor(private readonly services: LocalServices) {}

  /** Synthesizes the stack's app and creates or updates the stack to its template. */
  public async deploy(stack: Stack, options: DeployOptions = {}): Promise<DeployResult> {
    const artifact = synthesize(stack, this.services.managementAccountId);
    let deployment = this.deployments.get(stack.stackName);
    if (!deployment) {
      deployment = new StackDeployment(this.services, stack.stackName, artifact.account, artifact.region);
      this.deployments.set(stack.stackName, deployment);
    }
    return deployment.deploy(artifact, options);
  }

  /** Deletes the stack. */
  public async destroy(stackName: string): Promise<DeployResult> {
    const deployment = this.deployments.get(stackName);
    if (!deployment) throw new Error(`No stack ${stackName} was deployed`);
    const result = await deployment.destroy();
    if (result.status === 'DELETE_COMPLETE') this.deployments.delete(stackName);
    return result;
  }

  /** The stack's record in the local CloudFormation service (id, status, resources). */
  public stackOf(stackName: string): LocalStack {
    const deployment = this.deployments.get(stackName);
    if (!deployment) throw new Error(`No stack ${stackName} was deployed`);
    return deployment.record;
  }

  /** A deployed resource's physical id and attributes. */
  public resource(stackName: string, logicalId: string): { physicalId: string; attributes: Record<string, string> } | undefined {
    return this.deployments.get(stackName)?.deployed.get(logicalId);
  }

  /** A deployed resource's properties, resolved (as a custom resource received them). */
  public resourceProperties(stackName: string, logicalId: string): Record<string, Json> {
    const resource = this.deployments.get(stackName)?.deployed.get(logicalId);
    if (!resource) throw new Error(`No resource ${logicalId} in stack ${stackName}`);
    return resource.properties;
  }
}

function synthesize(stack: Stack, defaultAccount: string): Artifact {
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
function dependencies(resource: TemplateResource, template: Template): Set<string> {
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
function stringified(value: Json): Json {
  if (Array.isArray(value)) return value.map(stringified);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringified(v)]));
  return value === null || value === undefined ? value : String(value);
}

function isCustom(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

/** One stack's deployments. */
class StackDeployment {
  public readonly record: LocalStack;
  /** The resources as last deployed. */
  public readonly deployed = new Map<string, Deployed>();
  private events: StackEvent[] = [];
  private failures: Array<{ logicalId: string; reason: string }> = [];
  /** Requests in progress, by logical id: cancelling one stops the wait for it. */
  private readonly inFlight = new Map<string, { verb: string; cancel: () => void }>();

  /** The template as last deployed (kept in the stack's record, where GetTemplate reads it). */
  private get template(): Template {
    return this.record.template as Template;
  }

  constructor(private readonly services: LocalServices, stackName: string, private readonly account: string, private readonly region: string) {
    this.record = {
      stackId: `arn:aws:cloudformation:${region}:${account}:stack/${stackName}/${randomUUID()}`,
      stackName,
      status: 'REVIEW_IN_PROGRESS',
      resources: new Map(),
      template: { Resources: {} },
    };
    services.cloudFormation.stacks.set(this.record.stackId, this.record);
  }

  public async deploy(artifact: Artifact, options: DeployOptions): Promise<DeployResult> {
    this.events = [];
    this.failures = [];
    const creating = ['REVIEW_IN_PROGRESS', 'ROLLBACK_COMPLETE'].includes(this.record.status);
    const old = this.template;
    const next = artifact.template;
    this.setStackStatus(creating ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS');

    const ids = Object.keys(next.Resources).filter(id => this.condition(next, next.Resources[id].Condition));
    /** What this deploy did to each resource it touched, and what the resource was before. */
    const touched = new Map<string, { action: 'created' | 'updated'; before?: Deployed; attempted?: Record<string, Json> }>();
    const replaced: Deployed[] = [];
    const failedCreates: Deployed[] = [];
    let failed = false;

    const run = async (id: string): Promise<void> => {
      const definition = next.Resources[id];
      const previous = this.deployed.get(id);
      const verb = previous ? 'UPDATE' : 'CREATE';
      const breakage = options.breakResources?.[id];
      try {
        const properties = this.sent(definition.Type, this.resolve(definition.Properties ?? {}, next));
        if (previous && !breakage && JSON.stringify(previous.properties) === JSON.stringify(properties)) return;
        touched.set(id, { action: previous ? 'updated' : 'created', before: previous, attempted: properties });
        this.setResourceStatus(id, definition.Type, previous?.physicalId ?? '', `${verb}_IN_PROGRESS`);
        if (breakage) {
          await this.cancellable(id, verb, Promise.resolve(breakage.when));
          throw new Error(breakage.reason ?? 'Resource handler returned message: "broken on purpose"');
        }
        const result = await this.apply(id, verb, definition, properties, previous, artifact);
        if (previous && result.physicalId !== previous.physicalId) replaced.push(previous);
        this.deployed.set(id, result);
        this.setResourceStatus(id, definition.Type, result.physicalId, `${verb}_COMPLETE`);
      } catch (error) {
        if (error instanceof Cancelled) return;
        const physicalId = (error as { physicalId?: string }).physicalId ?? previous?.physicalId ?? '';
        if (!previous && physicalId && isCustom(definition.Type)) {
          const attempted = touched.get(id)?.attempted ?? {};
          failedCreates.push({ logicalId: id, type: definition.Type, definition, properties: attempted, physicalId, attributes: {} });
        }
        this.failures.push({ logicalId: id, reason: (error as Error).message });
        this.setResourceStatus(id, definition.Type, physicalId, `${verb}_FAILED`, (error as Error).message);
        if (!failed) {
          failed = true;
          this.cancelAll();
        }
        throw error;
      }
    };
    const succeeded = await this.inOrder(ids, id => dependencies(next.Resources[id], next), run, () => failed);

    if (succeeded) {
      this.record.template = next;
      if (creating) {
        this.setStackStatus('CREATE_COMPLETE');
      } else {
        this.setStackStatus('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
        for (const resource of replaced.filter(r => r.definition.UpdateReplacePolicy !== 'Retain' && isCustom(r.type))) {
          await this.request(resource.logicalId, resource.definition, 'Delete', resource.properties, undefined, resource.physicalId).catch(() => undefined);
        }
        const removed = Object.keys(old.Resources).filter(id => this.deployed.has(id) && !ids.includes(id));
        await this.deleteInReverse(removed, old, true).catch(() => undefined);
        this.setStackStatus('UPDATE_COMPLETE');
      }
    } else if (creating) {
      this.setStackStatus('ROLLBACK_IN_PROGRESS');
      for (const resource of failedCreates) this.deployed.set(resource.logicalId, resource);
      const ok = await this.deleteInReverse([...touched.keys()].filter(id => this.deployed.has(id)), next, false);
      this.setStackStatus(ok ? 'ROLLBACK_COMPLETE' : 'ROLLBACK_FAILED');
    } else {
      await this.rollBack(touched, replaced, failedCreates, old, next, artifact);
    }
    return { status: this.record.status, failures: this.failures, events: this.events };
  }

  public async destroy(): Promise<DeployResult> {
    this.events = [];
    this.failures = [];
    this.setStackStatus('DELETE_IN_PROGRESS');
    const ok = await this.deleteInReverse([...this.deployed.keys()], this.template, true);
    this.setStackStatus(ok ? 'DELETE_COMPLETE' : 'DELETE_FAILED');
    if (ok) this.services.cloudFormation.stacks.delete(this.record.stackId);
    return { status: this.record.status, failures: this.failures, events: this.events };
  }

  /**
   * Rolls a failed update back: an Update with the old properties for each resource it updated (a
   * replaced one goes back to its old physical resource, which still exists), a Delete for each it
   * created; then the replacements' new physical resources are deleted.
   */
  private async rollBack(
    touched: Map<string, { action: 'created' | 'updated'; before?: Deployed; attempted?: Record<string, Json> }>,
    replaced: Deployed[], failedCreates: Deployed[], old: Template, next: Template, artifact: Artifact,
  ): Promise<void> {
    this.setStackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
    const replacedIds = new Set(replaced.map(r => r.logicalId));
    const replacements = replaced.map(r => this.deployed.get(r.logicalId)).filter((r): r is Deployed => r !== undefined);
    for (const resource of failedCreates) this.deployed.set(resource.logicalId, resource);
    const restore = async (id: string) => {
      const { action, before, attempted } = touched.get(id)!;
      if (action === 'created' || !before) {
        if (this.deployed.has(id)) await this.remove(this.deployed.get(id)!, true);
        return;
      }
      if (replacedIds.has(id)) {
        this.deployed.set(id, before);
        this.setResourceStatus(id, before.type, before.physicalId, 'UPDATE_COMPLETE');
        return;
      }
      const current = this.deployed.get(id) ?? before;
      this.setResourceStatus(id, before.type, current.physicalId, 'UPDATE_IN_PROGRESS');
      try {
        let restored: Deployed = before;
        if (isCustom(before.type)) {
          const response = await this.request(id, before.definition, 'Update', before.properties, attempted, current.physicalId);
          restored = { ...before, physicalId: response.PhysicalResourceId ?? current.physicalId, attributes: response.Data ?? {} };
        } else {
          this.provision(before, artifact);
        }
        this.deployed.set(id, restored);
        this.setResourceStatus(id, before.type, restored.physicalId, 'UPDATE_COMPLETE');
      } catch (error) {
        this.failures.push({ logicalId: id, reason: (error as Error).message });
        this.setResourceStatus(id, before.type, current.physicalId, 'UPDATE_FAILED', (error as Error).message);
        throw error;
      }
    };
    const ids = [...touched.keys()];
    const dependents = (id: string) => new Set(ids.filter(other => dependencies(next.Resources[other], next).has(id)));
    if (!await this.inOrder(ids, dependents, restore, () => false)) {
      this.setStackStatus('UPDATE_ROLLBACK_FAILED');
      return;
    }
    this.setStackStatus('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
    for (const resource of replacements.filter(r => isCustom(r.type))) {
      await this.request(resource.logicalId, resource.definition, 'Delete', resource.properties, undefined, resource.physicalId).catch(() => undefined);
    }
    this.record.template = old;
    this.setStackStatus('UPDATE_ROLLBACK_COMPLETE');
  }

  /** Deletes the resources, each after the resources that depend on it; true when none failed. */
  private async deleteInReverse(ids: string[], template: Template, respectRetain: boolean): Promise<boolean> {
    const dependents = (id: string) => new Set(ids.filter(other =>
      template.Resources[other] && dependencies(template.Resources[other], template).has(id)));
    return this.inOrder(ids, dependents, async id => {
      const resource = this.deployed.get(id);
      if (!resource) return;
      if (respectRetain && resource.definition.DeletionPolicy === 'Retain') {
        this.deployed.delete(id);
        this.record.resources.delete(id);
        return;
      }
      await this.remove(resource, true);
    }, () => false);
  }

  private async remove(resource: Deployed, recordFailure: boolean): Promise<void> {
    this.setResourceStatus(resource.logicalId, resource.type, resource.physicalId, 'DELETE_IN_PROGRESS');
    try {
      if (isCustom(resource.type)) {
        await this.request(resource.logicalId, resource.definition, 'Delete', resource.properties, undefined, resource.physicalId);
      } else {
        this.unprovision(resource);
      }
      this.deployed.delete(resource.logicalId);
      this.record.resources.delete(resource.logicalId);
      this.events.push({ logicalId: resource.logicalId, status: 'DELETE_COMPLETE', at: Date.now() });
    } catch (error) {
      if (recordFailure) this.failures.push({ logicalId: resource.logicalId, reason: (error as Error).message });
      this.setResourceStatus(resource.logicalId, resource.type, resource.physicalId, 'DELETE_FAILED', (error as Error).message);
      throw error;
    }
  }

  /**
   * Runs `step` for each id once every id it waits for (`waitsFor`, restricted to `ids`) is done, all
   * that can run at once running together. Returns false when a step failed (or `stop()` says so); the
   * steps already running are awaited.
   */
  private async inOrder(
    ids: string[], waitsFor: (id: string) => Set<string>, step: (id: string) => Promise<void>, stop: () => boolean,
  ): Promise<boolean> {
    const pending = new Set(ids);
    const done = new Set<string>();
    const running = new Map<string, Promise<void>>();
    let ok = true;
    while (pending.size > 0 || running.size > 0) {
      if (ok && !stop()) {
        for (const id of [...pending]) {
          const blockers = [...waitsFor(id)].filter(dep => ids.includes(dep) && dep !== id && !done.has(dep));
          if (blockers.length > 0) continue;
          pending.delete(id);
          running.set(id, step(id).then(() => {
            done.add(id);
          }, () => {
            ok = false;
          }).finally(() => running.delete(id)));
        }
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    return ok && pending.size === 0 && !stop();
  }

  /** CloudFormation stops waiting for every request in progress: their resources fail as cancelled. */
  private cancelAll(): void {
    for (const [id, { verb, cancel }] of this.inFlight) {
      const resource = this.record.resources.get(id);
      this.setResourceStatus(id, resource?.ResourceType ?? '', resource?.PhysicalResourceId ?? '', `${verb}_FAILED`,
        `Resource ${verb === 'CREATE' ? 'creation' : 'update'} cancelled`);
      cancel();
    }
    this.inFlight.clear();
  }

  /** Waits for `promise` unless the deploy cancels the resource's request first. */
  private cancellable<T>(id: string, verb: string, promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.inFlight.set(id, { verb, cancel: () => reject(new Cancelled()) });
      promise.then(resolve, reject).finally(() => this.inFlight.delete(id));
    });
  }

  /** Creates or updates one resource; for custom resources, sends the request and waits for its answer (cancellable). */
  private async apply(
    id: string, verb: string, definition: TemplateResource, properties: Record<string, Json>, previous: Deployed | undefined, artifact: Artifact,
  ): Promise<Deployed> {
    if (!isCustom(definition.Type)) {
      const physicalId = previous?.physicalId ?? this.physicalName(id, definition);
      const attributes = this.attributesOf(id, definition.Type, physicalId);
      const deployed = { logicalId: id, type: definition.Type, definition, properties, physicalId, attributes };
      this.provision(deployed, artifact);
      return deployed;
    }
    const response = await this.request(id, definition, previous ? 'Update' : 'Create', properties, previous?.properties, previous?.physicalId, verb);
    const physicalId = response.PhysicalResourceId!;
    return { logicalId: id, type: definition.Type, definition, properties, physicalId, attributes: response.Data ?? {} };
  }

  /** The properties as a custom resource receives them (strings); other resources' as they are. */
  private sent(type: string, properties: Record<string, Json>): Record<string, Json> {
    return isCustom(type) ? stringified(properties) : properties;
  }

  /**
   * Sends one custom-resource request and waits for its answer; throws the Reason of a FAILED one. With
   * `cancellableAs` (CREATE or UPDATE), the deploy may stop waiting for it (a failure elsewhere): the
   * request is then abandoned, and its answer, when it comes, ignored.
   */
  private async request(
    id: string, definition: TemplateResource, requestType: 'Create' | 'Update' | 'Delete',
    properties: Record<string, Json>, oldProperties: Record<string, Json> | undefined, physicalId: string | undefined,
    cancellableAs?: string,
  ): Promise<CustomResourceResponse> {
    const requestId = randomUUID();
    const token = `${this.record.stackName}/${id}/${requestId}`;
    const serviceToken = String(properties.ServiceToken);
    const event = {
      RequestType: requestType,
      ServiceToken: serviceToken,
      ResponseURL: `${this.services.endpoint}/cloudformation-response/${token}`,
      StackId: this.record.stackId,
      RequestId: requestId,
      LogicalResourceId: id,
      ResourceType: definition.Type,
      ResourceProperties: properties,
      ...(oldProperties && requestType === 'Update' ? { OldResourceProperties: oldProperties } : {}),
      ...(physicalId ? { PhysicalResourceId: physicalId } : {}),
    };
    const answer = this.services.cloudFormation.expectResponse(token);
    try {
      this.services.lambda.invokeAsync(serviceToken, event);
    } catch (error) {
      this.services.cloudFormation.abandon(token);
      throw Object.assign(new Error(`Invalid service token: ${(error as Error).message}`), { physicalId });
    }
    const seconds = Number(properties.ServiceTimeout ?? DEFAULT_SERVICE_TIMEOUT_SECONDS);
    let timer: NodeJS.Timeout | undefined;
    const ended = new Promise<CustomResourceResponse>((resolve, reject) => {
      timer = setTimeout(() => resolve({ Status: 'FAILED', Reason: 'CloudFormation did not receive a response from your Custom Resource within the specified timeout' }),
        (seconds * 1000) / timeScale());
      if (cancellableAs) this.inFlight.set(id, { verb: cancellableAs, cancel: () => reject(new Cancelled()) });
    });
    try {
      const response = await Promise.race([answer, ended]);
      if (response.Status !== 'SUCCESS') {
        throw Object.assign(new Error(`Received response status [FAILED] from custom resource. Message returned: ${response.Reason ?? 'See the details in CloudWatch Log Stream'}`),
          { physicalId: response.PhysicalResourceId ?? physicalId });
      }
      return response;
    } finally {
      clearTimeout(timer);
      this.services.cloudFormation.abandon(token);
      if (cancellableAs) this.inFlight.delete(id);
    }
  }

  private physicalName(id: string, definition: TemplateResource): string {
    const props = definition.Properties ?? {};
    const named = props.FunctionName ?? props.StateMachineName ?? props.RoleName ?? props.Name ?? props.LogGroupName ?? props.BucketName;
    if (typeof named === 'string') return named;
    const generated = `${this.record.stackName}-${id}`;
    return definition.Type === 'AWS::S3::Bucket' ? generated.toLowerCase().slice(0, 63) : generated;
  }

  private attributesOf(id: string, type: string, physicalId: string): Record<string, string> {
    const { account, region } = this;
    switch (type) {
      case 'AWS::Lambda::Function':
        return { Ref: physicalId, Arn: `arn:aws:lambda:${region}:${account}:function:${physicalId}` };
      case 'AWS::StepFunctions::StateMachine': {
        const arn = `arn:aws:states:${region}:${account}:stateMachine:${physicalId}`;
        return { Ref: arn, Arn: arn, Name: physicalId };
      }
      case 'AWS::IAM::Role':
        return { Ref: physicalId, Arn: `arn:aws:iam::${account}:role/${physicalId}`, RoleId: `AROA${id.toUpperCase()}` };
      case 'AWS::IAM::ManagedPolicy':
        return { Ref: `arn:aws:iam::${account}:policy/${physicalId}` };
      case 'AWS::Logs::LogGroup':
        return { Ref: physicalId, Arn: `arn:aws:logs:${region}:${account}:log-group:${physicalId}:*` };
      case 'AWS::S3::Bucket':
        return { Ref: physicalId, Arn: `arn:aws:s3:::${physicalId}`, DomainName: `${physicalId}.s3.amazonaws.com` };
      default:
        return { Ref: physicalId, Arn: `arn:aws:local:${region}:${account}:${id}` };
    }
  }

  private provision(resource: Deployed, artifact: Artifact): void {
    const props = resource.properties;
    switch (resource.type) {
      case 'AWS::Lambda::Function': {
        const key = String(props.Code?.S3Key ?? '');
        const directory = artifact.assets.get(key.replace(/\.zip$/, ''));
        if (!directory) throw new Error(`The code of ${resource.logicalId} (${key}) is not among the stack's assets`);
        this.services.lambda.register({
          arn: resource.attributes.Arn,
          codeDirectory: directory,
          handler: String(props.Handler),
          timeoutSeconds: Number(props.Timeout ?? 3),
          environment: props.Environment?.Variables,
        });
        break;
      }
      case 'AWS::StepFunctions::StateMachine':
        this.services.stepFunctions.register(resource.attributes.Arn, JSON.parse(String(props.DefinitionString)));
        break;
      case 'AWS::S3::Bucket':
        this.services.s3.createBucket(resource.physicalId);
        break;
      default:
        break;
    }
  }

  private unprovision(resource: Deployed): void {
    if (resource.type === 'AWS::Lambda::Function') this.services.lambda.unregister(resource.attributes.Arn);
    if (resource.type === 'AWS::StepFunctions::StateMachine') this.services.stepFunctions.unregister(resource.attributes.Arn);
    if (resource.type === 'AWS::S3::Bucket') this.services.s3.deleteBucket(resource.physicalId);
  }

  private setStackStatus(status: string): void {
    this.record.status = status;
    this.events.push({ logicalId: this.record.stackName, status, at: Date.now() });
  }

  private setResourceStatus(id: string, type: string, physicalId: string, status: string, reason?: string): void {
    this.services.cloudFormation.setResource(this.record, {
      LogicalResourceId: id, PhysicalResourceId: physicalId, ResourceType: type, ResourceStatus: status, ResourceStatusReason: reason,
    });
    this.events.push({ logicalId: id, status, reason, at: Date.now() });
  }

  private condition(template: Template, name: string | undefined): boolean {
    return name === undefined || Boolean(this.evaluate(template.Conditions?.[name], template));
  }

  private evaluate(value: Json, template: Template): Json {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const [fn, args]: [string?, Json?] = Object.entries(value as Record<string, Json>)[0] ?? [];
    switch (fn) {
      case 'Fn::Equals': return JSON.stringify(this.resolve(args[0], template)) === JSON.stringify(this.resolve(args[1], template));
      case 'Fn::Or': return (args as Json[]).some(a => this.evaluate(a, template));
      case 'Fn::And': return (args as Json[]).every(a => this.evaluate(a, template));
      case 'Fn::Not': return !this.evaluate(args[0], template);
      case 'Condition': return this.condition(template, args);
      default: return Boolean(this.resolve(value, template));
    }
  }

  /** Resolves the intrinsic functions CDK templates use, against the deployed resources and pseudo parameters. */
  private resolve(value: Json, template: Template, artifact?: Artifact): Json {
    if (Array.isArray(value)) return value.map(v => this.resolve(v, template, artifact)).filter(v => v !== undefined);
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
      const args = value[keys[0]];
      switch (keys[0]) {
        case 'Ref': return this.ref(String(args), template);
        case 'Fn::GetAtt': {
          const [id, attribute] = Array.isArray(args) ? args : String(args).split(/\.(.+)/);
          return this.attribute(id, attribute);
        }
        case 'Fn::Join': return (this.resolve(args[1], template, artifact) as Json[]).join(args[0]);
        case 'Fn::Select': return this.resolve(args[1], template, artifact)[Number(this.resolve(args[0], template, artifact))];
        case 'Fn::Split': return String(this.resolve(args[1], template, artifact)).split(args[0]);
        case 'Fn::Base64': return Buffer.from(String(this.resolve(args, template, artifact))).toString('base64');
        case 'Fn::If': return this.resolve(this.condition(template, args[0]) ? args[1] : args[2], template, artifact);
        case 'Fn::FindInMap': {
          const [map, first, second] = (args as Json[]).map(a => this.resolve(a, template, artifact));
          return template.Mappings?.[map]?.[first]?.[second];
        }
        case 'Fn::Sub': {
          const [text, vars]: [string, Record<string, Json>] = Array.isArray(args) ? args as [string, Record<string, Json>] : [String(args), {}];
          return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
            if (name.startsWith('!')) return `\${${name.slice(1)}}`;
            if (name in vars) return String(this.resolve(vars[name], template, artifact));
            const [id, attribute] = name.split(/\.(.+)/);
            return String(attribute ? this.attribute(id, attribute) : this.ref(id, template));
          });
        }
        case 'Fn::GetAZs': return [`${this.region}a`, `${this.region}b`];
        default: throw new Error(`${keys[0]} is not supported by the local CloudFormation`);
      }
    }
    return Object.fromEntries(Object.entries(value)
      .map(([k, v]) => [k, this.resolve(v, template, artifact)])
      .filter(([, v]) => v !== undefined));
  }

  private ref(name: string, template: Template): Json {
    switch (name) {
      case 'AWS::AccountId': return this.account;
      case 'AWS::Region': return this.region;
      case 'AWS::Partition': return 'aws';
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackId': return this.record.stackId;
      case 'AWS::StackName': return this.record.stackName;
      case 'AWS::NoValue': return undefined;
      default:
        break;
    }
    if (template.Parameters?.[name]) return template.Parameters[name].Default;
    const resource = this.deployed.get(name);
    if (!resource) throw new Error(`Ref to ${name}, which is not deployed`);
    return isCustom(resource.type) ? resource.physicalId : resource.attributes.Ref ?? resource.physicalId;
  }

  private attribute(id: string, attribute: string): Json {
    const resource = this.deployed.get(id);
    if (!resource) throw new Error(`Fn::GetAtt of ${id}, which is not deployed`);
    const value = resource.attributes[attribute];
    if (value === undefined) {
      if (isCustom(resource.type)) throw new Error(`Vendor response doesn't contain ${attribute} attribute in object ${id}`);
      return `${resource.physicalId}.${attribute}`;
    }
    return value;
  }
}
