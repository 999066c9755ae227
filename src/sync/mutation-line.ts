/**
 * The page's side of "a click survives a worker that stops before answering" (docs/service-worker.md).
 *
 * A mutation is the page's alone until the worker answers `queued`: a worker stopped by the browser, or
 * restarting, may never answer a `mutate` it was posted. So the line numbers the tab's mutations 1, 2, 3…,
 * keeps each until its answer arrives, and posts it again (same mutation, same number) when none came in
 * `RESEND_MS`. The worker takes each number once and refuses one posted ahead of a mutation the tab still
 * waits for (sw/tab-order.ts); on that refusal the line posts every waiting mutation again, in order, so a
 * lost click never lands behind the clicks that followed it.
 *
 * Invariants: every `send` settles with the worker's own answer (never with a timeout); a mutation is posted
 * again only with its first number; the waiting list is in number order.
 */
import type { Answer, MutateFrom, TabCommand } from '../../contract/index.ts';

type MutateCommand = Extract<TabCommand, { type: 'mutate' }>;
/** A mutate as the caller gives it: the line adds the numbering, the poster the request id. */
export type LineCommand = Omit<MutateCommand, 'requestId' | 'from'>;

export interface LineEnv {
  /** Posts one mutate; resolves with its reply, or rejects or never settles when the worker does not answer. */
  ask(cmd: Omit<MutateCommand, 'requestId'>): Promise<Answer<'mutate'>>;
  /** Runs `fn` after `ms`; answers a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

/** How long an answer may take before the mutation is posted again (a repeat is harmless: it is deduplicated). */
export const RESEND_MS = 3_000;

interface Waiting {
  cmd: LineCommand;
  resolve: (a: Answer<'mutate'>) => void;
}

export class MutationLine {
  private n = 0;
  /** Bumped by each `postAll`: a refusal of a post from an earlier round is already being answered. */
  private round = 0;
  private readonly waiting = new Map<number, Waiting>();
  /** One timer for the line, set by a post when none runs and again by every answer (progress): when it fires,
   * nothing was answered for `RESEND_MS`, and everything waiting goes again. */
  private cancelTimer: (() => void) | null = null;

  constructor(
    private readonly env: LineEnv,
    readonly tab: string = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`,
  ) {}

  /** Mutations posted and not yet answered. */
  get size(): number {
    return this.waiting.size;
  }

  /** Posts a mutation; settles with the worker's answer, however many posts that takes. */
  send(cmd: LineCommand): Promise<Answer<'mutate'>> {
    const n = ++this.n;
    return new Promise<Answer<'mutate'>>((resolve) => {
      this.waiting.set(n, { cmd, resolve });
      this.post(n);
    });
  }

  /** The tab goes away: nothing is posted again (what had no answer is the browser's to lose). */
  close(): void {
    this.cancelTimer?.();
    this.waiting.clear();
  }

  /** Quiet for `RESEND_MS` with something waiting: the worker lost it or stopped; post it all again. */
  private arm(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (this.waiting.size === 0) return;
    this.cancelTimer = this.env.after(RESEND_MS, () => {
      this.cancelTimer = null;
      this.postAll();
    });
  }

  private post(n: number): void {
    const w = this.waiting.get(n);
    if (!w) return;
    const from: MutateFrom = { tab: this.tab, n, waiting: [...this.waiting.keys()].filter((k) => k < n) };
    if (!this.cancelTimer) this.arm();
    const round = this.round;
    this.env.ask({ ...w.cmd, from }).then(
      (r) => this.answered(n, r, round),
      () => {}, // lost or timed out: the line's timer posts it again
    );
  }

  private answered(n: number, r: Answer<'mutate'>, round: number): void {
    const w = this.waiting.get(n);
    if (!w) return; // an earlier post's answer came first
    if (!r.ok && r.code === 'out-of-order') {
      if (round === this.round) this.postAll();
      return;
    }
    this.waiting.delete(n);
    this.arm();
    w.resolve(r);
  }

  /** Posts every waiting mutation again, in number order. */
  private postAll(): void {
    this.round++;
    for (const n of [...this.waiting.keys()].sort((a, b) => a - b)) this.post(n);
  }
}
