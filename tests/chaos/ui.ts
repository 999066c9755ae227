/**
 * Driving Fieldboard the way a person does, through the accessible names README promises (widgets are
 * <article>s named by title; buttons Increment/Decrement, Rename, Move up/down, Delete; the note's "Note"
 * textbox; checklist "New item"/"Add", item checkboxes named by their text; the "Add widget" form; the
 * "Edit layout" toggle that shows Rename, Move up/down and Delete; the
 * "Conflicts (N)" button and its cards), and reading back what every tab renders.
 */
import { formatValue } from '../../src/state/number-format.ts';
import type { BrowserContext, Locator, Page } from '@playwright/test';
import { expect } from '@playwright/test';
import type { Widget } from '../../protocol/index.ts';
import { comparePositions } from '../../src/state/fractional-index.ts';

/** How long one UI action may wait for its element: the DOM moves under a chaos run (other devices' edits). */
export const ACTION_MS = 3_000;

export interface Tab {
  name: string;
  page: Page;
}

export interface Device {
  name: string;
  context: BrowserContext;
  tabs: Tab[];
  offline: boolean;
  /** False for a browser without Background Sync (tests/kit/profiles.ts): no sync event is ever fired. */
  backgroundSync: boolean;
}

/** Waits until a tab shows the signed-in app with the dashboard's widgets (from IndexedDB or the network). */
export async function waitForApp(page: Page): Promise<void> {
  await expect(page.getByRole('status')).not.toContainText('Signed out', { timeout: 15_000 });
  await expect(page.getByRole('article').first()).toBeVisible({ timeout: 15_000 });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 });
}

export const articles = (page: Page, kind?: string): Locator =>
  kind ? page.locator(`section[aria-label="Widgets"] article.widget-${kind}`) : page.locator('section[aria-label="Widgets"] article');

/** Turns "Edit layout" on, where Rename, Move up/down and Delete live (a reload turns it off again). */
export async function editLayout(page: Page): Promise<void> {
  const toggle = page.getByRole('button', { name: 'Edit layout' });
  if ((await toggle.getAttribute('aria-pressed', { timeout: ACTION_MS })) !== 'true') await toggle.click({ timeout: ACTION_MS });
}

/** Back to the board if a panel (pending, conflicts, activity) is open. */
export async function toBoard(page: Page): Promise<void> {
  const back = page.getByRole('button', { name: 'Back to dashboard' });
  if (await back.isVisible().catch(() => false)) await back.click({ timeout: ACTION_MS });
}

export interface RenderedWidget {
  title: string;
  kind: string;
  value?: string;
  text?: string;
  items?: { text: string; done: boolean }[];
}

/** What a tab renders on its board, in display order. */
export async function renderedView(page: Page): Promise<RenderedWidget[]> {
  return articles(page).evaluateAll((els) =>
    els.map((el) => {
      const kind = (el.className.match(/widget-(counter|note|checklist|metric)/) ?? [])[1] ?? '?';
      const out: { title: string; kind: string; value?: string; text?: string; items?: { text: string; done: boolean }[] } = {
        title: el.getAttribute('aria-label') ?? '',
        kind,
      };
      if (kind === 'counter') out.value = el.querySelector('.counter-value')?.textContent ?? '';
      if (kind === 'note') out.text = (el.querySelector('textarea') as HTMLTextAreaElement | null)?.value ?? '';
      if (kind === 'metric') out.value = el.querySelector('.metric-value')?.textContent ?? '';
      if (kind === 'checklist') {
        out.items = [...el.querySelectorAll('.checklist li')].map((li) => ({
          text: li.querySelector('label.check span')?.textContent ?? '',
          done: (li.querySelector('input[type=checkbox]') as HTMLInputElement | null)?.checked ?? false,
        }));
      }
      return out;
    }),
  );
}

/** The same shape from the server's widgets, in the order every tab sorts them (position, then id). */
export function expectedView(widgets: Widget[]): RenderedWidget[] {
  return [...widgets]
    .sort((a, b) => comparePositions(a.position, b.position) || comparePositions(a.id, b.id))
    .map((w) => {
      const base = { title: w.title, kind: w.kind };
      switch (w.kind) {
        case 'counter':
          return { ...base, value: String(w.value) };
        case 'note':
          return { ...base, text: w.text };
        case 'checklist':
          return { ...base, items: w.items.map((i) => ({ text: i.text, done: i.done })) };
        case 'metric':
          // The widget's own formatting (src/state/number-format.ts), so the two can never disagree again.
          return { ...base, value: w.value === null ? '—' : formatValue(w.value) };
      }
    });
}

/** What a tab says about sync: status text, pending count, conflicts count, and the widgets' sync marks. */
export async function syncState(page: Page): Promise<{ status: string; pending: number; conflicts: number; marks: number }> {
  return page.evaluate(() => {
    const status = document.querySelector('[role=status]')?.textContent ?? '';
    const pending = Number((document.querySelector('.pending-count')?.textContent ?? '0').match(/^(\d+)/)?.[1] ?? 0);
    // Wherever the app puts it (the nav once, the status bar now): the one button named "Conflicts (N)".
    const button = [...document.querySelectorAll('button')].find((b) => /^Conflicts \(\d+\)$/.test(b.textContent ?? ''));
    const conflicts = button ? Number(button.textContent!.match(/\((\d+)\)/)![1]) : 0;
    const marks = document.querySelectorAll('article .marks li').length;
    return { status, pending, conflicts, marks };
  });
}
