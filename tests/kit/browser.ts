/**
 * One-line answers to what Playwright does not do for a service-worker app (BROWSER-FACTS.md):
 * offline that the app notices at once, stopping a service worker, firing (periodic) Background Sync.
 */
import type { BrowserContext, CDPSession, Page } from '@playwright/test';

/** Network off for the whole context (pages and their service worker). Pages get `offline` at once and
 * the app relays it to its service worker, which drops its (frozen) socket. */
export async function goOffline(context: BrowserContext): Promise<void> {
  await context.setOffline(true);
}

export async function goOnline(context: BrowserContext): Promise<void> {
  await context.setOffline(false);
}

interface Registration {
  registrationId: string;
  scopeURL: string;
  isDeleted: boolean;
}

/** A CDP session with the ServiceWorker domain enabled and the origin's registration id. */
async function serviceWorkerSession(page: Page, origin: string): Promise<{ cdp: CDPSession; registrationId: string }> {
  const cdp = await page.context().newCDPSession(page);
  const found = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: Registration[] }) => {
      const reg = e.registrations.find((r) => !r.isDeleted && r.scopeURL.startsWith(origin));
      if (reg) resolve(reg.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  const registrationId = await withTimeout(found, 5_000, `no service worker registration for ${origin}`);
  return { cdp, registrationId };
}

/** Stops every service worker of the context, as the browser does 30 s after the last event. */
export async function stopServiceWorker(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  await cdp.detach();
}

/**
 * Fires a Background Sync event at the origin's service worker (waking it if stopped). `page` may be any
 * page of the context, even about:blank, so this works with no tab of the app open.
 */
export async function fireSync(page: Page, origin: string, tag = 'fieldboard-outbox', lastChance = false): Promise<void> {
  const { cdp, registrationId } = await serviceWorkerSession(page, origin);
  await cdp.send('ServiceWorker.dispatchSyncEvent', { origin, registrationId, tag, lastChance });
  await cdp.detach();
}

/** Grants the permission and fires a Periodic Background Sync event (it never fires by itself in tests). */
export async function firePeriodicSync(page: Page, origin: string, tag = 'fieldboard-refresh'): Promise<void> {
  const browser = page.context().browser();
  if (browser) {
    const b = await browser.newBrowserCDPSession();
    await b.send('Browser.grantPermissions', { permissions: ['periodicBackgroundSync'], origin });
    await b.detach();
  }
  const { cdp, registrationId } = await serviceWorkerSession(page, origin);
  await cdp.send('ServiceWorker.dispatchPeriodicSyncEvent', { origin, registrationId, tag });
  await cdp.detach();
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(message)), ms))),
  ]);
}
