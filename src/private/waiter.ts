import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, IConstruct } from 'constructs';
import { WAITER_ARN_ENV, WAITER_FAILURES } from '../contract';

/** How long one step may run: the step functions' own timeout is shorter. */
const STEP_TIMEOUT = Duration.minutes(15);

/** Errors of the Lambda service itself (not of the function): worth a few more tries. */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException',
];
/** A step that ran out of time: steps may be made again, so it is, once, before the execution gives up. */
const STEP_TIMEOUTS = ['Sandbox.Timedout', 'States.Timeout'];

/** The statuses of an execution that ended without succeeding: each may have left a request unanswered. */
export const UNSUCCESSFUL_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'];

/**
 * The state machine's definition: invoke `$.Function` with the state, and again with the state it
 * returns after `$.PollSeconds`, until it returns `Done: true`. A step that fails (the function throws,
 * times out, or cannot be invoked) is reported to the same function with `$.Failure`, so that it can
 * answer CloudFormation before the execution ends. A report that fails ends the execution with
 * `ReportFailed`, which the waiter's rule hands to the function as any other unsuccessful end.
 * `partition` is the stack's (a token) unless given.
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
      'Report failure': {
        ...invoke({ 'Payload.$': '$' }),
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.ReportFailure', Next: 'Describe failures' }],
        Next: 'Failed',
      },
      'Failed': { Type: 'Fail', Error: WAITER_FAILURES.reported, Cause: 'A step failed; the function reported it' },
      // The execution's cause names both failures: the function that answers from the status change reads only that.
      'Describe failures': {
        Type: 'Pass',
        Parameters: {
          'Cause.$': 'States.Format(\'the step failed with {}, and its report with {}: {}\', $.Failure.Error, $.ReportFailure.Error, $.ReportFailure.Cause)',
        },
        Next: 'Report failed',
      },
      'Report failed': { Type: 'Fail', Error: WAITER_FAILURES.unreported, CausePath: '$.Cause' },
    },
  };
}

/**
 * The stack's waiter: one Step Functions state machine (Standard) that every asynchronous setting of
 * the stack shares. A function that serves through it starts executions itself (it knows the state
 * machine from an environment variable), and the state machine invokes whichever function started it.
 * An execution that ends failed, timed out or stopped (even where no step could run: States.Runtime,
 * a stop by hand) is handed to the functions by a rule on its status change, so that a request the
 * execution left unanswered is answered.
 */
export class Waiter extends Construct {
  /** The stack's waiter, created on first use. */
  public static of(scope: IConstruct): Waiter {
    const stack = Stack.of(scope);
    return stack.node.tryFindChild(Waiter.ID) as Waiter | undefined ?? new Waiter(stack, Waiter.ID);
  }

  /** The stack's waiter, if a construct of the stack has made it. */
  public static find(scope: IConstruct): Waiter | undefined {
    return Stack.of(scope).node.tryFindChild(Waiter.ID) as Waiter | undefined;
  }

  private static readonly ID = 'AccountManagementWaiter';

  public readonly stateMachine: sfn.StateMachine;
  /** The rule on the executions' unsuccessful ends: each function served is a target. */
  public readonly endedRule: events.Rule;
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
    this.endedRule = new events.Rule(this, 'ExecutionEndedRule', {
      description: 'cdk-account-management: answers the requests that a failed, timed-out or stopped waiter execution left unanswered',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [this.stateMachine.stateMachineArn], status: UNSUCCESSFUL_STATUSES },
      },
    });
  }

  /**
   * Lets `fn` start and read executions, and the state machine invoke `fn`, and hands `fn` the
   * executions' unsuccessful ends; with `controlExecutions`, `fn` may also stop executions (a
   * superseded generation's).
   */
  public serve(fn: lambda.Function, options: { controlExecutions?: boolean } = {}): void {
    fn.addEnvironment(WAITER_ARN_ENV, this.stateMachine.stateMachineArn);
    this.stateMachine.grantStartExecution(fn);
    // DescribeExecution confirms what an execution's status change says before the function answers for it.
    fn.addToRolePolicy(new iam.PolicyStatement({
      actions: options.controlExecutions ? ['states:DescribeExecution', 'states:StopExecution'] : ['states:DescribeExecution'],
      resources: [`arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${this.stateMachine.stateMachineName}:*`],
    }));
    this.invokePolicy.addStatements(new iam.PolicyStatement({
      actions: ['lambda:InvokeFunction'],
      resources: [fn.functionArn, `${fn.functionArn}:*`],
    }));
    // Each function ignores the ends of executions that another one started (the execution's input names its function).
    this.endedRule.addTarget(new eventTargets.LambdaFunction(fn, { retryAttempts: 8, maxEventAge: Duration.hours(1) }));
  }

  /** What a custom resource must wait for before its first request: the state machine may invoke its function. */
  public get dependable(): Construct {
    return this.invokePolicy;
  }
}
