import * as path from 'path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface HandlerFunctionProps {
  /** The bundle under assets/lambda/ (built from lambda/<bundle>/index.ts). */
  readonly bundle: string;
  /** The exported function of the bundle. */
  readonly handler: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly logRetention: logs.RetentionDays;
  /** An existing role to share, so that several functions of one provider have one policy. */
  readonly role?: iam.IRole;
}

/** A custom-resource handler: Node.js 22 on arm64, JSON logs into a log group with the given retention. */
export function createHandlerFunction(scope: Construct, id: string, props: HandlerFunctionProps): lambda.Function {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: props.logRetention });
  return new lambda.Function(scope, id, {
    code: lambda.Code.fromAsset(path.join(__dirname, '..', '..', 'assets', 'lambda', props.bundle, 'index')),
    handler: `index.${props.handler}`,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    timeout: props.timeout,
    description: props.description,
    role: props.role,
    loggingFormat: lambda.LoggingFormat.JSON,
    applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
    systemLogLevelV2: lambda.SystemLogLevel.WARN,
    logGroup,
  });
}

/**
 * The Provider framework's own functions log every request with its ResourceProperties (which hold
 * contact values) at INFO; FATAL keeps them silent whatever default an aws-cdk-lib version picks.
 */
export const FRAMEWORK_LOG_LEVEL = lambda.ApplicationLogLevel.FATAL;
