import { declaredTypes } from './accounts';
import { baselinePhysicalId } from './identity';
import { initialState, Responder } from './reconcile';
import { keepResponseUrl } from './responses';
import { Current, deleteUnder, digestOf, Generation, generationName, RemovalProgress, Store } from './store';
import type {
  BaselineDocument, StoreCleanupProperties, BooleanString, DeployWaitsForName, FailDeployOnName,
  OrganizationBaselineAttributes, OrganizationBaselineProperties, TargetSpec,
} from '../../src/contract';
import type { Invocation } from '../shared/clients';
import { isFailedCreateId, Request, Result } from '../shared/custom-resource';
import { log } from '../shared/log';
import { Answer, checkCurrentRequest, isRollingBack, otherClaimant, stillDeclared } from '../shared/stack';
import { executionArn, startWaiter, stopWaiter } from '../shared/waiter';

/*
 * The custom-resource requests of an OrganizationBaseline. A Create or an Update stores a new generation
 * of the baseline, makes it the baseline's current one (which supersedes the one before: its execution is
 * stopped, and stops itself at its next write anyway), and starts its execution, which answers
 * CloudFormation once it has done what the deploy waits for. A rollback is a generation too, with the
 * old values, and is answered at once. A Delete removes what the store holds for the baseline, and, with
 * removeAlternateContactsOnDelete, first deletes its contacts in another generation, which answers once
 * they are all deleted (or FAILED at 55 minutes, saying how far it got: the next Delete resumes it).
 */

/** The ResourceProperties, parsed in one place. */
interface BaselineRequest {
  readonly baselineId: string;
  readonly store: string;
  readonly targets: TargetSpec;
  readonly baseline: BaselineDocument;
  readonly waitsFor: DeployWaitsForName;
  readonly failDeployOn: FailDeployOnName;
  readonly prune: boolean;
  readonly removeOnDelete: boolean;
  readonly coverNewAccounts: boolean;
  readonly restoreHandChanges: boolean;
  readonly memberRole?: string;
  /** Why MemberRole cannot be used: a Create or Update fails with it, a Delete goes on from the management account. */
  readonly memberRoleFault?: string;
}

/** An IAM role's name (without a path), as IAM allows it. */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

function parseRequest(resourceProperties: object): BaselineRequest {
  const properties = resourceProperties as Partial<Record<keyof OrganizationBaselineProperties, unknown>>;
  const json = (name: keyof OrganizationBaselineProperties) => {
    try {
      return JSON.parse(String(properties[name]));
    } catch {
      throw new Error(`Resource property ${name} must be JSON`);
    }
  };
  const flag = (name: keyof OrganizationBaselineProperties): boolean => {
    const value = properties[name] as BooleanString | undefined;
    if (value !== 'true' && value !== 'false') throw new Error(`${name} must be "true" or "false", got "${String(value)}"`);
    return value === 'true';
  };
  const waitsFor = properties.DeployWaitsFor as DeployWaitsForName;
  if (!['CONTACTS', 'EVERYTHING', 'NOTHING'].includes(waitsFor)) throw new Error(`DeployWaitsFor must be CONTACTS, EVERYTHING or NOTHING, got "${String(waitsFor)}"`);
  const failDeployOn = (properties.FailDeployOn ?? 'LISTED_ACCOUNTS') as FailDeployOnName;
  if (!['LISTED_ACCOUNTS', 'ANY_ACCOUNT', 'NO_ACCOUNT'].includes(failDeployOn)) {
    throw new Error(`FailDeployOn must be LISTED_ACCOUNTS, ANY_ACCOUNT or NO_ACCOUNT, got "${String(failDeployOn)}"`);
  }
  for (const name of ['BaselineId', 'Store'] as const) {
    if (typeof properties[name] !== 'string' || properties[name] === '') throw new Error(`Missing resource property ${name}`);
  }
  const role = properties.MemberRole === '' ? undefined : properties.MemberRole;
  const memberRole = typeof role === 'string' && ROLE_NAME.test(role) ? role : undefined;
  const memberRoleFault = role !== undefined && memberRole === undefined
    ? `MemberRole must be an IAM role's name (up to 64 letters, digits and +=,.@_-), got "${String(role)}"` : undefined;
  return {
    baselineId: String(properties.BaselineId),
    store: String(properties.Store),
    targets: json('Targets'),
    baseline: json('Baseline'),
    waitsFor,
    failDeployOn,
    prune: flag('PruneUndeclared'),
    removeOnDelete: flag('RemoveOnDelete'),
    coverNewAccounts: flag('CoverNewAccounts'),
    restoreHandChanges: properties.RestoreHandChanges === 'true',
    memberRole,
    memberRoleFault,
  };
}

function responder(event: Request, physicalResourceId: string): Responder {
  return {
    ResponseURL: event.ResponseURL,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    PhysicalResourceId: physicalResourceId,
    RequestType: event.RequestType,
  };
}

export async function onRequest(event: Request, invocation: Invocation, functionArn: string): Promise<Result | undefined> {
  const request = parseRequest(event.ResourceProperties);
  const store = new Store(invocation, request.store, request.baselineId);
  const rollback = await isRollingBack(invocation, event.StackId);
  const fields = { requestType: event.RequestType, setting: 'organization baseline', accountId: invocation.ownAccount };
  if (event.RequestType === 'Delete') return onDelete(event, request, store, invocation, functionArn, rollback.known ? rollback.value : undefined);
  // Not for a Delete: a resource whose MemberRole was refused can still be deleted (its rollback, the stack's deletion).
  if (request.memberRoleFault) throw new Error(request.memberRoleFault);

  // A delivery that Lambda makes late, twice or again after a failure stores nothing once its request is
  // no longer the resource's current one: a replayed older request never supersedes a newer generation.
  const current = await checkCurrentRequest(invocation, event, { alwaysCompareProperties: true });
  if (!current.known || !current.value) {
    log({ ...fields, outcome: `stopped: ${current.known ? 'CloudFormation no longer waits for this request' : `cannot tell whether CloudFormation still waits for this request (${current.why})`}; no generation started` });
    throw new Error(current.known
      ? 'The baseline\'s request was stopped: CloudFormation no longer waits for it (it was answered, cancelled or rolled back, or a later request of the resource began); no generation was started'
      : `The baseline's request was not started: it cannot be told whether CloudFormation still waits for it (${current.why}); deploy again`);
  }

  // A rollback restores the old values in a generation of its own, but is not waited for: a rollback
  // that times out would leave the stack in UPDATE_ROLLBACK_FAILED.
  const rollingBack = rollback.known && rollback.value;
  const physicalResourceId = baselinePhysicalId(invocation.ownAccount, request.targets, request.baseline);
  const waitsFor: DeployWaitsForName = rollingBack ? 'NOTHING' : request.waitsFor;
  const generation = await start(event, store, invocation, functionArn, {
    targets: request.targets,
    baseline: request.baseline,
    waitsFor,
    failDeployOn: request.failDeployOn,
    prune: request.prune,
    coverNewAccounts: request.coverNewAccounts,
    // Absent unless set: the digest of a generation that does not restore is what it was before the option existed.
    ...(request.restoreHandChanges ? { restoreHandChanges: true } : {}),
    // Absent unless set, likewise: every run of the generation (deploy, schedule, new account, hand change) reads it from there.
    ...(request.memberRole ? { memberRole: request.memberRole } : {}),
    action: 'apply',
    physicalResourceId,
  }, waitsFor === 'NOTHING' ? undefined : responder(event, physicalResourceId), request.baselineId, undefined, rollingBack ? 'restore' : 'keep');
  log({ ...fields, outcome: `generation ${generation.generation} started${rollingBack ? ' (rollback: not waited for)' : `, the deploy waits for ${waitsFor.toLowerCase()}`}` });
  if (waitsFor !== 'NOTHING') return undefined;
  const data: OrganizationBaselineAttributes = { ExecutionArn: generation.executionArn, Generation: generation.generation, ContactsConverged: 'false' };
  return { PhysicalResourceId: physicalResourceId, Data: { ...data } };
}

/**
 * Stores a generation, makes it current and starts its execution. The same request, retried by Lambda,
 * finds its generation current and starts (that is, joins) the same execution. A deploy's run keeps what
 * each account held before it writes (`priors: 'keep'`, the older deploys' kept priors are forgotten); a
 * rollback's run puts that back from the generation it supersedes (`'restore'`).
 */
async function start(
  event: Request, store: Store, invocation: Invocation, functionArn: string,
  declaration: Omit<Generation, 'generation' | 'createdAt' | 'previous' | 'stack'>, respond: Responder | undefined, baselineId: string,
  resume?: RemovalProgress, priors?: 'keep' | 'restore',
): Promise<{ generation: string; executionArn: string }> {
  const before = await store.current();
  const retried = before?.requestId === event.RequestId;
  const generation = retried ? before!.generation : generationName(Date.now(), event.RequestId);
  const previous = retried ? (await store.generation(generation))?.previous : before?.removed ? undefined : before?.generation;
  const name = `${baselineId}-${generation}`;
  const arn = executionArn(invocation, name);
  const stack = { stackId: event.StackId, logicalId: event.LogicalResourceId };
  if (priors === 'keep' && !retried) await store.forgetPriors();
  const document: Generation = { ...declaration, generation, createdAt: Date.now(), previous, stack };
  await store.putGeneration(document);
  await store.setCurrent({ generation, executionArn: arn, requestId: event.RequestId });
  if (before && before.generation !== generation) await stopRuns(store, invocation, before, `superseded by generation ${generation}`);
  // The digest of what CloudFormation declared travels in the execution's state, out of the store writers' reach.
  await startWaiter(invocation, name, initialState({
    functionArn,
    executionArn: arn,
    store: store.bucketName,
    baselineId,
    generation,
    previous,
    resume,
    // The URL waits in the store: the execution's input and history are read more widely than the store.
    respond: respond && await keepResponseUrl(invocation, { Store: store.bucketName, BaselineId: baselineId }, respond),
    keepPriors: priors === 'keep',
    restoreFrom: priors === 'restore' ? previous : undefined,
    digest: digestOf(document),
    stack: { StackId: event.StackId, LogicalResourceId: event.LogicalResourceId },
  }));
  return { generation, executionArn: arn };
}

async function onDelete(
  event: Request & { RequestType: 'Delete' }, request: BaselineRequest, store: Store, invocation: Invocation, functionArn: string,
  rollingBack: boolean | undefined,
): Promise<Result | undefined> {
  const response = { PhysicalResourceId: event.PhysicalResourceId };
  const fields = { requestType: 'Delete', setting: 'organization baseline', accountId: invocation.ownAccount };
  // Replaced by a change of targets (its logical id lives on, with a new physical id): the same
  // BaselineId goes on, nothing to do. Renamed (another logical id has its physical id): a new
  // BaselineId goes on, this one's stored data goes.
  const declared: Answer<boolean> = isFailedCreateId(event.PhysicalResourceId)
    ? { known: true, value: false }
    : await stillDeclared(invocation, event);
  const renamed: Answer<string | undefined> = declared.known && declared.value
    ? await otherClaimant(invocation, event)
    : { known: true, value: undefined };
  if (declared.known && declared.value && renamed.known && !renamed.value && rollingBack) {
    return restorePrevious(event, request, store, invocation, functionArn);
  }
  if (!declared.known || !renamed.known || (declared.value && !renamed.value)) {
    const why = !declared.known ? declared.why : !renamed.known ? renamed.why : 'the baseline is still declared';
    log({ ...fields, outcome: `left as it is: ${why}` });
    return response;
  }
  if (renamed.value) {
    await removeStored(store, invocation);
    log({ ...fields, outcome: `renamed (now ${renamed.value}): settings left in place; this name's stored generations are deleted` });
    return response;
  }
  if (rollingBack && await restoreCreated(event, store, invocation, functionArn, request.baselineId)) return undefined;
  // Not when undoing a failed deploy (the contacts may have been there before), nor when that cannot be told.
  if (request.removeOnDelete && rollingBack === false && !isFailedCreateId(event.PhysicalResourceId)) {
    const types = new Set([...Object.keys(request.baseline.alternateContacts),
      ...Object.keys(request.baseline.overrides).flatMap(id => declaredTypes(id, request.baseline))]);
    if (types.size > 0) {
      const current = await store.current();
      if (current?.removalDone) {
        await removeStored(store, invocation);
        log({ ...fields, outcome: 'the removal of the alternate contacts that an earlier Delete started has finished' });
        return response;
      }
      // An earlier Delete's removal, answered FAILED because it was not done in time, goes on from where it got.
      const earlier = current && !current.removed && current.requestId !== event.RequestId ? await store.generation(current.generation) : undefined;
      const resume = earlier?.action === 'remove' ? await store.removal(earlier.generation) : undefined;
      const generation = await start(event, store, invocation, functionArn, {
        targets: request.targets,
        baseline: request.baseline,
        waitsFor: 'EVERYTHING',
        prune: false,
        coverNewAccounts: false,
        action: 'remove',
        ...(request.memberRole ? { memberRole: request.memberRole } : {}),
      }, responder(event, event.PhysicalResourceId), request.baselineId, resume);
      const resumed = resume ? ` (resuming generation ${earlier!.generation}'s removal after ${resume.Cursor ?? 'no account'}, of ${resume.total} accounts)` : '';
      log({ ...fields, outcome: `removing the alternate contacts: generation ${generation.generation}${resumed}` });
      return undefined;
    }
  }
  await removeStored(store, invocation);
  log({ ...fields, outcome: 'settings left in place; the stored generations are deleted' });
  return response;
}

/**
 * A rollback undoes an update that had replaced the resource (its physical id changed with what it
 * declares): CloudFormation goes back to the old resource without a request, and deletes the new one.
 * If the generation being deleted is the current one, the one it superseded is made current again, in
 * a new generation (not waited for), so that the accounts get the old values back.
 */
async function restorePrevious(
  event: Request & { RequestType: 'Delete' }, request: BaselineRequest, store: Store, invocation: Invocation, functionArn: string,
): Promise<Result> {
  const response = { PhysicalResourceId: event.PhysicalResourceId };
  const fields = { requestType: 'Delete', setting: 'organization baseline', accountId: invocation.ownAccount };
  const current = await store.current();
  const failed = current && !current.removed ? await store.generation(current.generation) : undefined;
  const previous = failed?.physicalResourceId === event.PhysicalResourceId && failed.previous ? await store.generation(failed.previous) : undefined;
  if (!previous) {
    log({ ...fields, outcome: 'left as it is: the rolled-back generation is not the current one' });
    return response;
  }
  const { generation: _generation, createdAt: _createdAt, previous: _previous, stack: _stack, ...declaration } = previous;
  const restored = await start(event, store, invocation, functionArn, { ...declaration, waitsFor: 'NOTHING' }, undefined, request.baselineId, undefined, 'restore');
  log({ ...fields, outcome: `rollback: generation ${previous.generation}'s values restored as generation ${restored.generation}` });
  return response;
}

/**
 * A rollback deletes a baseline that the failed deploy created: what its generation wrote is undone (from
 * the priors it kept) before the Delete is answered, since CloudFormation may then delete the function
 * and the store. True when such a restore was started.
 */
async function restoreCreated(
  event: Request & { RequestType: 'Delete' }, store: Store, invocation: Invocation, functionArn: string, baselineId: string,
): Promise<boolean> {
  const current = await store.current();
  const created = current && !current.removed ? await store.generation(current.generation) : undefined;
  const createdBy = (id: string) => created?.physicalResourceId === id || (isFailedCreateId(id) && id.endsWith(`/${current?.requestId}`));
  if (!created || !createdBy(event.PhysicalResourceId) || (await store.priorAccounts(created.generation)).size === 0) return false;
  const nothing = { alternateContacts: {}, enabledRegions: [], overrides: {} };
  const restore = await start(event, store, invocation, functionArn, {
    targets: created.targets,
    baseline: nothing,
    waitsFor: 'EVERYTHING',
    prune: false,
    coverNewAccounts: false,
    // The accounts are written back as the failed deploy wrote them: through their role, where it is.
    ...(created.memberRole ? { memberRole: created.memberRole } : {}),
    action: 'apply',
    physicalResourceId: event.PhysicalResourceId,
  }, responder(event, event.PhysicalResourceId), baselineId, undefined, 'restore');
  log({ requestType: 'Delete', setting: 'organization baseline', accountId: invocation.ownAccount, outcome: `rollback: undoing what generation ${created.generation} wrote, in generation ${restore.generation}` });
  return true;
}

/** Deletes what the store holds for the baseline, and stops its execution. */
async function removeStored(store: Store, invocation: Invocation): Promise<void> {
  const current = await store.current();
  if (current) await stopRuns(store, invocation, current, 'the baseline was removed');
  await store.removeAll();
}

/**
 * The stack's store: nothing to do on Create and Update; a Delete (the stack's deletion, after every
 * baseline's) empties it, so that CloudFormation can delete the bucket.
 */
export async function onStoreRequest(event: Request, invocation: Invocation): Promise<Result> {
  const { Store: bucket } = event.ResourceProperties as unknown as StoreCleanupProperties;
  if (event.RequestType === 'Delete') {
    await deleteUnder(invocation, bucket, 'baselines/');
    log({ requestType: 'Delete', setting: 'organization baseline store', outcome: 'emptied' });
  }
  return { PhysicalResourceId: `${invocation.ownAccount}/organization-baseline-store/${bucket}` };
}

/** Stops the executions of a generation's runs: the one that made it current, and its latest (scheduled, or continued as new). */
async function stopRuns(store: Store, invocation: Invocation, current: Current, why: string): Promise<void> {
  const latest = await store.latestRun(current.generation);
  for (const arn of new Set([current.executionArn, latest])) if (arn) await stopWaiter(invocation, arn, why);
}
