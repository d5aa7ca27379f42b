import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { OrganizationBaseline, OrganizationBaselineProps } from '../src';
import { BILLING, expectExactError, MEMBER_A, MEMBER_B, newStack, onlyResource, OU, PRIMARY_CONTACT, resourcesOf, SECURITY } from './fixtures';
import { baselineResource } from './organization-baseline-support';
import { RESOURCE_TYPES } from '../src/contract';
import { MAX_MEMBER_TEMPLATE_BYTES } from '../src/private/member-footprint';

/* The synthesized member footprint: the StackSet, the member template it ships, and what the stack's own account gets for it. */

const ROOT = 'r-ab12';

function footprint(props: Partial<OrganizationBaselineProps>, stack: Stack = newStack()) {
  const baseline = new OrganizationBaseline(stack, 'Baseline', {
    organizationalUnitIds: [OU],
    alternateContacts: { billing: BILLING, security: SECURITY },
    memberFootprint: {},
    ...props,
  });
  const template = Template.fromStack(stack);
  const [stackSetId, stackSet] = onlyResource(template, 'AWS::CloudFormation::StackSet');
  return { baseline, template, stackSetId, props: stackSet };
}

/** The member template as CloudFormation receives it: the outer stack's Fn::Join resolved with placeholders for its tokens. */
function memberTemplate(templateBody: unknown): Record<string, any> {
  const join = templateBody as { 'Fn::Join': [string, unknown[]] };
  const text = join['Fn::Join'][1].map(part => typeof part === 'string' ? part : `<${JSON.stringify(part).replace(/"/g, '\'')}>`).join('');
  return JSON.parse(text);
}

test('a service-managed StackSet with automatic deployment to the baseline\'s OUs, in us-east-1 where the Account API\'s events arrive', () => {
  const { props } = footprint({});
  expect(props).toMatchObject({
    PermissionModel: 'SERVICE_MANAGED',
    AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
    Capabilities: ['CAPABILITY_NAMED_IAM'],
    CallAs: 'SELF',
    StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: [OU] }, Regions: ['us-east-1'] }],
  });
  expect(props.StackSetName).toMatch(/^account-settings-[0-9a-f]{16}$/);
});

test('the baseline\'s custom resource names the member role and waits for the StackSet', () => {
  const { template, stackSetId, baseline } = footprint({});
  const { properties } = baselineResource(template);
  expect(properties.MemberRole).toBe(`AccountSettingsMember-${baseline.baselineId}`);
  const [resource] = Object.values(template.findResources(RESOURCE_TYPES.organizationBaseline));
  expect(resource.DependsOn).toContain(stackSetId);
});

test('the member role: assumable only by the reconciler\'s role from this organization, allowed only the declared actions on its own account', () => {
  const { props } = footprint({ primaryContact: PRIMARY_CONTACT });
  const member = memberTemplate(props.TemplateBody);
  const role = member.Resources.MemberRole.Properties;
  expect(role.AssumeRolePolicyDocument.Statement).toEqual([{
    Effect: 'Allow',
    Principal: { AWS: expect.stringMatching(/:iam::<.*AccountId.*>:root$/) },
    Action: 'sts:AssumeRole',
    Condition: {
      ArnEquals: { 'aws:PrincipalArn': expect.stringMatching(/^<.*OrganizationBaselineProviderHandlerServiceRole.*Arn.*>$/) },
      StringEquals: { 'aws:PrincipalOrgID': '${aws:ResourceOrgID}' },
    },
  }]);
  const statements = role.Policies[0].PolicyDocument.Statement;
  const self = { 'Fn::Sub': 'arn:${AWS::Partition}:account::${AWS::AccountId}:account' };
  expect(statements).toEqual([
    // Any type may be read and deleted: a type a deploy drops is pruned while the StackSet may already allow only the new ones.
    { Effect: 'Allow', Action: ['account:GetAlternateContact', 'account:DeleteAlternateContact'], Resource: self },
    {
      Effect: 'Allow',
      Action: 'account:PutAlternateContact',
      Resource: self,
      Condition: { 'ForAnyValue:StringEquals': { 'account:AlternateContactTypes': ['BILLING', 'SECURITY'] } },
    },
    { Effect: 'Allow', Action: ['account:GetContactInformation', 'account:PutContactInformation'], Resource: self },
  ]);
  // Without restoreHandChanges, nothing else goes to members.
  expect(Object.keys(member.Resources)).toEqual(['MemberRole']);
});

test('names are allowed only where an override declares one', () => {
  const { props } = footprint({ overrides: [{ accountId: MEMBER_A, accountName: 'workload-a' }] });
  const actions = memberTemplate(props.TemplateBody).Resources.MemberRole.Properties.Policies[0].PolicyDocument.Statement.map((s: any) => s.Action);
  expect(actions).toContainEqual(['account:GetAccountInformation', 'account:PutAccountName']);
});

test('the reconciler may assume the member role in any account, and nothing else of IAM', () => {
  const { template, baseline } = footprint({});
  const statements = resourcesOf(template, 'AWS::IAM::Policy').flatMap(([, policy]) => policy.PolicyDocument.Statement);
  const assume = statements.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('sts:')));
  expect(assume).toEqual([{
    Effect: 'Allow',
    Action: 'sts:AssumeRole',
    Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::*:role/AccountSettingsMember-${baseline.baselineId}`]] },
  }]);
});

test('with restoreHandChanges: a rule forwarding the member\'s writes (not the member role\'s) to the stack\'s bus, which accepts its organization only', () => {
  const { props, template } = footprint({ restoreHandChanges: true });
  const member = memberTemplate(props.TemplateBody);
  const rule = member.Resources.ForwardingRule.Properties;
  // Not in the stack's own account (a delegated administrator's may be targeted): its writes reach its bus already.
  expect(member.Resources.ForwardingRule.Condition).toBe('ElsewhereThanTheStack');
  expect(member.Resources.ForwardingRole.Condition).toBe('ElsewhereThanTheStack');
  expect(member.Conditions.ElsewhereThanTheStack).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, expect.stringMatching(/^<.*AccountId.*>$/)] }] });
  expect(rule.EventPattern.source).toEqual(['aws.account']);
  expect(rule.EventPattern['detail-type']).toEqual(['AWS API Call via CloudTrail']);
  expect(rule.EventPattern.detail.$or[0].userIdentity.sessionContext.sessionIssuer.arn).toEqual([{
    'anything-but': [{ 'Fn::Sub': expect.stringMatching(/:iam::\$\{AWS::AccountId\}:role\/AccountSettingsMember-/) }],
  }]);
  expect(rule.Targets).toEqual([{ Id: 'BaselineStack', Arn: expect.stringMatching(/^arn:<.*>:events:<.*Region.*>:<.*AccountId.*>:event-bus\/default$/), RoleArn: { 'Fn::GetAtt': ['ForwardingRole', 'Arn'] } }]);
  const [, policy] = onlyResource(template, 'AWS::Events::EventBusPolicy');
  expect(policy.Statement).toMatchObject({
    Effect: 'Allow',
    Principal: '*',
    Action: 'events:PutEvents',
    Condition: { StringEquals: { 'aws:PrincipalOrgID': '${aws:ResourceOrgID}', 'events:source': 'aws.account', 'events:detail-type': 'AWS API Call via CloudTrail' } },
  });
  // EventBridge assumes the forwarding role only for the member's own rules.
  expect(member.Resources.ForwardingRole.Properties.AssumeRolePolicyDocument.Statement[0].Condition)
    .toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
});

test('the member template is small: well under CloudFormation\'s 51,200 bytes', () => {
  const { props } = footprint({ restoreHandChanges: true, primaryContact: PRIMARY_CONTACT, overrides: [{ accountId: MEMBER_B, accountName: 'b' }] });
  // Each placeholder stands for a resolved ARN or id of at most about 100 characters.
  const bytes = Buffer.byteLength(JSON.stringify(memberTemplate(props.TemplateBody)), 'utf8');
  expect(bytes).toBeLessThan(4_000);
  expect(bytes).toBeLessThan(MAX_MEMBER_TEMPLATE_BYTES);
});

describe('targets', () => {
  test('a baseline of listed accounts narrows the given OUs to them (INTERSECTION), exclusions taken out', () => {
    const { props } = footprint({
      organizationalUnitIds: undefined,
      accountIds: [MEMBER_A, MEMBER_B],
      excludeAccountIds: [MEMBER_B],
      memberFootprint: { organizationalUnitIds: [ROOT] },
    });
    const targets = props.StackInstancesGroup[0].DeploymentTargets;
    expect(targets).toEqual({ OrganizationalUnitIds: [ROOT], AccountFilterType: 'INTERSECTION', Accounts: [MEMBER_A] });
  });

  test('exclusions of an OU or whole-organization baseline are left out (DIFFERENCE)', () => {
    const { props } = footprint({
      organizationalUnitIds: undefined, allAccounts: true, excludeAccountIds: [MEMBER_B], memberFootprint: { organizationalUnitIds: [ROOT] },
    });
    expect(props.StackInstancesGroup[0].DeploymentTargets).toEqual({ OrganizationalUnitIds: [ROOT], AccountFilterType: 'DIFFERENCE', Accounts: [MEMBER_B] });
  });

  test('a baseline whose listed accounts are all excluded has nowhere to ship it: an error at synth', () => {
    const props = {
      organizationalUnitIds: undefined, accountIds: [MEMBER_A], excludeAccountIds: [MEMBER_A], memberFootprint: { organizationalUnitIds: [ROOT] },
    };
    expectExactError(() => footprint(props),
      '`memberFootprint` has no account to go to: `excludeAccountIds` excludes every account of `accountIds`');
  });

  test('as the CloudFormation delegated administrator', () => {
    expect(footprint({ memberFootprint: { asDelegatedAdmin: true } }).props.CallAs).toBe('DELEGATED_ADMIN');
  });

  test('an allAccounts or accountIds baseline must name the OUs: a clear error at synth', () => {
    expectExactError(() => footprint({ organizationalUnitIds: undefined, allAccounts: true }),
      '`memberFootprint.organizationalUnitIds` is needed: the baseline targets `allAccounts`, and a StackSet deploys to OUs; '
      + 'give the OUs that hold its accounts (the organization\'s root id, such as "r-ab12", for every account)');
    expectExactError(() => footprint({ memberFootprint: { organizationalUnitIds: ['ou-nope'] } }),
      '`memberFootprint.organizationalUnitIds` must hold OU ids such as "ou-ab12-cd34ef56" or the root\'s id such as "r-ab12", got "ou-nope"');
  });

  test('a role name IAM refuses is an error at synth', () => {
    expectExactError(() => footprint({ memberFootprint: { roleName: 'has space' } }),
      '`memberFootprint.roleName` must be 1-64 characters of letters, digits and +=,.@_-, got "has space"');
  });
});

test('without the option, no StackSet, no bus policy, no sts:AssumeRole, and no MemberRole property', () => {
  const stack = newStack();
  new OrganizationBaseline(stack, 'Baseline', { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY }, restoreHandChanges: true });
  const template = Template.fromStack(stack);
  expect(resourcesOf(template, 'AWS::CloudFormation::StackSet')).toEqual([]);
  expect(resourcesOf(template, 'AWS::Events::EventBusPolicy')).toEqual([]);
  expect(baselineResource(template).properties.MemberRole).toBeUndefined();
  const statements = resourcesOf(template, 'AWS::IAM::Policy').flatMap(([, policy]) => policy.PolicyDocument.Statement);
  expect(JSON.stringify(statements)).not.toContain('sts:');
});
