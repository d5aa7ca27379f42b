/*
 * What the organization benchmarks share: a stack deployed by the local CloudFormation and converged by
 * the reconciler (from the stack's first event to the end of its executions), with the calls, steps, state
 * transitions, Lambda invocations and CPU it took; and the figures' formatting.
 */
import { monitorEventLoopDelay } from 'perf_hooks';
import { App, Stack } from 'aws-cdk-lib';
import { quietly } from './stats';
import { CallRecord, ExecutionRecord, LocalAws, LocalCloudFormation, timeScale } from '../local';
import { DeployWaitsFor } from '../src/organization-baseline';

/** The local service's in-progress limits (local/account.ts): per organization and per account. */
export const ORG_IN_PROGRESS = 20;
export const ACCOUNT_IN_PROGRESS = 6;
/** Above this share of one core, the simulation may set the pace: the row's figures are flagged. */
export const CPU_BOUND = 0.85;
/** How often the event loop's delay is sampled, ms. */
const LOOP_RESOLUTION_MS = 5;

export const CONTACTS = {
  billing: { name: 'Finance Operations', title: 'Accounts Payable', emailAddress: 'aws-billing@example.com', phoneNumber: '+1 206-555-0101' },
  operations: { name: 'Cloud Platform On-Call', title: 'Platform Operations', emailAddress: 'aws-ops@example.com', phoneNumber: '+1 206-555-0102' },
  security: { name: 'Security Operations Center', title: 'SOC', emailAddress: 'aws-security@example.com', phoneNumber: '+1 206-555-0103' },
};
export const CONTACT_TYPES = ['BILLING', 'OPERATIONS', 'SECURITY'] as const;

export const memberIds = (n: number) => Array.from({ length: n }, (_, i) => String(200000000000 + i));

/** What one convergence (a deploy and its execution) did. */
export interface Convergence {
  /** From the stack's first event to the end of the last execution (or of the deploy, if later), ms. */
  readonly wallMs: number;
  /** Account Management calls. */
  readonly calls: CallRecord[];
  /** Every other call (S3, Organizations, Step Functions, EventBridge, CloudFormation), and by operation. */
  readonly otherCalls: number;
  readonly others: string;
  /** EnableRegion answered 429 while the organization or the account had its in-progress limit reached. */
  readonly refusedForLimits: number;
  readonly executions: ExecutionRecord[];
  readonly steps: number;
  /** States the executions entered (Step Functions' billed state transitions). */
  readonly statesEntered: number;
  /** Every invocation of the stack's functions: the custom-resource requests, the steps, the events' targets. */
  readonly lambdaInvocations: number;
  readonly stackStatus: string;
  /** Stopped at CAP_RATIO × the minimum. */
  readonly capped: boolean;
  /** The generations' events, in order: Converged or Failed (a failed deploy's rollback makes one more). */
  readonly event: string;
  /** The accounts the generations' events report failed (the first few), with why, and the stack's failed resources. */
  readonly failures: Array<{ readonly accountId: string; readonly reason: string }>;
  /** From the stack's first event to the first Account Management call (the listing of the targets included), ms. */
  readonly startupMs: number;
  /** This process's CPU time over the wall time (share of one core). */
  readonly cpuShare: number;
  /** The event loop's mean and 99th-percentile delay, ms. */
  readonly loopDelayMs: number;
  readonly loopDelayP99Ms: number;
}

/** A fan-out's figures, in Convergence's shape: no execution, step or deploy of its own. */
export function fanOutConvergence(
  aws: LocalAws, wallMs: number, cpu: NodeJS.CpuUsage, stackStatus: string,
): Convergence {
  const calls = aws.calls.filter(c => !c.operation.includes(':'));
  return {
    wallMs,
    calls,
    otherCalls: aws.calls.length - calls.length,
    others: byOperation(aws.calls.filter(c => c.operation.includes(':'))),
    refusedForLimits: 0,
    executions: [],
    steps: 0,
    statesEntered: 0,
    lambdaInvocations: 0,
    stackStatus,
    capped: false,
    event: '—',
    failures: [],
    startupMs: 0,
    cpuShare: (cpu.user + cpu.system) / 1000 / Math.max(1, wallMs),
    loopDelayMs: 0,
    loopDelayP99Ms: 0,
  };
}

export const isWrite = (operation: string) => /^(Put|Delete|Enable|Disable)/.test(operation);

/**
 * Deploys the stack and waits until every execution has ended; with `capMs`, executions still running
 * then are stopped (only for a deploy that does not wait: one that waits would wait on).
 */
export async function converge(
  aws: LocalAws, cfn: LocalCloudFormation, stack: Stack, waitsFor: DeployWaitsFor, capMs?: number,
): Promise<Convergence> {
  // Synthesized before the clock starts: the deploy's own synth then finds the assembly made.
  (stack.node.root as App).synth();
  aws.clearCalls();
  aws.lambda.invocations.length = 0;
  const executionsBefore = aws.stepFunctions.executions.length;
  const eventsBefore = aws.eventBus.events.length;
  const transitionMs = aws.regionTransitionMs;
  const delay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  delay.enable();
  const cpuBefore = process.cpuUsage();
  const wallBefore = Date.now();
  let capped = false;
  const cap = capMs === undefined || waitsFor !== DeployWaitsFor.NOTHING ? undefined : setTimeout(() => {
    capped = true;
    for (const execution of aws.stepFunctions.executions) if (execution.status === 'RUNNING') execution.abort();
  }, capMs);
  const result = await quietly(async () => {
    try {
      const deployed = await cfn.deploy(stack);
      await aws.stepFunctions.settled();
      await aws.lambda.settled();
      return deployed;
    } finally {
      clearTimeout(cap);
    }
  });
  const wallAfter = Date.now();
  const cpu = process.cpuUsage(cpuBefore);
  delay.disable();
  // A stopped execution's step runs on (Step Functions stopped waiting for it, the function did not
  // stop): until it makes no more calls.
  if (capped) await quietly(() => quiesce(aws));
  const executions = aws.stepFunctions.executions.slice(executionsBefore);
  const started = result.events[0]?.at ?? wallBefore;
  const ended = Math.max(result.events[result.events.length - 1]?.at ?? started, ...executions.map(e => e.stoppedAt ?? wallAfter));
  const calls = aws.calls.filter(c => !c.operation.includes(':'));
  const others = byOperation(aws.calls.filter(c => c.operation.includes(':')));
  // An EnableRegion refused while a limit of transitions in progress was reached (rather than for its rate).
  const inProgressAt = (at: number, accountId?: string) => aws.transitions
    .filter(t => (accountId === undefined || t.accountId === accountId) && t.endsAt - transitionMs <= at && at < t.endsAt).length;
  const refusedForLimits = calls.filter(c => c.operation === 'EnableRegion' && c.status === 429
    && (inProgressAt(c.at) >= ORG_IN_PROGRESS || inProgressAt(c.at, c.target) >= ACCOUNT_IN_PROGRESS)).length;
  // The waiter's invocations of the function (the custom-resource requests are asynchronous ones).
  const steps = aws.lambda.invocations.filter(i => i.type === 'RequestResponse').length;
  const generations = aws.eventBus.events.slice(eventsBefore).map(e => ({
    outcome: e.DetailType.replace(/^Organization Baseline Generation /, ''),
    failures: (JSON.parse(e.Detail) as { failures?: Convergence['failures'] }).failures ?? [],
  }));
  return {
    wallMs: ended - started,
    calls,
    otherCalls: aws.calls.length - calls.length,
    others,
    refusedForLimits,
    executions,
    steps,
    statesEntered: executions.reduce((sum, e) => sum + e.statesEntered, 0),
    lambdaInvocations: aws.lambda.invocations.length,
    stackStatus: result.status,
    capped,
    event: generations.map(g => g.outcome).join(', ') || 'none',
    failures: [...generations.flatMap(g => g.failures), ...result.failures.map(f => ({ accountId: `stack resource ${f.logicalId}`, reason: f.reason }))],
    startupMs: calls.length > 0 ? calls[0].at - started : 0,
    cpuShare: (cpu.user + cpu.system) / 1000 / Math.max(1, wallAfter - wallBefore),
    // The histogram holds whole sampling intervals: the delay is what exceeds the resolution.
    loopDelayMs: Math.max(0, delay.mean / 1e6 - LOOP_RESOLUTION_MS),
    loopDelayP99Ms: Math.max(0, delay.percentile(99) / 1e6 - LOOP_RESOLUTION_MS),
  };
}

/** Waits until the local services have had no call for a while (bounded by the function's timeout). */
export async function quiesce(aws: LocalAws): Promise<void> {
  const quietMs = Math.max(200, 10_000 / timeScale());
  const until = Date.now() + (15 * 60_000) / timeScale();
  let seen = -1;
  while (seen !== aws.calls.length && Date.now() < until) {
    seen = aws.calls.length;
    await new Promise(resolve => setTimeout(resolve, quietMs));
  }
}

export const n = (value: number) => value.toLocaleString('en-US');
export const duration = (seconds: number) => (seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h`
  : seconds >= 600 ? `${(seconds / 60).toFixed(0)} min` : seconds >= 60 ? `${(seconds / 60).toFixed(1)} min` : `${seconds.toFixed(0)} s`);
export const percent = (part: number, whole: number) => (whole === 0 ? '0 %' : `${((100 * part) / whole).toFixed(1)} %`);

/** "GetAlternateContact 3,000 · PutAlternateContact 3,012 (12 × 429)": calls by operation, the 429s of each. */
export function byOperation(calls: CallRecord[]): string {
  const ops = new Map<string, { calls: number; throttled: number }>();
  for (const c of calls) {
    const entry = ops.get(c.operation) ?? { calls: 0, throttled: 0 };
    entry.calls++;
    if (c.status === 429) entry.throttled++;
    ops.set(c.operation, entry);
  }
  return [...ops].sort(([a], [b]) => a.localeCompare(b))
    .map(([op, e]) => `${op} ${n(e.calls)}${e.throttled ? ` (${n(e.throttled)} × 429)` : ''}`).join(' · ') || '—';
}

/**
 * Runs each row in turn, saying on stderr how long it took and why its accounts failed (the first `shown`
 * of each run), and puts the time scale back as it was whatever happens.
 */
export async function runRows<
  Row extends { readonly key: string; readonly scale: number }, Result extends { first: Convergence; again?: Convergence },
>(
  label: string, rows: Row[], run: (row: Row) => Promise<Result>, shown = Infinity,
): Promise<Result[]> {
  const scaleBefore = process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
  const results: Result[] = [];
  try {
    for (const row of rows) {
      const started = Date.now();
      const result = await run(row);
      results.push(result);
      console.error(`  ${label}: ${row.key} at ${row.scale}× in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      for (const [convergence, name] of [[result.first, 'first'], [result.again, 're-run']] as const) {
        for (const f of (convergence?.failures ?? []).slice(0, shown)) console.error(`    ${name}: ${f.accountId} failed: ${f.reason}`);
      }
    }
  } finally {
    if (scaleBefore === undefined) delete process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE;
    else process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = scaleBefore;
  }
  return results;
}
