import { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { IConstruct } from 'constructs';
import { LocalAws, LocalStack } from '../local';

/*
 * CloudFormation's part for the OrganizationBaseline's handlers, which still run under the Provider
 * framework (onEvent, then isComplete until it says it is done): requests sent to the handler modules
 * in this process, one at a time, with the stack and its resources visible through the local
 * CloudFormation API. The other settings are deployed for real by local/deployment.ts.
 */

/** ResourceProperties as CloudFormation delivers them: strings, without the ServiceToken. */
export type Properties = Record<string, string>;

/** The ResourceProperties that a construct's custom resource will receive, read from the synthesized template. */
export function propertiesOf(construct: IConstruct): Properties {
  const cfn = construct.node.findAll().find((c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType.startsWith('Custom::'));
  if (!cfn) throw new Error(`${construct.node.path} has no custom resource`);
  const stack = Stack.of(construct);
  const template = Template.fromStack(stack).toJSON();
  const { ServiceToken, ...properties } = template.Resources[stack.getLogicalId(cfn)].Properties;
  void ServiceToken;
  return properties;
}

type Context = { invokedFunctionArn: string; getRemainingTimeInMillis: () => number };
type Handler = (event: CloudFormationCustomResourceEvent, context: Context) => Promise<{ PhysicalResourceId?: string; Data?: object }>;
type IsCompleteHandler = (event: any, context: Context) => Promise<{ IsComplete: boolean; Data?: object }>;

/** The Provider framework's waiter, played with a short poll interval. */
export interface Waiter {
  readonly isComplete: IsCompleteHandler;
  /** Milliseconds between two isComplete calls. */
  readonly pollMs: number;
}

/** What a request ended with: the physical id and the resource's attributes (onEvent's and isComplete's Data). */
export interface Outcome {
  readonly PhysicalResourceId?: string;
  readonly Data: Record<string, string>;
  /** How many times isComplete was called. */
  readonly polls: number;
}

interface Resource {
  physicalId: string;
  properties: Properties;
  status: string;
  type: string;
}

export class SimulatedStack {
  public readonly stackId: string;
  private readonly record: LocalStack;
  private readonly resources = new Map<string, Resource>();
  private requests = 0;

  /** The outcome of the last request, with its attributes. */
  public lastOutcome?: Outcome;
  /** What each handler invocation is told of its remaining time. */
  public remainingTimeMs = 15 * 60_000;

  constructor(
    private readonly aws: LocalAws,
    private readonly handler: Handler,
    private readonly ownAccount: string,
    private readonly waiter: Waiter,
  ) {
    this.stackId = `arn:aws:cloudformation:us-east-1:${ownAccount}:stack/baseline/${Math.random().toString(16).slice(2)}`;
    this.record = { stackId: this.stackId, stackName: 'baseline', status: 'UPDATE_IN_PROGRESS', resources: new Map() };
    aws.cloudFormation.stacks.set(this.stackId, this.record);
  }

  /** Runs `fn` while DescribeStacks reports the stack in `status`. */
  public async during<T>(status: string, fn: () => Promise<T>): Promise<T> {
    const before = this.record.status;
    this.record.status = status;
    try {
      return await fn();
    } finally {
      this.record.status = before;
    }
  }

  public physicalId(logicalId: string): string | undefined {
    return this.resources.get(logicalId)?.physicalId;
  }

  public async create(logicalId: string, properties: Properties, type = 'Custom::Setting'): Promise<string> {
    const requestId = this.nextRequestId();
    this.setStatus(logicalId, { physicalId: '', properties, status: 'CREATE_IN_PROGRESS', type });
    try {
      const response = await this.invoke({ RequestType: 'Create', ResourceProperties: properties, LogicalResourceId: logicalId, RequestId: requestId });
      this.setStatus(logicalId, { physicalId: response.PhysicalResourceId!, properties, status: 'CREATE_COMPLETE', type });
      return response.PhysicalResourceId!;
    } catch (error) {
      // The Provider framework reports a failed Create with the request id as physical id.
      this.setStatus(logicalId, { physicalId: requestId, properties, status: 'CREATE_FAILED', type });
      throw error;
    }
  }

  public async update(logicalId: string, properties: Properties): Promise<string> {
    const old = this.get(logicalId);
    this.setStatus(logicalId, { ...old, status: 'UPDATE_IN_PROGRESS' });
    const response = await this.invoke({
      RequestType: 'Update',
      ResourceProperties: properties,
      OldResourceProperties: old.properties,
      PhysicalResourceId: old.physicalId,
      LogicalResourceId: logicalId,
    });
    const physicalId = response.PhysicalResourceId!;
    this.setStatus(logicalId, { ...old, physicalId, properties, status: 'UPDATE_COMPLETE' });
    if (physicalId !== old.physicalId) {
      // UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: the replaced physical resource is deleted with its old properties.
      const outcome = this.lastOutcome;
      await this.invoke({ RequestType: 'Delete', ResourceProperties: old.properties, PhysicalResourceId: old.physicalId, LogicalResourceId: logicalId });
      this.lastOutcome = outcome; // the Update's outcome, not the cleanup's
    }
    return physicalId;
  }

  /** An Update sent by CloudFormation while it rolls the stack back. */
  public async rollback(logicalId: string, properties: Properties): Promise<string> {
    return this.during('UPDATE_ROLLBACK_IN_PROGRESS', () => this.update(logicalId, properties));
  }

  public async delete(logicalId: string): Promise<void> {
    const resource = this.get(logicalId);
    this.setStatus(logicalId, { ...resource, status: 'DELETE_IN_PROGRESS' });
    await this.invoke({ RequestType: 'Delete', ResourceProperties: resource.properties, PhysicalResourceId: resource.physicalId, LogicalResourceId: logicalId });
    this.resources.delete(logicalId);
    this.record.resources.delete(logicalId);
  }

  /** A renamed construct: CloudFormation creates the new logical resource, then deletes the old one. */
  public async rename(oldLogicalId: string, newLogicalId: string): Promise<void> {
    const old = this.get(oldLogicalId);
    await this.create(newLogicalId, old.properties, old.type);
    await this.delete(oldLogicalId);
  }

  private get(logicalId: string): Resource {
    const resource = this.resources.get(logicalId);
    if (!resource) throw new Error(`no resource ${logicalId}`);
    return resource;
  }

  private setStatus(logicalId: string, resource: Resource): void {
    this.resources.set(logicalId, resource);
    this.aws.cloudFormation.setResource(this.record, {
      LogicalResourceId: logicalId,
      PhysicalResourceId: resource.physicalId,
      ResourceType: resource.type,
      ResourceStatus: resource.status,
    });
  }

  private nextRequestId(): string {
    return `request-${++this.requests}`;
  }

  private async invoke(event: Record<string, unknown>): Promise<{ PhysicalResourceId?: string }> {
    const full = {
      ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:framework',
      ResponseURL: '...',
      StackId: this.stackId,
      RequestId: this.nextRequestId(),
      ResourceType: 'Custom::Setting',
      ...event,
    } as unknown as CloudFormationCustomResourceEvent;
    const context = {
      invokedFunctionArn: `arn:aws:lambda:us-east-1:${this.ownAccount}:function:handler`,
      getRemainingTimeInMillis: () => this.remainingTimeMs,
    };
    const response = await this.handler(full, context);
    let data: Record<string, string> = { ...response.Data };
    let polls = 0;
    // The framework calls isComplete at once, then every interval, with onEvent's response merged in.
    const request = { ...full, PhysicalResourceId: response.PhysicalResourceId ?? (full as any).PhysicalResourceId, Data: data };
    for (;;) {
      polls++;
      const result = await this.waiter.isComplete(request, context);
      if (result.IsComplete) {
        data = { ...data, ...result.Data };
        break;
      }
      await new Promise(resolve => setTimeout(resolve, this.waiter.pollMs));
    }
    this.lastOutcome = { PhysicalResourceId: response.PhysicalResourceId, Data: data, polls };
    return response;
  }
}
