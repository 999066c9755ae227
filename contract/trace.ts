/**
 * The hop trace (docs/testing.md, "The hop trace"): User Timing marks, one per hop of a change's path, in
 * the page and in the service worker, each carrying the mutation id in its `detail`. What page and worker
 * share: the hop names, the switch, and the one writer of marks.
 *
 * Off unless switched on (`localStorage['fieldboard:trace'] = '1'` in a page, which tells its worker over
 * `TRACE_CHANNEL`): a mark is one boolean test then. Marks stay in the realm's performance timeline until
 * a reader (the benchmark, tests/kit/trace.ts) takes and clears them; with no reader they are cleared
 * whenever they pass `MAX_MARKS`, so the timeline stays bounded.
 */
import * as v from 'valibot';

/** The marks, in the order a change meets them (the server's hops come from its log: server/trace.ts). */
export const HOPS = {
  /** Page: the trusted click that made the mutation (its event timestamp). */
  click: 'fb:click',
  /** Page: the mutation exists (validated, about to be posted to the worker). */
  made: 'fb:made',
  /** Worker: the `mutate` command arrived. */
  swHas: 'fb:sw-has',
  /** Worker: the outbox append committed (strict durability). */
  durable: 'fb:durable',
  /** Worker: the push frame holding it went to the socket. */
  wire: 'fb:wire',
  /** Worker: a `changes` frame holding it arrived from the server. */
  received: 'fb:sw-received',
  /** Worker: the replica commit holding it finished. */
  replica: 'fb:replica',
  /** Page: the first broadcast naming it (an outbox entry or a replica change) reached this tab. */
  tabHas: 'fb:tab-has',
  /** Page: the frame after that broadcast was painted. */
  painted: 'fb:painted',
} as const;
export type Hop = (typeof HOPS)[keyof typeof HOPS];

export const TRACE_STORAGE_KEY = 'fieldboard:trace';
/** Pages with tracing on say `on`; a worker that starts asks (`ask`), since it may have missed the `on`. */
export const TRACE_CHANNEL = 'fieldboard-trace';
export const TraceSignalSchema = v.object({ type: v.picklist(['ask', 'on']) });
export type TraceSignal = v.InferOutput<typeof TraceSignalSchema>;

/** Above this many marks in the timeline, nobody is reading them: they are cleared. */
export const MAX_MARKS = 10_000;

export interface TraceDetail {
  m: string;
}

class TraceMarks {
  private on = false;
  private made = 0;

  get enabled(): boolean {
    return this.on;
  }

  enable(): void {
    this.on = true;
  }

  /** Marks `hop` for mutation `m`, now or at `startTime` (this realm's performance.now() timeline). */
  mark(hop: Hop, m: string, startTime?: number): void {
    if (!this.on) return;
    if (++this.made % 1_000 === 0 && performance.getEntriesByType('mark').length > MAX_MARKS) {
      for (const name of Object.values(HOPS)) performance.clearMarks(name);
    }
    const detail: TraceDetail = { m };
    performance.mark(hop, startTime === undefined ? { detail } : { detail, startTime });
  }
}

/** One per realm (the page's bundle and the worker's each have their own). */
export const trace = new TraceMarks();
