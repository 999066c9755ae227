/**
 * Resets in bounded pages (issue 14, item 2; docs/protocol.md, "Paged resets"): a reset was the whole
 * dashboard in one frame or answer, however large. Now its first page is a `reset` with `more`, and the
 * rest is the catch-up from that page's seq: `changes` frames and `caught-up` over the socket, pull pages
 * over HTTP. Every frame and answer stays near `FIELDBOARD_PAGE_BYTES`, the pages together are exactly
 * the dashboard, and a socket that drops mid-reset resumes whichever way its client kept the pages.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newWidgetId, type Change, type DashboardId, type ServerFrame, type Widget } from '../../protocol/index.ts';
import { DEFAULT_LIMITS } from '../../server/limits/config.ts';
import { api, firstDashboard, login, mutation, openSocket, startWorld, type TestSocket, type TestWorld } from './helpers.ts';

const PAGE_BYTES = 16 * 1024;
/** A page may pass its budget by at most one widget (a page holds at least one) and the frame's keys. */
const NOTE_CHARS = 3000;
const PAGE_CEILING = PAGE_BYTES + NOTE_CHARS + 1000;

let world: TestWorld;
let cookie: string;
let dashboardId: DashboardId;

beforeEach(async () => {
  world = await startWorld({ limits: { ...DEFAULT_LIMITS, pageBytes: PAGE_BYTES } });
  cookie = await login(world);
  dashboardId = await firstDashboard(world, cookie);
  const s = await openSocket(world, cookie);
  await s.hello();
  // 30 notes of 3,000 characters: about 100 KB, six or so pages.
  const notes = Array.from({ length: 30 }, (_, i) =>
    mutation(s.clientId, dashboardId, { name: 'widget.create', args: { widgetId: newWidgetId(), kind: 'note', title: `n${i}`, position: `b${i}`, text: 'x'.repeat(NOTE_CHARS) } }),
  );
  expect((await s.push(notes)).results.every((r) => r.status === 'applied')).toBe(true);
  s.close();
});
afterEach(async () => {
  await world.cleanup();
});

const byId = (ws: Iterable<Widget>) => [...ws].sort((a, b) => a.id.localeCompare(b.id));

/** Applies catch-up changes to a set of widgets as a replica does (a deletion removes). */
function apply(into: Map<string, Widget>, changes: readonly Change[]): void {
  for (const c of changes) {
    if (c.widget === null) into.delete(c.widgetId);
    else into.set(c.widgetId, c.widget);
  }
}

/** Every frame for the dashboard up to `caught-up` (or a reset without `more`), with its encoded size. */
async function collect(s: TestSocket): Promise<{ frame: ServerFrame; bytes: number }[]> {
  const frames = [];
  for (;;) {
    const frame = await s.nextOf(['reset', 'changes', 'caught-up'], (f) => 'dashboardId' in f && f.dashboardId === dashboardId);
    frames.push({ frame, bytes: JSON.stringify(frame).length });
    if (frame.type === 'caught-up' || (frame.type === 'reset' && !frame.more)) return frames;
  }
}

/** What the frames add up to: the reset's widgets, then every later page applied on top. */
function replay(frames: { frame: ServerFrame }[], start = new Map<string, Widget>()): { widgets: Map<string, Widget>; seq: number } {
  const widgets = new Map(start);
  let seq = 0;
  for (const { frame } of frames) {
    if (frame.type === 'reset') {
      widgets.clear();
      for (const w of frame.widgets) widgets.set(w.id, w);
      seq = frame.seq;
    } else if (frame.type === 'changes') apply(widgets, frame.changes);
    else if (frame.type === 'caught-up') seq = frame.seq;
  }
  return { widgets, seq };
}

describe('a reset over the socket', () => {
  it('comes in pages near the page budget: a reset with more, catch-up changes, caught-up, together exactly the dashboard', async () => {
    const s = await openSocket(world, cookie);
    await s.hello();
    s.send({ type: 'subscribe', dashboardId, cursor: 3, epoch: 'an-epoch-from-another-database' });
    const frames = await collect(s);
    expect(frames[0].frame).toMatchObject({ type: 'reset', more: true });
    expect(frames.at(-1)!.frame.type).toBe('caught-up');
    expect(frames.length).toBeGreaterThanOrEqual(5);
    for (const f of frames) expect(f.bytes).toBeLessThanOrEqual(PAGE_CEILING);
    const snap = await world.server.store.snapshot(dashboardId);
    const got = replay(frames);
    expect(byId(got.widgets.values())).toEqual(byId(snap.widgets));
    expect(got.seq).toBe(snap.seq);
  });

  it('after a drop mid-reset, resumes: again from the first page with the old cursor, or from the first page\'s seq', async () => {
    const first = await openSocket(world, cookie);
    await first.hello();
    first.send({ type: 'subscribe', dashboardId, cursor: 3, epoch: 'stale' });
    const page = await first.next('reset');
    expect(page.more).toBe(true);
    first.ws.terminate();
    await first.closed;
    const snap = await world.server.store.snapshot(dashboardId);

    // A client that staged the page without committing it (the service worker) subscribes as before.
    const again = await openSocket(world, cookie);
    await again.hello();
    again.send({ type: 'subscribe', dashboardId, cursor: 3, epoch: 'stale' });
    const full = await collect(again);
    expect(full[0].frame).toMatchObject({ type: 'reset', more: true });
    expect(byId(replay(full).widgets.values())).toEqual(byId(snap.widgets));

    // A client that kept the first page as its replica resumes from its seq: the catch-up is the rest.
    const kept = await openSocket(world, cookie);
    await kept.hello();
    kept.send({ type: 'subscribe', dashboardId, cursor: page.seq, epoch: page.epoch });
    const rest = await collect(kept);
    expect(rest.map((f) => f.frame.type)).not.toContain('reset');
    const fromPage = new Map(page.widgets.map((w) => [w.id, w] as const));
    expect(byId(replay(rest, fromPage).widgets.values())).toEqual(byId(snap.widgets));
  });

  it('is still one frame when the dashboard fits one page', async () => {
    const s = await openSocket(world, cookie);
    await s.hello();
    const other = await api(world, cookie, '/api/dashboards', { method: 'POST', body: { name: 'Small' } });
    const small = ((await other.json()) as { id: DashboardId }).id;
    s.send({ type: 'subscribe', dashboardId: small, cursor: 0, epoch: 'stale' });
    const reset = await s.next('reset');
    expect(reset.more).toBeUndefined();
    expect(reset.widgets).toEqual([]);
  });
});

describe('a reset over HTTP pull', () => {
  it('answers pages near the page budget; pulling on from the reset page\'s seq gives exactly the dashboard', async () => {
    const pull = async (cursor: number, epoch: string) => {
      const r = await api(world, cookie, `/api/pull?dashboardId=${dashboardId}&cursor=${cursor}&epoch=${epoch}&limit=1000`);
      const text = await r.text();
      expect(r.status).toBe(200);
      expect(text.length).toBeLessThanOrEqual(PAGE_CEILING);
      return JSON.parse(text) as { reset?: { epoch: string; seq: number; widgets: Widget[]; more?: true } } & { changes?: Change[]; seq?: number; more?: boolean };
    };
    const first = await pull(3, 'stale');
    expect(first.reset?.more).toBe(true);
    const widgets = new Map(first.reset!.widgets.map((w) => [w.id, w] as const));
    let cursor = first.reset!.seq;
    let pages = 1;
    for (;;) {
      const page = await pull(cursor, first.reset!.epoch);
      apply(widgets, page.changes!);
      cursor = page.seq!;
      pages++;
      if (!page.more) break;
    }
    expect(pages).toBeGreaterThanOrEqual(5);
    const snap = await world.server.store.snapshot(dashboardId);
    expect(byId(widgets.values())).toEqual(byId(snap.widgets));
    expect(cursor).toBe(snap.seq);
  });
});
