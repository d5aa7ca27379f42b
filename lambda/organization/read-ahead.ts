/*
 * The Region reads of a step, started ahead of the visits that act on them: the visits still go one
 * after the other, in order, but several reads are in flight at once at the pacer's rate, so that the
 * reads are bound by the rate rather than by each call's latency. A read started ahead of a visit that
 * asks for a transition is wasted if the service refuses it (the scan stops there): ahead of the scan,
 * the reads widen only while they find nothing to do (a converged re-run) and narrow to one at a time
 * as soon as one finds something to do. Ahead of the transitions in progress, every read is made anyway.
 */

/** A read's answer (or its error) and when it came. */
export interface Read<S> {
  readonly status?: S;
  readonly error?: unknown;
  readonly at: number;
}

/** The most reads in flight ahead of a visit: enough for the documented 5 per second at up to 800 ms of latency; more bunch up at the service. */
export const MAX_AHEAD = 4;

export class ReadAhead<K, S> {
  private readonly started = new Map<number, Promise<Read<S>> | undefined>();
  private stopped = false;

  /**
   * @param keys what is visited, in order
   * @param read makes one read; `wanted` says (before each attempt) whether it is still to be made
   * @param due whether a key is worth reading, asked when its read would start (not due: no read, and no visit)
   * @param window reads in flight from the start (MAX_AHEAD: every read will be used)
   */
  constructor(
    private readonly keys: readonly K[],
    private readonly read: (key: K, wanted: () => Promise<boolean>) => Promise<Read<S>>,
    private readonly due: (key: K) => boolean = () => true,
    private window = 1,
  ) {}

  /** The read of `keys[index]` (undefined when it was not due), after starting those of the next few keys. */
  public take(index: number): Promise<Read<S>> | undefined {
    for (let i = index; i < Math.min(this.keys.length, index + this.window); i++) {
      if (!this.started.has(i)) this.started.set(i, this.due(this.keys[i]) ? this.read(this.keys[i], async () => !this.stopped) : undefined);
    }
    const read = this.started.get(index);
    this.started.delete(index);
    return read;
  }

  /** The last read found nothing to do: more may be read ahead. */
  public widen(): void {
    this.window = Math.min(MAX_AHEAD, this.window * 2);
  }

  /** The last read found something to do: one at a time again. */
  public narrow(): void {
    this.window = 1;
  }

  /** Reads not taken are made no more (those still waiting for the pacer), and those under way are waited for. */
  public async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.started.values()]);
    this.started.clear();
  }
}
