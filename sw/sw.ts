/**
 * The service worker's entry: the app shell (precache + navigation fallback), the update gate, and the
 * events that feed the sync engine. Built by vite-plugin-pwa (injectManifest) into /sw.js.
 *
 * Lifetime (docs/service-worker.md): the browser stops this worker 30 s after its last event, sockets and
 * memory included. Every start (a tab's message, sync, periodicsync, fetch, activate) evaluates this module,
 * which restores the engine from IndexedDB; `woke` reconnects if a window is open and drains the outbox.
 */
/// <reference lib="webworker" />
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { parse } from '../protocol/index.ts';
import { BROADCAST_CHANNEL, OUTBOX_SYNC_TAG, REFRESH_SYNC_TAG, TabCommandSchema, type Reply } from '../contract/index.ts';
import { DbHandle } from '../contract/local-db/index.ts';
import { Engine } from './engine.ts';
import { SwStore } from './store.ts';
import { browserSocket } from './socket.ts';
import { installWorkerTrace } from './trace.ts';

declare let self: ServiceWorkerGlobalScope;


interface SyncLikeEvent extends ExtendableEvent {
  readonly tag: string;
  readonly lastChance?: boolean;
}
interface SyncRegistration {
  sync?: { register(tag: string): Promise<void> };
}

// ---- App shell ---------------------------------------------------------------------------------------------
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html'), { denylist: [/^\/api\//, /^\/metrics/] }));

// The very first install activates at once (no older worker to wait for) and claims the open page, so a
// first visit is controlled and can go offline. Later versions wait in `installed` until the person accepts
// "Update available" (SKIP_WAITING below): swapping workers under a page kills its socket and memory.
self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim().then(() => woke));
});

// ---- Sync engine ---------------------------------------------------------------------------------------------
const log = (message: string, extra?: unknown) => console.info(`[fieldboard sw] ${message}`, extra ?? '');

const engine = new Engine(
  {
    store: new SwStore(new DbHandle()),
    channel: new BroadcastChannel(BROADCAST_CHANNEL),
    fetch: (path, init) => fetch(new URL(path, self.location.origin), init),
    openSocket: () => browserSocket(new URL('/api/ws', self.location.origin)),
    now: () => Date.now(),
    random: () => Math.random(),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
    isOnline: () => self.navigator.onLine,
    hasWindowClient: async () => (await self.clients.matchAll({ type: 'window', includeUncontrolled: true })).length > 0,
    registerSync: async () => {
      await (self.registration as ServiceWorkerRegistration & SyncRegistration).sync?.register(OUTBOX_SYNC_TAG);
    },
    log,
  },
  crypto.randomUUID(),
);
/** This instance's start: restored from IndexedDB, reconnected when a tab is open, outbox drained. */
const woke = engine.wake().catch((e) => log('start failed', String(e)));

installWorkerTrace(self); // before the listener below: marks a `mutate` as it arrives (sw/trace.ts)
self.addEventListener('message', (event) => {
  const parsed = parse(TabCommandSchema, event.data);
  const source = event.source as Client | null;
  if (!parsed.ok) {
    log('refused a message', parsed.message);
    const requestId = (event.data as { requestId?: unknown } | null)?.requestId;
    if (typeof requestId === 'string') {
      source?.postMessage({ type: 'reply', requestId, ok: false, code: 'bad-command', error: `bad command: ${parsed.message}` } satisfies Reply);
    }
    return;
  }
  const cmd = parsed.value;
  if (cmd.type === 'SKIP_WAITING') {
    void self.skipWaiting();
    return;
  }
  // A page whose navigation began while this first worker was installing is missed by the claim at
  // activation and would stay uncontrolled (not served offline by us) until its next load; each page asks
  // for the state when it starts, so claim again then. Claiming pages already ours changes nothing. (An e2e
  // test that reloaded during the first install waited for a controller in 1 of 5 runs.)
  const claimed = cmd.type === 'get-state' ? self.clients.claim().catch(() => {}) : undefined;
  // Every message, keepalive included, is an event: it keeps this worker (and its socket) alive.
  event.waitUntil(Promise.all([claimed, woke.then(() => engine.command(cmd, (reply) => source?.postMessage(reply)))]));
});

self.addEventListener('sync', (event) => {
  const e = event as SyncLikeEvent;
  if (e.tag !== OUTBOX_SYNC_TAG) return;
  // Throwing (a rejected promise) tells the browser to try again later.
  e.waitUntil(woke.then(() => engine.syncEvent()));
});

self.addEventListener('periodicsync', (event) => {
  const e = event as SyncLikeEvent;
  if (e.tag !== REFRESH_SYNC_TAG) return;
  e.waitUntil(woke.then(() => engine.refresh()));
});
