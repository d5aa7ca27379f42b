/*
 * The other side of benchmarks/deploy-at-once.ts: the same settings as one AwsCustomResource each (what a
 * user would pick instead), and what it takes to run aws-cdk-lib's own handler against the local endpoint.
 */
import * as http from 'http';
import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsCustomResource, AwsSdkCall, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { CONTACTS, Setting } from './deploy-settings';
import type { AlternateContactType } from '../src';

/** A member account's ARN, as the Account Management actions name it. */
export const memberArn = (accountId: string) => `arn:${Aws.PARTITION}:account::*:account/o-*/${accountId}`;

/** The PutAlternateContact call of one contact, as a user writes it for AwsCustomResource. */
export function putAlternateContactCall(
  accountId: string, type: AlternateContactType, contact: { name: string; title: string; emailAddress: string; phoneNumber: string },
): AwsSdkCall {
  return {
    service: 'Account',
    action: 'PutAlternateContact',
    parameters: {
      AccountId: accountId,
      AlternateContactType: type,
      Name: contact.name,
      Title: contact.title,
      EmailAddress: contact.emailAddress,
      PhoneNumber: contact.phoneNumber,
    },
    physicalResourceId: PhysicalResourceId.of(`${accountId}/alternate-contact/${type}`),
  };
}

/**
 * One AwsCustomResource per setting, PutAlternateContact on create and update, the SDK that the Lambda
 * runtime has (`installLatestAwsSdk: false`). They share one role with one managed policy that names
 * each member account (the actions those of the SDK calls): the documented `policy` of each resource
 * (`AwsCustomResourcePolicy.fromSdkCalls`) adds one inline policy per resource to the shared role, which
 * IAM refuses beyond 10,240 characters (about 40 settings) and which puts 300 settings over
 * CloudFormation's 500 resources (see the synthesis section).
 */
export function declareWithAwsCustomResource(stack: Stack, list: Setting[]): void {
  const role = new iam.Role(stack, 'AccountSettingsRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
  });
  const policy = new iam.ManagedPolicy(stack, 'AccountSettingsPolicy', {
    roles: [role],
    statements: [new iam.PolicyStatement({
      actions: ['account:PutAlternateContact'],
      resources: [...new Set(list.map(s => s.accountId))].map(memberArn),
    })],
  });
  for (const s of list) {
    const put = putAlternateContactCall(s.accountId, s.type, CONTACTS[s.type]);
    const resource = new AwsCustomResource(stack, s.id, { onCreate: put, onUpdate: put, installLatestAwsSdk: false, role });
    // As CloudFormation would need: the policy attached before the first call.
    resource.node.addDependency(policy);
  }
}

/**
 * aws-cdk-lib's handler answers CloudFormation with `https.request({ hostname, path })`: TLS on port 443
 * whatever the ResponseURL says, which the local endpoint (plain HTTP on another port) cannot take.
 * Those requests, and only those, are sent to the local endpoint over HTTP; the handler is otherwise
 * run as aws-cdk-lib ships it.
 */
export function redirectAnswers(endpoint: string): () => void {
  // The module object itself (an `import * as` binding is a copy whose properties cannot be replaced).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const https: { request: (...args: unknown[]) => http.ClientRequest } = require('https');
  const original = https.request;
  const local = new URL(endpoint);
  https.request = (...args: unknown[]) => {
    const [options, callback] = args as [http.RequestOptions | string | URL, ((res: http.IncomingMessage) => void) | undefined];
    if (typeof options === 'object' && !(options instanceof URL) && options.hostname === local.hostname && options.port === undefined
      && String(options.path).startsWith('/cloudformation-response/')) {
      return http.request({ ...options, port: Number(local.port) }, callback);
    }
    return original(...args);
  };
  return () => {
    https.request = original;
  };
}
