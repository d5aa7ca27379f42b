import type { AssemblyStack } from './assembly';
import { Aws, duration } from './aws';
import { baselinesOf, RunRead, WaiterReader } from './executions';
import type { Phase } from '../lambda/organization/state';

/*
 * `status`: where each OrganizationBaseline's current generation is, read from its run's execution (the
 * store is the reconciler's alone): converged, running (how far, how fast, how long still) or failed,
 * the accounts that failed or were skipped, and what a person should do.
 */

/** Exit codes of `status`: a pipeline waits on them (`status --watch` returns once no run is running). */
export const STATUS_EXIT = { CONVERGED: 0, FAILED: 1, RUNNING: 2 } as const;

export type RunStatus = 'converged' | 'running' | 'failed' | 'not found';

/** One baseline's current generation, as `status --json` prints it. */
export interface BaselineStatus {
  readonly stack: string;
  /** The construct's path in the app. */
  readonly construct: string;
  readonly baselineId: string;
  readonly status: RunStatus;
  readonly generation?: string;
  readonly executionArn?: string;
  readonly startedAt?: string;
  readonly stoppedAt?: string;
  readonly phase?: Phase;
  readonly accounts: {
    readonly total?: number;
    readonly done: number;
    readonly applied: number;
    readonly unchanged: number;
    readonly skipped: number;
    readonly failed: number;
  };
  readonly regions: {
    readonly total: number;
    readonly settled: number;
    readonly inProgress: number;
    readonly failed: number;
    readonly skipped: number;
  };
  /** Accounts done a minute, since the run started. */
  readonly accountsPerMinute?: number;
  /** Seconds until the accounts are done, at that pace (Region transitions take as long as the service takes). */
  readonly etaSeconds?: number;
  /** The first failed and skipped accounts (all are counted), with why. */
  readonly failures: Array<{ readonly account: string; readonly reason: string }>;
  readonly skippedAccounts: Array<{ readonly account: string; readonly reason: string }>;
  /** Accounts whose primary contact's phone the run read as not VERIFIED (GetContactInformation's VerificationStatus). */
  readonly phonesNotVerified: number;
  /** Why the execution ended without succeeding. */
  readonly error?: string;
  /** What a person should do now. */
  readonly next: string;
}

/**
 * The status of every OrganizationBaseline of `stacks`, as deployed. Stacks of an assembly (`fromAssembly`)
 * that declare no baseline are not read (they may not even be deployed); stacks named alone always are.
 */
export async function status(stacks: AssemblyStack[], aws: Aws, fromAssembly: boolean, now: () => number = Date.now): Promise<BaselineStatus[]> {
  const result: BaselineStatus[] = [];
  for (const stack of stacks) {
    if (fromAssembly && baselinesOf(stack.stackName, stack.template).baselines.length === 0) continue;
    const template = await aws.deployedTemplate(stack.stackName, stack.region);
    if (!template) {
      throw new Error(`Stack ${stack.stackName} is not deployed in Region ${stack.region ?? aws.region}: it has no baseline to show`
        + `${stack.region ? '' : '; if it is deployed in another Region, name it with --region'}`);
    }
    const { baselines, waiter } = baselinesOf(stack.stackName, template);
    if (!baselines.length || !waiter) continue;
    const reader = new WaiterReader(aws, stack.stackName, stack.region);
    const runs = await reader.newestRuns(await reader.waiterArn(waiter), baselines.map(b => b.baselineId));
    for (const baseline of baselines) {
      const arn = runs.get(baseline.baselineId);
      const base = { stack: stack.stackName, construct: baseline.construct, baselineId: baseline.baselineId };
      result.push(arn ? statusOf(base, await reader.run(arn), now()) : notFound(base));
    }
  }
  return result;
}

function notFound(base: Pick<BaselineStatus, 'stack' | 'construct' | 'baselineId'>): BaselineStatus {
  return {
    ...base,
    status: 'not found',
    accounts: { done: 0, applied: 0, unchanged: 0, skipped: 0, failed: 0 },
    regions: { total: 0, settled: 0, inProgress: 0, failed: 0, skipped: 0 },
    failures: [],
    skippedAccounts: [],
    phonesNotVerified: 0,
    next: 'No run of this baseline is in its stack\'s waiter (Step Functions keeps ended executions 90 days): deploy the stack, '
      + 'or wait for its reconcileSchedule',
  };
}

function statusOf(base: Pick<BaselineStatus, 'stack' | 'construct' | 'baselineId'>, run: RunRead, now: number): BaselineStatus {
  const state = run.state;
  const counts = state?.Counts ?? { applied: 0, unchanged: 0, skipped: 0, failed: 0 };
  const done = counts.applied + counts.unchanged + counts.skipped + counts.failed;
  const regions = state?.Regions;
  const failedRegions = regions?.failed ?? 0;
  const failures = [...state?.Failures ?? [], ...regions?.failures ?? []].map(f => ({ account: f.accountId, reason: f.reason }));
  const skippedAccounts = [...state?.Skipped ?? [], ...regions?.skips ?? []].map(f => ({ account: f.accountId, reason: f.reason }));
  const ended = run.status !== 'RUNNING';
  const standing: RunStatus = !ended ? 'running' : run.status === 'SUCCEEDED' && counts.failed === 0 && failedRegions === 0 ? 'converged' : 'failed';
  const total = state?.Size?.Accounts;
  // The run's pace since it started (its state's start, which a run continued as new keeps).
  const since = state?.StartedAt ?? run.startedAt.getTime();
  const minutes = ((ended ? run.stoppedAt?.getTime() ?? now : now) - since) / 60_000;
  const perMinute = minutes > 0 && done > 0 ? done / minutes : undefined;
  const left = total === undefined ? undefined : Math.max(0, total - done);
  const regionsTotal = state?.Size?.Regions ?? 0;
  const settled = state?.Size?.RegionsSettled ?? 0;
  return {
    ...base,
    status: standing,
    generation: state?.Generation,
    executionArn: run.executionArn,
    startedAt: new Date(since).toISOString(),
    stoppedAt: run.stoppedAt?.toISOString(),
    phase: state?.Phase,
    accounts: { total, done, ...counts },
    regions: { total: regionsTotal, settled, inProgress: regions?.inFlight.length ?? 0, failed: failedRegions, skipped: regions?.skipped ?? 0 },
    accountsPerMinute: perMinute === undefined ? undefined : Math.round(perMinute * 10) / 10,
    etaSeconds: !ended && perMinute && left ? Math.round((left / perMinute) * 60) : undefined,
    failures,
    skippedAccounts,
    phonesNotVerified: state?.PhonesNotVerified ?? 0,
    error: ended && run.status !== 'SUCCEEDED' ? run.error ?? `the execution ended ${run.status}` : undefined,
    next: nextStep(standing, run, { failed: counts.failed + failedRegions, skipped: counts.skipped + (regions?.skipped ?? 0), phase: state?.Phase }),
  };
}

/** What a person should do, given how the run stands. */
function nextStep(standing: RunStatus, run: RunRead, at: { failed: number; skipped: number; phase?: Phase }): string {
  const skipped = at.skipped
    ? ' Skipped accounts are closed, suspended or no longer in the organization: nothing can be written there; take them out of the targets '
      + '(excludeAccountIds) or leave them, the reconciler skips them at each run.'
    : '';
  if (standing === 'running') {
    return (at.phase === 'regions'
      ? 'Wait: the contacts are done and Region transitions take minutes to hours each (the service allows a few at once); '
      : 'Wait: the reconciler goes on by itself; ') + '`status --watch` follows it to its end.' + skipped;
  }
  if (standing === 'converged') return `Nothing: every account holds what the baseline declares.${skipped}`;
  if (run.status === 'SUCCEEDED') {
    return `Fix what the ${at.failed} failure(s) say (each names the call, the account and the likely fix), then deploy again or wait for the `
      + `reconcileSchedule: the next run writes only what is still missing.${skipped}`;
  }
  return `The run ended ${run.status}: read the error, fix its cause, and deploy again (the next generation resumes where this one stopped).${skipped}`;
}

/** The exit code for a set of statuses: any failed (or not found) 1, else any running 2, else 0. */
export function statusExit(statuses: BaselineStatus[]): number {
  if (statuses.some(s => s.status === 'failed' || s.status === 'not found')) return STATUS_EXIT.FAILED;
  return statuses.some(s => s.status === 'running') ? STATUS_EXIT.RUNNING : STATUS_EXIT.CONVERGED;
}

/** How the table shows it: a bar on a terminal, counts either way. */
export function statusText(statuses: BaselineStatus[], options: { tty: boolean; colour: boolean; now?: number }): string {
  const paint = (code: number, text: string) => (options.colour ? `\u001b[${code}m${text}\u001b[39m` : text);
  const word: Record<RunStatus, string> = {
    'converged': paint(32, 'converged'),
    'running': paint(36, 'running'),
    'failed': paint(31, 'failed'),
    'not found': paint(31, 'not found'),
  };
  const lines: string[] = [];
  for (const s of statuses) {
    lines.push(`${s.construct} (stack ${s.stack}): ${word[s.status]}`);
    if (s.generation) {
      const ago = options.now !== undefined && s.startedAt ? ` (${duration(options.now - Date.parse(s.startedAt))} ago)` : '';
      lines.push(`  Generation  ${s.generation}, started ${s.startedAt}${ago}${s.stoppedAt ? `, ended ${s.stoppedAt}` : ''}${s.phase ? `, phase ${s.phase}` : ''}`);
    }
    if (s.status !== 'not found') {
      const { total, done } = s.accounts;
      const share = total ? ` (${Math.floor((100 * done) / total)} %)` : '';
      const pace = [
        s.accountsPerMinute !== undefined ? `${s.accountsPerMinute} accounts/min` : '',
        s.etaSeconds !== undefined ? `about ${duration(s.etaSeconds * 1000)} left` : '',
      ].filter(Boolean).join(', ');
      const bar = options.tty && total ? `${progressBar(done / total)} ` : '';
      lines.push(`  Accounts    ${bar}${done}/${total ?? '?'}${share}: ${s.accounts.applied} written, ${s.accounts.unchanged} unchanged, `
        + `${s.accounts.skipped} skipped, ${s.accounts.failed} failed${pace ? ` | ${pace}` : ''}`);
      if (s.regions.total) {
        const regionBar = options.tty ? `${progressBar(s.regions.settled / s.regions.total)} ` : '';
        lines.push(`  Regions     ${regionBar}${s.regions.settled}/${s.regions.total} settled, ${s.regions.inProgress} in progress, ${s.regions.failed} failed`);
      }
    }
    // The run's state keeps the first few of each, and counts them all: the rest are in the function's log, a line each.
    const more = (listed: number, counted: number, what: string) => {
      if (counted > listed) lines.push(`  ${what.padEnd(12)}and ${counted - listed} more (the function's log has a line for each)`);
    };
    for (const f of s.failures) lines.push(`  Failed      ${f.account}: ${f.reason}`);
    more(s.failures.length, s.accounts.failed + s.regions.failed, 'Failed');
    for (const f of s.skippedAccounts) lines.push(`  Skipped     ${f.account}: ${f.reason}`);
    more(s.skippedAccounts.length, s.accounts.skipped + s.regions.skipped, 'Skipped');
    if (s.phonesNotVerified) {
      lines.push(`  Phones      ${s.phonesNotVerified} primary contact phone number(s) not verified: each account's root user verifies it in the console`
        + ' (`plan --all` names the accounts)');
    }
    if (s.error) lines.push(`  Error       ${s.error}`);
    lines.push(`  Next        ${s.next}`);
  }
  const counts = (['converged', 'running', 'failed', 'not found'] as RunStatus[])
    .map(k => [k, statuses.filter(s => s.status === k).length] as const).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`);
  lines.push(`Status: ${counts.join(', ') || 'no OrganizationBaseline in the stacks'} (exit ${statusExit(statuses)})`);
  return `${lines.join('\n')}\n`;
}

/** A bar of 20 cells: `[########............]`. */
function progressBar(fraction: number): string {
  const full = Math.max(0, Math.min(20, Math.round(fraction * 20)));
  return `[${'#'.repeat(full)}${'.'.repeat(20 - full)}]`;
}

/** Where `status` writes (the CLI's Io). */
export interface StatusIo {
  readonly colour?: boolean;
  /** Whether standard output is a terminal: bars, and --watch redraws in place. */
  readonly tty?: boolean;
  out(text: string): void;
  err(text: string): void;
}

/**
 * Reads the statuses, again every `watchMs` while a run is running (until `deadline`, the --timeout),
 * writing each read: on a terminal redrawn in place, piped one summary line a read (on stderr with --json), then the last in full.
 */
export async function watchStatus(
  read: () => Promise<BaselineStatus[]>, io: StatusIo, options: { json: boolean; watchMs?: number; deadline: number },
): Promise<number> {
  let shownLines = 0;
  for (;;) {
    const statuses = await read();
    const last = options.watchMs === undefined || statusExit(statuses) !== STATUS_EXIT.RUNNING || Date.now() + options.watchMs >= options.deadline;
    const text = statusText(statuses, { tty: io.tty === true, colour: io.colour === true, now: Date.now() });
    if (last && options.json) {
      io.out(`${JSON.stringify({ command: 'status', baselines: statuses, exitCode: statusExit(statuses) }, null, 2)}\n`);
    } else if (io.tty && !options.json) {
      // Up over the last read, and clear to the end: the new one takes its place.
      io.out(`${shownLines ? `\u001b[${shownLines}A\u001b[J` : ''}${text}`);
      shownLines = text.split('\n').length - 1;
    } else if (last) {
      io.out(text);
    } else {
      // With --json, standard output holds the one document: the reads before it go to standard error.
      (options.json ? io.err : io.out)(`${new Date().toISOString()} ${statuses.map(s => `${s.construct}: ${s.status} ${s.accounts.done}/${s.accounts.total ?? '?'} accounts`
        + `${s.regions.total ? `, ${s.regions.settled}/${s.regions.total} Regions` : ''}`).join('; ')}\n`);
    }
    if (last) return statusExit(statuses);
    await new Promise(resolve => setTimeout(resolve, options.watchMs));
  }
}
