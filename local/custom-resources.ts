import { randomUUID } from 'crypto';
import type { CloudFormationService, CustomResourceResponse, LocalStack } from './cloudformation';
import { timeScale } from './common';
import type { LambdaService } from './lambda';
import type { Deployed, Json, TemplateResource } from './template';

/*
 * A stack's custom-resource requests, as CloudFormation sends them: an asynchronous invocation of the
 * service token, answered by a PUT to the request's ResponseURL (or failed when ServiceTimeout, an hour
 * by default, has passed); a deploy may stop waiting for the requests in progress (cancelled), whose
 * answers, when they come, are ignored. The deploy lifecycle that sends them is in deployment.ts.
 */

const DEFAULT_SERVICE_TIMEOUT_SECONDS = 3600;

/** The wait for a request ended because the deploy cancelled it. */
export class Cancelled extends Error {}

/** What the requests need of the local services. */
export interface RequestServices {
  readonly endpoint: string;
  readonly cloudFormation: CloudFormationService;
  readonly lambda: LambdaService;
}

export class CustomResourceRequests {
  /** Requests in progress, by logical id: cancelling one stops the wait for it. */
  public readonly inFlight = new Map<string, { verb: string; cancel: () => void }>();

  constructor(private readonly services: RequestServices, private readonly record: LocalStack) {}

  /**
   * Deletes a replaced physical resource, whose logical id names its replacement by then: as in AWS, only
   * the stack's events show it (DELETE_IN_PROGRESS, then DELETE_COMPLETE or DELETE_FAILED, with its
   * physical id); a failure does not fail the stack.
   */
  public async deleteReplaced(resource: Deployed): Promise<void> {
    const event = (status: string, reason?: string) => this.services.cloudFormation.recordEvent(this.record, {
      LogicalResourceId: resource.logicalId,
      PhysicalResourceId: resource.physicalId,
      ResourceType: resource.type,
      ResourceStatus: status,
      ResourceStatusReason: reason,
    });
    event('DELETE_IN_PROGRESS');
    try {
      await this.send(resource.logicalId, resource.definition, 'Delete', resource.properties, undefined, resource.physicalId);
      event('DELETE_COMPLETE');
    } catch (error) {
      event('DELETE_FAILED', (error as Error).message);
    }
  }

  /** Waits for `promise` unless the deploy cancels the resource's request first. */
  public cancellable<T>(id: string, verb: string, promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.inFlight.set(id, { verb, cancel: () => reject(new Cancelled()) });
      promise.then(resolve, reject).finally(() => this.inFlight.delete(id));
    });
  }

  /**
   * Sends one custom-resource request and waits for its answer; throws the Reason of a FAILED one. With
   * `cancellableAs` (CREATE or UPDATE), the deploy may stop waiting for it (a failure elsewhere): the
   * request is then abandoned, and its answer, when it comes, ignored.
   */
  public async send(
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
}
