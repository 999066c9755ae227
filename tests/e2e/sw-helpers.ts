/**
 * Helpers of the service-worker end-to-end specs, on top of the tester kit (tests/kit): reading the SW's
 * IndexedDB outbox from a page, the demo counter, and a server whose static files a test may change.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { apiLogin, serverState, signIn, startKitServer, waitForSynced, type KitServer } from '../kit/index.ts';

/** Outbox records in the page's IndexedDB, whatever their user or state (read like the page paints). */
export async function outboxRecords(page: Page): Promise<{ id: string; state: string; name: string }[]> {
  return page.evaluate(
    () =>
      new Promise<{ id: string; state: string; name: string }[]>((res, rej) => {
        const open = indexedDB.open('fieldboard');
        open.onerror = () => rej(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('outbox')) return res([]);
          const req = db.transaction('outbox').objectStore('outbox').getAll();
          req.onsuccess = () => {
            db.close();
            res(req.result.map((e: { mutation: { id: string; name: string }; state: string }) => ({ id: e.mutation.id, state: e.state, name: e.mutation.name })));
          };
          req.onerror = () => rej(req.error);
        };
      }),
  );
}

/** The demo dashboard's counter ("Pumps") as the server holds it. */
export async function serverCounter(server: KitServer, title = 'Pumps'): Promise<number> {
  const s = await apiLogin(server.url);
  const r = await fetch(`${server.url}/api/dashboards`, { headers: { cookie: s.cookie } });
  const { dashboards } = (await r.json()) as { dashboards: { id: string }[] };
  const widgets = await serverState(s, dashboards[0].id);
  const w = widgets.find((x) => x.title === title);
  if (!w || w.kind !== 'counter') throw new Error(`no counter "${title}" on the server`);
  return w.value;
}

/** The counter's value as the page shows it (the optimistic view). */
export async function shownCounter(page: Page, title = 'Pumps'): Promise<number> {
  const text = await page.getByRole('article', { name: title }).locator('.counter-value').textContent();
  return Number(text);
}

export async function increment(page: Page, times: number, title = 'Pumps'): Promise<void> {
  const card = page.getByRole('article', { name: title });
  for (let i = 0; i < times; i++) await card.getByRole('button', { name: 'Increment' }).click();
}

/** Waits until the page's outbox holds exactly `n` records (IndexedDB, i.e. durable). */
export async function expectDurableOutbox(page: Page, n: number): Promise<void> {
  await expect.poll(async () => (await outboxRecords(page)).length, { timeout: 10_000 }).toBe(n);
}

/** A copy of dist/ that a test may change (a new sw.js = an app update). */
export function copyOfDist(): { dir: string; bumpServiceWorker(): void; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'fieldboard-dist-'));
  cpSync(resolve(import.meta.dirname, '../../dist'), dir, { recursive: true });
  return {
    dir,
    bumpServiceWorker() {
      const file = join(dir, 'sw.js');
      writeFileSync(file, `${readFileSync(file, 'utf8')}\n// update ${Date.now()}\n`);
    },
    remove: () => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }),
  };
}

/**
 * A server of its own over a copy of the build, and a page signed in and synced there: a test can then
 * deploy "a new version" by changing the copy. `close` ends all three.
 */
export async function onCopyOfDist(browser: Browser): Promise<{
  dist: ReturnType<typeof copyOfDist>;
  server: KitServer;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}> {
  const dist = copyOfDist();
  const server = await startKitServer({ staticDir: dist.dir });
  const context = await browser.newContext({ baseURL: server.url });
  const close = async () => {
    await context.close();
    await server.stop();
    dist.remove();
  };
  try {
    const page = await context.newPage();
    await signIn(page);
    await waitForSynced(page);
    return { dist, server, context, page, close };
  } catch (e) {
    await close();
    throw e;
  }
}
