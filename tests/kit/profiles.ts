/**
 * Browser profiles for a context, so the Chromium runs also cover what other engines lack.
 *
 * `withoutBackgroundSync(context, origin)`: the context behaves, for the app, like Firefox and Safari, which
 * have neither Background Sync nor Periodic Background Sync. In pages the APIs are gone (`SyncManager`,
 * `PeriodicSyncManager`, `registration.sync`, `registration.periodicSync`); in the service worker Chromium
 * keeps the objects but both permissions are denied for the origin, so every registration is refused (as
 * when a person blocks background sync for a site) and no sync event ever comes. Either way the outbox is
 * carried by the app's fallbacks alone: a drain when the worker starts, when the browser comes back online
 * and when a tab becomes visible. (Serving the worker a script without the APIs through `context.route`
 * was tried: Chromium then refuses the worker's WebSocket.) Call it before the context opens the app; the
 * denial holds while the browser runs, whatever pages open and close.
 */
import type { BrowserContext } from '@playwright/test';

const REMOVE_SYNC_APIS = `(() => {
  const g = globalThis;
  delete g.SyncManager;
  delete g.PeriodicSyncManager;
  if (g.ServiceWorkerRegistration) {
    for (const k of ['sync', 'periodicSync']) delete g.ServiceWorkerRegistration.prototype[k];
  }
})();
`;

export async function withoutBackgroundSync(context: BrowserContext, origin: string): Promise<void> {
  await context.addInitScript({ content: REMOVE_SYNC_APIS });
  const browser = context.browser();
  if (!browser) throw new Error('withoutBackgroundSync needs a context of a launched browser');
  // The context's id, read through a page of it; the permissions are set over a browser session, which
  // (unlike a page's) lives as long as the browser, so closing every tab does not lift the denial.
  const probe = await context.newPage();
  const pageSession = await context.newCDPSession(probe);
  const { targetInfo } = (await pageSession.send('Target.getTargetInfo')) as { targetInfo: { browserContextId?: string } };
  await pageSession.detach();
  await probe.close();
  const session = await browser.newBrowserCDPSession();
  for (const name of ['background-sync', 'periodic-background-sync']) {
    await session.send('Browser.setPermission', {
      permission: { name },
      setting: 'denied',
      origin,
      browserContextId: targetInfo.browserContextId,
    } as never);
  }
}
