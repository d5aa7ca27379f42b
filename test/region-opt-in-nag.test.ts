import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { RegionOptIn } from '../src';
import { Acknowledged, describeAccountAcknowledgment, nagFindings, stale, unacknowledged } from './nag';
import { MEMBER_A, MEMBER_B, newStack } from './region-opt-in-support';

/* RegionOptIn: its cdk-nag findings. */

describe('cdk-nag AwsSolutions checks', () => {

  const ACKNOWLEDGED: Acknowledged[] = [
    {
      rule: 'AwsSolutions-IAM4',
      finding: 'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
      path: 'Stack/RegionOptInProvider/Handler/ServiceRole/Resource',
      reason: 'AWSLambdaBasicExecutionRole only lets the function create and write to its own CloudWatch log streams',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: /^Resource::arn:<AWS::Partition>:account::\*:account\/o-\*\/\d{12}$/,
      path: 'Stack/RegionOptInProvider/AccountApiPolicy/Part1',
      reason: 'organizations-mode calls are authorized against account::<management account>:account/o-<org>/<member>; '
        + 'the management account and organization ids are unknown at synth, the ARN is pinned to the member account '
        + 'id and the Region actions are narrowed by account:TargetRegion to the declared Regions',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: 'Resource::arn:<AWS::Partition>:account::*:account/o-*/*',
      path: 'Stack/RegionOptInProvider/Handler/ServiceRole/DefaultPolicy/Resource',
      reason: 'removal runs in CloudFormation\'s cleanup phase, after the policies were updated to the new declarations, '
        + 'so it cannot be narrowed to the declared accounts (the grant would be gone when the Delete runs); the '
        + 'statement allows only the removal actions account:GetRegionOptStatus and account:DisableRegion',
    },
    ...describeAccountAcknowledgment('Stack/RegionOptInProvider/Handler/ServiceRole/DefaultPolicy/Resource'),
    {
      rule: 'AwsSolutions-IAM5',
      finding: /^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<AccountManagementWaiterStateMachine[0-9A-F]{8}\.Name>:\*$/,
      path: 'Stack/RegionOptInProvider/Handler/ServiceRole/DefaultPolicy/Resource',
      reason: 'the executions of the stack\'s own waiter, named at deploy time after their requests: the function reads '
        + '(DescribeExecution) an execution whose end the waiter\'s rule reports, to confirm it before answering for it, '
        + 'and may do nothing else to executions, nor anything to another state machine\'s',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: /^Resource::<RegionOptInProviderHandler[0-9A-F]{8}\.Arn>:\*$/,
      path: 'Stack/AccountManagementWaiter/InvokePolicy/Resource',
      reason: 'the waiter\'s state machine invokes the function that started the execution by the ARN it was invoked '
        + 'with (its invokedFunctionArn, which may carry a version or alias qualifier), so it may invoke the function it '
        + 'serves and its versions and aliases (<fn arn>:*), nothing else; the policy holds only lambda:InvokeFunction',
    },
    {
      rule: 'AwsSolutions-L1',
      finding: '',
      path: 'Stack/RegionOptInProvider/Handler/Resource',
      reason: 'the design fixes Node.js 22 for the handlers (bundled with esbuild for node22)',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: 'Resource::<RegionOptInProviderResponseStoreBucket4E880CB2.Arn>/responses/*',
      path: 'Stack/RegionOptInProvider/Handler/ServiceRole/DefaultPolicy/Resource',
      reason: 'the objects under responses/ of the provider\'s own response store, one per request that waits on the waiter, '
        + 'named after its request id at deploy time',
    },
    {
      rule: 'AwsSolutions-S1',
      finding: '',
      path: 'Stack/RegionOptInProvider/ResponseStore/Bucket/Resource',
      reason: 'the response store holds only the pre-signed ResponseURLs of requests in progress, for at most their hour, '
        + 'written and read by the provider\'s one function; public access is blocked, SSL enforced and every other principal '
        + 'denied, and server access logs would need a second bucket per stack for a bucket no person reads',
    },
    {
      rule: 'AwsSolutions-SF1',
      finding: '',
      path: 'Stack/AccountManagementWaiter/StateMachine/Resource',
      reason: 'the waiter\'s logging is off on purpose: its execution data hold the CloudFormation request (its '
        + 'resource properties), which must not reach a log group; the function logs every step itself, without them',
    },
    {
      rule: 'AwsSolutions-SF2',
      finding: '',
      path: 'Stack/AccountManagementWaiter/StateMachine/Resource',
      reason: 'the waiter is a loop of one Lambda task and a Wait state; X-Ray tracing adds nothing that the '
        + 'execution history and the function\'s log of every step do not show',
    },
  ];

  function stackWithRegions(): Stack {
    const stack = newStack();
    new RegionOptIn(stack, 'CapeTown', { regionName: 'af-south-1' });
    new RegionOptIn(stack, 'MemberHongKong', { regionName: 'ap-east-1', accountId: MEMBER_A, removalPolicy: RemovalPolicy.DESTROY });
    new RegionOptIn(stack, 'MemberBahrain', { regionName: 'me-south-1', accountId: MEMBER_B, enabled: false });
    return stack;
  }

  test('every acknowledged finding has a reason', () => {
    for (const entry of ACKNOWLEDGED) expect(entry.reason.length).toBeGreaterThan(20);
  });

  test('every finding on a stack with standalone and member-account Regions, one with DESTROY, is acknowledged', () => {
    const findings = nagFindings(stackWithRegions());
    expect(findings.length).toBeGreaterThan(0);
    expect(unacknowledged(findings, ACKNOWLEDGED)).toEqual([]);
  });

  test('every acknowledged finding still occurs, so no acknowledgement is stale', () => {
    const findings = nagFindings(stackWithRegions());
    expect(stale(findings, ACKNOWLEDGED)).toEqual([]);
  });
});
