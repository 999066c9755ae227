/**
 * The bugs the simulation found, as explicit scripts (shrunk, then written out, so they keep their meaning
 * when the generator in schedule.ts changes). sim.test.ts runs them: a fixed bug's script must pass; an open
 * one's must still fail with its known.ts finding (when it stops failing, the bug is fixed: move it to
 * `fixed` and remove its known.ts entry).
 */
import type { CardModel } from './person.ts';
import type { Step } from './schedule.ts';

export interface Regression {
  name: string;
  seed: number;
  steps: Step[];
  /** known.ts id while the bug is open; null once fixed. */
  open: string | null;
  /** The conflict card model the script needs (person.ts `CardModel`). */
  card?: CardModel;
}

export const REGRESSIONS: Regression[] = [
  {
    // Fixed by 04b031c. B1 edits a counter's value on v1; its own add lands after A2's +10 and makes the
    // field's stamp its own, so the value edit (base v1) used to apply over A2's +10 without a conflict.
    name: "an own change re-stamping a field hides another client's write (last-writer-stamp)",
    seed: 25,
    steps: [
      { k: 'add', d: 'A2', pick: 0.918378131929785, delta: 10 },
      { k: 'cut', d: 'B1', silent: true },
      { k: 'add', d: 'B1', pick: 0.6192923898342997, delta: -1 },
      { k: 'edit', d: 'B1', what: 'value', pick: 0.607353012310341, pick2: 0.34768022410571575, think: 691, text: 'tank B124' },
    ],
    open: null,
  },
  {
    // Fixed by 4748305 (Keep mine goes out on the `seenVersion` the card sends). A1 and A2 type at the end of
    // one note at once: A2's edit parks in conflict. A2 reads the card for 1.3 s while A1 keeps typing; Keep
    // mine used to go out on the newest server state when the command arrived and replace A1's new words.
    // With a card that keeps what it showed (`frozen`), so the version sent is older than the replica's.
    name: 'keep mine is based on the server state when the command arrives (resolve-on-newer-server)',
    seed: 145,
    card: 'frozen',
    steps: [
      { k: 'type', d: 'A1', pick: 0.7151304152794182, gaps: [206, 943, 137, 172, 159, 86, 416, 553], where: 'end' },
      { k: 'type', d: 'A2', pick: 0.6070202840492129, gaps: [191, 79, 148, 220, 97, 219, 712], where: 'end' },
      { k: 'wait', ms: 2508 },
      { k: 'resolve', d: 'A2', pick: 0.3391637552995235, keep: 'mine', think: 1289 },
    ],
    open: null,
  },
  {
    // Fixed by 4748305. A graceful stop that refuses pushes for 18 s; A1 (Background Sync) used to push about
    // three times a second (31 pushes in 10 s).
    name: 'Background Sync resets the backoff against a refusing server (sync-resets-backoff)',
    seed: 1,
    steps: [
      { k: 'restart-server', stopping: 18_000, ms: 300 },
      { k: 'add', d: 'A1', pick: 0, delta: 1 },
      { k: 'wait', ms: 15_000 },
    ],
    open: null,
  },
  {
    // Fixed in the merge of the server limits (issue 14): catch-up stopped at its first page when a graceful
    // stop began, leaving A2's subscription half caught up and queueing live changes for ever.
    name: 'a catch-up begun during a graceful stop completes (catch-up-during-stop)',
    seed: 251,
    steps: [
      { k: 'stop-sw', d: 'A2', ms: 730 },
      { k: 'type', d: 'A1', pick: 0.034439640352502465, gaps: [100], where: 'start' },
      { k: 'restart-server', stopping: 3264, ms: 3200 },
      { k: 'wait', ms: 100 },
    ],
    open: null,
  },
];
