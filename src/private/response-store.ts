import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SETTING_SERVICE_TIMEOUT } from './service-timeouts';
import { RESPONSE_STORE_ENV, StoreCleanupProperties } from '../contract';

/**
 * Lets only `role` touch the bucket's objects, whatever other principals' IAM policies allow
 * (ReadOnlyAccess reads objects, PowerUserAccess writes them). The bucket's own actions stay with IAM,
 * so that CloudFormation (the deployer) can still delete it.
 */
export function onlyRoleTouchesObjects(bucket: s3.Bucket, role: iam.IRole, sid: string): void {
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    sid,
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['s3:*'],
    resources: [bucket.arnForObjects('*')],
    conditions: { ArnNotEquals: { 'aws:PrincipalArn': role.roleArn } },
  }));
}

/**
 * Where a function keeps the pre-signed ResponseURLs of the requests its waiter answers later, so that
 * no execution's input or history holds one: a bucket whose objects only the function's role may touch,
 * each object deleted once its answer is sent (or after a day), and the bucket emptied by the function
 * before CloudFormation deletes it.
 */
export class ResponseStore extends Construct {
  public readonly bucket: s3.Bucket;
  /** Empties the bucket at the stack's deletion: the resources whose answers wait in it depend on it, so it is deleted after them. */
  public readonly cleanup: CustomResource;

  constructor(scope: Construct, id: string, fn: lambda.Function, cleanupType: string) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
      // A request is answered within CloudFormation's hour: an object older than a day is one whose deletion failed.
      lifecycleRules: [{ id: 'expire-unanswered', expiration: Duration.days(1) }],
    });
    const role = fn.role!;
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      resources: [this.bucket.arnForObjects('responses/*')],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
    onlyRoleTouchesObjects(this.bucket, role, 'OnlyTheFunctionTouchesObjects');
    fn.addEnvironment(RESPONSE_STORE_ENV, this.bucket.bucketName);
    const properties: StoreCleanupProperties = { Store: this.bucket.bucketName };
    this.cleanup = new CustomResource(this, 'Cleanup', {
      serviceToken: fn.functionArn,
      serviceTimeout: SETTING_SERVICE_TIMEOUT,
      resourceType: cleanupType,
      properties: { ...properties },
    });
    this.cleanup.node.addDependency(role);
  }
}
