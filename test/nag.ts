import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';

/*
 * cdk-nag's AwsSolutions pack for the construct tests: each test file keeps a table of the findings it
 * acknowledges, each with its reason, and checks both ways that every finding is acknowledged and
 * that every acknowledgment still matches a finding (none is stale).
 */

/** One acknowledged finding. */
export interface Acknowledged {
  /** The rule id, e.g. AwsSolutions-IAM5. */
  readonly rule: string;
  /** The finding in brackets after the rule id (e.g. the resource of an IAM5 finding); '' for none. */
  readonly finding: string | RegExp;
  /** The construct path of the resource the finding is about (a string matches it exactly). */
  readonly path: string | RegExp;
  /** Why the finding is accepted. */
  readonly reason: string;
}

/** One finding of a rule on one resource. */
export interface Finding {
  readonly rule: string;
  readonly finding: string;
  readonly path: string;
}

/** Every AwsSolutions finding in `scope`, one per rule, finding and resource. */
export function nagFindings(scope: IConstruct): Finding[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  const findings: Finding[] = [];
  for (const violation of report.violations) {
    const [, rule, finding] = /^([^[]+)(?:\[(.*)\])?$/.exec(violation.ruleName)!;
    for (const resource of violation.violatingResources) {
      findings.push({ rule, finding: finding ?? '', path: resource.constructPath ?? '' });
    }
  }
  return findings;
}

function matchesText(expected: string | RegExp, actual: string): boolean {
  return typeof expected === 'string' ? actual === expected : expected.test(actual);
}

export function matches(entry: Acknowledged, finding: Finding): boolean {
  return entry.rule === finding.rule && matchesText(entry.finding, finding.finding) && matchesText(entry.path, finding.path);
}

/** The findings that no entry of `table` acknowledges. */
export function unacknowledged(findings: Finding[], table: Acknowledged[]): Finding[] {
  return findings.filter(finding => !table.some(entry => matches(entry, finding)));
}

/** The entries of `table` that match no finding. */
export function stale(findings: Finding[], table: Acknowledged[]): Acknowledged[] {
  return table.filter(entry => !findings.some(finding => matches(entry, finding)));
}

/**
 * The acknowledgment of the DescribeAccount statement that every handler role gets with its stack reads
 * (`grantStackReads`), whose finding is on the role's DefaultPolicy at `path`.
 */
export function describeAccountAcknowledgment(path: string): Acknowledged[] {
  return [{
    rule: 'AwsSolutions-IAM5',
    finding: 'Resource::arn:<AWS::Partition>:organizations::*:account/o-*/*',
    path,
    reason: 'organizations:DescribeAccount and ListParents, alone in their statement and read-only, tell an account that left '
      + 'the organization (or was closed) from a call that the Account Management API denied, and whether a baseline of the '
      + 'stack targets an account through an OU; an account\'s ARN (organizations::<management account>:account/o-<org>/<account>) '
      + 'embeds the management account and organization ids, unknown at synth, and a Delete may concern an account the stack no '
      + 'longer declares (CloudFormation updates the policies before it), so the statement names every member account',
  }, {
    rule: 'AwsSolutions-IAM5',
    finding: 'Resource::arn:<AWS::Partition>:organizations::*:ou/o-*/ou-*',
    path,
    reason: 'organizations:ListParents walks from an account up through its OUs to tell whether a baseline of the stack targets '
      + 'it before a Delete removes what the baseline now declares; an OU\'s ARN embeds the management account and organization '
      + 'ids, unknown at synth, and the OUs of any baseline may be asked',
  }];
}

/** The acknowledgment of AWSLambdaBasicExecutionRole on the role of a handler function, at `path`. */
export function basicExecutionRoleAcknowledgment(path: string): Acknowledged {
  return {
    rule: 'AwsSolutions-IAM4',
    finding: 'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    path,
    reason: 'AWSLambdaBasicExecutionRole only lets the function create and write to its own CloudWatch log streams',
  };
}

/**
 * The acknowledgments of the stack's waiter (one Step Functions state machine per stack, in `stackPath`) that serves
 * the functions whose ARN tokens `functions` matches (e.g. /^<RegionOptInProviderHandler[0-9A-F]{8}\.Arn>:\*$/).
 */
export function waiterAcknowledgments(stackPath: string, functions: RegExp): Acknowledged[] {
  const waiter = `${stackPath}/AccountManagementWaiter`;
  return [
    {
      rule: 'AwsSolutions-IAM5',
      finding: functions,
      path: `${waiter}/InvokePolicy/Resource`,
      reason: 'the waiter\'s state machine invokes the function that started the execution by the ARN it was invoked '
        + 'with (its invokedFunctionArn, which may carry a version or alias qualifier), so it may invoke the functions it '
        + 'serves and their versions and aliases (<fn arn>:*), nothing else; the policy holds only lambda:InvokeFunction',
    },
    {
      rule: 'AwsSolutions-SF1',
      finding: '',
      path: `${waiter}/StateMachine/Resource`,
      reason: 'the waiter\'s logging is off on purpose: its execution data hold the CloudFormation request (for a Region, '
        + 'its resource properties), which must not reach a log group; the functions log every step themselves, without them',
    },
    {
      rule: 'AwsSolutions-SF2',
      finding: '',
      path: `${waiter}/StateMachine/Resource`,
      reason: 'the waiter is a loop of one Lambda task and a Wait state; X-Ray tracing adds nothing that the '
        + 'execution history and the functions\' log of every step do not show',
    },
  ];
}
