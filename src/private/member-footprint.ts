import { Aws, Stack, Token } from 'aws-cdk-lib';
import * as cloudformation from 'aws-cdk-lib/aws-cloudformation';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { baselineDeclares } from './contacts';
import { handChangePattern } from './hand-changes';
import { ACCOUNT_EVENTS_REGION, BaselineDocument, ROLE_NAME_PATTERN, TargetSpec } from '../contract';
import type { MemberFootprintOptions } from '../organization-baseline';

/*
 * The member footprint of an OrganizationBaseline: a service-managed StackSet that puts, in every targeted
 * member account, a role only the stack's reconciler may assume (allowed only what the baseline declares)
 * and, when hand changes are restored, a rule forwarding the account's Account API writes to the stack's
 * bus. Nothing that runs code or holds data goes into members.
 */

const OU_OR_ROOT = /^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$/;
/** CloudFormation's limit for a TemplateBody given inline. */
export const MAX_MEMBER_TEMPLATE_BYTES = 51_200;

/** What the footprint is made from. */
export interface FootprintSpec {
  readonly baselineId: string;
  readonly options: MemberFootprintOptions;
  readonly targets: TargetSpec;
  readonly baseline: BaselineDocument;
  readonly restoreHandChanges: boolean;
  /** The role of the function that assumes the member role. */
  readonly reconcilerRole: iam.IRole;
}

/** The member role's name: the option's, or one derived from the baseline (stable for the construct's path). */
export function memberRoleName(spec: Pick<FootprintSpec, 'baselineId' | 'options'>): string {
  const name = spec.options.roleName ?? `AccountSettingsMember-${spec.baselineId}`;
  if (!Token.isUnresolved(name) && !ROLE_NAME_PATTERN.test(name)) {
    throw new Error(`\`memberFootprint.roleName\` must be 1-64 characters of letters, digits and +=,.@_-, got "${name}"`);
  }
  return name;
}

/** The StackSet's targets: OUs, narrowed to the listed accounts or with the exclusions taken out. */
export function deploymentTargets(spec: Pick<FootprintSpec, 'options' | 'targets'>): cloudformation.CfnStackSet.DeploymentTargetsProperty {
  const { targets, options } = spec;
  const ous = options.organizationalUnitIds ?? targets.organizationalUnitIds;
  for (const ou of ous) {
    if (!Token.isUnresolved(ou) && !OU_OR_ROOT.test(ou)) {
      throw new Error(`\`memberFootprint.organizationalUnitIds\` must hold OU ids such as "ou-ab12-cd34ef56" or the root's id such as "r-ab12", got "${ou}"`);
    }
  }
  if (ous.length === 0) {
    const what = targets.allAccounts ? '`allAccounts`' : '`accountIds`';
    throw new Error(`\`memberFootprint.organizationalUnitIds\` is needed: the baseline targets ${what}, and a StackSet deploys to OUs; `
      + 'give the OUs that hold its accounts (the organization\'s root id, such as "r-ab12", for every account)');
  }
  const onlyListed = !targets.allAccounts && targets.organizationalUnitIds.length === 0;
  if (onlyListed) {
    const accounts = targets.accountIds.filter(id => !targets.excludeAccountIds.includes(id));
    if (accounts.length === 0) {
      throw new Error('`memberFootprint` has no account to go to: `excludeAccountIds` excludes every account of `accountIds`');
    }
    return { organizationalUnitIds: ous, accountFilterType: 'INTERSECTION', accounts };
  }
  if (targets.excludeAccountIds.length > 0) return { organizationalUnitIds: ous, accountFilterType: 'DIFFERENCE', accounts: targets.excludeAccountIds };
  return { organizationalUnitIds: ous };
}

/** The member role's permissions: the Account API actions the baseline declares, on the member's own account only. */
function memberPolicy(spec: FootprintSpec): Record<string, unknown> {
  const { types, primary, namedAccounts } = baselineDeclares(spec.baseline);
  const self = { 'Fn::Sub': 'arn:${AWS::Partition}:account::${AWS::AccountId}:account' };
  const statements: Array<Record<string, unknown>> = [];
  // Reads and deletes of any type, as the stack's own role may: a type the deploy drops is pruned (or its
  // rollback put back) while the StackSet may already allow only the new types.
  statements.push({ Effect: 'Allow', Action: ['account:GetAlternateContact', 'account:DeleteAlternateContact'], Resource: self });
  if (types.length > 0) {
    statements.push({
      Effect: 'Allow',
      Action: 'account:PutAlternateContact',
      Resource: self,
      Condition: { 'ForAnyValue:StringEquals': { 'account:AlternateContactTypes': types } },
    });
  }
  if (primary) statements.push({ Effect: 'Allow', Action: ['account:GetContactInformation', 'account:PutContactInformation'], Resource: self });
  if (namedAccounts.length > 0) statements.push({ Effect: 'Allow', Action: ['account:GetAccountInformation', 'account:PutAccountName'], Resource: self });
  return { Version: '2012-10-17', Statement: statements };
}

/** The template every targeted member account gets. */
export function memberTemplate(spec: FootprintSpec): Record<string, unknown> {
  const roleName = memberRoleName(spec);
  const resources: Record<string, unknown> = {
    MemberRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: roleName,
        Description: 'cdk-account-management: the organization baseline\'s reconciler calls the Account API as this account',
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{
            Effect: 'Allow',
            Principal: { AWS: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root` },
            Action: 'sts:AssumeRole',
            // Only the reconciler's role, and only from this organization.
            Condition: {
              ArnEquals: { 'aws:PrincipalArn': spec.reconcilerRole.roleArn },
              StringEquals: { 'aws:PrincipalOrgID': '${aws:ResourceOrgID}' },
            },
          }],
        },
        Policies: [{ PolicyName: 'account-settings', PolicyDocument: memberPolicy(spec) }],
      },
    },
  };
  const conditions: Record<string, unknown> = {};
  if (spec.restoreHandChanges) {
    const bus = `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/default`;
    // A delegated administrator's own account may be targeted: its writes already reach its bus.
    conditions.ElsewhereThanTheStack = { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, Aws.ACCOUNT_ID] }] };
    resources.ForwardingRole = {
      Type: 'AWS::IAM::Role',
      Condition: 'ElsewhereThanTheStack',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          // Only EventBridge acting for this account's own rules.
          Statement: [{
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }],
        },
        Policies: [{
          PolicyName: 'forward',
          PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: bus }] },
        }],
      },
    };
    // The member role's own writes are not forwarded: the reconciler never undoes itself.
    const pattern = handChangePattern([{ 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${roleName}` } as unknown as string]);
    resources.ForwardingRule = {
      Type: 'AWS::Events::Rule',
      Condition: 'ElsewhereThanTheStack',
      Properties: {
        Description: 'cdk-account-management: forward hand changes of this account\'s settings to the baseline\'s stack',
        State: 'ENABLED',
        EventPattern: { 'source': pattern.source, 'detail-type': pattern.detailType, 'detail': pattern.detail },
        Targets: [{ Id: 'BaselineStack', Arn: bus, RoleArn: { 'Fn::GetAtt': ['ForwardingRole', 'Arn'] } }],
      },
    };
  }
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'cdk-account-management member footprint',
    ...(Object.keys(conditions).length ? { Conditions: conditions } : {}),
    Resources: resources,
  };
}

/** The footprint's StackSet, and what the stack's account needs for it: the reconciler may assume the member role. */
export function addMemberFootprint(scope: Construct, spec: FootprintSpec): cloudformation.CfnStackSet {
  const stack = Stack.of(scope);
  const roleName = memberRoleName(spec);
  const templateBody = stack.toJsonString(memberTemplate(spec));
  const stackSet = new cloudformation.CfnStackSet(scope, 'MemberFootprint', {
    stackSetName: `account-settings-${spec.baselineId}`,
    description: 'cdk-account-management: the organization baseline\'s role (and hand-change forwarding) in its member accounts',
    permissionModel: 'SERVICE_MANAGED',
    autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
    capabilities: ['CAPABILITY_NAMED_IAM'],
    callAs: spec.options.asDelegatedAdmin ? 'DELEGATED_ADMIN' : 'SELF',
    managedExecution: { Active: true },
    operationPreferences: { failureTolerancePercentage: 100, maxConcurrentPercentage: 100, regionConcurrencyType: 'PARALLEL' },
    stackInstancesGroup: [{ deploymentTargets: deploymentTargets(spec), regions: [ACCOUNT_EVENTS_REGION] }],
    templateBody,
  });
  spec.reconcilerRole.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['sts:AssumeRole'],
    resources: [`arn:${Aws.PARTITION}:iam::*:role/${roleName}`],
  }));
  return stackSet;
}

/** The stack's bus accepts events from the accounts of its organization only (one statement per stack). */
export function acceptOrganizationEvents(scope: Construct): void {
  const id = 'OrganizationEvents';
  if (scope.node.tryFindChild(id)) return;
  new events.CfnEventBusPolicy(scope, id, {
    eventBusName: 'default',
    statementId: `cdk-account-management-${Stack.of(scope).node.addr.slice(0, 16)}`,
    statement: {
      Sid: 'OrganizationMembersForwardHandChanges',
      Effect: 'Allow',
      Principal: '*',
      Action: 'events:PutEvents',
      Resource: `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/default`,
      // Only the Account API's CloudTrail events: the organization's accounts can put nothing else on the stack's bus.
      Condition: {
        StringEquals: {
          'aws:PrincipalOrgID': '${aws:ResourceOrgID}',
          'events:source': 'aws.account',
          'events:detail-type': 'AWS API Call via CloudTrail',
        },
      },
    },
  });
}
