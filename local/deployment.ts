import { randomUUID } from 'crypto';
import type { Stack } from 'aws-cdk-lib';
import type { CloudFormationService, LocalStack } from './cloudformation';
import { Cancelled, CustomResourceRequests } from './custom-resources';
import type { EventBus } from './eventbridge';
import { Intrinsics } from './intrinsics';
import type { LambdaService } from './lambda';
import { Provisioner } from './provisioning';
import type { ObjectStore } from './s3';
import type { StackSetService } from './stacksets';
import type { StepFunctionsService } from './step-functions';
import { Artifact, dependencies, Deployed, isCustom, Json, stringified, synthesize, Template, TemplateResource } from './template';

/*
 * CloudFormation's deploy lifecycle, played locally over a synthesized stack, with the semantics the
 * handlers meet in AWS:
 * - independent resources start at once; a resource starts when every resource it depends on
 *   (DependsOn, Ref, Fn::GetAtt, Fn::Sub) is done;
 * - custom resources get their requests by an asynchronous invocation of their service token, and
 *   complete when their function PUTs the answer to the request's ResponseURL (or when ServiceTimeout,
 *   an hour by default, has passed: custom-resources.ts sends them);
 * - when a resource fails, the requests still in progress are cancelled (their functions run on, and
 *   their answers are ignored) and the stack is rolled back at once: an Update with the old properties
 *   for each resource the deploy touched, a Delete for each resource it created, then the new physical
 *   resources of replacements are deleted;
 * - after a successful update, replaced physical resources and removed resources are deleted (the
 *   cleanup phase), except where a DeletionPolicy / UpdateReplacePolicy of Retain says otherwise.
 * Lambda functions, state machines and S3 buckets of the stack are deployed to the local services;
 * other resource types are recorded without doing anything.
 */

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
  readonly eventBus?: EventBus;
  readonly eventBusOf?: (accountId: string) => EventBus;
  readonly stackSets?: StackSetService;
}

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

/** One stack's deployments. */
class StackDeployment {
  public readonly record: LocalStack;
  /** The resources as last deployed. */
  public readonly deployed = new Map<string, Deployed>();
  private events: StackEvent[] = [];
  private failures: Array<{ logicalId: string; reason: string }> = [];
  /** The custom resources' requests, and those in progress. */
  private readonly requests: CustomResourceRequests;

  /** The template as last deployed (kept in the stack's record, where GetTemplate reads it). */
  private get template(): Template {
    return this.record.template as Template;
  }

  private readonly provisioner: Provisioner;
  private readonly intrinsics: Intrinsics;

  constructor(private readonly services: LocalServices, stackName: string, account: string, region: string) {
    this.record = {
      stackId: `arn:aws:cloudformation:${region}:${account}:stack/${stackName}/${randomUUID()}`,
      stackName,
      status: 'REVIEW_IN_PROGRESS',
      resources: new Map(),
      template: { Resources: {} },
    };
    services.cloudFormation.stacks.set(this.record.stackId, this.record);
    this.provisioner = new Provisioner(services, stackName, account, region);
    this.requests = new CustomResourceRequests(services, this.record);
    this.intrinsics = new Intrinsics({ account, region, stackId: this.record.stackId, stackName, deployed: this.deployed });
  }

  public async deploy(artifact: Artifact, options: DeployOptions): Promise<DeployResult> {
    this.events = [];
    this.failures = [];
    const creating = ['REVIEW_IN_PROGRESS', 'ROLLBACK_COMPLETE'].includes(this.record.status);
    const old = this.template;
    const next = artifact.template;
    this.setStackStatus(creating ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS');
    // As in AWS, GetTemplate answers the template being deployed from the start of the deploy (the old one again once it rolls back).
    this.record.template = next;

    const ids = Object.keys(next.Resources).filter(id => this.intrinsics.condition(next, next.Resources[id].Condition));
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
        const properties = this.sent(definition.Type, this.intrinsics.resolve(definition.Properties ?? {}, next));
        if (previous && !breakage && JSON.stringify(previous.properties) === JSON.stringify(properties)) return;
        touched.set(id, { action: previous ? 'updated' : 'created', before: previous, attempted: properties });
        this.setResourceStatus(id, definition.Type, previous?.physicalId ?? '', `${verb}_IN_PROGRESS`, undefined, properties);
        if (breakage) {
          await this.requests.cancellable(id, verb, Promise.resolve(breakage.when));
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
      if (creating) {
        this.setStackStatus('CREATE_COMPLETE');
      } else {
        this.setStackStatus('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
        for (const resource of replaced.filter(r => r.definition.UpdateReplacePolicy !== 'Retain' && isCustom(r.type))) {
          await this.requests.deleteReplaced(resource);
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
    this.record.template = old;
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
      this.setResourceStatus(id, before.type, current.physicalId, 'UPDATE_IN_PROGRESS', undefined, before.properties);
      try {
        let restored: Deployed = before;
        if (isCustom(before.type)) {
          const response = await this.requests.send(id, before.definition, 'Update', before.properties, attempted, current.physicalId);
          restored = { ...before, physicalId: response.PhysicalResourceId ?? current.physicalId, attributes: response.Data ?? {} };
        } else {
          this.provisioner.provision(before, artifact);
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
    for (const resource of replacements.filter(r => isCustom(r.type))) await this.requests.deleteReplaced(resource);
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
        await this.requests.send(resource.logicalId, resource.definition, 'Delete', resource.properties, undefined, resource.physicalId);
      } else {
        this.provisioner.unprovision(resource);
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
    for (const [id, { verb, cancel }] of this.requests.inFlight) {
      const resource = this.record.resources.get(id);
      this.setResourceStatus(id, resource?.ResourceType ?? '', resource?.PhysicalResourceId ?? '', `${verb}_FAILED`,
        `Resource ${verb === 'CREATE' ? 'creation' : 'update'} cancelled`);
      cancel();
    }
    this.requests.inFlight.clear();
  }

  /** Creates or updates one resource; for custom resources, sends the request and waits for its answer (cancellable). */
  private async apply(
    id: string, verb: string, definition: TemplateResource, properties: Record<string, Json>, previous: Deployed | undefined, artifact: Artifact,
  ): Promise<Deployed> {
    if (!isCustom(definition.Type)) {
      const physicalId = previous?.physicalId ?? this.provisioner.physicalName(id, definition);
      const attributes = this.provisioner.attributesOf(id, definition.Type, physicalId);
      const deployed = { logicalId: id, type: definition.Type, definition, properties, physicalId, attributes };
      this.provisioner.provision(deployed, artifact);
      return deployed;
    }
    const response = await this.requests.send(id, definition, previous ? 'Update' : 'Create', properties, previous?.properties, previous?.physicalId, verb);
    const physicalId = response.PhysicalResourceId!;
    return { logicalId: id, type: definition.Type, definition, properties, physicalId, attributes: response.Data ?? {} };
  }

  /** The properties as a custom resource receives them (strings); other resources' as they are. */
  private sent(type: string, properties: Record<string, Json>): Record<string, Json> {
    return isCustom(type) ? stringified(properties) : properties;
  }

  private setStackStatus(status: string): void {
    this.record.status = status;
    this.services.cloudFormation.recordStackEvent(this.record, status);
    this.events.push({ logicalId: this.record.stackName, status, at: Date.now() });
  }

  /** `properties`: what an IN_PROGRESS status applies (its stack event carries them). */
  private setResourceStatus(id: string, type: string, physicalId: string, status: string, reason?: string, properties?: Record<string, Json>): void {
    this.services.cloudFormation.setResource(this.record, {
      LogicalResourceId: id, PhysicalResourceId: physicalId, ResourceType: type, ResourceStatus: status, ResourceStatusReason: reason,
    }, properties);
    this.events.push({ logicalId: id, status, reason, at: Date.now() });
  }

}
