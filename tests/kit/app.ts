/**
 * Driving the app through its documented test handles (README "For testers"): the labelled sign-in
 * fields, the status element, the "N pending" text.
 */
import { expect, type Page } from '@playwright/test';

export async function signIn(page: Page, username = 'demo', password = 'demo'): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('status')).not.toContainText('Signed out');
  // The first visit must be controlled before anything relies on the service worker.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  // As a person would, see the dashboard once before going offline: until the service worker has synced it
  // (its cursor is in IndexedDB), an offline board is empty (seen: a test went offline 40 ms after sign-in).
  const switcher = page.getByRole('combobox', { name: 'Dashboard' });
  await expect(switcher).not.toHaveValue('');
  const dashboardId = await switcher.inputValue();
  await page.waitForFunction(
    (id) =>
      new Promise<boolean>((resolve) => {
        const open = indexedDB.open('fieldboard');
        open.onerror = () => resolve(false);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('cursors')) return db.close(), resolve(false);
          const req = db.transaction('cursors').objectStore('cursors').get(id);
          req.onsuccess = () => (db.close(), resolve(req.result !== undefined));
          req.onerror = () => (db.close(), resolve(false));
        };
      }),
    dashboardId,
    { polling: 100 },
  );
  await expect(page.getByRole('status')).toContainText('Online');
}

/** Unsynced mutations shown by the page ("N pending"); 0 when the count is not shown. */
export async function pendingCount(page: Page): Promise<number> {
  const text = await page.getByText(/^\d+ pending/).first().textContent({ timeout: 500 }).catch(() => null);
  const m = text?.match(/^(\d+) pending/);
  return m ? Number(m[1]) : 0;
}

/** Waits until the page says it is online, caught up and has nothing pending. */
export async function waitForSynced(page: Page, timeout = 15_000): Promise<void> {
  await expect(page.getByRole('status')).toContainText('Online', { timeout });
  await expect.poll(() => pendingCount(page), { timeout }).toBe(0);
}
