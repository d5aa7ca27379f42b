import { App, CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import { program } from '../cli/index';
import { LocalAws, LocalAwsOptions, LocalCloudFormation } from '../local';
import { RESOURCE_TYPES } from '../src/contract';

/*
 * What the lifecycle tests share: the local AWS services with CloudFormation's deploy lifecycle over
 * them (local/), running the handlers' real bundles, and stacks built afresh for each deploy.
 */

export const MANAGEMENT = '111111111111';

export interface Local {
  readonly aws: LocalAws;
  readonly cloudFormation: LocalCloudFormation;
}

/**
 * Starts the local services and points this process's SDK clients at them. `timeScale` makes time run
 * faster for the handlers and the local services alike (their delays, timeouts and quotas).
 */
export async function startLocal(options: LocalAwsOptions = {}, timeScale = 50): Promise<Local> {
  process.env.CDK_ACCOUNT_MANAGEMENT_TIME_SCALE = String(timeScale);
  const aws = await LocalAws.start({ managementAccountId: MANAGEMENT, ...options });
  aws.useForSdkClients();
  return { aws, cloudFormation: new LocalCloudFormation(aws) };
}

/** Ends the local services once every function and execution they started has ended. */
export async function stopLocal(local: Local): Promise<void> {
  await local.aws.stepFunctions.settled();
  await local.aws.lambda.settled();
  await local.aws.close();
}

/**
 * The stacks a test file's tests deploy (add each name before deploying): destroyed after each test, so
 * that each test starts from a fresh organization.
 */
export function destroyedAfterEach(local: () => Local): Set<string> {
  const deployed = new Set<string>();
  afterEach(async () => {
    for (const name of deployed) await local().cloudFormation.destroy(name);
    deployed.clear();
    await local().aws.stepFunctions.settled();
  });
  return deployed;
}

/** A new app with one stack, in `account` and us-east-1, declaring what `build` adds to it. */
export function stackOf(build: (stack: Stack) => void, options: { name?: string; account?: string } = {}): Stack {
  const stack = new Stack(new App(), options.name ?? 'Settings', { env: { account: options.account ?? MANAGEMENT, region: 'us-east-1' } });
  build(stack);
  return stack;
}

/** The physical ids of the stack's custom resources (the settings), in the order of their logical ids. */
export function physicalIds(cloudFormation: LocalCloudFormation, stackName = 'Settings'): string[] {
  return [...cloudFormation.stackOf(stackName).resources.values()]
    // The settings' resources; not the Region provider's response store, which is no setting.
    .filter(r => r.ResourceType.startsWith('Custom::') && r.ResourceType !== RESOURCE_TYPES.regionResponseStore)
    .sort((a, b) => a.LogicalResourceId.localeCompare(b.LogicalResourceId))
    .map(r => r.PhysicalResourceId);
}

/** The logical id of the resource that `addBreaker` adds. */
export const BREAKER = 'Breaker';

/**
 * A resource unrelated to the settings, which a deploy breaks on purpose (`breakResources: { Breaker: … }`)
 * to have CloudFormation cancel what is in progress and roll the stack back.
 */
export function addBreaker(stack: Stack): void {
  new CfnWaitConditionHandle(stack, BREAKER);
}

/** Everything written to the console while `fn` runs, and what `fn` returned or threw. */
export async function captureConsole<T>(fn: () => Promise<T>): Promise<{ output: string; result?: T; error?: unknown }> {
  const lines: string[] = [];
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const spies = methods.map(m => jest.spyOn(console, m).mockImplementation((...args: unknown[]) => {
    lines.push(args.map(a => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  }));
  try {
    const result = await fn();
    return { output: lines.join('\n'), result };
  } catch (error) {
    return { output: lines.join('\n'), error };
  } finally {
    spies.forEach(s => s.mockRestore());
  }
}

/** Runs the command-line tool in this process, its output piped: what it printed and its exit code (1 for an error it threw). */
export async function runCli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let code = -1;
  const io = { out: (t: string) => { out += t; }, err: (t: string) => { err += t; }, exit: (c: number) => { code = c; } };
  try {
    await program(io).parseAsync(args);
  } catch (error) {
    err += String((error as Error).message);
    code = 1;
  }
  return { code, out, err };
}
