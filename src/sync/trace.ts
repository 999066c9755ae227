/**
 * The page's hops of the hop trace (contract/trace.ts; docs/testing.md, "The hop trace"): in the tab that
 * clicks, the click and the mutation made; in every tab, the first broadcast naming a mutation (its outbox
 * entry, or a replica change carrying it) and the frame painted after it.
 *
 * Off unless `localStorage['fieldboard:trace']` is '1' when the page loads; then the page also tells its
 * worker (`TRACE_CHANNEL`), now and whenever a worker starts and asks.
 */
import { parse } from '../../protocol/index.ts';
import type { SwBroadcast } from '../../contract/index.ts';
import { HOPS, MAX_MARKS, TRACE_CHANNEL, TRACE_STORAGE_KEY, TraceSignalSchema, trace, type TraceSignal } from '../../contract/trace.ts';

/** The last trusted click's timestamp (this page's timeline), taken by the next mutation made. */
let lastClick = NaN;
/** Mutations this tab has already seen in a broadcast: only the first sighting is the hop. */
const seen = new Set<string>();

/** Switches the trace on in this page, and in its worker, when the stored setting asks for it. */
export function startPageTrace(): void {
  let wanted = false;
  try {
    wanted = localStorage.getItem(TRACE_STORAGE_KEY) === '1';
  } catch {
    // Storage blocked: the trace stays off.
  }
  if (!wanted || typeof BroadcastChannel === 'undefined') return;
  trace.enable();
  addEventListener('click', (e) => void (e.isTrusted && (lastClick = e.timeStamp)), true);
  const channel = new BroadcastChannel(TRACE_CHANNEL);
  const on: TraceSignal = { type: 'on' };
  channel.onmessage = (e) => {
    const s = parse(TraceSignalSchema, e.data);
    if (s.ok && s.value.type === 'ask') channel.postMessage(on);
  };
  channel.postMessage(on);
}

/** A mutation was made in this tab: marks it, and the click that made it when there was one. */
export function traceMade(mutationId: string): void {
  if (!trace.enabled) return;
  if (!Number.isNaN(lastClick)) trace.mark(HOPS.click, mutationId, lastClick);
  lastClick = NaN;
  trace.mark(HOPS.made, mutationId);
}

/** A broadcast reached this tab: marks the mutations it names for the first time, and the next painted frame. */
export function traceBroadcast(b: SwBroadcast): void {
  if (!trace.enabled) return;
  const ids =
    b.type === 'outbox'
      ? b.upserted.map((e) => e.mutation.id)
      : b.type === 'replica'
        ? b.changes.flatMap((c) => (c.mutationId ? [c.mutationId] : []))
        : [];
  const fresh = ids.filter((id) => !seen.has(id));
  if (fresh.length === 0) return;
  if (seen.size > MAX_MARKS) seen.clear();
  for (const id of fresh) {
    seen.add(id);
    trace.mark(HOPS.tabHas, id);
  }
  // A requestAnimationFrame callback runs before that frame's rendering; a message posted from it runs after.
  requestAnimationFrame(() => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      for (const id of fresh) trace.mark(HOPS.painted, id);
      ch.port1.close();
    };
    ch.port2.postMessage(null);
  });
}
