import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, IConstruct } from 'constructs';
import { WAITER_ARN_ENV } from '../contract';

/** How long one step may run: the step functions' own timeout is shorter. */
const STEP_TIMEOUT = Duration.minutes(15);

/** Errors of the Lambda service itself (not of the function): worth a few more tries. */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException',
];
/** A step that ran out of time: steps may be made again, so it is, once, before the execution gives up. */
const STEP_TIMEOUTS = ['Sandbox.Timedout', 'States.Timeout'];

/**
 * The state machine's definition: invoke `$.Function` with the state, and again with the state it
 * returns after `$.PollSeconds`, until it returns `Done: true`. A step that fails (the function throws,
 * times out, or cannot be invoked) is reported to the same function with `$.Failure`, so that it can
 * answer CloudFormation before the execution ends. `partition` is the stack's (a token) unless given.
 */
export function waiterDefinition(partition: string = Aws.PARTITION): object {
  const invoke = (payload: Record<string, unknown>) => ({
    Type: 'Task',
    Resource: `arn:${partition}:states:::lambda:invoke`,
    Parameters: { 'FunctionName.$': '$.Function', ...payload },
    OutputPath: '$.Payload',
    TimeoutSeconds: STEP_TIMEOUT.toSeconds(),
    Retry: [
      { ErrorEquals: LAMBDA_SERVICE_ERRORS, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 },
      { ErrorEquals: STEP_TIMEOUTS, IntervalSeconds: 1, MaxAttempts: 1 },
    ],
  });
  return {
    Comment: 'cdk-account-management: steps a function until it says it is done, waiting between steps',
    StartAt: 'Step',
    States: {
      'Step': {
        ...invoke({ 'Payload.$': '$' }),
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.Failure', Next: 'Report failure' }],
        Next: 'Done?',
      },
      'Done?': {
        Type: 'Choice',
        Choices: [{ Variable: '$.Done', BooleanEquals: true, Next: 'Done' }],
        Default: 'Wait',
      },
      'Wait': { Type: 'Wait', SecondsPath: '$.PollSeconds', Next: 'Step' },
      'Done': { Type: 'Succeed' },
      'Report failure': { ...invoke({ 'Payload.$': '$' }), Next: 'Failed' },
      'Failed': { Type: 'Fail', Error: 'StepFailed', Cause: 'A step failed; the function reported it' },
    },
  };
}

/**
 * The stack's waiter: one Step Functions state machine (Standard) that every asynchronous setting of
 * the stack shares. A function that serves through it starts executions itself (it knows the state
 * machine from an environment variable), and the state machine invokes whichever function started it.
 */
export class Waiter extends Construct {
  /** The stack's waiter, created on first use. */
  public static of(scope: IConstruct): Waiter {
    const stack = Stack.of(scope);
    return stack.node.tryFindChild(Waiter.ID) as Waiter | undefined ?? new Waiter(stack, Waiter.ID);
  }

  private static readonly ID = 'AccountManagementWaiter';

  public readonly stateMachine: sfn.StateMachine;
  /** Lets the state machine invoke the functions it serves: a policy of its own, so that nothing depends in a circle. */
  private readonly invokePolicy: iam.Policy;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'cdk-account-management: waits for asynchronous account settings (Region opt-in transitions, organization baselines)',
      definitionBody: sfn.DefinitionBody.fromString(Stack.of(this).toJsonString(waiterDefinition())),
      stateMachineType: sfn.StateMachineType.STANDARD,
    });
    this.invokePolicy = new iam.Policy(this, 'InvokePolicy', { roles: [this.stateMachine.role] });
  }

  /**
   * Lets `fn` start executions, and the state machine invoke `fn`; with `controlExecutions`, `fn` may
   * also read and stop executions (a superseded generation's).
   */
  public serve(fn: lambda.Function, options: { controlExecutions?: boolean } = {}): void {
    fn.addEnvironment(WAITER_ARN_ENV, this.stateMachine.stateMachineArn);
    this.stateMachine.grantStartExecution(fn);
    if (options.controlExecutions) {
      fn.addToRolePolicy(new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [`arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${this.stateMachine.stateMachineName}:*`],
      }));
    }
    this.invokePolicy.addStatements(new iam.PolicyStatement({
      actions: ['lambda:InvokeFunction'],
      resources: [fn.functionArn, `${fn.functionArn}:*`],
    }));
  }

  /** What a custom resource must wait for before its first request: the state machine may invoke its function. */
  public get dependable(): Construct {
    return this.invokePolicy;
  }
}
