import { App, aws_cloudformation as cloudformation, aws_events as events, aws_iam as iam, Stack } from 'aws-cdk-lib';
import { LocalAws, LocalCloudFormation } from '../local';

/*
 * What the local StackSets' and event forwarding's tests share: a management stack holding the member
 * footprint as the constructs emit it (a service-managed StackSet whose template is a Fn::Join of the
 * outer stack's values, and the bus policy that lets the organization's accounts forward to its bus).
 */

export const MANAGEMENT = '111111111111';
export const STACK_SET = 'MemberFootprint';
export const MEMBER_ROLE = 'AccountSettingsMember';
export const REGION = 'us-east-1';

export interface FootprintOptions {
  /** The OUs (or root) targeted. @default the root */
  readonly ous?: string[];
  readonly filter?: 'NONE' | 'INTERSECTION' | 'DIFFERENCE' | 'UNION';
  readonly accounts?: string[];
  readonly regions?: string[];
  readonly callAs?: 'SELF' | 'DELEGATED_ADMIN';
  /** The stack's account. @default MANAGEMENT */
  readonly account?: string;
  /** The member role's allowed actions (a change is a template update). */
  readonly actions?: string[];
  /** Without the StackSet (only the reconciler's role and the bus policy stay). */
  readonly withoutStackSet?: boolean;
  /** The bus policy's aws:PrincipalOrgID value. @default '${aws:ResourceOrgID}' */
  readonly orgCondition?: string;
  /** The stack set's name. @default STACK_SET */
  readonly stackSetName?: string;
  /** Padding added to the member template, to reach a size. */
  readonly padding?: number;
}

/** The management stack: the reconciler's role, the bus policy and (unless left out) the StackSet. */
export function footprintStack(rootId: string, options: FootprintOptions = {}): Stack {
  // A stack of another account is another stack (the local engine keys stacks by name).
  const name = options.account && options.account !== MANAGEMENT ? `Footprint-${options.account}` : 'Footprint';
  const stack = new Stack(new App(), name, { env: { account: options.account ?? MANAGEMENT, region: REGION } });
  const reconciler = new iam.CfnRole(stack, 'Reconciler', {
    assumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
  });
  const busArn = stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' });
  new events.CfnEventBusPolicy(stack, 'ForwardingPolicy', {
    eventBusName: 'default',
    statementId: 'OrganizationForwards',
    statement: {
      Effect: 'Allow',
      Principal: '*',
      Action: 'events:PutEvents',
      Resource: busArn,
      Condition: { StringEquals: { 'aws:PrincipalOrgID': options.orgCondition ?? '${aws:ResourceOrgID}' } },
    },
  });
  if (options.withoutStackSet) return stack;
  const template = memberTemplate(reconciler.attrArn, busArn, options.actions ?? ['account:PutAlternateContact'], options.padding);
  new cloudformation.CfnStackSet(stack, 'Footprint', {
    stackSetName: options.stackSetName ?? STACK_SET,
    permissionModel: 'SERVICE_MANAGED',
    autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false },
    capabilities: ['CAPABILITY_NAMED_IAM'],
    callAs: options.callAs ?? 'SELF',
    managedExecution: { Active: true },
    operationPreferences: { failureTolerancePercentage: 100, maxConcurrentPercentage: 100, regionConcurrencyType: 'PARALLEL' },
    stackInstancesGroup: [{
      deploymentTargets: { organizationalUnitIds: options.ous ?? [rootId], accountFilterType: options.filter, accounts: options.accounts },
      regions: options.regions ?? [REGION],
    }],
    templateBody: stack.toJsonString(template),
  });
  return stack;
}

/** The member template: the role only the reconciler may assume, and the rule forwarding Account API events but the role's own. */
function memberTemplate(reconcilerArn: string, managementBusArn: string, actions: string[], padding = 0): Record<string, unknown> {
  const sessionIssuer = (arn: unknown) => ({ userIdentity: { sessionContext: { sessionIssuer: { arn } } } });
  return {
    ...(padding > 0 ? { Description: 'x'.repeat(padding) } : {}),
    Resources: {
      MemberRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: MEMBER_ROLE,
          AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { AWS: reconcilerArn }, Action: 'sts:AssumeRole' }] },
          Policies: [{ PolicyName: 'AccountSettings', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] } }],
        },
      },
      ForwardingRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
          Policies: [{ PolicyName: 'Forward', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: managementBusArn }] } }],
        },
      },
      ForwardingRule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          EventPattern: {
            'source': ['aws.account'],
            'detail-type': ['AWS API Call via CloudTrail'],
            'detail': {
              eventSource: ['account.amazonaws.com'],
              // The member role's own writes (the reconciler's) are not forwarded: they would start what made them.
              $or: [
                sessionIssuer([{ 'anything-but': { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${MEMBER_ROLE}` } }]),
                sessionIssuer([{ exists: false }]),
              ],
            },
          },
          State: 'ENABLED',
          Targets: [{ Id: 'ManagementBus', Arn: managementBusArn, RoleArn: { 'Fn::GetAtt': ['ForwardingRole', 'Arn'] } }],
        },
      },
    },
  };
}

/** The accounts (sorted) that have an instance of the footprint. */
export function instanceAccounts(aws: LocalAws): string[] {
  return [...new Set(aws.stackSets.instances(STACK_SET).map(i => i.accountId))].sort();
}

/** Deploys the stack and returns its status, with the first failure's reason. */
export async function deployed(cfn: LocalCloudFormation, stack: Stack): Promise<string> {
  const result = await cfn.deploy(stack);
  return [result.status, ...result.failures.slice(0, 1).map(f => f.reason)].join(': ');
}
