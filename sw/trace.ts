/**
 * The worker's hops of the hop trace (contract/trace.ts; docs/testing.md, "The hop trace"): a `mutate`
 * arrived, its outbox append committed, its push went to the socket; a `changes` frame holding it
 * arrived, and the replica commit holding it finished.
 *
 * Off until a page with tracing on says so over `TRACE_CHANNEL`; a worker asks once when it starts (it may
 * have been stopped and started again with empty memory since the pages said it). Each hook below is one
 * boolean test when off.
 */
import * as v from 'valibot';
import { parse, type Change, type ServerFrame } from '../protocol/index.ts';
import type { OutboxEntry } from '../contract/index.ts';
import { HOPS, TRACE_CHANNEL, TraceSignalSchema, trace, type TraceSignal } from '../contract/trace.ts';
import type { ReplicaUpdate } from './store.ts';

/** Only what the `swHas` mark needs; the entry's own listener validates the whole command after it. */
const MutateIdSchema = v.object({ type: v.literal('mutate'), mutation: v.object({ id: v.string() }) });

interface MessageScope {
  addEventListener(type: 'message', listener: (e: MessageEvent) => void): void;
}

/**
 * Listens for the pages' switch and asks for it, and marks each `mutate` as it arrives. Install it before
 * the entry's own message listener: listeners run in the order they were added.
 */
export function installWorkerTrace(scope: MessageScope): void {
  if (typeof BroadcastChannel === 'undefined') return;
  const channel = new BroadcastChannel(TRACE_CHANNEL);
  channel.onmessage = (e) => {
    const s = parse(TraceSignalSchema, e.data);
    if (s.ok && s.value.type === 'on') trace.enable();
  };
  channel.postMessage({ type: 'ask' } satisfies TraceSignal);
  scope.addEventListener('message', (e) => {
    if (!trace.enabled) return;
    const c = parse(MutateIdSchema, e.data);
    if (c.ok) trace.mark(HOPS.swHas, c.value.mutation.id);
  });
}

function changes(hop: typeof HOPS.received | typeof HOPS.replica, list: readonly Change[]): void {
  for (const c of list) if (c.mutationId) trace.mark(hop, c.mutationId);
}

/** The engine's hooks, one call each where the hop happens. */
export const swTrace = {
  /** The outbox append holding the mutation committed. */
  durable(mutationId: string): void {
    trace.mark(HOPS.durable, mutationId);
  },
  /** A push frame with these entries was handed to the socket. */
  wire(batch: readonly OutboxEntry[]): void {
    if (trace.enabled) for (const e of batch) trace.mark(HOPS.wire, e.mutation.id);
  },
  /** A frame arrived from the server (before it waits its turn behind earlier frames). */
  received(f: ServerFrame): void {
    if (trace.enabled && f.type === 'changes') changes(HOPS.received, f.changes);
  },
  /** Replica updates were committed to IndexedDB. */
  replica(updates: readonly ReplicaUpdate[]): void {
    if (trace.enabled) for (const u of updates) if (u.kind === 'changes') changes(HOPS.replica, u.changes);
  },
};
