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
 * Adds the rule under `scope`, targeting `handler` with `input` and the event, and lets the handler send its
 * "Hand Change Undone" events.
 */
export function addHandChangeRule(scope: Construct, handler: lambda.IFunction, input: Record<string, unknown>): events.Rule {
  const ignore = stackFunctionRoles(scope);
  const rule = new events.Rule(scope, 'HandChangeRule', {
    description: 'cdk-account-management: undo hand changes of the stack\'s declared settings (needs a trail logging management events)',
    eventPattern: handChangePattern(ignore),
    targets: [new eventTargets.LambdaFunction(handler, {
      // The whole event: the handler reads the account, the setting and the actor from it, never a value.
      event: events.RuleTargetInput.fromObject({ ...input, Ignore: ignore, Event: events.EventField.fromPath('$') }),
      retryAttempts: 4,
    })],
  });
  handler.role?.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['events:PutEvents'],
    resources: [`arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/default`],
  }));
  return rule;
}
