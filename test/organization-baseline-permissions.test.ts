import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DeployWaitsFor, OrganizationBaseline, OrganizationBaselineProps } from '../src';
import {
  accountRange, BILLING, expectExactError, MEMBER_A, MEMBER_B, MEMBER_C, newStack, OPERATIONS, OU, PRIMARY_CONTACT, SECURITY, STACK_ACCOUNT,
  SUBSIDIARY_CONTACT,
} from './fixtures';
import {
  allStatements, ANY_MEMBER_ARN, asArray, DESCRIBE_ACCOUNT_STATEMENT, expectNoAccountActionOnEverything, expectStatements, memberArn,
  ROLE_INLINE_POLICIES_LIMIT, roleInlinePoliciesSize, serviceStatements, STACK_READ_STATEMENT, standaloneArn, Statement,
} from './iam';
import {
  accountApiStatements, contactStatement, EXCLUDED_OVERRIDE_MESSAGE, expectAccountApiStatements, handlerDefaultStatements, handlerRoleId,
  MAX_LISTED_ARNS, nameStatement, PRIMARY_ACTIONS, primaryStatement, RECONCILE, regionStatement, stateMachineId, storeId,
} from './organization-baseline-support';

/* The synthesized side of OrganizationBaseline: the permissions of the stack's provider. */

describe('permissions', () => {
  const BUCKET_ARN = (stack: Stack) => ({ 'Fn::GetAtt': [storeId(stack), 'Arn'] });

  /** What the function may do in the store: get, put and delete the objects under baselines/, and list the bucket. */
  function storeStatements(stack: Stack): Statement[] {
    return [
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject'], Resource: { 'Fn::Join': ['', [BUCKET_ARN(stack), '/baselines/*']] } },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: BUCKET_ARN(stack) },
    ];
  }

  /** The provider's own grants, whatever the baselines declare. */
  function providerStatements(stack: Stack): Statement[] {
    const stateMachine = stateMachineId(stack);
    return [
      { Effect: 'Allow', Action: ['account:DeleteAlternateContact', 'account:GetAlternateContact', 'account:GetAccountInformation'], Resource: [standaloneArn(), ANY_MEMBER_ARN] },
      STACK_READ_STATEMENT,
      DESCRIBE_ACCOUNT_STATEMENT,
      ...storeStatements(stack),
      {
        Effect: 'Allow',
        Action: ['organizations:ListAccounts', 'organizations:ListAccountsForParent', 'organizations:ListChildren', 'organizations:ListParents'],
        Resource: '*',
      },
      {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']] },
      },
      { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: stateMachine } },
      {
        Effect: 'Allow',
        Action: ['states:DescribeExecution', 'states:StopExecution'],
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':execution:',
            { 'Fn::GetAtt': [stateMachine, 'Name'] }, ':*']],
        },
      },
    ];
  }

  describe('what each baseline declares, on its accounts', () => {
    test('explicit accounts: every setting\'s statement lists the deploying account and those accounts; names only the overridden ones', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', {
        accountIds: [MEMBER_A, MEMBER_B],
        alternateContacts: { security: SECURITY },
        primaryContact: PRIMARY_CONTACT,
        enabledRegions: ['af-south-1', 'ap-east-1'],
        overrides: [{ accountId: MEMBER_B, alternateContacts: { billing: BILLING }, accountName: 'workload-b' }],
      });
      const resources = [standaloneArn(), memberArn(MEMBER_A), memberArn(MEMBER_B)];
      expectAccountApiStatements(stack, [
        contactStatement(resources, ['BILLING', 'SECURITY']),
        primaryStatement(resources),
        nameStatement([standaloneArn(), memberArn(MEMBER_B)]),
        regionStatement(resources, ['af-south-1', 'ap-east-1']),
      ]);
      // Besides them, only the provider's removal statement allows an account action.
      expectStatements(serviceStatements(Template.fromStack(stack), 'account'), [
        ...accountApiStatements(stack),
        { Effect: 'Allow', Action: ['account:DeleteAlternateContact', 'account:GetAlternateContact', 'account:GetAccountInformation'], Resource: [standaloneArn(), ANY_MEMBER_ARN] },
      ]);
    });

    test.each<[string, Partial<OrganizationBaselineProps>, (resources: unknown[]) => Statement[]]>([
      ['contacts only', { alternateContacts: { operations: OPERATIONS } }, (r) => [contactStatement(r, ['OPERATIONS'])]],
      ['a primary contact only', { primaryContact: PRIMARY_CONTACT }, (r) => [primaryStatement(r)]],
      ['an override\'s primary contact only', { overrides: [{ accountId: MEMBER_A, primaryContact: SUBSIDIARY_CONTACT }] }, (r) => [primaryStatement(r)]],
      ['Regions only', { enabledRegions: ['me-south-1'] }, (r) => [regionStatement(r, ['me-south-1'])]],
      ['an override\'s name only', { overrides: [{ accountId: MEMBER_A, accountName: 'workload-a' }] }, (r) => [nameStatement(r)]],
    ])('a baseline of %s gets only that statement', (_case, props, expected) => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', { accountIds: [MEMBER_A], ...props });
      expectAccountApiStatements(stack, expected([standaloneArn(), memberArn(MEMBER_A)]));
    });

    test.each<[string, Partial<OrganizationBaselineProps>]>([
      ['organizationalUnitIds', { organizationalUnitIds: [OU] }],
      ['allAccounts', { allAccounts: true }],
      ['allAccounts with accountIds too', { allAccounts: true, accountIds: [MEMBER_A] }],
      ['organizationalUnitIds with accountIds too', { organizationalUnitIds: [OU], accountIds: [MEMBER_A, MEMBER_B] }],
    ])('with %s: the deploying account and every member account (o-*/*), still narrowed by the conditions; names still only the overridden accounts', (_case, targets) => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', {
        ...targets,
        alternateContacts: { security: SECURITY },
        primaryContact: PRIMARY_CONTACT,
        enabledRegions: ['af-south-1'],
        overrides: [{ accountId: MEMBER_C, accountName: 'workload-c' }],
      });
      const resources = [standaloneArn(), ANY_MEMBER_ARN];
      expectAccountApiStatements(stack, [
        contactStatement(resources, ['SECURITY']),
        primaryStatement(resources),
        nameStatement([standaloneArn(), memberArn(MEMBER_C)]),
        regionStatement(resources, ['af-south-1']),
      ]);
    });

    test('excluded accounts are neither listed nor named: one listed in accountIds is left out, and an override of one is rejected', () => {
      const props: OrganizationBaselineProps = {
        accountIds: [MEMBER_A, MEMBER_B, MEMBER_C],
        excludeAccountIds: [MEMBER_B],
        alternateContacts: { security: SECURITY },
        primaryContact: PRIMARY_CONTACT,
        enabledRegions: ['af-south-1'],
        overrides: [{ accountId: MEMBER_C, accountName: 'workload-c' }],
      };
      expectExactError(
        () => new OrganizationBaseline(newStack(), 'Baseline', { ...props, overrides: [{ accountId: MEMBER_B, accountName: 'workload-b' }, ...props.overrides!] }),
        EXCLUDED_OVERRIDE_MESSAGE(MEMBER_B),
      );
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', props);
      const resources = [standaloneArn(), memberArn(MEMBER_A), memberArn(MEMBER_C)];
      expectAccountApiStatements(stack, [
        contactStatement(resources, ['SECURITY']),
        primaryStatement(resources),
        nameStatement([standaloneArn(), memberArn(MEMBER_C)]),
        regionStatement(resources, ['af-south-1']),
      ]);
    });

    test('with allAccounts, an excluded account\'s name is not granted: an override that names it is rejected', () => {
      const props: OrganizationBaselineProps = {
        allAccounts: true,
        excludeAccountIds: [MEMBER_B],
        alternateContacts: { security: SECURITY },
        overrides: [{ accountId: MEMBER_A, accountName: 'workload-a' }],
      };
      expectExactError(
        () => new OrganizationBaseline(newStack(), 'Baseline', { ...props, overrides: [...props.overrides!, { accountId: MEMBER_B, accountName: 'workload-b' }] }),
        EXCLUDED_OVERRIDE_MESSAGE(MEMBER_B),
      );
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', props);
      expectAccountApiStatements(stack, [
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['SECURITY']),
        nameStatement([standaloneArn(), memberArn(MEMBER_A)]),
      ]);
    });

    test('every statement with a condition key carries it; none allows an account action on *, account:* or with NotResource', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Everyone', { allAccounts: true, alternateContacts: { security: SECURITY }, enabledRegions: ['af-south-1'], primaryContact: PRIMARY_CONTACT });
      new OrganizationBaseline(stack, 'Many', { accountIds: accountRange(200000000000, 100), alternateContacts: { billing: BILLING } });
      for (const statement of accountApiStatements(stack)) {
        const actions = asArray(statement.Action);
        if (actions.includes('account:PutAlternateContact')) {
          expect(Object.keys(statement.Condition!)).toEqual(['ForAnyValue:StringEquals']);
          expect(Object.keys(statement.Condition!['ForAnyValue:StringEquals'])).toEqual(['account:AlternateContactTypes']);
        } else if (actions.includes('account:EnableRegion')) {
          expect(Object.keys(statement.Condition!)).toEqual(['ForAnyValue:StringEquals']);
          expect(Object.keys(statement.Condition!['ForAnyValue:StringEquals'])).toEqual(['account:TargetRegion']);
        } else {
          // The contact information actions have no condition key in the service's authorization reference.
          expect(actions.sort()).toEqual(PRIMARY_ACTIONS);
          expect(statement.Condition).toBeUndefined();
        }
      }
      expectNoAccountActionOnEverything(serviceStatements(Template.fromStack(stack), 'account'));
    });
  });

  describe('the provider\'s own grants, whatever the props', () => {
    test.each<[string, OrganizationBaselineProps]>([
      ['explicit accounts, nothing optional', { accountIds: [MEMBER_A], alternateContacts: { security: SECURITY } }],
      ['every option', {
        allAccounts: true,
        alternateContacts: { security: SECURITY },
        removeAlternateContactsOnDelete: true,
        pruneUndeclared: true,
        coverNewAccounts: true,
        reconcileSchedule: RECONCILE,
        deployWaitsFor: DeployWaitsFor.NOTHING,
      }],
      ['an OU and Regions', { organizationalUnitIds: [OU], enabledRegions: ['af-south-1'] }],
    ])('with %s the handler role\'s DefaultPolicy holds exactly: removal, stack reads, DescribeAccount, the store, Organizations reads, events, the waiter', (_case, props) => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', props);
      expectStatements(handlerDefaultStatements(stack), providerStatements(stack));
    });

    test('several baselines add each of them once, and no other policy of the stack repeats them', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Workloads', { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY }, removeAlternateContactsOnDelete: true });
      new OrganizationBaseline(stack, 'Everyone', { allAccounts: true, alternateContacts: { billing: BILLING }, reconcileSchedule: RECONCILE });
      new OrganizationBaseline(stack, 'Sandbox', { accountIds: [MEMBER_A], enabledRegions: ['af-south-1'], coverNewAccounts: true });
      const template = Template.fromStack(stack);
      expectStatements(handlerDefaultStatements(stack), providerStatements(stack));
      for (const service of ['s3', 'organizations', 'events', 'states', 'cloudformation']) {
        expectStatements(serviceStatements(template, service), providerStatements(stack).filter((s) => asArray(s.Action)[0].startsWith(`${service}:`)));
      }
      expect(allStatements(template).filter((s) => asArray(s.Action).includes('account:DeleteAlternateContact'))).toHaveLength(1);
    });

    test('in the store, the function may get, put and delete the objects under baselines/ and list the bucket: no other S3 action, bucket or key', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY }, coverNewAccounts: true, reconcileSchedule: RECONCILE });
      const statements = serviceStatements(Template.fromStack(stack), 's3');
      expectStatements(statements, storeStatements(stack));
      // Exact actions (no wildcard), exact resources.
      for (const statement of statements) for (const action of asArray(statement.Action)) expect(action).toMatch(/^s3:[A-Za-z]+$/);
    });

    test('the only statement on every resource (*) is the Organizations reads, which take no narrower resource', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', { allAccounts: true, alternateContacts: { security: SECURITY }, coverNewAccounts: true, reconcileSchedule: RECONCILE });
      const onEverything = allStatements(Template.fromStack(stack)).filter((s) => s.NotResource !== undefined || asArray(s.Resource).includes('*'));
      expect(onEverything).toEqual(providerStatements(stack).filter((s) => asArray(s.Action).includes('organizations:ListAccounts')));
      expect(onEverything).toHaveLength(1);
    });
  });

  describe('how many explicit accounts are listed', () => {
    test(`${MAX_LISTED_ARNS} account ARNs stay listed: 20 accounts with a contact, a primary contact and a Region statement`, () => {
      const stack = newStack();
      const accountIds = accountRange(200000000000, 20);
      new OrganizationBaseline(stack, 'Baseline', {
        accountIds, alternateContacts: { security: SECURITY }, primaryContact: PRIMARY_CONTACT, enabledRegions: ['af-south-1'],
      });
      const resources = [standaloneArn(), ...accountIds.map(memberArn)];
      expectAccountApiStatements(stack, [contactStatement(resources, ['SECURITY']), primaryStatement(resources), regionStatement(resources, ['af-south-1'])]);
    });

    test('21 accounts with three statements (63 ARNs) get every member account in all three', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', {
        accountIds: accountRange(200000000000, 21), alternateContacts: { security: SECURITY }, primaryContact: PRIMARY_CONTACT, enabledRegions: ['af-south-1'],
      });
      const resources = [standaloneArn(), ANY_MEMBER_ARN];
      expectAccountApiStatements(stack, [contactStatement(resources, ['SECURITY']), primaryStatement(resources), regionStatement(resources, ['af-south-1'])]);
    });

    test(`${MAX_LISTED_ARNS} accounts with one statement stay listed, ${MAX_LISTED_ARNS + 1} get every member account`, () => {
      const listed = newStack();
      const sixty = accountRange(200000000000, MAX_LISTED_ARNS);
      new OrganizationBaseline(listed, 'Baseline', { accountIds: sixty, alternateContacts: { security: SECURITY } });
      expectAccountApiStatements(listed, [contactStatement([standaloneArn(), ...sixty.map(memberArn)], ['SECURITY'])]);

      const anyMember = newStack();
      new OrganizationBaseline(anyMember, 'Baseline', { accountIds: accountRange(200000000000, MAX_LISTED_ARNS + 1), alternateContacts: { security: SECURITY } });
      expectAccountApiStatements(anyMember, [contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['SECURITY'])]);
    });

    test('the limit counts the whole stack: 59 + 1 ARNs stay listed, 59 + 2 do not, and the first baseline stays listed', () => {
      const first = accountRange(200000000000, 59);
      const fits = newStack();
      new OrganizationBaseline(fits, 'First', { accountIds: first, alternateContacts: { security: SECURITY } });
      new OrganizationBaseline(fits, 'Second', { accountIds: [MEMBER_A], enabledRegions: ['af-south-1'] });
      expectAccountApiStatements(fits, [
        contactStatement([standaloneArn(), ...first.map(memberArn)], ['SECURITY']),
        regionStatement([standaloneArn(), memberArn(MEMBER_A)], ['af-south-1']),
      ]);

      const over = newStack();
      new OrganizationBaseline(over, 'First', { accountIds: first, alternateContacts: { security: SECURITY } });
      new OrganizationBaseline(over, 'Second', { accountIds: [MEMBER_A], alternateContacts: { billing: BILLING }, enabledRegions: ['af-south-1'] });
      expectAccountApiStatements(over, [
        contactStatement([standaloneArn(), ...first.map(memberArn)], ['SECURITY']),
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['BILLING']),
        regionStatement([standaloneArn(), ANY_MEMBER_ARN], ['af-south-1']),
      ]);
    });

    test('only listed ARNs count: after OU and allAccounts baselines and one that did not fit, a small one is still listed', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Organization', { allAccounts: true, accountIds: accountRange(300000000000, 40), alternateContacts: { billing: BILLING } });
      new OrganizationBaseline(stack, 'Unit', { organizationalUnitIds: [OU], accountIds: accountRange(400000000000, 40), enabledRegions: ['ap-east-1'] });
      const first = accountRange(200000000000, 59);
      new OrganizationBaseline(stack, 'First', { accountIds: first, alternateContacts: { security: SECURITY } });
      new OrganizationBaseline(stack, 'TooMany', { accountIds: [MEMBER_A, MEMBER_B], alternateContacts: { operations: OPERATIONS } });
      new OrganizationBaseline(stack, 'Last', { accountIds: [MEMBER_C], enabledRegions: ['me-south-1'] });
      expectAccountApiStatements(stack, [
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['BILLING']),
        regionStatement([standaloneArn(), ANY_MEMBER_ARN], ['ap-east-1']),
        contactStatement([standaloneArn(), ...first.map(memberArn)], ['SECURITY']),
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['OPERATIONS']),
        regionStatement([standaloneArn(), memberArn(MEMBER_C)], ['me-south-1']),
      ]);
    });

    test(`excluded accounts do not count: ${MAX_LISTED_ARNS + 1} accounts of which one is excluded stay listed`, () => {
      const stack = newStack();
      const accountIds = accountRange(200000000000, MAX_LISTED_ARNS + 1);
      new OrganizationBaseline(stack, 'Baseline', { accountIds, excludeAccountIds: [accountIds[0]], alternateContacts: { security: SECURITY } });
      expectAccountApiStatements(stack, [contactStatement([standaloneArn(), ...accountIds.slice(1).map(memberArn)], ['SECURITY'])]);
    });

    test('names count: 59 accounts and 1 name stay listed; 59 accounts and 2 names get every member account, in the names statement too', () => {
      const accountIds = accountRange(200000000000, 59);
      const names = (count: number) => accountIds.slice(0, count).map((accountId) => ({ accountId, accountName: `workload-${accountId}` }));
      const fits = newStack();
      new OrganizationBaseline(fits, 'Baseline', { accountIds, alternateContacts: { security: SECURITY }, overrides: names(1) });
      expectAccountApiStatements(fits, [
        contactStatement([standaloneArn(), ...accountIds.map(memberArn)], ['SECURITY']),
        nameStatement([standaloneArn(), memberArn(accountIds[0])]),
      ]);

      const over = newStack();
      new OrganizationBaseline(over, 'Baseline', { accountIds, alternateContacts: { security: SECURITY }, overrides: names(2) });
      expectAccountApiStatements(over, [
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['SECURITY']),
        nameStatement([standaloneArn(), ANY_MEMBER_ARN]),
      ]);
    });

    test.each<[string, Partial<OrganizationBaselineProps>]>([
      ['allAccounts', { allAccounts: true }],
      ['an OU', { organizationalUnitIds: [OU] }],
    ])(`with %s only the names count: ${MAX_LISTED_ARNS} names stay listed, ${MAX_LISTED_ARNS + 1} go on every member account`, (_case, targets) => {
      const named = (count: number) => accountRange(200000000000, count).map((accountId) => ({ accountId, accountName: `workload-${accountId}` }));
      const listed = newStack();
      new OrganizationBaseline(listed, 'Baseline', { ...targets, alternateContacts: { security: SECURITY }, overrides: named(MAX_LISTED_ARNS) });
      expectAccountApiStatements(listed, [
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['SECURITY']),
        nameStatement([standaloneArn(), ...accountRange(200000000000, MAX_LISTED_ARNS).map(memberArn)]),
      ]);

      const anyMember = newStack();
      new OrganizationBaseline(anyMember, 'Baseline', { ...targets, alternateContacts: { security: SECURITY }, overrides: named(MAX_LISTED_ARNS + 1) });
      expectAccountApiStatements(anyMember, [
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['SECURITY']),
        nameStatement([standaloneArn(), ANY_MEMBER_ARN]),
      ]);
    });

    test('an allAccounts baseline\'s names use the stack\'s budget: after 59 names, one explicit ARN is listed, the next is not', () => {
      const stack = newStack();
      const names = accountRange(200000000000, 59);
      new OrganizationBaseline(stack, 'Organization', {
        allAccounts: true, alternateContacts: { security: SECURITY }, overrides: names.map((accountId) => ({ accountId, accountName: `workload-${accountId}` })),
      });
      new OrganizationBaseline(stack, 'Listed', { accountIds: [MEMBER_A], alternateContacts: { billing: BILLING } });
      new OrganizationBaseline(stack, 'Late', { accountIds: [MEMBER_B], enabledRegions: ['af-south-1'] });
      expectAccountApiStatements(stack, [
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['SECURITY']),
        nameStatement([standaloneArn(), ...names.map(memberArn)]),
        contactStatement([standaloneArn(), memberArn(MEMBER_A)], ['BILLING']),
        regionStatement([standaloneArn(), ANY_MEMBER_ARN], ['af-south-1']),
      ]);
    });

    test(`the limit is per stack: two stacks of one app list ${MAX_LISTED_ARNS} ARNs each`, () => {
      const app = new App();
      const stacks = [200000000000, 300000000000].map((first, i) => {
        const stack = new Stack(app, `Stack${i}`, { env: { account: STACK_ACCOUNT, region: 'us-east-1' } });
        const accountIds = accountRange(first, MAX_LISTED_ARNS);
        new OrganizationBaseline(stack, 'Baseline', { accountIds, alternateContacts: { security: SECURITY } });
        return { stack, accountIds };
      });
      for (const { stack, accountIds } of stacks) {
        expectAccountApiStatements(stack, [contactStatement([standaloneArn(), ...accountIds.map(memberArn)], ['SECURITY'])]);
      }
    });
  });

  describe('IAM\'s 10,240 characters of inline policy per role', () => {
    function expectWithinLimit(stack: Stack): number {
      const template = Template.fromStack(stack);
      const size = roleInlinePoliciesSize(template, handlerRoleId(template));
      expect(size).toBeLessThanOrEqual(ROLE_INLINE_POLICIES_LIMIT);
      return size;
    }

    test('300 explicit accounts with every setting but names fit, and every account is still allowed', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', {
        accountIds: accountRange(200000000000, 300), alternateContacts: { security: SECURITY }, primaryContact: PRIMARY_CONTACT, enabledRegions: ['af-south-1'],
      });
      expectWithinLimit(stack);
      const resources = [standaloneArn(), ANY_MEMBER_ARN];
      expectAccountApiStatements(stack, [contactStatement(resources, ['SECURITY']), primaryStatement(resources), regionStatement(resources, ['af-south-1'])]);
    });

    test('15 baselines of 10 accounts each, with Regions and every option, fit: the first three are listed, the rest grant every member account once', () => {
      const stack = newStack();
      for (let i = 0; i < 15; i++) {
        new OrganizationBaseline(stack, `Baseline${i}`, {
          accountIds: accountRange(200000000000 + 10 * i, 10),
          alternateContacts: { security: SECURITY },
          enabledRegions: ['af-south-1'],
          coverNewAccounts: true,
          reconcileSchedule: RECONCILE,
          removeAlternateContactsOnDelete: true,
          pruneUndeclared: true,
        });
      }
      expectWithinLimit(stack);
      // 15 schedules, and the stack's 2 new-account rules (explicit accounts: no MoveAccount rule), each with its permission.
      // +1: the waiter's rule on executions that end unsuccessfully (the function is its target too).
      Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 15 + 2 + 1);
      Template.fromStack(stack).resourceCountIs('AWS::Lambda::Permission', 15 + 2 + 1);
      const listed = Array.from({ length: 3 }, (_, i) => [standaloneArn(), ...accountRange(200000000000 + 10 * i, 10).map(memberArn)]);
      expectAccountApiStatements(stack, [
        ...listed.flatMap((resources) => [contactStatement(resources, ['SECURITY']), regionStatement(resources, ['af-south-1'])]),
        contactStatement([standaloneArn(), ANY_MEMBER_ARN], ['SECURITY']),
        regionStatement([standaloneArn(), ANY_MEMBER_ARN], ['af-south-1']),
      ]);
    });

    test('50 overridden account names fit', () => {
      const stack = newStack();
      new OrganizationBaseline(stack, 'Baseline', {
        allAccounts: true,
        alternateContacts: { security: SECURITY },
        overrides: accountRange(200000000000, 50).map((accountId) => ({ accountId, accountName: `workload-${accountId}` })),
      });
      expectWithinLimit(stack);
    });
  });
});
