import * as path from 'path';
import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { STACK_ID_ENV } from '../contract';

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
  const fn = new lambda.Function(scope, id, {
    code: lambda.Code.fromAsset(path.join(__dirname, '..', '..', 'assets', 'lambda', props.bundle, 'index')),
    handler: `index.${props.handler}`,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    timeout: props.timeout,
    description: props.description,
    role: props.role,
    // The stack's id: the function serves that stack's requests only. No --enable-source-maps: the bundles
    // carry no source map, and keep their functions' names (esbuild --keep-names), so a stack trace names them.
    environment: { [STACK_ID_ENV]: Aws.STACK_ID },
    loggingFormat: lambda.LoggingFormat.JSON,
    applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
    systemLogLevelV2: lambda.SystemLogLevel.WARN,
    logGroup,
  });
  // An event is worth nothing once CloudFormation (at most an hour) has stopped waiting for it; younger
  // ones are kept however long Lambda is throttled. A late, repeated or retried delivery is harmless:
  // the handlers check before their first write that the request is still the resource's current one.
  fn.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(1) });
  return fn;
}

/**
 * What a handler needs besides its settings' own calls: `removalActions` (and the AccountState read, where
 * given) on every member account and on the deploying account, reading its own stack, and asking AWS Organizations whether an account is
 * still a member.
 *
 * Removal permissions cannot follow the declared accounts as the other grants do: CloudFormation
 * updates the policies before it deletes removed or replaced resources (in the cleanup phase), so a
 * grant that followed the declarations would be gone when the Delete that needs it runs, and the
 * setting would silently stay. The stack reads let a Delete tell a setting that lives on in another
 * resource of the stack (renamed, or moved into a baseline, whose targets ListParents places) from a
 * removed one and a rollback (which leaves settings in place and never waits) from a deploy, and let a
 * request see, before its first write and while it waits, whether CloudFormation still waits for it (the
 * stack events tell a late Update from the rollback's own). DescribeAccount tells an account that left
 * the organization (or was closed) from a denied call.
 */
export function grantStackReads(role: iam.IRole, removalActions: string[]): void {
  const stack = Stack.of(role);
  if (removalActions.length > 0) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: removalActions,
      resources: [
        `arn:${Aws.PARTITION}:account::${Aws.ACCOUNT_ID}:account`,
        `arn:${Aws.PARTITION}:account::*:account/o-*/*`,
      ],
    }));
  }
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: [
      'cloudformation:DescribeStackEvents', 'cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks',
      'cloudformation:GetTemplate', 'cloudformation:ListStackResources',
    ],
    resources: [stack.stackId],
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['organizations:DescribeAccount', 'organizations:ListParents'],
    resources: [`arn:${Aws.PARTITION}:organizations::*:account/o-*/*`, `arn:${Aws.PARTITION}:organizations::*:ou/o-*/ou-*`],
  }));
}
