/**
 * The page's link to its service worker: registration and updates (workbox-window), posting commands, and
 * what only pages see relayed to the worker (docs/service-worker.md "Lifetime", "Tabs: broadcasts in,
 * commands out").
 *
 * - Registers `/sw.js`; a new version that installs waits for the person's consent (`updateAvailable`), and
 *   `applyUpdate` tells it to take over, then reloads once it controls the page.
 * - Keeps the worker alive (a message every KEEPALIVE_MS: only events keep a worker alive, its socket does
 *   not) and relays online/offline and visibility, which a worker cannot observe itself.
 * - Asks for a Periodic Background Sync, where the browser grants one.
 *
 * Invariants: nothing here waits on the worker to render anything; without service workers (an old or
 * locked-down browser) the connection shows `offline` and nothing is posted.
 */
import type { Signal } from '@preact/signals';
import { Workbox } from 'workbox-window';
import type { DashboardId } from '../../protocol/index.ts';
import { KEEPALIVE_MS, REFRESH_SYNC_TAG, type ConnectionState, type TabCommand } from '../../contract/index.ts';
import { requestPersistence } from '../state/capabilities.ts';

export interface LinkDeps {
  /** The built service worker (vite-plugin-pwa writes /sw.js). */
  scriptUrl: string;
  updateAvailable: Signal<boolean>;
  connection: Signal<ConnectionState>;
  /** A message the worker posted to this page (replies). */
  receive(data: unknown): void;
  /** The dashboard this tab shows, re-told with every keepalive. */
  watched(): DashboardId | null;
}

export class WorkerLink {
  private wb: Workbox | null = null;
  private updateRequested = false;

  constructor(private readonly deps: LinkDeps) {}

  /** Does this browser run service workers at all? */
  get supported(): boolean {
    return typeof navigator !== 'undefined' && 'serviceWorker' in navigator;
  }

  /** Listens to the worker and to what only pages see; starts the keepalive. */
  listen(): void {
    if (!this.supported) return;
    navigator.serviceWorker.addEventListener('message', (e) => this.deps.receive(e.data));
    navigator.serviceWorker.startMessages();
    window.addEventListener('online', () => this.tell({ type: 'network', online: true }));
    window.addEventListener('offline', () => this.tell({ type: 'network', online: false }));
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.tell({ type: 'visible' });
    });
    setInterval(() => this.keepalive(), KEEPALIVE_MS);
    this.keepalive();
    if (!navigator.onLine) this.tell({ type: 'network', online: false });
    // Never awaited: headless Firefox never answers it, and the app must not wait for it to work.
    void requestPersistence(navigator, 10_000).then((outcome) => console.info(`fieldboard: persistent storage ${outcome}`));
  }

  /** Registers the worker; answers false (and shows `offline`) where there are none. */
  register(): boolean {
    if (!this.supported) {
      this.deps.connection.value = { kind: 'offline', lastSyncedAt: null };
      return false;
    }
    const wb = new Workbox(this.deps.scriptUrl);
    this.wb = wb;
    wb.addEventListener('waiting', () => (this.deps.updateAvailable.value = true));
    wb.addEventListener('controlling', () => {
      if (this.updateRequested) window.location.reload();
    });
    wb.register().catch((e: unknown) => console.warn('fieldboard: service worker registration failed', e));
    return true;
  }

  /** The person agreed to the waiting version: it takes over and the page reloads under it. */
  applyUpdate(): void {
    if (!this.wb) return;
    this.updateRequested = true;
    this.wb.messageSkipWaiting();
  }

  async post(message: TabCommand): Promise<void> {
    const sw = navigator.serviceWorker;
    const target = sw.controller ?? (await sw.ready).active;
    if (!target) throw new Error('no service worker');
    target.postMessage(message);
  }

  /** Fire and forget (keepalive, network, visible, watch). */
  tell(message: TabCommand): void {
    this.post(message).catch(() => {});
  }

  private keepalive(): void {
    this.tell({ type: 'keepalive' });
    const watched = this.deps.watched();
    if (watched) this.tell({ type: 'watch', dashboardIds: [watched] });
  }

  /**
   * Asks for a Periodic Background Sync (`fieldboard-refresh`, about twice a day) so an installed app opens
   * on a fresh replica even after days away. Chromium grants it only to installed apps with some use, and
   * only from a page; elsewhere this does nothing and the catch-up on open covers it.
   */
  async registerPeriodicRefresh(): Promise<void> {
    try {
      const reg = (await navigator.serviceWorker.ready) as ServiceWorkerRegistration & {
        periodicSync?: { register(tag: string, options: { minInterval: number }): Promise<void> };
      };
      if (!reg.periodicSync || !navigator.permissions) return;
      const permission = await navigator.permissions.query({ name: 'periodic-background-sync' as PermissionName });
      if (permission.state !== 'granted') return;
      await reg.periodicSync.register(REFRESH_SYNC_TAG, { minInterval: 12 * 60 * 60 * 1000 });
    } catch (e) {
      console.info('fieldboard: periodic refresh not registered', e);
    }
  }
}
