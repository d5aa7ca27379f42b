import { Aws, Lazy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import { warnUnlessUsEast1 } from './events';
import { HAND_CHANGE_EVENT_NAMES } from '../contract';

/*
 * The rule that undoes hand changes: the Account API's successful writes, as CloudTrail records them for
 * EventBridge, made by anyone but the stack's own functions, go to the function that declared the setting.
 */

/** The ids of the stack's providers whose functions write to accounts (their writes are never undone). */
const PROVIDER_IDS = ['AccountSettingsProvider', 'OrganizationBaselineProvider', 'RegionOptInProvider'];

/** The roles of the stack's functions, as the template names them: resolved when the template is written, so that providers added later count. */
export function stackFunctionRoles(scope: IConstruct): string[] {
  const stack = Stack.of(scope);
  return Lazy.list({
    produce: () => PROVIDER_IDS
      .map(id => stack.node.tryFindChild(id)?.node.tryFindChild('Handler'))
      .filter((fn): fn is lambda.Function => fn instanceof lambda.Function && fn.role !== undefined)
      .map(fn => fn.role!.roleArn),
  });
}

/**
 * The pattern: a write that changes a declared setting, which succeeded, made by a principal other than the
 * stack's functions (a role session that none of them issued, or a user, root or service with no session issuer).
 */
export function handChangePattern(ignoredRoles: string[]): events.EventPattern {
  const issuer = (condition: unknown) => ({ userIdentity: { sessionContext: { sessionIssuer: { arn: [condition] } } } });
  return {
    source: ['aws.account'],
    detailType: ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['account.amazonaws.com'],
      eventName: [...HAND_CHANGE_EVENT_NAMES],
      // A refused call (denied, invalid) changed nothing.
      errorCode: [{ exists: false }],
      $or: [issuer({ 'anything-but': ignoredRoles }), issuer({ exists: false })],
    },
  };
}

/** Warns on `scope` when its stack is not where the Account API's CloudTrail events arrive. */
export function warnUnlessHandChangesArrive(scope: IConstruct): void {
  warnUnlessUsEast1(scope, 'cdk-account-management:hand-change-events',
    'AWS Account Management\'s CloudTrail events arrive in us-east-1; restoreHandChanges in %REGION% never sees them '
    + '(deploy the stack in us-east-1, or forward the events to this Region\'s default bus)');
}

/**
 * The fields of the CloudTrail record that the function reads, in the record's shape: ids only, since the
 * record's `requestParameters` hold the contact's name, e-mail and title written by hand. EventBridge puts
 * `""` for a path the record lacks (no `accountId` in a standalone call, no `sessionContext` for a user).
 */
function handChangeEventFields(): Record<string, unknown> {
  const field = (path: string) => events.EventField.fromPath(`$.${path}`);
  return {
    source: field('source'),
    id: field('id'),
    account: field('account'),
    detail: {
      eventSource: field('detail.eventSource'),
      eventName: field('detail.eventName'),
      errorCode: field('detail.errorCode'),
      userIdentity: { arn: field('detail.userIdentity.arn'), sessionContext: { sessionIssuer: { arn: field('detail.userIdentity.sessionContext.sessionIssuer.arn') } } },
      requestParameters: { accountId: field('detail.requestParameters.accountId'), alternateContactType: field('detail.requestParameters.alternateContactType') },
      recipientAccountId: field('detail.recipientAccountId'),
    },
  };
}

/**
 * Adds the rule under `scope`, targeting `handler` with `input` and the event's ids, and lets the handler send its
 * "Hand Change Undone" events.
 */
export function addHandChangeRule(scope: Construct, handler: lambda.IFunction, input: Record<string, unknown>): events.Rule {
  const ignore = stackFunctionRoles(scope);
  const rule = new events.Rule(scope, 'HandChangeRule', {
    description: 'cdk-account-management: undo hand changes of the stack\'s declared settings (needs a trail logging management events)',
    eventPattern: handChangePattern(ignore),
    targets: [new eventTargets.LambdaFunction(handler, {
      event: events.RuleTargetInput.fromObject({ ...input, Ignore: ignore, Event: handChangeEventFields() }),
      retryAttempts: 4,
    })],
  });
  handler.role?.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['events:PutEvents'],
    resources: [`arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/default`],
  }));
  return rule;
}
