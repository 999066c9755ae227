/**
 * The account API as the page uses it: sign-in (`POST /api/login`, then `/api/me`), resuming a session the
 * browser's cookie still holds, the dashboards list (`GET /api/dashboards`, cached in IndexedDB for offline
 * starts), creating a dashboard, and the server side of signing out (docs/server.md).
 *
 * Invariants:
 * - Every server answer is validated before it is used; an unexpected one is a message, never a crash.
 * - The worker adopts an identity before the page shows it: the worker owns sync, and the page only shows
 *   what it will sync.
 * - Offline, the cached list stays; a sign-out made here is never undone by resuming the cookie's session
 *   (signed-out.ts), even when the server never heard of it.
 */
import type { Signal } from '@preact/signals';
import { DashboardSummarySchema, DashboardsResponseSchema, MeResponseSchema, parse, type DashboardSummary, type User } from '../../protocol/index.ts';
import { writeDashboards, type DbHandle } from '../../contract/local-db/index.ts';
import { signedOutOnPurpose } from './signed-out.ts';
import { signInRefusal } from './sign-in-answer.ts';
import type { SignInResult } from './types.ts';

export interface AccountDeps {
  db: DbHandle;
  user: Signal<User | null>;
  dashboards: Signal<DashboardSummary[]>;
  checkingSession: Signal<boolean>;
  /** Gives the worker the identity (it adopts it before answering). */
  adopt(user: User): Promise<void>;
  /** Reads everything from IndexedDB again. */
  repaint(): Promise<void>;
  storageFailed(e: unknown): void;
}

export class Account {
  constructor(private readonly deps: AccountDeps) {}

  async signIn(username: string, password: string): Promise<SignInResult> {
    let r: Response;
    try {
      r = await fetch('/api/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
        credentials: 'same-origin',
      });
    } catch {
      return { ok: false, message: 'No network: signing in needs a connection to the server.' };
    }
    if (!r.ok) {
      const body: unknown = await r.json().catch(() => null);
      return { ok: false, message: signInRefusal(r.status, body, r.headers.get('retry-after')) };
    }
    signedOutOnPurpose(false);
    try {
      return await this.startAs(await fetch('/api/me', { credentials: 'same-origin' }));
    } catch (e) {
      return { ok: false, message: `Signed in, but the app could not start: ${(e as Error).message}` };
    }
  }

  /**
   * No identity cached, but the browser may hold a valid session cookie (a sign-in through the API, as
   * Playwright's storageState pattern does, or a cache cleared under a live session): ask the server whose
   * it is and start as that user. Not after the person signed out here, even if the server never heard of
   * it (signed out offline); offline or 401, the form stays.
   */
  async resumeSession(): Promise<void> {
    const { user, checkingSession } = this.deps;
    if (user.value || signedOutOnPurpose()) return;
    checkingSession.value = true;
    try {
      const answer = await fetch('/api/me', { credentials: 'same-origin' }).catch(() => null);
      if (!answer?.ok || user.value || signedOutOnPurpose()) return;
      const r = await this.startAs(answer);
      if (!r.ok) console.warn(`fieldboard: session not resumed: ${r.message}`);
    } catch (e) {
      console.warn('fieldboard: session not resumed', e);
    } finally {
      checkingSession.value = false;
    }
  }

  /** The server's list of the user's dashboards, written to the cache (offline: the cached list stays). */
  async refreshDashboards(): Promise<void> {
    const user = this.deps.user.value;
    if (!user) return;
    const list = await this.fetchDashboards();
    if (!list || this.deps.user.value?.id !== user.id) return;
    this.deps.dashboards.value = list;
    await this.cache(user, list);
  }

  async createDashboard(name: string): Promise<DashboardSummary> {
    const r = await fetch('/api/dashboards', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
      credentials: 'same-origin',
    });
    if (!r.ok) throw new Error(`Could not create the dashboard (HTTP ${r.status}).`);
    const d = parse(DashboardSummarySchema, await r.json());
    if (!d.ok) throw new Error(`Unexpected answer from the server: ${d.message}`);
    const dashboards = this.deps.dashboards;
    dashboards.value = [...dashboards.value.filter((x) => x.id !== d.value.id), d.value];
    const user = this.deps.user.value;
    if (user) await this.cache(user, dashboards.value);
    return d.value;
  }

  /** After the worker signed out: remembered here, and the server's session ends (if it can be reached). */
  async signOut(): Promise<void> {
    signedOutOnPurpose(true);
    await fetch('/api/logout', { method: 'POST', credentials: 'same-origin' }).catch(() => null);
  }

  /** Starts as the user a `/api/me` answer names: the worker gets the identity, the list is cached. */
  private async startAs(answer: Response): Promise<SignInResult> {
    const me = parse(MeResponseSchema, await answer.json());
    if (!me.ok) return { ok: false, message: `Unexpected answer from the server: ${me.message}` };
    const user = me.value.user;
    const list = await this.fetchDashboards();
    await this.deps.adopt(user);
    if (list) await this.cache(user, list);
    this.deps.user.value = user;
    if (list) this.deps.dashboards.value = list;
    await this.deps.repaint();
    return { ok: true };
  }

  private async fetchDashboards(): Promise<DashboardSummary[] | null> {
    try {
      const r = await fetch('/api/dashboards', { credentials: 'same-origin' });
      if (!r.ok) return null;
      const body = parse(DashboardsResponseSchema, await r.json());
      return body.ok ? body.value.dashboards : null;
    } catch {
      return null; // offline: the cached list stays
    }
  }

  private async cache(user: User, list: DashboardSummary[]): Promise<void> {
    await writeDashboards(await this.deps.db.get(), user.id, list).catch((e) => this.deps.storageFailed(e));
  }
}
