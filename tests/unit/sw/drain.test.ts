/**
 * The drain loop's timeline on a fake clock (sw/drain.ts): idle -> choosing -> sending -> settling, a drain
 * asked for while one runs joins it and makes it go round once more, a failed push leaves the loop idle
 * with a retry timer at the backoff, and the timer starts the next loop.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import type { Drain } from '../../../sw/drain.ts';
import { WA, WB, mk, trackedEngines, waitFor, type Harness } from './helpers.ts';

const engine = trackedEngines();
const kinds = (h: Harness) => h.engine.drainState.kind;

async function queue(h: Harness, widget = WA): Promise<string> {
  const r = await h.mutate((clientId) => mk.add(widget, 1, { clientId }));
  return (r.data as { entry: { mutation: { id: string } } }).entry.mutation.id;
}

describe('the drain loop', () => {
  it('goes idle -> sending (the batch named) -> idle, and a drain asked for while sending goes round once more', async () => {
    const h = engine();
    await h.signIn();
    await h.until('caught-up');
    await waitFor(() => expect(kinds(h)).toBe('idle'));
    h.server.holdPushes = true;
    const first = await queue(h);
    await waitFor(() => expect(h.engine.drainState).toMatchObject({ kind: 'sending', via: 'socket', batch: [first], again: false }));
    const second = await queue(h, WB); // appended while the first push is out: it waits, and asks for a drain
    expect(h.engine.drainState).toMatchObject({ kind: 'sending', batch: [first], again: true });
    const running = h.engine.drain(); // joins the loop that runs
    h.server.holdPushes = false;
    const push = h.server.socket!.framesOf('push')[0];
    h.server.socket!.deliver({ type: 'push-result', requestId: push.requestId, results: [{ id: first, status: 'applied', seq: 1, version: 2 }] });
    await running;
    await waitFor(() => expect(h.server.pushes.map((p) => p.ids)).toEqual([[first], [second]]));
    await waitFor(() => expect(kinds(h)).toBe('idle'));
  });

  it('a click with nothing else pending leaves after one outbox transaction: stored as sending, pushed at once', async () => {
    const h = engine();
    await h.signIn();
    await h.until('caught-up');
    await h.engine.drain(); // the drain's read gives the worker its copy of the (empty) outbox
    h.server.holdPushes = true;
    const setState = vi.spyOn(h.store, 'setState');
    const id = await queue(h);
    await waitFor(() => expect(h.engine.drainState).toMatchObject({ kind: 'sending', batch: [id] }));
    // Durable as `sending` before the push, by the append itself: no second write to mark it.
    expect(setState).not.toHaveBeenCalled();
    expect(await h.outbox()).toMatchObject([{ state: 'sending' }]);
    // With one in flight, the next click is queued and waits for the loop, in order.
    const second = await queue(h, WB);
    expect((await h.outbox()).map((e) => e.state)).toEqual(['sending', 'queued']);
    h.server.holdPushes = false;
    const push = h.server.socket!.framesOf('push')[0];
    h.server.socket!.deliver({ type: 'push-result', requestId: push.requestId, results: [{ id, status: 'applied', seq: 1, version: 2 }] });
    await waitFor(() => expect(h.server.pushes.map((p) => p.ids)).toEqual([[id], [second]]));
  });

  it('a taken entry that cannot go before the network drops waits as queued, not sending', async () => {
    const h = engine();
    await h.signIn();
    await h.until('caught-up');
    await h.engine.drain();
    const drainer = (h.engine as unknown as { drainer: Drain }).drainer;
    const take = drainer.take.bind(drainer);
    vi.spyOn(drainer, 'take').mockImplementationOnce(async (entry) => {
      // The browser goes offline between the append and the loop.
      await h.cmd({ type: 'network', online: false });
      await take(entry);
    });
    await queue(h);
    await waitFor(async () => expect(await h.outbox()).toMatchObject([{ state: 'queued' }]));
    expect(h.server.pushes).toEqual([]);
  });

  it('a failed push ends the loop idle with a retry at the backoff; the timer starts the next loop', async () => {
    const h = engine({ random: () => 0.5 });
    await h.signIn();
    await h.until('caught-up');
    h.server.holdPushes = true;
    const id = await queue(h);
    await waitFor(() => expect(kinds(h)).toBe('sending'));
    h.server.socket!.deliver({ type: 'error', requestId: h.server.socket!.framesOf('push')[0].requestId, code: 'unavailable', message: 'the store failed' });
    await waitFor(() => expect(kinds(h)).toBe('idle'));
    const [e] = await h.outbox();
    expect(e).toMatchObject({ state: 'failed', attempts: 1 });
    h.server.holdPushes = false;
    h.clock.advance(e.nextAttemptAt - h.clock.now - 1);
    await h.engine.drain(); // a loop now finds nothing due yet
    expect(h.server.pushes).toHaveLength(1);
    h.clock.advance(1);
    await waitFor(async () => expect(await h.outbox()).toEqual([]));
    expect(h.server.receivedIds()).toEqual([id, id]);
    // The outbox empties when the settle commits; the loop then broadcasts it before going idle.
    await waitFor(() => expect(kinds(h)).toBe('idle'));
  });
});
