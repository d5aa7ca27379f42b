import { Annotations, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ACCOUNT_EVENTS_REGION } from '../contract';

/**
 * Warns on `scope` when its stack is in a known Region of the aws partition other than us-east-1:
 * AWS Account Management, AWS Organizations and AWS Control Tower send their events there only.
 * `message` may hold %REGION%.
 */
export function warnUnlessUsEast1(scope: IConstruct, id: string, message: string): void {
  const region = Stack.of(scope).region;
  if (Token.isUnresolved(region) || region === ACCOUNT_EVENTS_REGION || region.startsWith('cn-') || region.startsWith('us-gov-')) return;
  Annotations.of(scope).addWarningV2(id, message.replace('%REGION%', region));
}
