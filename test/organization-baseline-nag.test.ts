import { Stack } from 'aws-cdk-lib';
import { DeployWaitsFor, OrganizationBaseline, OrganizationBaselineProps } from '../src';
import {
  accountRange, BILLING, expectSameMembers, MEMBER_A, MEMBER_B, MEMBER_C, newStack, OPERATIONS, OU, PRIMARY_CONTACT, SECURITY,
} from './fixtures';
import {
  Acknowledged, basicExecutionRoleAcknowledgment, describeAccountAcknowledgment, nagFindings, stale, unacknowledged, waiterAcknowledgments,
} from './nag';
import { MAX_LISTED_ARNS, PROVIDER, RECONCILE } from './organization-baseline-support';

/* The synthesized side of OrganizationBaseline: its cdk-nag findings. */

describe('cdk-nag AwsSolutions checks', () => {
  const AT = `Stack/${PROVIDER}`;
  const DEFAULT_POLICY = `${AT}/Handler/ServiceRole/DefaultPolicy/Resource`;

  const ACKNOWLEDGED: Acknowledged[] = [
    basicExecutionRoleAcknowledgment(`${AT}/Handler/ServiceRole/Resource`),
    {
      rule: 'AwsSolutions-IAM5',
      finding: 'Resource::arn:<AWS::Partition>:account::*:account/o-*/*',
      path: `${AT}/AccountApiPolicy/Resource`,
      reason: 'with allAccounts or organizationalUnitIds the target accounts are resolved at deploy time through AWS '
        + 'Organizations, and a member account\'s ARN embeds the management account and organization ids, unknown at synth; '
        + 'explicit accounts beyond the stack\'s 60 listed ARNs are not listed either, as more would outgrow IAM\'s 10,240 '
        + 'characters of inline policy per role; Get/PutAlternateContact are narrowed by account:AlternateContactTypes to the '
        + 'declared types and GetRegionOptStatus/EnableRegion by account:TargetRegion to the declared Regions, and '
        + 'Get/PutContactInformation (for which the service has no condition key) are allowed only when a primary contact is declared',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: /^Resource::arn:<AWS::Partition>:account::\*:account\/o-\*\/\d{12}$/,
      path: `${AT}/AccountApiPolicy/Resource`,
      reason: 'an explicit or overridden account listed by its id: the ARN of a member account embeds the management account and '
        + 'organization ids, unknown at synth, hence their wildcards; the account id itself is exact, and the statements allow '
        + 'only the settings the baselines declare for it (contact types and Regions narrowed by their condition keys)',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: 'Resource::arn:<AWS::Partition>:account::*:account/o-*/*',
      path: DEFAULT_POLICY,
      reason: 'removal (pruneUndeclared, removeAlternateContactsOnDelete) runs after CloudFormation has updated the policies '
        + 'to the new declarations, so account:DeleteAlternateContact (with the GetAlternateContact that checks the values first), alone in their statement, is granted on every member '
        + 'account (their management account and organization ids are unknown at synth) for as long as the provider exists',
    },
    ...describeAccountAcknowledgment(DEFAULT_POLICY),
    {
      rule: 'AwsSolutions-IAM5',
      finding: 'Resource::*',
      path: DEFAULT_POLICY,
      reason: 'the Organizations reads that resolve the targets: ListAccounts supports no resource-level permission, and '
        + 'ListAccountsForParent, ListChildren and ListParents take root/OU/account ARNs that embed the management account and '
        + 'organization ids (unknown at synth) of OUs and accounts discovered at deploy time; the statement holds only these '
        + 'four read-only actions',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: /^Resource::<OrganizationBaselineProviderStore[0-9A-F]{8}\.Arn>\/baselines\/\*$/,
      path: DEFAULT_POLICY,
      reason: 'the objects under baselines/ of the stack\'s own store bucket, whose keys (baselines/<baseline id>/<generation>...) '
        + 'are made at deploy time, one set per generation; the statement holds only s3:GetObject, s3:PutObject, '
        + 's3:PutObjectTagging (the expiring objects are tagged as they are put) and s3:DeleteObject (the bucket itself gets s3:ListBucket alone, on its own ARN), and no other bucket or prefix is granted',
    },
    {
      rule: 'AwsSolutions-IAM5',
      finding: /^Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<AccountManagementWaiterStateMachine[0-9A-F]{8}\.Name>:\*$/,
      path: DEFAULT_POLICY,
      reason: 'the executions of the stack\'s own waiter, named at deploy time after the baseline and its generation: the '
        + 'function reads (DescribeExecution) and stops (StopExecution) a superseded generation\'s execution, and may do '
        + 'nothing else to executions, nor anything to another state machine\'s',
    },
    {
      rule: 'AwsSolutions-L1',
      finding: '',
      path: `${AT}/Handler/Resource`,
      reason: 'the design fixes Node.js 22 for the handlers (bundled with esbuild for node22)',
    },
    {
      rule: 'AwsSolutions-S1',
      finding: '',
      path: `${AT}/Store/Resource`,
      reason: 'the store holds only the baselines\' generations (the values the stack\'s template already holds), written and '
        + 'read by the one function of the stack\'s provider; public access is blocked and SSL enforced, and server access '
        + 'logs would need a second bucket per stack for a bucket no person reads (CloudTrail data events can audit it where required)',
    },
    ...waiterAcknowledgments('Stack', /^Resource::<OrganizationBaselineProviderHandler[0-9A-F]{8}\.Arn>:\*$/),
  ];

  function stackWithEveryOption(): Stack {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', {
      allAccounts: true,
      excludeAccountIds: [MEMBER_C],
      alternateContacts: { security: SECURITY, billing: BILLING },
      primaryContact: PRIMARY_CONTACT,
      enabledRegions: ['af-south-1'],
      overrides: [{ accountId: MEMBER_A, alternateContacts: { security: OPERATIONS }, accountName: 'workload-a' }],
      coverNewAccounts: true,
      reconcileSchedule: RECONCILE,
      pruneUndeclared: true,
      removeAlternateContactsOnDelete: true,
      deployWaitsFor: DeployWaitsFor.EVERYTHING,
    });
    // And explicit accounts, listed one by one.
    new OrganizationBaseline(stack, 'Listed', { accountIds: [MEMBER_A, MEMBER_B], alternateContacts: { operations: OPERATIONS } });
    return stack;
  }

  test('every acknowledged finding has a reason', () => {
    for (const entry of ACKNOWLEDGED) expect(entry.reason.length).toBeGreaterThan(20);
  });

  test('every finding on a stack with OrganizationBaselines using every option is acknowledged', () => {
    const findings = nagFindings(stackWithEveryOption());
    expect(findings.length).toBeGreaterThan(0);
    expect(unacknowledged(findings, ACKNOWLEDGED)).toEqual([]);
  });

  test.each<[string, OrganizationBaselineProps]>([
    ['explicit accounts within the listed ARNs', { accountIds: [MEMBER_A, MEMBER_B], alternateContacts: { security: SECURITY }, enabledRegions: ['af-south-1'] }],
    ['more explicit accounts than the listed ARNs', { accountIds: accountRange(200000000000, MAX_LISTED_ARNS + 1), primaryContact: PRIMARY_CONTACT }],
    ['an OU with new accounts', { organizationalUnitIds: [OU], enabledRegions: ['af-south-1'], coverNewAccounts: true }],
  ])('every finding on a stack with %s is acknowledged too', (_case, props) => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', props);
    const findings = nagFindings(stack);
    expect(findings.length).toBeGreaterThan(0);
    expect(unacknowledged(findings, ACKNOWLEDGED)).toEqual([]);
  });

  test('on the Account Management policy, listed accounts are found one by one, and more than the listed ARNs as every member account', () => {
    const accountApiFindings = (accountIds: string[]) => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', { accountIds, alternateContacts: { security: SECURITY } });
      return nagFindings(stack).filter((f) => f.path === `${AT}/AccountApiPolicy/Resource`);
    };
    const listed = accountRange(200000000000, MAX_LISTED_ARNS);
    expectSameMembers(accountApiFindings(listed), listed.map((id) => ({
      rule: 'AwsSolutions-IAM5', finding: `Resource::arn:<AWS::Partition>:account::*:account/o-*/${id}`, path: `${AT}/AccountApiPolicy/Resource`,
    })));
    expect(accountApiFindings(accountRange(200000000000, MAX_LISTED_ARNS + 1))).toEqual([
      { rule: 'AwsSolutions-IAM5', finding: 'Resource::arn:<AWS::Partition>:account::*:account/o-*/*', path: `${AT}/AccountApiPolicy/Resource` },
    ]);
  });

  test('every acknowledged finding still occurs, so no acknowledgement is stale', () => {
    expect(stale(nagFindings(stackWithEveryOption()), ACKNOWLEDGED)).toEqual([]);
  });
});
