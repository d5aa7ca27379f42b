import { createHash } from 'crypto';
import type { Prior } from './accounts';
import type { ReconcileState } from './state';
import { BaselineDocument, DeployWaitsForName, FailDeployOnName, STORE_EXPIRY, STORE_EXPIRY_TAG, TargetSpec } from '../../src/contract';
import type { Invocation } from '../shared/clients';
import { errorName } from '../shared/errors';
import { backoffDelay, sleep } from '../shared/pacing';
import { deleteObject, deleteObjects, getObject, listObjects, putObject, PutOptions, S3CallOptions } from '../shared/s3';

/*
 * Where an organization baseline's generations are kept: an S3 bucket of the stack (encrypted at rest),
 * under baselines/<BaselineId>/, called through lambda/shared/s3.ts. The reconciler's executions, the rules
 * and the logs carry a baseline's id and generation, never its values: a step reads them from here.
 *
 *   current.json                 which generation is the baseline's now (or that it was removed)
 *   generations/<g>.json          what generation g declares (the values), its targets and options
 *   generations/<g>/latest.json   the execution of g's latest run (a scheduled one, or one continued as new)
 *   generations/<g>/removal.json  how far removal generation g got (a Delete that comes again resumes from it)
 *   writing/<g>/<execution>@<t>   a step of generation g may write until t (epoch ms): deleted when it ends
 *   runs/<execution>/run.json     the accounts a run resolved its targets to, and what was applied before it
 *   applied.json                  what may have been written: by the last converged generation, and by
 *                                 every run started since (for pruneUndeclared); written only over the
 *                                 version read (conditional writes), as runs write it at once
 *   priors/<g>/<account>.json     what the account held before a deploy's generation g wrote to it (values:
 *                                 encrypted, as the generations), for g's rollback to restore
 */

/** What a generation declares. */
export interface Generation {
  readonly generation: string;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly targets: TargetSpec;
  readonly baseline: BaselineDocument;
  readonly waitsFor: DeployWaitsForName;
  /** Which failed accounts fail the deploy; absent in generations of earlier versions: any. */
  readonly failDeployOn?: FailDeployOnName;
  readonly prune: boolean;
  /** Whether accounts that join its targets get it. */
  readonly coverNewAccounts: boolean;
  /** Whether hand changes of what it declares are undone (absent in generations of earlier versions: no). */
  readonly restoreHandChanges?: boolean;
  /** The member footprint's role (the same name in every targeted account): members are called as themselves through it; absent: none. */
  readonly memberRole?: string;
  /** 'remove': the baseline was removed with removeAlternateContactsOnDelete; its contacts are deleted. */
  readonly action: 'apply' | 'remove';
  /** The custom resource's physical id when this generation was made. */
  readonly physicalResourceId?: string;
  /** The baseline's stack and logical id: a delete first asks what the stack's other resources declare. */
  readonly stack?: { readonly stackId: string; readonly logicalId: string };
  /** The generation this one superseded. */
  readonly previous?: string;
}

/** Which generation is the baseline's now. */
export interface Current {
  readonly generation: string;
  readonly executionArn?: string;
  /** The CloudFormation request that made it (a retried request joins its generation). */
  readonly requestId?: string;
  /** The baseline was removed from its stack: no execution may write for it any more. */
  readonly removed?: boolean;
  /** With `removed`: a removal generation finished after its Delete had been answered (so deleting again succeeds at once). */
  readonly removalDone?: boolean;
}

/** How far a removal generation got, saved at each step: a Delete that comes again resumes from it. */
export interface RemovalProgress extends Pick<ReconcileState, 'Run' | 'Cursor' | 'Unfinished' | 'Counts' | 'Failures' | 'Skipped' | 'Rates'> {
  /** The accounts of the run. */
  readonly total: number;
}

/** What a converged generation applied: the accounts and the contact types, for the next one to prune. */
export interface Applied {
  readonly generation: string;
  readonly accounts: string[];
  /** Contact types declared for every account (the baseline's)… */
  readonly types: string[];
  /** …and for the overridden accounts, their own. */
  readonly overrideTypes: Record<string, string[]>;
}

/** What a run of a generation works from, fixed when it starts. */
export interface Run {
  /** The accounts its targets resolved to. */
  readonly accounts: string[];
  /** What may have been written before it: the accounts and types it prunes. */
  readonly before?: Applied;
}

/**
 * A generation's name: the time it was made (so that names sort by age) and the request that made it
 * (so that the same request, retried, names the same generation).
 */
export function generationName(at: number, requestId: string): string {
  return `${at.toString(36).padStart(9, '0')}-${requestId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8)}`;
}

/**
 * What a generation declares, as a digest: the request that stores it keeps it where no writer of the
 * store can change it (the execution's state), and a step uses a generation only if its digest matches.
 * Not the time it was stored (a retried request stores its generation again).
 */
export function digestOf(generation: Generation): string {
  const { createdAt: _createdAt, ...declared } = generation;
  return createHash('sha256').update(canonical(declared)).digest('hex');
}

/** JSON with every object's keys in order, without undefined members (as a stored document reads back). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(v => canonical(v ?? null)).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

/** Generations are ordered by name. */
export function isNewer(generation: string, than: string): boolean {
  return generation > than;
}

/**
 * What S3 answers a conditional write that another write overtook: the ETag read is gone (412), a
 * concurrent conditional write of the key (409), or the key was deleted since it was read (404).
 */
const WRITE_CONFLICTS = ['PreconditionFailed', 'ConditionalRequestConflict', 'NoSuchKey'];

/** How the store's calls are retried: as the invocation's S3 client did, paced by the environment's rate limiter of S3. */
function retried(invocation: Invocation): S3CallOptions {
  return { retryStrategy: invocation.config('s3').retryStrategy };
}

/** Stored documents are read once per execution environment (they never change once written). */
const cache = new Map<string, unknown>();


/** The ids of the baselines a store holds. */
export async function baselinesIn(invocation: Invocation, bucket: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of listObjects(invocation, bucket, 'baselines/', { ...retried(invocation), delimiter: '/' })) {
    for (const prefix of page.prefixes) {
      const id = prefix.split('/')[1];
      if (id) ids.push(id);
    }
  }
  return ids;
}

/** Deletes everything under `prefix` in the bucket. */
export async function deleteUnder(invocation: Invocation, bucket: string, prefix: string): Promise<void> {
  const keys: string[] = [];
  for await (const page of listObjects(invocation, bucket, prefix, retried(invocation))) keys.push(...page.keys);
  await deleteObjects(invocation, bucket, keys, retried(invocation));
}

export class Store {
  constructor(private readonly invocation: Invocation, public readonly bucketName: string, private readonly baselineId: string) {}

  public async current(): Promise<Current | undefined> {
    return this.get<Current>('current.json', false);
  }

  public async setCurrent(current: Current): Promise<void> {
    await this.put('current.json', current);
  }

  public async generation(generation: string): Promise<Generation | undefined> {
    return this.get<Generation>(`generations/${generation}.json`, true);
  }

  public async putGeneration(document: Generation): Promise<void> {
    await this.put(`generations/${document.generation}.json`, document);
  }

  /** The execution of the generation's latest run, if it is not the one that made it current. */
  public async latestRun(generation: string): Promise<string | undefined> {
    return (await this.get<{ executionArn: string }>(`generations/${generation}/latest.json`, false))?.executionArn;
  }

  public async putLatestRun(generation: string, executionArn: string): Promise<void> {
    await this.put(`generations/${generation}/latest.json`, { executionArn });
  }

  public async removal(generation: string): Promise<RemovalProgress | undefined> {
    return this.get<RemovalProgress>(`generations/${generation}/removal.json`, false);
  }

  public async putRemoval(generation: string, progress: RemovalProgress): Promise<void> {
    await this.put(`generations/${generation}/removal.json`, progress);
  }

  /** What a run (named after its first execution) resolved when it started. */
  public async run(name: string): Promise<Run | undefined> {
    return this.get<Run>(`runs/${name}/run.json`, true);
  }

  public async putRun(name: string, run: Run): Promise<void> {
    await this.put(`runs/${name}/run.json`, run);
  }

  /**
   * A step says that it may write until `until` (a lease, that lapses if the step's function dies), before
   * it looks whether its generation is still the baseline's; it calls the function returned when it ends.
   */
  public async writing(generation: string, execution: string, until: number): Promise<() => Promise<void>> {
    const key = `writing/${generation}/${execution}@${until}`;
    await this.put(key, { until });
    return async () => {
      await deleteObject(this.invocation, this.bucketName, this.prefix(key), retried(this.invocation));
    };
  }

  /** Whether a step of another generation may still write (its lease is there and has not lapsed). */
  public async othersWriting(generation: string): Promise<boolean> {
    const prefix = this.prefix('writing/');
    for await (const { keys } of listObjects(this.invocation, this.bucketName, prefix, retried(this.invocation))) {
      for (const key of keys) {
        const [writer, lease] = key.slice(prefix.length).split('/');
        if (writer !== generation && Number(lease.split('@').pop()) > Date.now()) return true;
      }
    }
    return false;
  }

  public async applied(): Promise<Applied | undefined> {
    return (await this.appliedAsRead()).applied;
  }

  /**
   * Changes the record: `change` gets it as it is and returns what it becomes (undefined: left as it is).
   * Written only over what was read (If-Match its ETag; If-None-Match: * where there was none), and read
   * and changed again when another run wrote meanwhile, so that no run's accounts are lost.
   */
  public async updateApplied(change: (now: Applied | undefined) => Applied | undefined): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const { applied, etag } = await this.appliedAsRead();
      const next = change(applied);
      if (!next) return;
      try {
        await this.put('applied.json', next, etag ? { ifMatch: etag } : { ifNoneMatch: '*' });
        return;
      } catch (error) {
        const delay = backoffDelay(attempt);
        if (!WRITE_CONFLICTS.includes(errorName(error) ?? '') || Date.now() + delay >= this.invocation.deadline) throw error;
        await sleep(delay);
      }
    }
  }

  private async appliedAsRead(): Promise<{ applied?: Applied; etag?: string }> {
    const object = await getObject(this.invocation, this.bucketName, this.prefix('applied.json'), retried(this.invocation));
    return object ? { applied: JSON.parse(object.body) as Applied, etag: object.etag } : {};
  }

  /**
   * Keeps what an account held before `generation` wrote to it, for that generation's rollback: what was
   * kept first stays (an account done again after throttling may already hold some of the new values).
   */
  public async keepPrior(generation: string, accountId: string, prior: Prior): Promise<void> {
    const key = `priors/${generation}/${accountId}.json`;
    const kept = await this.get<Prior>(key, false);
    await this.put(key, kept ? { ...prior, ...kept, contacts: { ...prior.contacts, ...kept.contacts } } : prior);
  }

  /** The accounts whose priors `generation` kept. */
  public async priorAccounts(generation: string): Promise<Set<string>> {
    const prefix = this.prefix(`priors/${generation}/`);
    const accounts = new Set<string>();
    for await (const { keys } of listObjects(this.invocation, this.bucketName, prefix, retried(this.invocation))) {
      for (const key of keys) accounts.add(key.slice(prefix.length).replace(/\.json$/, ''));
    }
    return accounts;
  }

  /** What the account held before `generation` wrote to it. */
  public async prior(generation: string, accountId: string): Promise<Prior | undefined> {
    return this.get<Prior>(`priors/${generation}/${accountId}.json`, false);
  }

  /** Deletes the kept priors: of every generation but `except` (a newer deploy no longer rolls back to them). */
  public async forgetPriors(except?: string): Promise<void> {
    const prefix = this.prefix('priors/');
    const generations = new Set<string>();
    for await (const page of listObjects(this.invocation, this.bucketName, prefix, { ...retried(this.invocation), delimiter: '/' })) {
      for (const common of page.prefixes) generations.add(common.slice(prefix.length).replace(/\/$/, ''));
    }
    for (const generation of generations) {
      if (generation !== except) await deleteUnder(this.invocation, this.bucketName, this.prefix(`priors/${generation}/`));
    }
  }

  /** Deletes everything stored for the baseline. */
  public async removeAll(): Promise<void> {
    await deleteUnder(this.invocation, this.bucketName, this.prefix(''));
  }

  private prefix(key: string): string {
    return `baselines/${this.baselineId}/${key}`;
  }

  private async get<T>(key: string, immutable: boolean): Promise<T | undefined> {
    const fullKey = `${this.bucketName}/${this.prefix(key)}`;
    if (immutable && cache.has(fullKey)) return cache.get(fullKey) as T;
    const object = await getObject(this.invocation, this.bucketName, this.prefix(key), retried(this.invocation));
    if (!object) return undefined;
    const value = JSON.parse(object.body) as T;
    if (immutable) cache.set(fullKey, value);
    return value;
  }

  private async put(key: string, value: unknown, conditions: Pick<PutOptions, 'ifMatch' | 'ifNoneMatch'> = {}): Promise<void> {
    const expiry = Object.entries(STORE_EXPIRY).find(([, { prefix }]) => key.startsWith(prefix))?.[0];
    await putObject(this.invocation, this.bucketName, this.prefix(key), JSON.stringify(value), {
      contentType: 'application/json',
      // Encrypted as the bucket says (SSE-S3, or the stack's KMS key); tagged if the store's lifecycle rules expire it.
      tagging: expiry ? `${STORE_EXPIRY_TAG}=${expiry}` : undefined,
      ...conditions,
      ...retried(this.invocation),
    });
  }
}
