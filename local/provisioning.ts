import type { EventBus, RuleTarget } from './eventbridge';
import type { LambdaService } from './lambda';
import type { ObjectStore } from './s3';
import type { StackSetService } from './stacksets';
import type { StepFunctionsService } from './step-functions';
import type { Artifact, Deployed, TemplateResource } from './template';
import { LOCAL_RESPONSE_URL_ENV } from '../src/contract';

/*
 * The resources of a stack that are not custom resources: their names and attributes as CloudFormation
 * gives them, and the local services they are deployed to (Lambda functions, state machines, S3
 * buckets and their policies, EventBridge rules with an event pattern, event bus policies, StackSets and
 * their instances in member accounts); other types are recorded without doing anything.
 */

/** The local services that resources are deployed to. */
export interface ProvisioningServices {
  readonly lambda: LambdaService;
  readonly stepFunctions: StepFunctionsService;
  readonly s3: ObjectStore;
  /** The default event bus, for rules (absent: rules are recorded without doing anything). */
  readonly eventBus?: EventBus;
  /** Each account's default event bus, for the rules and bus policies of a stack's account (absent: `eventBus`). */
  readonly eventBusOf?: (accountId: string) => EventBus;
  /** StackSets, for AWS::CloudFormation::StackSet (absent: recorded without doing anything). */
  readonly stackSets?: StackSetService;
  /** The local services' endpoint: functions may answer the ResponseURLs under it (absent: only AWS's). */
  readonly endpoint?: string;
}

export class Provisioner {
  constructor(
    private readonly services: ProvisioningServices,
    private readonly stackName: string,
    private readonly account: string,
    private readonly region: string,
  ) {}

  public physicalName(id: string, definition: TemplateResource): string {
    const props = definition.Properties ?? {};
    const named = props.FunctionName ?? props.StateMachineName ?? props.RoleName ?? props.Name ?? props.LogGroupName ?? props.BucketName
      ?? props.StackSetName;
    if (typeof named === 'string') return named;
    const generated = `${this.stackName}-${id}`;
    return definition.Type === 'AWS::S3::Bucket' ? generated.toLowerCase().slice(0, 63) : generated;
  }

  public attributesOf(id: string, type: string, physicalId: string): Record<string, string> {
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

  public provision(resource: Deployed, artifact: Artifact): void {
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
          // As CloudFormation's own response endpoints are allowed in AWS, the local deployment engine's are here.
          environment: this.services.endpoint
            ? { ...props.Environment?.Variables, [LOCAL_RESPONSE_URL_ENV]: `${this.services.endpoint}/cloudformation-response/` }
            : props.Environment?.Variables,
          role: typeof props.Role === 'string' ? props.Role : undefined,
        });
        break;
      }
      case 'AWS::StepFunctions::StateMachine':
        this.services.stepFunctions.register(resource.attributes.Arn, JSON.parse(String(props.DefinitionString)));
        break;
      case 'AWS::S3::Bucket':
        this.services.s3.createBucket(resource.physicalId);
        break;
      case 'AWS::S3::BucketPolicy':
        this.services.s3.policies.set(String(props.Bucket), props.PolicyDocument);
        break;
      case 'AWS::Lambda::EventInvokeConfig':
        this.services.lambda.configureAsync(String(props.FunctionName), {
          maximumRetryAttempts: props.MaximumRetryAttempts === undefined ? undefined : Number(props.MaximumRetryAttempts),
          maximumEventAgeSeconds: props.MaximumEventAgeInSeconds === undefined ? undefined : Number(props.MaximumEventAgeInSeconds),
        });
        break;
      case 'AWS::Events::Rule':
        if (props.EventPattern && props.State !== 'DISABLED') {
          this.bus()?.putRule(resource.physicalId, props.EventPattern, (props.Targets ?? []) as RuleTarget[]);
        }
        break;
      case 'AWS::Events::EventBusPolicy':
        if (props.EventBusName !== undefined && props.EventBusName !== 'default') throw new Error(`${resource.logicalId}: only the default bus exists locally`);
        if (!props.Statement) throw new Error(`${resource.logicalId}: the local EventBridge supports only an EventBusPolicy with a Statement`);
        this.bus()?.putPolicyStatement(String(props.StatementId), props.Statement);
        break;
      case 'AWS::CloudFormation::StackSet':
        this.services.stackSets?.put(props, this.account, resource.physicalId);
        break;
      default:
        break;
    }
  }

  public unprovision(resource: Deployed): void {
    if (resource.type === 'AWS::Lambda::Function') this.services.lambda.unregister(resource.attributes.Arn);
    if (resource.type === 'AWS::StepFunctions::StateMachine') this.services.stepFunctions.unregister(resource.attributes.Arn);
    if (resource.type === 'AWS::S3::Bucket') this.services.s3.deleteBucket(resource.physicalId);
    if (resource.type === 'AWS::S3::BucketPolicy') this.services.s3.policies.delete(String(resource.properties.Bucket));
    if (resource.type === 'AWS::Lambda::EventInvokeConfig') this.services.lambda.configureAsync(String(resource.properties.FunctionName), undefined);
    if (resource.type === 'AWS::Events::Rule') this.bus()?.removeRule(resource.physicalId);
    if (resource.type === 'AWS::Events::EventBusPolicy') this.bus()?.removePolicyStatement(String(resource.properties.StatementId));
    if (resource.type === 'AWS::CloudFormation::StackSet') this.services.stackSets?.delete(String(resource.properties.StackSetName));
  }

  /** The default bus of the stack's account, where its rules and bus policies go. */
  private bus(): EventBus | undefined {
    return this.services.eventBusOf?.(this.account) ?? this.services.eventBus;
  }
}
