/**
 * Who the worker syncs for (docs/service-worker.md, "Lifetime"): the identity a tab gives it, the one the
 * session cookie proves at `welcome`, and what a 401 does. Every identity change is written to IndexedDB
 * before it is broadcast. Losing the session never touches the outbox: sync pauses, the person is asked to
 * sign in again, and everything queued goes once they have.
 */
import type { User } from '../protocol/index.ts';
import type { EngineCore } from './core.ts';

export class Session {
  constructor(
    private readonly core: EngineCore,
    /** After a sign-in: send what waits. */
    private readonly drain: () => void,
  ) {}

  /** A tab signed in (or restored its cached identity), or signed out (null). */
  async adopt(user: User | null): Promise<void> {
    const c = this.core;
    const changed = user?.id !== c.user?.id;
    await c.env.store.setIdentity(user);
    if (changed && user) c.watched = [];
    c.user = user;
    c.broadcaster.post({ type: 'identity', user });
    if (!user) {
      c.conn.signOut();
      return;
    }
    // A new session cookie: a socket opened with the old one belongs to the old session.
    if (changed || c.conn.current.kind === 'signed-out') c.conn.stop();
    c.conn.start();
    await c.broadcastOutbox();
    this.drain();
  }

  /** The session cookie says another user than the cached identity (at `welcome`): the cookie is the truth. */
  async adoptQuietly(user: User): Promise<void> {
    const c = this.core;
    await c.env.store.setIdentity(user);
    c.user = user;
    c.watched = [];
    c.broadcaster.post({ type: 'identity', user });
    await c.broadcastOutbox();
  }

  /** Signs out: the user's outbox is kept for their next sign-in, or dropped (`discard`). Answers its size. */
  async signOut(discard: boolean): Promise<number> {
    const c = this.core;
    if (!c.user) return 0;
    const pending = await c.env.store.signOut(c.user.id, discard);
    c.user = null;
    c.conn.signOut();
    c.broadcaster.post({ type: 'identity', user: null });
    await c.broadcastOutbox(); // nobody's: an empty whole outbox
    return pending;
  }

  /** A 401: sync pauses and the person is asked to sign in again; every queued mutation stays. */
  async lost(): Promise<void> {
    const c = this.core;
    if (!c.user) return;
    c.log('session expired; keeping the outbox');
    c.user = null;
    await c.env.store.setIdentity(null);
    c.conn.signOut();
    c.broadcaster.post({ type: 'identity', user: null });
  }

  /** After a socket failed before `welcome`: is the session gone (401), or was it the network? */
  async check(): Promise<'ok' | 'unauthorized' | 'unknown'> {
    try {
      const r = await this.core.env.fetch('/api/me', { credentials: 'same-origin' });
      if (r.status === 401) {
        await this.lost();
        return 'unauthorized';
      }
      return r.ok ? 'ok' : 'unknown';
    } catch {
      return 'unknown';
    }
  }

  /** Is the server up? `/api/health` answers without a session and touches nothing. */
  async probe(): Promise<boolean> {
    try {
      return (await this.core.env.fetch('/api/health', { credentials: 'same-origin' })).ok;
    } catch {
      return false;
    }
  }
}
