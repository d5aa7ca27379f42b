import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { constructAt, expectExactError, logicalIdAt, MEMBER_A, newStack, onlyResource, OU, resourcesOf, SECURITY } from './fixtures';
import { nagFindings } from './nag';
import { matches } from '../local';
import { OrganizationBaseline, OrganizationBaselineProps } from '../src';
import { STORE_EXPIRY, STORE_EXPIRY_TAG } from '../src/contract';

/*
 * The synthesized store of a stack's organization baselines: the reconciler's alone (a bucket policy that
 * denies every other principal its objects), lifecycle rules that expire only the tagged objects, an
 * optional customer-managed key granted to the function only; and the new-account rules that ignore failed
 * calls. The store's behaviour through local/ is in organization-store-lifecycle.test.ts.
 */

const PROVIDER = 'OrganizationBaselineProvider';
const PROPS: OrganizationBaselineProps = { organizationalUnitIds: [OU], alternateContacts: { security: SECURITY }, coverNewAccounts: true };

function resources(stack: Stack): Record<string, any> {
  return Template.fromStack(stack).toJSON().Resources;
}

function storeId(stack: Stack): string {
  return logicalIdAt(stack, `${PROVIDER}/Store`);
}

function roleArn(stack: Stack): unknown {
  return { 'Fn::GetAtt': [logicalIdAt(stack, `${PROVIDER}/Handler/ServiceRole`), 'Arn'] };
}

describe('the store is the reconciler\'s alone', () => {
  test('the bucket policy denies every principal but the function\'s role every action on the objects, and keeps SSL only', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', PROPS);
    const [, policy] = onlyResource(Template.fromStack(stack), 'AWS::S3::BucketPolicy');
    const bucketArn = { 'Fn::GetAtt': [storeId(stack), 'Arn'] };
    expect(policy.Bucket).toEqual({ Ref: storeId(stack) });
    expect(policy.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        Resource: [bucketArn, { 'Fn::Join': ['', [bucketArn, '/*']] }],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'OnlyTheReconcilerTouchesObjects',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:*',
        // Objects only: the bucket's own actions (CloudFormation deleting it, with the deployer's credentials) stay with IAM.
        Resource: { 'Fn::Join': ['', [bucketArn, '/*']] },
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': roleArn(stack) } },
      },
    ]);
  });

  test('the store: SSE-S3 by default, public access blocked, deleted with the stack, lifecycle rules by tag only', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', PROPS);
    const bucket = resources(stack)[storeId(stack)];
    expect(bucket.Properties.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(bucket.Properties.PublicAccessBlockConfiguration)
      .toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect([bucket.DeletionPolicy, bucket.UpdateReplacePolicy]).toEqual(['Delete', 'Delete']);
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([
      { Id: 'expire-leases', Status: 'Enabled', TagFilters: [{ Key: STORE_EXPIRY_TAG, Value: 'lease' }], ExpirationInDays: 1 },
      { Id: 'expire-runs', Status: 'Enabled', TagFilters: [{ Key: STORE_EXPIRY_TAG, Value: 'run' }], ExpirationInDays: 30 },
      { Id: 'expire-priors', Status: 'Enabled', TagFilters: [{ Key: STORE_EXPIRY_TAG, Value: 'prior' }], ExpirationInDays: 30 },
    ]);
    // Only the prefixes whose objects may go are tagged: current.json, the generations and applied.json are not.
    expect(Object.values(STORE_EXPIRY).map(e => e.prefix)).toEqual(['writing/', 'runs/', 'priors/']);
  });

  test('storeEncryptionKey: the store is encrypted with it (bucket key), and only the function\'s role may use it', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'StoreKey', { enableKeyRotation: true });
    new OrganizationBaseline(stack, 'Baseline', { ...PROPS, storeEncryptionKey: key });
    new OrganizationBaseline(stack, 'Other', { accountIds: [MEMBER_A], alternateContacts: { security: SECURITY }, storeEncryptionKey: key });
    const all = resources(stack);
    const keyArn = { 'Fn::GetAtt': [logicalIdAt(stack, 'StoreKey'), 'Arn'] };
    expect(all[storeId(stack)].Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn }, BucketKeyEnabled: true }],
    });
    const statements = Object.values(all)
      .filter((r: any) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
      .flatMap((r: any) => r.Properties.PolicyDocument.Statement.map((s: any) => ({ roles: r.Properties.Roles, ...s })))
      .filter((s: any) => JSON.stringify(s.Action).includes('kms:'));
    expect(statements).toEqual([{
      roles: [{ Ref: logicalIdAt(stack, `${PROVIDER}/Handler/ServiceRole`) }], Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: keyArn,
    }]);
    // The key's own policy grants nobody else (the account's root, as every key's default policy does, only).
    const keyPolicy = all[logicalIdAt(stack, 'StoreKey')].Properties.KeyPolicy.Statement;
    expect(keyPolicy.map((s: any) => s.Principal)).toEqual([{ AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:root']] } }]);
  });

  test('two baselines of a stack that give different keys fail at synth, naming both', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', { ...PROPS, storeEncryptionKey: new kms.Key(stack, 'KeyA') });
    expectExactError(() => new OrganizationBaseline(stack, 'Other', { ...PROPS, storeEncryptionKey: new kms.Key(stack, 'KeyB') }),
      '`storeEncryptionKey` of Stack/Other is Stack/KeyB, but Stack/Baseline gave the stack\'s store Stack/KeyA: the OrganizationBaselines of a '
      + 'stack share one store, give them the same key (or only one of them a key)');
  });

  test('cdk-nag: the store\'s policy, lifecycle rules and key add no AwsSolutions finding', () => {
    const plain = newStack();
    new OrganizationBaseline(plain, 'Baseline', PROPS);
    const keyed = newStack();
    new OrganizationBaseline(keyed, 'Baseline', { ...PROPS, storeEncryptionKey: new kms.Key(keyed, 'StoreKey', { enableKeyRotation: true }) });
    const key = (f: { rule: string; finding: string; path: string }) => `${f.rule}[${f.finding}] ${f.path}`;
    expect(nagFindings(keyed).map(key).sort()).toEqual(nagFindings(plain).map(key).sort());
    // The store's own finding is only S1 (no access logs), which organization-baseline-nag.test.ts acknowledges.
    expect(nagFindings(keyed).filter(f => f.path.startsWith(`Stack/${PROVIDER}/Store/`)).map(f => f.rule)).toEqual(['AwsSolutions-S1']);
  });
});

describe('the new-account rules ignore failed calls', () => {
  const MOVE = (errorCode?: string) => ({
    'source': 'aws.organizations',
    'detail-type': 'AWS API Call via CloudTrail',
    'detail': {
      eventName: 'MoveAccount',
      eventSource: 'organizations.amazonaws.com',
      requestParameters: { accountId: MEMBER_A, destinationParentId: OU },
      ...(errorCode ? { errorCode, errorMessage: 'You don\'t have permissions to access this resource.' } : {}),
    },
  });

  test('a MoveAccount that failed (its CloudTrail record has an errorCode) does not match the MoveAccount rule; one that succeeded does', () => {
    const stack = newStack();
    new OrganizationBaseline(stack, 'Baseline', PROPS);
    const rule = resources(stack)[logicalIdAt(stack, `${PROVIDER}/MoveAccountRule`)].Properties;
    expect(rule.EventPattern.detail.errorCode).toEqual([{ exists: false }]);
    expect(matches(rule.EventPattern, MOVE())).toBe(true);
    expect(matches(rule.EventPattern, MOVE('AccessDeniedException'))).toBe(false);
    expect(matches(rule.EventPattern, MOVE('DuplicateAccountException'))).toBe(false);
    expect(constructAt(stack, `${PROVIDER}/MoveAccountRule`)).toBeDefined();
    expect(resourcesOf(Template.fromStack(stack), 'AWS::Events::Rule').length).toBeGreaterThan(0);
  });
});
