/**
 * Opening the app does not move what is on screen (found by Lighthouse: a cumulative layout shift of 0.21,
 * README "Lighthouse"). The board painted empty, with "no widgets yet" and the Add form, before this
 * browser's copy of the dashboard was read from IndexedDB; the widgets then pushed the form down. The
 * browser's own Layout Instability API counts every shift of a new tab opened on a signed-in phone.
 */
import { test, expect, signIn } from '../kit/index.ts';

test('a signed-in phone opening the app sees no layout shift', async ({ browser, server }) => {
  const context = await browser.newContext({
    baseURL: server.url,
    viewport: { width: 412, height: 823 },
    deviceScaleFactor: 1.75,
    isMobile: true,
    hasTouch: true,
  });
  try {
    await signIn(await context.newPage());
    await context.addInitScript(() => {
      const w = window as unknown as { shifts: string[] };
      w.shifts = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as (PerformanceEntry & { value: number; sources: { node?: Node }[] })[]) {
          w.shifts.push(`${e.value.toFixed(3)} ${e.sources.map((s) => (s.node as Element | undefined)?.className ?? '?').join(', ')}`);
        }
      }).observe({ type: 'layout-shift', buffered: true });
    });
    const page = await context.newPage();
    await page.goto('/');
    await expect(page.getByRole('article', { name: 'Flow rate' })).toBeVisible();
    await expect(page.getByRole('status')).toContainText('Online');
    expect(await page.evaluate(() => (window as unknown as { shifts: string[] }).shifts)).toEqual([]);
  } finally {
    await context.close();
  }
});
