/**
 * The simulation's sources of order and chance, all pinned to a seed:
 * - `Rng` (tests/chaos/prng.ts, shared with the chaos run): a seeded PRNG (mulberry32); every decision of a
 *   run draws from one (or from a child of one).
 * - `pinRandomness`: `crypto.getRandomValues` and `Date.now` (the ULIDs the engine makes when it resolves a
 *   conflict: `newItemId`/`newWidgetId` stamp them with the real time) answer from a seeded PRNG and the
 *   world's clock for the length of a run.
 * - `settle()`: waits until the process has nothing left to do but the world's virtual events. Everything
 *   the engine, fake-indexeddb and the server do between two virtual events is microtasks, `nextTick` and
 *   `setImmediate` (fake-indexeddb schedules each request with `setImmediate`); counting the immediates
 *   queued and not yet run tells when that work is done. Node runs them FIFO, so the same inputs give
 *   the same interleaving: a seed replays exactly.
 */

import { Rng } from '../chaos/prng.ts';

export { Rng };

// ---- Immediates -------------------------------------------------------------------------------------------

const realSetImmediate = globalThis.setImmediate;
const realClearImmediate = globalThis.clearImmediate;
let pending = 0;
let installed = 0;
const live = new Set<NodeJS.Immediate>();

function countingSetImmediate<A extends unknown[]>(fn: (...args: A) => void, ...args: A): NodeJS.Immediate {
  pending++;
  const handle: NodeJS.Immediate = realSetImmediate(() => {
    if (live.delete(handle)) pending--;
    fn(...args);
  });
  live.add(handle);
  return handle;
}

function countingClearImmediate(handle: NodeJS.Immediate | undefined): void {
  if (handle && live.delete(handle)) pending--;
  realClearImmediate(handle);
}

/** Waits until no microtask, nextTick or immediate is left (only the world's virtual events remain). */
export async function settle(): Promise<void> {
  for (let rounds = 0; ; rounds++) {
    const idle = await new Promise<boolean>((resolve) => realSetImmediate(() => resolve(pending === 0)));
    if (idle) return;
    if (rounds > 1_000_000) throw new Error('settle: the process never went idle');
  }
}

/**
 * For one run: count immediates, and make `crypto.getRandomValues` seeded. Answers the undo. Runs do not
 * overlap in a process (they share these globals).
 */
export function pinRandomness(rng: Rng, now: () => number): () => void {
  const realNow = Date.now;
  Date.now = now;
  if (installed++ === 0) {
    globalThis.setImmediate = countingSetImmediate as unknown as typeof setImmediate;
    globalThis.clearImmediate = countingClearImmediate as typeof clearImmediate;
  }
  const c = globalThis.crypto;
  Object.defineProperty(c, 'getRandomValues', {
    configurable: true,
    writable: true,
    value: <T extends ArrayBufferView | null>(array: T): T => {
      if (array) {
        const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
        for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
      }
      return array;
    },
  });
  return () => {
    Date.now = realNow;
    delete (c as unknown as Record<string, unknown>).getRandomValues;
    if (--installed === 0) {
      globalThis.setImmediate = realSetImmediate;
      globalThis.clearImmediate = realClearImmediate;
    }
  };
}
