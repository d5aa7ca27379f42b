import { Aws, denied } from './aws';
import type { Template } from './declared';
import type { ReconcileState } from '../lambda/organization/state';
import { epochDate, JsonClient, stepFunctionsApi } from '../lambda/shared/aws-json';
import type { CloudFormation } from '../lambda/shared/cloudformation';
import { RESOURCE_TYPES } from '../src/contract';

/*
 * Where `status` reads a baseline's progress: not the reconciler's store (its bucket policy lets only the
 * reconciler read it), but what an operator's credentials read: the stack's deployed template (the
 * baselines and their ids), its waiter state machine, and each run's execution, whose state (returned
 * by every step, kept in the history) holds the counts, the first failed and skipped accounts and the
 * run's size, never a contact value. Not the function's log either: that would mean a query over a log
 * group per run, bounded by its retention, for figures the state holds already.
 */

/** An OrganizationBaseline of a deployed stack. */
export interface DeployedBaseline {
  readonly stackName: string;
  readonly construct: string;
  readonly baselineId: string;
}

/** A run of a baseline, as its execution shows it. */
export interface RunRead {
  readonly executionArn: string;
  readonly status: ExecutionStatus;
  readonly startedAt: Date;
  readonly stoppedAt?: Date;
  /** The state the last step returned (or the execution's input, before its first step). */
  readonly state?: ReconcileState;
  /** Why an execution that did not succeed ended. */
  readonly error?: string;
}

/** How many executions of the waiter are looked through for a baseline's newest run (newest first). */
const LISTED = 2_000;
/** Events of a history read from its end: a step's output is among the last few. */
const HISTORY_TAIL = 25;
/** How many times a run that continued as new is followed. */
const CONTINUATIONS = 100;

/** The baselines a deployed template declares, and the logical id of its waiter. */
export function baselinesOf(stackName: string, template: Template): { baselines: DeployedBaseline[]; waiter?: string } {
  const baselines: DeployedBaseline[] = [];
  let waiter: string | undefined;
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const path = resource.Metadata?.['aws:cdk:path'];
    if (resource.Type === RESOURCE_TYPES.organizationBaseline && typeof resource.Properties?.BaselineId === 'string') {
      const construct = typeof path === 'string' ? path.replace(/(\/(Resource|Default))+$/, '') : `${stackName}/${logicalId}`;
      baselines.push({ stackName, construct, baselineId: resource.Properties.BaselineId });
    }
    // The stack's one waiter (src/private/waiter.ts), whatever other state machines the stack has: by its path, or its logical id without metadata.
    const isWaiter = typeof path === 'string' ? path.endsWith('/AccountManagementWaiter/StateMachine/Resource') : /^AccountManagementWaiterStateMachine/.test(logicalId);
    if (resource.Type === 'AWS::StepFunctions::StateMachine' && isWaiter) waiter = logicalId;
  }
  return { baselines, waiter };
}

/** The execution reads of one stack's waiter. */
/**
 * Whether the execution `name` is a run of the baseline over its targets (a deploy's or a scheduled one),
 * not a run for one account: a new account's (`<id>-a<account>-…`) or a hand change's (`<id>-h<account>-…`).
 */
export function isBaselineRun(name: string, baselineId: string): boolean {
  return name.startsWith(`${baselineId}-`) && !/^[ah]\d{12}-/.test(name.slice(baselineId.length + 1));
}

/** An execution's status, as Step Functions names it. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** What ListExecutions, DescribeExecution and GetExecutionHistory answer that is read here (timestamps in epoch seconds). */
interface ExecutionsPage {
  readonly executions?: Array<{ readonly executionArn?: string; readonly name?: string }>;
  readonly nextToken?: string;
}
interface ExecutionDescription {
  readonly status?: ExecutionStatus;
  readonly startDate?: number;
  readonly stopDate?: number;
  readonly input?: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}
interface ExecutionHistory {
  readonly events?: Array<{ readonly type?: string; readonly stateExitedEventDetails?: { readonly name?: string; readonly output?: string } }>;
}

export class WaiterReader {
  private readonly sfn: JsonClient;
  private readonly cfn: CloudFormation;

  constructor(aws: Aws, private readonly stackName: string, region?: string) {
    this.sfn = aws.json(stepFunctionsApi(region ?? aws.region));
    this.cfn = aws.cloudFormation(region);
  }

  /** The waiter's ARN, from its resource in the stack. */
  public async waiterArn(logicalId: string): Promise<string> {
    try {
      const answer = await this.cfn.describeStackResource({ StackName: this.stackName, LogicalResourceId: logicalId });
      const physicalId = answer.StackResourceDetail!.PhysicalResourceId!;
      if (physicalId.startsWith('arn:')) return physicalId;
      // A state machine's physical id is its ARN; a bare name is completed from the stack's own ARN.
      const [, partition, , region, account] = (answer.StackResourceDetail!.StackId ?? '').split(':');
      return `arn:${partition}:states:${region}:${account}:stateMachine:${physicalId}`;
    } catch (error) {
      throw denied('cloudformation:DescribeStackResource', `the waiter of stack ${this.stackName}`, error);
    }
  }

  /**
   * Each baseline's newest run of a whole generation (named `<baseline id>-<generation>`, or with a
   * schedule's `-s…` suffix; a new account's run, `-a<account>…`, covers one account and is passed over).
   */
  public async newestRuns(waiterArn: string, baselineIds: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    let token: string | undefined;
    let seen = 0;
    do {
      let page;
      try {
        page = await this.sfn.send<ExecutionsPage>('ListExecutions', { stateMachineArn: waiterArn, maxResults: 1000, nextToken: token });
      } catch (error) {
        throw denied('states:ListExecutions', `the executions of stack ${this.stackName}'s waiter`, error);
      }
      for (const execution of page.executions ?? []) {
        const id = baselineIds.find(b => execution.name !== undefined && isBaselineRun(execution.name, b));
        if (id && !found.has(id)) found.set(id, execution.executionArn!);
      }
      seen += page.executions?.length ?? 0;
      token = page.nextToken;
    } while (token && found.size < baselineIds.length && seen < LISTED);
    return found;
  }

  /** A run: its execution's status, and the state its last step returned (following the executions it continued as). */
  public async run(executionArn: string): Promise<RunRead> {
    let arn = executionArn;
    for (let hop = 0; ; hop++) {
      const read = await this.execution(arn);
      if (!read.state?.ContinuedAs || read.status === 'RUNNING' || hop >= CONTINUATIONS) return read;
      arn = read.state.ContinuedAs;
    }
  }

  private async execution(executionArn: string): Promise<RunRead> {
    let described;
    try {
      described = await this.sfn.send<ExecutionDescription>('DescribeExecution', { executionArn });
    } catch (error) {
      throw denied('states:DescribeExecution', `execution ${executionArn}`, error);
    }
    const base = {
      executionArn,
      status: described.status!,
      startedAt: epochDate(described.startDate)!,
      stoppedAt: epochDate(described.stopDate),
      error: described.error ? `${described.error}${described.cause ? `: ${described.cause}` : ''}` : undefined,
    };
    if (described.status === 'SUCCEEDED') return { ...base, state: parsed(described.output) };
    return { ...base, state: await this.lastStep(executionArn) ?? parsed(described.input) };
  }

  /** The state the execution's last step returned, from the end of its history. */
  private async lastStep(executionArn: string): Promise<ReconcileState | undefined> {
    let history;
    try {
      const input = { executionArn, reverseOrder: true, maxResults: HISTORY_TAIL, includeExecutionData: true };
      history = await this.sfn.send<ExecutionHistory>('GetExecutionHistory', input);
    } catch (error) {
      throw denied('states:GetExecutionHistory', `execution ${executionArn}`, error);
    }
    const exited = history.events?.find(e => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'Step');
    return parsed(exited?.stateExitedEventDetails?.output);
  }
}

function parsed(json: string | undefined): ReconcileState | undefined {
  if (!json) return undefined;
  try {
    const state = JSON.parse(json) as ReconcileState;
    return state?.Task === 'reconcile' ? state : undefined;
  } catch {
    return undefined;
  }
}
