import type { AwsCredentialIdentityProvider, RetryStrategyV2 } from '@smithy/types';
import { pages } from './aws-json';
import { queryCall, xmlDate, xmlInner, xmlMembers, xmlText } from './aws-query';
import type { SignedCaller } from './signed-request';

/*
 * The CloudFormation reads the handlers and the command-line tool make (awsQuery, signed here: the SDK's
 * client and the awsQuery and XML code it brings weighed about 30 KiB of each handler's bundle). Each answer is read
 * into the fields callers use, named as the SDK names them; Metadata, TemplateBody and ResourceProperties
 * stay JSON strings, as the SDK returns them. Errors are named by the service's Code (ValidationError for a
 * stack or resource that does not exist, Throttling) and carry its Message.
 */

const VERSION = '2010-05-15';

/** A resource, as DescribeStackResource details it. */
export interface StackResourceDetail {
  readonly StackId?: string;
  readonly LogicalResourceId?: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceType?: string;
  readonly ResourceStatus?: string;
  readonly LastUpdatedTimestamp?: Date;
  /** The resource's Metadata attribute (JSON). */
  readonly Metadata?: string;
}

/** A resource, as ListStackResources summarizes it. */
export interface StackResourceSummary {
  readonly LogicalResourceId?: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceType?: string;
  readonly ResourceStatus?: string;
  readonly LastUpdatedTimestamp?: Date;
}

/** A stack, as DescribeStacks describes it (the fields read here). */
export interface Stack {
  readonly StackId?: string;
  readonly StackName?: string;
  readonly StackStatus?: string;
}

/** A stack event (newest first in DescribeStackEvents). */
export interface StackEvent {
  readonly EventId?: string;
  readonly StackId?: string;
  readonly LogicalResourceId?: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceType?: string;
  readonly ResourceStatus?: string;
  readonly ResourceStatusReason?: string;
  /** The properties CloudFormation applies (JSON), on IN_PROGRESS events. */
  readonly ResourceProperties?: string;
  readonly Timestamp?: Date;
}

/** Who calls, and how: the invocation (or the tool's run), its retries, and optionally a Region and credentials of its own. */
export interface CloudFormationOptions {
  /** Retries as the invocation's clients do (its deadline, the environment's rate limiter). @default signedCall's backoff until the deadline */
  readonly retryStrategy?: RetryStrategyV2;
  readonly region?: string;
  readonly credentials?: AwsCredentialIdentityProvider;
  readonly abortSignal?: AbortSignal;
}

/** The CloudFormation reads, as a client of them: one per question, so that its retries end with the question's deadline. */
export class CloudFormation {
  constructor(private readonly caller: SignedCaller, private readonly options: CloudFormationOptions = {}) {}

  public async describeStackResource(
    input: { StackName: string; LogicalResourceId: string },
  ): Promise<{ StackResourceDetail?: StackResourceDetail }> {
    const result = await this.call('DescribeStackResource', input);
    const detail = xmlInner(result, 'StackResourceDetail');
    return { StackResourceDetail: { ...resourceOf(detail), StackId: xmlText(detail, 'StackId'), Metadata: xmlText(detail, 'Metadata') } };
  }

  public async describeStacks(input: { StackName?: string; NextToken?: string }): Promise<{ Stacks: Stack[]; NextToken?: string }> {
    const result = await this.call('DescribeStacks', input);
    const Stacks = xmlMembers(result, 'Stacks').map(stack => ({
      StackId: xmlText(stack, 'StackId'), StackName: xmlText(stack, 'StackName'), StackStatus: xmlText(stack, 'StackStatus'),
    }));
    return { Stacks, NextToken: nextToken(result) };
  }

  public async describeStackEvents(input: { StackName: string; NextToken?: string }): Promise<{ StackEvents: StackEvent[]; NextToken?: string }> {
    const result = await this.call('DescribeStackEvents', input);
    const StackEvents = xmlMembers(result, 'StackEvents').map(event => ({
      ...resourceOf(event),
      EventId: xmlText(event, 'EventId'),
      StackId: xmlText(event, 'StackId'),
      ResourceStatusReason: xmlText(event, 'ResourceStatusReason'),
      ResourceProperties: xmlText(event, 'ResourceProperties'),
      Timestamp: xmlDate(event, 'Timestamp'),
    }));
    return { StackEvents, NextToken: nextToken(result) };
  }

  public async listStackResources(
    input: { StackName: string; NextToken?: string },
  ): Promise<{ StackResourceSummaries: StackResourceSummary[]; NextToken?: string }> {
    const result = await this.call('ListStackResources', input);
    return { StackResourceSummaries: xmlMembers(result, 'StackResourceSummaries').map(resourceOf), NextToken: nextToken(result) };
  }

  public async getTemplate(input: { StackName: string }): Promise<{ TemplateBody?: string }> {
    return { TemplateBody: xmlText(await this.call('GetTemplate', input), 'TemplateBody') };
  }

  private call(action: string, params: Record<string, string | undefined>): Promise<string> {
    return queryCall(this.caller, { service: 'cloudformation', version: VERSION, action, params, ...this.options });
  }
}

/** The stack's events page by page, newest first (as the SDK's paginateDescribeStackEvents). */
export function paginateDescribeStackEvents(client: CloudFormation, input: { StackName: string }): AsyncGenerator<{ StackEvents: StackEvent[] }> {
  return pages(page => client.describeStackEvents(page as typeof input), input);
}

/** The stack's resources page by page (as the SDK's paginateListStackResources). */
export function paginateListStackResources(
  client: CloudFormation, input: { StackName: string },
): AsyncGenerator<{ StackResourceSummaries: StackResourceSummary[] }> {
  return pages(page => client.listStackResources(page as typeof input), input);
}

function resourceOf(xml: string): StackResourceSummary {
  return {
    LogicalResourceId: xmlText(xml, 'LogicalResourceId'),
    PhysicalResourceId: xmlText(xml, 'PhysicalResourceId'),
    ResourceType: xmlText(xml, 'ResourceType'),
    ResourceStatus: xmlText(xml, 'ResourceStatus'),
    LastUpdatedTimestamp: xmlDate(xml, 'LastUpdatedTimestamp'),
  };
}

/** The result's own NextToken (members hold none). */
function nextToken(result: string): string | undefined {
  return xmlText(result, 'NextToken') || undefined;
}
