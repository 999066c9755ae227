/**
 * Small helpers for the UI end-to-end specs: a device (browser context + signed-in page) and reading
 * widgets through their accessible names, the same handles a person's screen reader uses.
 */
import type { Browser, BrowserContext, BrowserContextOptions, Locator, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { expect, signIn, waitForSynced } from '../kit/index.ts';

export interface Device {
  context: BrowserContext;
  page: Page;
}

const open = new Set<BrowserContext>();

/**
 * A second browser profile is a second device: its own service worker, outbox and client id. Close them
 * with `closeDevices` after each test: a device left open keeps its worker retrying a server that is gone,
 * on the browser the next tests share.
 */
export async function device(browser: Browser, baseURL: string, options: BrowserContextOptions = {}): Promise<Device> {
  const context = await browser.newContext({ ...options, baseURL });
  open.add(context);
  const page = await context.newPage();
  await signIn(page);
  await waitForSynced(page);
  return { context, page };
}

export const widget = (page: Page, title: string): Locator => page.getByRole('article', { name: title, exact: true });

export const counterValue = (page: Page, title: string): Locator => widget(page, title).locator('.counter-value');

export const noteBox = (page: Page, title = 'Shift notes'): Locator =>
  widget(page, title).getByRole('textbox', { name: 'Note' });

/** Types into a note and leaves it, so the edit is sent now rather than after the debounce. */
export async function typeNote(page: Page, text: string, title = 'Shift notes'): Promise<void> {
  await noteBox(page, title).fill(text);
  await noteBox(page, title).blur();
}

export async function expectOffline(page: Page): Promise<void> {
  await expect(page.getByRole('status')).toContainText('Offline', { timeout: 5_000 });
}

/** Closes every device `device` opened (an `afterEach` of the specs that use it). */
export async function closeDevices(): Promise<void> {
  const all = [...open];
  open.clear();
  await Promise.all(all.map((c) => c.close().catch(() => {})));
}

/** axe on the page as it is: no serious or critical violation (contrast included). */
export async function expectAxeClean(page: Page): Promise<void> {
  const r = await new AxeBuilder({ page }).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}
