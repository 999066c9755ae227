/**
 * The simulated world's one clock and event queue. Virtual time moves only from event to event; after each
 * event the process settles (determinism.ts), so everything an event set off (IndexedDB transactions, the
 * server's apply, broadcasts) is done before the next event fires. Events at the same instant fire in the
 * order they were scheduled.
 *
 * `cause` names what is running now (an event's label, or the step the script is executing): the ledger
 * files every outbox change under it, which is how a removal is told apart as a person's discard, a
 * coalesce or a server's answer.
 */
import { settle } from './determinism.ts';

interface Event {
  id: number;
  at: number;
  label: string;
  fn: () => void;
}

export const T0 = 1_000_000;

export class World {
  now = T0;
  cause = 'setup';
  readonly trace: string[] = [];
  private queue: Event[] = [];
  private n = 0;
  private readonly cancelled = new Set<number>();
  /** Set when the run must stop (a failure already found, or the event budget spent). */
  stopped: string | null = null;
  events = 0;

  constructor(
    readonly verbose: boolean,
    private readonly maxEvents = 200_000,
  ) {}

  log(line: string): void {
    if (this.verbose) this.trace.push(`${this.now - T0} ${line}`);
  }

  /** Schedules `fn` `ms` from now; answers an id for `cancel`. */
  after(ms: number, label: string, fn: () => void): number {
    const e: Event = { id: ++this.n, at: this.now + Math.max(0, Math.floor(ms)), label, fn };
    // Sorted insert from the back: most events go near the end.
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1].at > e.at) i--;
    this.queue.splice(i, 0, e);
    return e.id;
  }

  cancel(id: number): void {
    this.cancelled.add(id);
  }

  /** Runs every event due up to `now + ms`, settling after each, and leaves the clock there. */
  async run(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      const e = this.queue[0];
      if (!e || e.at > end) break;
      this.queue.shift();
      if (this.cancelled.delete(e.id)) continue;
      if (++this.events > this.maxEvents) {
        this.stopped ??= `event budget of ${this.maxEvents} spent (a livelock?)`;
        return;
      }
      this.now = e.at;
      this.cause = e.label;
      if (this.verbose && !e.label.endsWith('timer')) this.log(`· ${e.label}`);
      try {
        e.fn();
      } catch (err) {
        this.stopped ??= `event ${e.label} threw: ${(err as Error).stack ?? String(err)}`;
      }
      await settle();
    }
    this.now = end;
  }

  /** Runs `fn` as the current cause (a script step), then settles. */
  async step(label: string, fn: () => Promise<void> | void): Promise<void> {
    this.cause = label;
    this.log(label);
    await fn();
    await settle();
  }
}
