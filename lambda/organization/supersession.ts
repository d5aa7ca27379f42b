import type { ReconcileState } from './state';
import { isNewer, Store } from './store';
import { sleep, timeScale } from '../shared/pacing';

/** How often a step checks that its generation is still the baseline's. */
const SUPERSESSION_CHECK_MS = 2_000;

export interface Watch {
  readonly stillWanted: () => boolean;
  readonly beforeWrite: () => Promise<boolean>;
  stop(): void;
}

/**
 * Whether the generation is still the baseline's: read every few seconds, so that accounts stop being
 * started soon after a newer one, and again before every write (`beforeWrite`), so that no write of
 * this generation starts once it is superseded.
 */
export function watchSupersession(store: Store, state: ReconcileState): Watch {
  let wanted = true;
  let stopped = false;
  const check = async () => {
    if (wanted) wanted = !await superseded(store, state).catch(() => false);
    return wanted;
  };
  void (async () => {
    while (!stopped && wanted) {
      await sleep(SUPERSESSION_CHECK_MS / timeScale());
      if (!stopped) await check();
    }
  })();
  return { stillWanted: () => wanted, beforeWrite: check, stop: () => { stopped = true; } };
}

export async function superseded(store: Store, state: ReconcileState): Promise<boolean> {
  const current = await store.current();
  return !current || current.removed === true || (current.generation !== state.Generation && isNewer(current.generation, state.Generation));
}
