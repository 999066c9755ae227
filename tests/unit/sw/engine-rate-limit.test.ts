/**
 * The engine honours the server's limits (issue 14): a push refused as `rate-limited` (socket error frame
 * with `retryAfterMs`, or HTTP 429 with Retry-After) stays in the outbox, waits at least the hint (retry
 * and online included), then goes again under the same mutation ids and settles; a socket closed as too
 * slow (4002) reconnects and resumes from its cursor.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '../../../protocol/index.ts';
import { type OutboxEntry } from '../../../contract/index.ts';
import { D1, FakeServer, WA, mk, trackedEngines, waitFor, type Harness } from './helpers.ts';

const engine = trackedEngines();

async function queueOne(h: Harness) {
  const r = await h.mutate((clientId) => mk.add(WA, 1, { clientId }));
  return (r.data as { entry: OutboxEntry }).entry.mutation.id;
}

describe('rate-limited pushes', () => {
  it('over the socket: the batch waits out the hint (a retry command included) and is resent under the same ids', async () => {
    const h = engine({ random: () => 0.5 });
    await h.signIn();
    await h.until('caught-up');
    h.server.rateLimitMs = 7_000;
    const id = await queueOne(h);
    await waitFor(async () => expect((await h.outbox())[0]).toMatchObject({ state: 'failed', attempts: 1 }));
    const [e] = await h.outbox();
    expect(e.lastError).toContain('rate-limited');
    expect(e.nextAttemptAt - h.clock.now).toBe(7_000);

    h.server.rateLimitMs = null;
    await h.cmd({ type: 'retry', requestId: 'r1' });
    h.clock.advance(6_999);
    await h.engine.drain();
    expect(h.server.pushes).toHaveLength(1);
    h.clock.advance(1);
    await waitFor(async () => expect(await h.outbox()).toEqual([]));
    expect(h.server.receivedIds()).toEqual([id, id]);
    expect(h.engine.connection.kind).toBe('caught-up'); // the socket stayed up throughout
  });

  it('over HTTP: a 429 waits Retry-After (not the shorter backoff), then the same ids go and settle', async () => {
    const server = new FakeServer();
    server.socketsWork = false;
    const h = engine({ server, random: () => 0.5 });
    await h.signIn();
    server.rateLimitMs = 3_000;
    const id = await queueOne(h);
    await h.engine.drain();
    const [e] = await h.outbox();
    expect(e).toMatchObject({ state: 'failed', attempts: 1 });
    expect(e.nextAttemptAt - h.clock.now).toBe(3_000);
    server.rateLimitMs = null;
    await h.cmd({ type: 'network', online: true });
    expect(server.pushes).toHaveLength(1);
    h.clock.advance(3_000);
    await waitFor(async () => expect(await h.outbox()).toEqual([]));
    expect(server.receivedIds()).toEqual([id, id]);
  });

  it('a rate-limited error without a requestId fails the push in flight (its frame may have been dropped)', async () => {
    const h = engine({ random: () => 0.5 });
    await h.signIn();
    await h.until('caught-up');
    h.server.holdPushes = true;
    const id = await queueOne(h);
    await waitFor(() => expect(h.server.socket?.framesOf('push') ?? []).toHaveLength(1));
    h.server.socket!.deliver({ type: 'error', code: 'rate-limited', message: 'frames dropped', retryAfterMs: 900 });
    await waitFor(async () => expect((await h.outbox())[0]).toMatchObject({ state: 'failed' }));
    expect((await h.outbox())[0].nextAttemptAt - h.clock.now).toBe(900);
    h.server.holdPushes = false;
    h.clock.advance(900);
    await waitFor(async () => expect(await h.outbox()).toEqual([]));
    expect(h.server.receivedIds()).toEqual([id, id]);
  });
});

describe('a socket dropped as too slow', () => {
  it('4002: the push in flight is resent, the worker reconnects without asking for a session, and subscribes from its cursor', async () => {
    const h = engine({ random: () => 0.5 });
    await h.signIn();
    await h.cmd({ type: 'watch', dashboardIds: [D1] });
    await h.until('caught-up');
    h.server.holdPushes = true;
    const id = await queueOne(h);
    await waitFor(() => expect(h.server.socket?.framesOf('push') ?? []).toHaveLength(1));
    const first = h.server.socket!;
    h.server.holdPushes = false;
    first.serverClose(CLOSE_CODES.tooSlow, 'too far behind');
    await waitFor(() => expect(h.engine.connection.kind).toBe('backoff'));
    // The socket had been up for less than `stableMs`: the first backoff delay (250 ms with random 0.5).
    h.clock.advance(250);
    await h.until('caught-up');
    expect(h.server.socket).not.toBe(first);
    expect(h.server.socket!.framesOf('subscribe').map((f) => f.dashboardId)).toEqual([D1]);
    await waitFor(async () => expect(await h.outbox()).toEqual([]));
    expect(h.server.receivedIds()).toEqual([id, id]);
    expect(h.engine.connection.kind).not.toBe('signed-out');
  });
});
