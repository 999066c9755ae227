/**
 * The two ways a batch reaches the server (docs/service-worker.md, "Draining the outbox"): a `push` frame
 * on the socket, answered by a `push-result` (or an `error` frame) with the same request id, or
 * `POST /api/push`. One socket push is in flight at a time (the drain sends one batch at once); it ends with
 * its result, an error frame naming it, the socket going down, or `pushTimeoutMs` without an answer.
 */
import type { ServerFrame } from '../protocol/index.ts';
import type { OutboxEntry } from '../contract/index.ts';
import type { EngineCore, PushOutcome } from './core.ts';
import { pushOverHttp } from './http.ts';
import { swTrace } from './trace.ts';

export class SocketPush {
  private inflight: { requestId: string; done: (o: PushOutcome) => void } | null = null;
  private n = 0;

  constructor(private readonly core: EngineCore) {}

  send(batch: OutboxEntry[]): Promise<PushOutcome> {
    const { env, conn, broadcaster } = this.core;
    const requestId = `r${broadcaster.swInstance}-${++this.n}`;
    return new Promise<PushOutcome>((resolve) => {
      const timer = env.setTimer(() => finish({ ok: false, unauthorized: false, error: 'no push result in time' }), env.pushTimeoutMs ?? 30_000);
      const finish = (o: PushOutcome) => {
        if (this.inflight?.requestId === requestId) this.inflight = null;
        env.clearTimer(timer);
        resolve(o);
      };
      this.inflight = { requestId, done: finish };
      swTrace.wire(batch);
      if (!conn.send({ type: 'push', requestId, mutations: batch.map((e) => e.mutation) })) {
        finish({ ok: false, unauthorized: false, error: 'socket closed before the push' });
      }
    });
  }

  /** A `push-result` frame: the push in flight ends with it when the ids match. */
  result(f: Extract<ServerFrame, { type: 'push-result' }>): void {
    if (this.inflight?.requestId === f.requestId) this.inflight.done({ ok: true, results: f.results });
  }

  /**
   * An `error` frame: fails the push in flight when it names it, or when it is a `rate-limited` without a
   * request id (frames were dropped unread, the push may be one of them, so it fails as transient rather
   * than waiting for a result that may never come). Answers whether it ended the push.
   */
  error(f: Extract<ServerFrame, { type: 'error' }>): boolean {
    const mine = (f.requestId && this.inflight?.requestId === f.requestId) || (f.code === 'rate-limited' && !f.requestId && this.inflight);
    if (!mine || !this.inflight) return false;
    const hint = f.code === 'rate-limited' ? { retryAfterMs: f.retryAfterMs ?? 1000 } : {};
    this.inflight.done({ ok: false, unauthorized: false, error: `${f.code}: ${f.message}`, ...hint });
    return true;
  }

  /** The socket is gone: the push in flight fails as transient. */
  down(reason: string): void {
    this.inflight?.done({ ok: false, unauthorized: false, error: reason });
  }
}

export async function pushHttp(core: EngineCore, batch: OutboxEntry[]): Promise<PushOutcome> {
  const r = await pushOverHttp(core.env.fetch, core.clientId, batch.map((e) => e.mutation));
  return r.ok ? { ok: true, results: r.value } : r;
}
