/**
 * The service worker entry (sw/sw.ts) as the browser drives it: the module is evaluated against a fake
 * ServiceWorkerGlobalScope, and its `message`, `sync` and `periodicsync` listeners get events. A page
 * message that fails TabCommandSchema gets a clear error reply (when it carries a request id) and changes
 * nothing; valid commands reach the engine.
 */
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse, type ClientId } from '../../../protocol/index.ts';
import { ReplySchema, StateReplyDataSchema } from '../../../contract/index.ts';
import { DbHandle, readIdentity, readOutbox } from '../../../contract/local-db/index.ts';
import { ALICE, WA, mk, type AnyReply as Reply } from './helpers.ts';

vi.mock('workbox-precaching', () => ({
  precacheAndRoute: vi.fn(),
  cleanupOutdatedCaches: vi.fn(),
  createHandlerBoundToURL: vi.fn(() => () => new Response('index')),
}));
vi.mock('workbox-routing', () => ({ NavigationRoute: class {}, registerRoute: vi.fn() }));

type Listener = (event: unknown) => void;
const listeners = new Map<string, Listener>();
const broadcasts: unknown[] = [];
const sockets: string[] = [];

const fakeSelf = {
  __WB_MANIFEST: [],
  location: { origin: 'http://fieldboard.test' },
  navigator: { onLine: true },
  clients: { claim: vi.fn(async () => {}), matchAll: vi.fn(async () => []) },
  registration: { sync: { register: vi.fn(async () => {}) } },
  skipWaiting: vi.fn(async () => {}),
  addEventListener: (type: string, fn: Listener) => listeners.set(type, fn),
};

class FakeBroadcastChannel {
  constructor(readonly name: string) {}
  postMessage(m: unknown) {
    broadcasts.push(m);
  }
  close() {}
}

/** Never connects: these tests are about messages, not the socket. */
class SilentWebSocket {
  onopen = null;
  onmessage = null;
  onclose = null;
  onerror = null;
  constructor(url: URL) {
    sockets.push(String(url));
  }
  send() {}
  close() {}
}

/** A message event from a page: records waitUntil and the replies posted back to its source. */
function messageEvent(data: unknown) {
  const replies: Reply[] = [];
  const waits: Promise<unknown>[] = [];
  const event = {
    data,
    source: { postMessage: (m: Reply) => replies.push(m) },
    waitUntil: (p: Promise<unknown>) => waits.push(p),
  };
  return { event, replies, waits, done: () => Promise.all(waits) };
}

async function send(data: unknown) {
  const m = messageEvent(data);
  listeners.get('message')!(m.event);
  await m.done();
  return m;
}

const db = new DbHandle('fieldboard');
const outbox = async () => (await readOutbox(await db.get(), ALICE.id)).entries;

const info = vi.spyOn(console, 'info').mockImplementation(() => {});

beforeAll(async () => {
  vi.stubGlobal('self', fakeSelf);
  vi.stubGlobal('BroadcastChannel', FakeBroadcastChannel);
  vi.stubGlobal('WebSocket', SilentWebSocket);
  vi.stubGlobal('fetch', vi.fn(async () => Response.json({ user: ALICE })));
  // A variable specifier: the root tsconfig must not type-check sw.ts (it needs the WebWorker lib).
  const entry = '../../../sw/sw.ts';
  await import(/* @vite-ignore */ entry);
});

afterAll(async () => {
  await send({ type: 'sign-out', requestId: 'q-end', discard: true }); // stops the connection's timers
  await db.close();
  vi.unstubAllGlobals();
  info.mockRestore();
});

beforeEach(() => {
  broadcasts.length = 0;
  info.mockClear();
});

describe('the entry registers what the browser calls', () => {
  it('listens for activate, message, sync and periodicsync', () => {
    expect([...listeners.keys()].sort()).toEqual(['activate', 'message', 'periodicsync', 'sync']);
  });
});

describe('invalid page messages', () => {
  it.each([
    ['an unknown type', { type: 'teleport', requestId: 'q1' }, /^bad command: type: /],
    ['a mutate with a broken mutation', { type: 'mutate', requestId: 'q2', mutation: { ...mk.add(WA, 1), id: 'not-an-id' } }, /^bad command: mutation\.id: must look like m_/],
    ['a mutate with a non-finite delta', { type: 'mutate', requestId: 'q3', mutation: { ...mk.add(WA, 1), args: { widgetId: WA, delta: 'many' } } }, /^bad command: mutation\.args\.delta: /],
    ['an identity that is not a user', { type: 'identity', requestId: 'q4', user: { id: 'alice' } }, /^bad command: user\.id: /],
    ['an unknown policy', { type: 'set-policy', requestId: 'q5', policy: 'loudest-wins' }, /^bad command: policy: /],
    ['a resolve without a resolution', { type: 'resolve', requestId: 'q6', dashboardId: 'd_1', widgetId: WA }, /^bad command: resolution: /],
    ['a command missing a field', { type: 'sign-out', requestId: 'q7' }, /^bad command: discard: /],
  ])('%s gets one error reply naming the problem, and changes nothing', async (_what, data, error) => {
    const m = await send(data);
    expect(m.replies).toHaveLength(1);
    const reply = m.replies[0];
    expect(parse(ReplySchema, reply).ok).toBe(true);
    expect(reply).toMatchObject({ type: 'reply', requestId: (data as { requestId: string }).requestId, ok: false });
    expect(reply.error).toMatch(error);
    expect(m.waits).toEqual([]); // never reached the engine
    expect(broadcasts).toEqual([]);
    expect(await outbox()).toEqual([]);
    expect(fakeSelf.skipWaiting).not.toHaveBeenCalled();
  });

  it.each([
    ['null', null],
    ['a string', 'hello'],
    ['a number', 42],
    ['an object without type', { hello: 'sw' }],
    ['a non-string request id', { type: 'get-state', requestId: 7 }],
    ['a bigint request id on an unknown type', { type: 'x', requestId: 5n }],
  ])('%s without a usable request id is dropped without a reply', async (_what, data) => {
    const m = await send(data);
    expect(m.replies).toEqual([]);
    expect(m.waits).toEqual([]);
    expect(broadcasts).toEqual([]);
    expect(info).toHaveBeenCalledWith('[fieldboard sw] refused a message', expect.any(String)); // logged, at least
  });
});

describe('valid page messages', () => {
  it('get-state is answered with the engine state', async () => {
    const m = await send({ type: 'get-state', requestId: 'q-state' });
    expect(m.waits).toHaveLength(1); // the message keeps the worker alive until answered
    expect(m.replies).toHaveLength(1);
    expect(m.replies[0]).toMatchObject({ type: 'reply', requestId: 'q-state', ok: true });
    const data = parse(StateReplyDataSchema, m.replies[0].data);
    expect(data.ok).toBe(true);
  });

  it('get-state claims the pages again (one loaded while the first worker installed); a keepalive does not', async () => {
    fakeSelf.clients.claim.mockClear();
    await send({ type: 'keepalive' });
    expect(fakeSelf.clients.claim).not.toHaveBeenCalled();
    await send({ type: 'get-state', requestId: 'q-claim' });
    expect(fakeSelf.clients.claim).toHaveBeenCalledTimes(1);
  });

  it('keepalive is accepted without a reply', async () => {
    const m = await send({ type: 'keepalive' });
    expect(m.waits).toHaveLength(1);
    expect(m.replies).toEqual([]);
  });

  it('identity and mutate reach the engine and IndexedDB; a broken mutate afterwards still changes nothing', async () => {
    const id = await send({ type: 'identity', requestId: 'q-id', user: ALICE });
    expect(id.replies[0]).toMatchObject({ ok: true });
    expect(await readIdentity(await db.get())).toEqual(ALICE);
    expect(sockets).toEqual(['ws://fieldboard.test/api/ws']); // a tab is there: the worker connects

    const clientId = (id.replies[0].data as { clientId: ClientId }).clientId;
    const good = mk.add(WA, 1, { clientId });
    const ok = await send({ type: 'mutate', requestId: 'q-m1', mutation: good });
    expect(ok.replies[0]).toMatchObject({ requestId: 'q-m1', ok: true });
    expect((await outbox()).map((e) => e.mutation.id)).toEqual([good.id]);

    broadcasts.length = 0;
    const bad = await send({ type: 'mutate', requestId: 'q-m2', mutation: { ...mk.add(WA, 1, { clientId }), name: 'counter.multiply' } });
    expect(bad.replies[0]).toMatchObject({ requestId: 'q-m2', ok: false, error: expect.stringMatching(/^bad command: mutation\.name: /) });
    expect((await outbox()).map((e) => e.mutation.id)).toEqual([good.id]);
    expect(broadcasts).toEqual([]);
  });

  it('SKIP_WAITING (the person accepted the update) activates the waiting worker', async () => {
    const m = await send({ type: 'SKIP_WAITING' });
    expect(fakeSelf.skipWaiting).toHaveBeenCalledTimes(1);
    expect(m.replies).toEqual([]);
  });
});

describe('background events', () => {
  const syncEvent = (type: string, tag: string) => {
    const waits: Promise<unknown>[] = [];
    listeners.get(type)!({ tag, waitUntil: (p: Promise<unknown>) => waits.push(p) });
    return waits;
  };

  it('handles only its own sync tags', async () => {
    expect(syncEvent('sync', 'someone-elses-tag')).toEqual([]);
    expect(syncEvent('periodicsync', 'someone-elses-tag')).toEqual([]);
    const outboxSync = syncEvent('sync', 'fieldboard-outbox');
    expect(outboxSync).toHaveLength(1);
    const refresh = syncEvent('periodicsync', 'fieldboard-refresh');
    expect(refresh).toHaveLength(1);
    // Both settle (the outcome of draining is the engine's business, tested in engine.test.ts).
    await Promise.allSettled([...outboxSync, ...refresh]);
  });
});
