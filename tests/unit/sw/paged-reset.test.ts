/**
 * Paged resets in the service worker (docs/protocol.md, "Paged resets"; sw/reset-stage.ts): a `reset` with
 * `more` is only the first page. The replica and its cursor stay as they were until `caught-up`, then the
 * whole reset commits at once; a socket that drops mid-reset subscribes again with the old cursor and
 * gets the reset from its first page. Over HTTP a paged reset is pulled to its end or not committed at all.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Change, Widget, WidgetId } from '../../../protocol/index.ts';
import type { SwBroadcast } from '../../../contract/index.ts';
import { readReplica } from '../../../contract/local-db/index.ts';
import { pullOverHttp, type FetchLike } from '../../../sw/http.ts';
import { ALICE, D1, WA, WB, counterWidget, makeEngine, noteWidget, type Harness } from './helpers.ts';

const WC = 'w_c' as WidgetId;
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

const waitFor = (check: () => unknown) => vi.waitFor(check, { timeout: 2_000, interval: 5 });
async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
}
const change = (seq: number, widgetId: WidgetId, widget: Widget | null, version = seq): Change => ({
  seq, dashboardId: D1, widgetId, version, widget, mutationId: null, clientId: null, userId: null, at: 1,
});
const byId = (ws: Widget[]) => [...ws].sort((a, b) => a.id.localeCompare(b.id));
const replicas = (bs: SwBroadcast[]) => bs.filter((b) => b.type === 'replica');

/** An engine whose replica of D1 is from another database (epoch `old`, cursor 40), watching D1. */
async function staleEngine(): Promise<Harness> {
  const h = makeEngine();
  harnesses.push(h);
  h.server.answerSubscribe = false;
  await h.signIn();
  await h.store.commit({ replica: [{ dashboardId: D1, kind: 'reset', epoch: 'old', seq: 40, widgets: [counterWidget(WB, 3)] }] });
  await h.cmd({ type: 'watch', dashboardIds: [D1] });
  await waitFor(() => expect(h.server.socket?.framesOf('subscribe')).toHaveLength(1));
  return h;
}

describe('a paged reset over the socket', () => {
  it('leaves the replica and its cursor alone until caught-up, then commits every page at once', async () => {
    const h = await staleEngine();
    expect(h.server.socket!.framesOf('subscribe')[0]).toMatchObject({ cursor: 40, epoch: 'old' });
    const before = h.broadcasts.length;
    const s = h.server.socket!;
    s.deliver({ type: 'reset', dashboardId: D1, epoch: 'e1', seq: 5, widgets: [counterWidget(WA, 1)], more: true });
    s.deliver({ type: 'changes', dashboardId: D1, changes: [change(7, WC, noteWidget(WC, 2, 'page two')), change(8, WA, counterWidget(WA, 2, 9))] });
    await turns();
    expect(await readReplica(await h.store.handle.get(), D1, ALICE.id)).toEqual([counterWidget(WB, 3)]);
    expect(await h.store.cursor(D1)).toEqual({ dashboardId: D1, cursor: 40, epoch: 'old' });
    expect(replicas(h.broadcasts.slice(before))).toEqual([]);
    expect(h.engine.connection.kind).toBe('open');

    s.deliver({ type: 'caught-up', dashboardId: D1, seq: 9 });
    await h.until('caught-up');
    expect(byId(await readReplica(await h.store.handle.get(), D1, ALICE.id))).toEqual([counterWidget(WA, 2, 9), noteWidget(WC, 2, 'page two')]);
    expect(await h.store.cursor(D1)).toEqual({ dashboardId: D1, cursor: 9, epoch: 'e1' });
    expect(replicas(h.broadcasts.slice(before))[0]).toMatchObject({ reset: true });
  });

  it('a deletion on a later page removes a widget of an earlier one', async () => {
    const h = await staleEngine();
    const s = h.server.socket!;
    s.deliver({ type: 'reset', dashboardId: D1, epoch: 'e1', seq: 5, widgets: [counterWidget(WA, 1), counterWidget(WC, 1)], more: true });
    s.deliver({ type: 'changes', dashboardId: D1, changes: [change(6, WC, null, 2)] });
    s.deliver({ type: 'caught-up', dashboardId: D1, seq: 6 });
    await h.until('caught-up');
    expect(await readReplica(await h.store.handle.get(), D1, ALICE.id)).toEqual([counterWidget(WA, 1)]);
  });

  it('a socket that drops mid-reset forgets the pages and subscribes again with the old cursor', async () => {
    const h = await staleEngine();
    h.server.socket!.deliver({ type: 'reset', dashboardId: D1, epoch: 'e1', seq: 5, widgets: [counterWidget(WA, 1)], more: true });
    await turns();
    h.server.socket!.serverClose(1006);
    await h.until('backoff');
    h.clock.advance(1_000);
    await waitFor(() => expect(h.server.sockets.length).toBeGreaterThan(1));
    await waitFor(() => expect(h.server.socket!.framesOf('subscribe')).toHaveLength(1));
    expect(h.server.socket!.framesOf('subscribe')[0]).toMatchObject({ cursor: 40, epoch: 'old' });
    // The first page of the dropped socket is not part of what the new socket's reset commits.
    h.server.socket!.deliver({ type: 'reset', dashboardId: D1, epoch: 'e1', seq: 6, widgets: [counterWidget(WC, 1)], more: true });
    h.server.socket!.deliver({ type: 'caught-up', dashboardId: D1, seq: 6 });
    await h.until('caught-up');
    expect(await readReplica(await h.store.handle.get(), D1, ALICE.id)).toEqual([counterWidget(WC, 1)]);
    expect(await h.store.cursor(D1)).toEqual({ dashboardId: D1, cursor: 6, epoch: 'e1' });
  });
});

describe('a paged reset over HTTP pull', () => {
  const pages = (...bodies: unknown[]) => {
    let i = 0;
    return vi.fn<FetchLike>(async () => (i < bodies.length ? Response.json(bodies[i++]) : new Response('gone', { status: 503 })));
  };

  it('is pulled to its last page even past maxPages, all of it for one commit', async () => {
    const f = pages(
      { reset: { epoch: 'e1', seq: 5, widgets: [counterWidget(WA, 1)], more: true } },
      { epoch: 'e1', changes: [change(6, WB, counterWidget(WB, 1))], seq: 6, more: true },
      { epoch: 'e1', changes: [change(7, WC, counterWidget(WC, 1))], seq: 7, more: true },
      { epoch: 'e1', changes: [], seq: 7, more: false },
    );
    const r = await pullOverHttp(f, D1, { cursor: 40, epoch: 'old' }, 2);
    expect(r.ok && r.value.map((u) => u.kind)).toEqual(['reset', 'changes', 'changes', 'changes']);
    expect(r.ok && r.value[0]).toEqual({ dashboardId: D1, kind: 'reset', epoch: 'e1', seq: 5, widgets: [counterWidget(WA, 1)] });
    expect(f).toHaveBeenCalledTimes(4);
  });

  it('that fails midway answers a failure: nothing of it is committed', async () => {
    const f = pages(
      { reset: { epoch: 'e1', seq: 5, widgets: [counterWidget(WA, 1)], more: true } },
      { epoch: 'e1', changes: [change(6, WB, counterWidget(WB, 1))], seq: 6, more: true },
    );
    expect(await pullOverHttp(f, D1, { cursor: 40, epoch: 'old' })).toMatchObject({ ok: false, error: 'HTTP 503 on pull' });
  });
});
