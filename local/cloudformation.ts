import { ApiError, xmlText as xml } from './common';

/*
 * The read side of AWS CloudFormation that the handlers call on their own stack (awsQuery:
 * DescribeStacks, DescribeStackResource, DescribeStackEvents, ListStackResources) and the plan tool reads (GetTemplate), over the stacks that the local deployment
 * engine (deployment.ts) runs, and the pre-signed URLs to which custom resources answer.
 */

/** A resource of a stack, as DescribeStackResource reports it. */
export interface StackResource {
  LogicalResourceId: string;
  PhysicalResourceId: string;
  ResourceType: string;
  ResourceStatus: string;
  ResourceStatusReason?: string;
  LastUpdatedTimestamp: Date;
}

/** A change of a resource's status, as DescribeStackEvents reports it (newest first). */
export interface LocalStackEvent extends StackResource {
  readonly EventId: string;
  /** The properties CloudFormation applies, on CREATE_IN_PROGRESS and UPDATE_IN_PROGRESS events (JSON). */
  readonly ResourceProperties?: string;
}

export interface LocalStack {
  readonly stackId: string;
  readonly stackName: string;
  status: string;
  readonly resources: Map<string, StackResource>;
  /** The template of the last deploy that completed (or the one a rollback went back to). */
  template: object;
  /** The stack's resource events, oldest first. */
  events?: LocalStackEvent[];
}

/** What a custom resource answered. */
export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId?: string;
  readonly StackId?: string;
  readonly RequestId?: string;
  readonly LogicalResourceId?: string;
  readonly Data?: Record<string, string>;
}

const VERSION = '2010-05-15';
const NS = `http://cloudformation.amazonaws.com/doc/${VERSION}/`;
/** The actions served here. */
const ACTIONS = ['DescribeStacks', 'DescribeStackResource', 'ListStackResources', 'DescribeStackEvents', 'GetTemplate'];

/** CloudFormation refuses a custom resource's response object over this many bytes (and its Reason is lost). */
export const MAX_RESPONSE_BYTES = 4096;

export class CloudFormationService {
  /** Stacks by id and by name. */
  public readonly stacks = new Map<string, LocalStack>();
  /** Every answer a custom resource sent, in order, with whether CloudFormation still waited for it. */
  public readonly responses: Array<CustomResourceResponse & { awaited: boolean; bytes: number }> = [];
  private readonly waiting = new Map<string, (response: CustomResourceResponse) => void>();

  constructor(private readonly clock: () => number) {}

  public stack(nameOrId: string): LocalStack | undefined {
    return this.stacks.get(nameOrId) ?? [...this.stacks.values()].find(s => s.stackName === nameOrId);
  }

  /**
   * Sets a resource's status, stamping it with the time, as CloudFormation does, and records the event;
   * `properties` are those an IN_PROGRESS status applies.
   */
  public setResource(stack: LocalStack, resource: Omit<StackResource, 'LastUpdatedTimestamp'>, properties?: object): void {
    // Each change of a resource has a later time than the one before, even within a millisecond.
    const previous = stack.resources.get(resource.LogicalResourceId)?.LastUpdatedTimestamp.getTime() ?? 0;
    const stamped = { ...resource, LastUpdatedTimestamp: new Date(Math.max(this.clock(), previous + 1)) };
    stack.resources.set(resource.LogicalResourceId, stamped);
    stack.events ??= [];
    stack.events.push({
      ...stamped,
      EventId: `${resource.LogicalResourceId}-${stack.events.length}`,
      ...(properties && resource.ResourceStatus.endsWith('_IN_PROGRESS') ? { ResourceProperties: JSON.stringify(properties) } : {}),
    });
  }

  /** Records a stack event of a physical resource that the logical id no longer names (a replaced one), leaving the resource as it is. */
  public recordEvent(stack: LocalStack, resource: Omit<StackResource, 'LastUpdatedTimestamp'>): void {
    stack.events ??= [];
    stack.events.push({ ...resource, LastUpdatedTimestamp: new Date(this.clock()), EventId: `${resource.LogicalResourceId}-${stack.events.length}` });
  }

  /** Records a change of the stack's own status: as in AWS, among its events, with the stack's name as logical id. */
  public recordStackEvent(stack: LocalStack, status: string): void {
    this.recordEvent(stack, { LogicalResourceId: stack.stackName, PhysicalResourceId: stack.stackId, ResourceType: 'AWS::CloudFormation::Stack', ResourceStatus: status });
  }

  /** A promise of the answer to the request whose ResponseURL ends with `token`. */
  public expectResponse(token: string): Promise<CustomResourceResponse> {
    return new Promise(resolve => this.waiting.set(token, resolve));
  }

  /** CloudFormation stops waiting for the request (it was cancelled): a later answer is recorded, and ignored. */
  public abandon(token: string): void {
    this.waiting.delete(token);
  }

  /** A PUT to a ResponseURL. */
  public receiveResponse(token: string, raw: string): { status: number; body: string } {
    const bytes = Buffer.byteLength(raw, 'utf8');
    let response: CustomResourceResponse;
    try {
      response = JSON.parse(raw);
    } catch {
      return { status: 400, body: 'not JSON' };
    }
    const resolve = this.waiting.get(token);
    this.responses.push({ ...response, awaited: resolve !== undefined, bytes });
    if (resolve) {
      this.waiting.delete(token);
      resolve(bytes > MAX_RESPONSE_BYTES ? { Status: 'FAILED', Reason: 'Response object is too long.', PhysicalResourceId: response.PhysicalResourceId } : response);
    }
    return { status: 200, body: '' };
  }

  /** Answers one awsQuery request: as in AWS, an action unknown at the request's Version (or without one) is refused before anything else. */
  public dispatch(action: string, params: URLSearchParams): string {
    const version = params.get('Version') || 'NO_VERSION_SPECIFIED';
    if (version !== VERSION || !ACTIONS.includes(action)) throw new ApiError(400, 'InvalidAction', `Could not find operation ${action} for version ${version}`);
    const stack = this.stack(params.get('StackName') ?? '');
    if (!stack) throw new ApiError(400, 'ValidationError', `Stack with id ${params.get('StackName')} does not exist`);
    switch (action) {
      case 'DescribeStacks':
        return this.wrap(action, `<Stacks><member><StackId>${xml(stack.stackId)}</StackId><StackName>${xml(stack.stackName)}</StackName>`
          + `<StackStatus>${stack.status}</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime></member></Stacks>`);
      case 'DescribeStackResource': {
        const logicalId = params.get('LogicalResourceId') ?? '';
        const resource = stack.resources.get(logicalId);
        if (!resource) throw new ApiError(400, 'ValidationError', `Resource ${logicalId} does not exist for stack ${stack.stackName}`);
        // As in AWS, the detail carries the resource's Metadata attribute from the template being deployed.
        const metadata = (stack.template as { Resources?: Record<string, { Metadata?: unknown }> }).Resources?.[logicalId]?.Metadata;
        return this.wrap(action, `<StackResourceDetail><StackName>${xml(stack.stackName)}</StackName><StackId>${xml(stack.stackId)}</StackId>${this.member(resource)}`
          + `${metadata === undefined ? '' : `<Metadata>${xml(JSON.stringify(metadata))}</Metadata>`}</StackResourceDetail>`);
      }
      case 'ListStackResources': {
        // Pages of 100, as the service returns them.
        const resources = [...stack.resources.values()];
        const start = Number(params.get('NextToken') ?? '0');
        const members = resources.slice(start, start + 100).map(r => `<member>${this.member(r)}</member>`).join('');
        const next = start + 100 < resources.length ? `<NextToken>${start + 100}</NextToken>` : '';
        return this.wrap(action, `<StackResourceSummaries>${members}</StackResourceSummaries>${next}`);
      }
      case 'DescribeStackEvents': {
        // Newest first, in pages of 100.
        const events = [...stack.events ?? []].reverse();
        const start = Number(params.get('NextToken') ?? '0');
        const members = events.slice(start, start + 100).map(e => `<member><EventId>${xml(e.EventId)}</EventId><StackId>${xml(stack.stackId)}</StackId>`
          + `<StackName>${xml(stack.stackName)}</StackName>${this.member(e).replace('LastUpdatedTimestamp>', 'Timestamp>').replace('LastUpdatedTimestamp>', 'Timestamp>')}`
          + `${e.ResourceStatusReason ? `<ResourceStatusReason>${xml(e.ResourceStatusReason)}</ResourceStatusReason>` : ''}`
          + `${e.ResourceProperties ? `<ResourceProperties>${xml(e.ResourceProperties)}</ResourceProperties>` : ''}</member>`).join('');
        const next = start + 100 < events.length ? `<NextToken>${start + 100}</NextToken>` : '';
        return this.wrap(action, `<StackEvents>${members}</StackEvents>${next}`);
      }
      case 'GetTemplate':
        return this.wrap(action, `<TemplateBody>${xml(JSON.stringify(stack.template))}</TemplateBody><StagesAvailable><member>Original</member></StagesAvailable>`);
      default:
        throw new ApiError(400, 'InvalidAction', `Could not find operation ${action} for version ${version}`);
    }
  }

  private member(r: StackResource): string {
    return `<LogicalResourceId>${xml(r.LogicalResourceId)}</LogicalResourceId><PhysicalResourceId>${xml(r.PhysicalResourceId)}</PhysicalResourceId>`
      + `<ResourceType>${xml(r.ResourceType)}</ResourceType><ResourceStatus>${r.ResourceStatus}</ResourceStatus>`
      + `<LastUpdatedTimestamp>${r.LastUpdatedTimestamp.toISOString()}</LastUpdatedTimestamp>`;
  }

  private wrap(action: string, result: string): string {
    return `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${action}Response>`;
  }
}

/** An awsQuery error body. */
export function cloudFormationError(error: ApiError): string {
  return `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${error.type}</Code><Message>${xml(error.message)}</Message></Error><RequestId>r</RequestId></ErrorResponse>`;
}
