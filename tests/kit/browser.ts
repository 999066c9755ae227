/**
 * One-line answers to what Playwright does not do for a service-worker app (docs/browser-facts.md
 * "Offline", "Driving the browsers"):
 * offline that the app notices at once, stopping a service worker, firing (periodic) Background Sync.
 */
import type { BrowserContext, CDPSession, Page } from '@playwright/test';

/** Network off for the whole context (pages and their service worker). Pages get `offline` at once and
 * the app relays it to its service worker, which drops its (frozen) socket. Safe whatever state the worker
 * is in: it is woken first (see `goOnline`). */
export async function goOffline(context: BrowserContext): Promise<void> {
  await setNetwork(context, false);
}

/** Network on for the whole context. Chromium 156 leaves a worker that was stopped while the context was
 * offline unable to fetch or connect after `setOffline(false)`, until the emulation changes again while it
 * runs (docs/testing.md, "The tester kit"); so the kit wakes the worker, then applies the emulation with it
 * running. Mixed with raw `context.setOffline` and `stopServiceWorker` calls, the worker ends up online. */
export async function goOnline(context: BrowserContext): Promise<void> {
  await setNetwork(context, true);
}

const WAKE_MS = 5_000;

/** Wakes the service worker of each app page of the context and waits until one answers (a `get-state`
 * request, which the worker answers once it runs). False when no page is controlled by a worker. */
async function wakeWorkers(context: BrowserContext): Promise<boolean> {
  const answers = await Promise.all(
    context.pages().map((page) =>
      page
        .evaluate(async (ms) => {
          const sw = navigator.serviceWorker;
          const target = sw?.controller;
          if (!target) return false;
          const requestId = `kit-wake-${Math.random().toString(36).slice(2)}`;
          return new Promise<boolean>((resolve) => {
            const done = (ok: boolean) => {
              sw.removeEventListener('message', onMessage);
              clearTimeout(timer);
              resolve(ok);
            };
            const onMessage = (e: MessageEvent) => {
              const m = e.data as { type?: string; requestId?: string } | null;
              if (m?.type === 'reply' && m.requestId === requestId) done(true);
            };
            const timer = setTimeout(() => done(false), ms);
            sw.addEventListener('message', onMessage);
            target.postMessage({ type: 'get-state', requestId });
          });
        }, WAKE_MS)
        .catch(() => false),
    ),
  );
  return answers.some(Boolean);
}

async function setNetwork(context: BrowserContext, online: boolean): Promise<void> {
  // Changing emulation under a stopped worker can hang: wake it first.
  const awake = await wakeWorkers(context);
  // Going online, re-apply the emulation with the worker running, even when Playwright thinks the context
  // is online already (a raw setOffline(false) under a stopped worker left it cut off). Never the other
  // way: a moment online while going offline could send what a test expects to stay pending.
  if (online && awake) await context.setOffline(true);
  await context.setOffline(!online);
}

interface Registration {
  registrationId: string;
  scopeURL: string;
  isDeleted: boolean;
}

/**
 * A handle on the origin's service worker over one CDP page session: stop it, fire (periodic) Background
 * Sync at it. `page` may be any page of the context, even about:blank, so it works with no app tab open.
 * Make the handle while the network is as it is: Chromium (156) hangs `newCDPSession` once a stopped
 * service worker's context has gone back online, so a test that stops the worker, goes online and then
 * fires `sync` must keep one handle across the three steps.
 */
export interface ServiceWorkerControl {
  stop(): Promise<void>;
  sync(tag?: string, lastChance?: boolean): Promise<void>;
  periodicSync(tag?: string): Promise<void>;
  detach(): Promise<void>;
}

export async function serviceWorkerControl(page: Page, origin: string): Promise<ServiceWorkerControl> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  let registrationId: string | undefined;
  const found = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: Registration[] }) => {
      const reg = e.registrations.find((r) => !r.isDeleted && r.scopeURL.startsWith(origin));
      if (reg) resolve((registrationId = reg.registrationId));
    });
  });
  await cdp.send('ServiceWorker.enable');
  const id = async () => registrationId ?? withTimeout(found, 5_000, `no service worker registration for ${origin}`);
  return {
    stop: async () => void (await cdp.send('ServiceWorker.stopAllWorkers')),
    async sync(tag = 'fieldboard-outbox', lastChance = false) {
      await cdp.send('ServiceWorker.dispatchSyncEvent', { origin, registrationId: await id(), tag, lastChance });
    },
    async periodicSync(tag = 'fieldboard-refresh') {
      await grantPeriodicSync(page, origin);
      await cdp.send('ServiceWorker.dispatchPeriodicSyncEvent', { origin, registrationId: await id(), tag });
    },
    detach: () => cdp.detach(),
  };
}

/**
 * Grants Periodic Background Sync to `origin` in `page`'s context (Chromium grants it only to installed apps
 * with some use; Playwright's `grantPermissions` does not know it). In a persistent profile
 * (`launchPersistentContext`) the app then registers its refresh; Playwright's usual contexts are incognito,
 * where Chromium denies periodic sync whatever is granted (events can still be dispatched over CDP).
 */
export async function grantPeriodicSync(page: Page, origin: string): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  const { targetInfo } = (await cdp.send('Target.getTargetInfo')) as { targetInfo: { browserContextId?: string } };
  // A persistent profile is the browser's default context (no id); other contexts are named by their id.
  // Which one `page` is in is not visible from Playwright's API, so grant to both.
  const permissions: ['periodicBackgroundSync'] = ['periodicBackgroundSync'];
  await cdp.send('Browser.grantPermissions', { permissions, origin, browserContextId: targetInfo.browserContextId }).catch(() => {});
  await cdp.send('Browser.grantPermissions', { permissions, origin });
  // No detach: Chromium drops a session's permission overrides when the session goes.
}

/** Stops every service worker of the context, as the browser does 30 s after the last event. */
export async function stopServiceWorker(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  await cdp.detach();
}

/** Fires a Background Sync event at the origin's service worker (waking it if stopped). */
export async function fireSync(page: Page, origin: string, tag = 'fieldboard-outbox', lastChance = false): Promise<void> {
  const sw = await serviceWorkerControl(page, origin);
  await sw.sync(tag, lastChance);
  await sw.detach();
}

/** Grants the permission and fires a Periodic Background Sync event (it never fires by itself in tests). */
export async function firePeriodicSync(page: Page, origin: string, tag = 'fieldboard-refresh'): Promise<void> {
  const sw = await serviceWorkerControl(page, origin);
  await sw.periodicSync(tag);
  await sw.detach();
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(message)), ms))),
  ]);
}
