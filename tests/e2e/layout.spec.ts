/**
 * A layout that cannot break (issue 15), measured the way a person on a phone meets it: long words stay
 * inside their cards, the board does not jump when sync state appears, every control is big enough to hit
 * with a thumb, and Escape leaves an inline form.
 */
import type { Page } from '@playwright/test';
import { test, expect } from '../kit/fixtures.ts';
import { goOffline, goOnline, signIn, waitForSynced } from '../kit/index.ts';
import { widget } from './ui-helpers.ts';
import { editLayout } from './reorder-helpers.ts';

const LONG_WORD = `https://example.org/field/${'serial-A1B2C3D4E5F6'.repeat(6)}`;

async function addItem(page: Page, text: string): Promise<void> {
  const list = widget(page, 'Valve check');
  await list.getByRole('textbox', { name: 'New item' }).fill(text);
  await list.getByRole('button', { name: 'Add' }).click();
  await expect(list.getByRole('checkbox', { name: text })).toBeVisible();
}

/** Where the board starts on the page (its first card's top edge), in CSS px. */
const boardTop = (page: Page) => page.getByRole('article').first().evaluate((el) => el.getBoundingClientRect().top + window.scrollY);

for (const width of [360, 1280]) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: 800 } });

    test('a long word stays inside its card and the page never scrolls sideways', async ({ page }) => {
      await signIn(page);
      await addItem(page, LONG_WORD);
      // Measured in Edit layout, where the cards also carry their handles and toolbars.
      await editLayout(page);
      await widget(page, 'Pumps').getByRole('button', { name: 'Rename' }).click();
      await widget(page, 'Pumps').getByRole('textbox', { name: 'Title' }).fill(`Pump ${'X'.repeat(80)}`);
      await widget(page, 'Pumps').getByRole('button', { name: 'Save title' }).click();
      await waitForSynced(page);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      // Every element of every card lies within its card.
      const outside = await page.getByRole('article').evaluateAll((cards) =>
        cards.flatMap((card) => {
          const box = card.getBoundingClientRect();
          return [...card.querySelectorAll('*')]
            .filter((el) => {
              const r = el.getBoundingClientRect();
              return r.width > 0 && (r.left < box.left - 0.5 || r.right > box.right + 0.5);
            })
            .map((el) => `${card.getAttribute('aria-label')}: <${el.tagName.toLowerCase()}> ${el.textContent?.slice(0, 40)}`);
        }),
      );
      expect(outside).toEqual([]);
    });

    test('the board does not move when the app goes offline, changes wait and Retry now appears', async ({ page, context, server }) => {
      await signIn(page);
      await waitForSynced(page);
      const before = await boardTop(page);
      await goOffline(context);
      await widget(page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
      await expect(page.getByText('1 pending')).toBeVisible();
      expect(await boardTop(page)).toBe(before);
      await goOnline(context);
      await server.down();
      await widget(page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
      await expect(page.getByRole('button', { name: 'Retry now' })).toBeVisible({ timeout: 20_000 });
      expect(await boardTop(page)).toBe(before);
      // The app finds the server again by itself (its probes), and Retry now goes away as it does: clicking it
      // here raced that and waited for a button that had left.
      await server.up();
      await waitForSynced(page, 30_000);
      expect(await boardTop(page)).toBe(before);
    });
  });
}

test.describe('on a phone', () => {
  test.use({ viewport: { width: 360, height: 740 }, hasTouch: true });

  test('every control is at least 44 x 44 px, in Edit layout and in the undo toast too', async ({ page }) => {
    await signIn(page);
    await addItem(page, 'Spare seal');
    const tooSmall = () =>
      page.evaluate(() => {
        const controls = document.querySelectorAll<HTMLElement>('button, input, select, textarea, a[href], [role="button"]');
        return [...controls]
          .filter((el) => el.offsetParent !== null)
          .map((el) => {
            // A checkbox is hit through its whole label.
            const target = el instanceof HTMLInputElement && el.type === 'checkbox' ? (el.closest('label') ?? el) : el;
            const r = target.getBoundingClientRect();
            const name = el.getAttribute('aria-label') ?? el.textContent?.trim() ?? el.getAttribute('name') ?? el.tagName;
            return { name: `${el.tagName.toLowerCase()} "${name}"`, w: Math.round(r.width), h: Math.round(r.height) };
          })
          .filter((c) => c.w < 44 || c.h < 44)
          .map((c) => `${c.name}: ${c.w} x ${c.h}`);
      });
    expect(await tooSmall()).toEqual([]);
    await editLayout(page);
    await widget(page, 'Valve check').getByRole('button', { name: 'Remove Spare seal' }).click();
    await expect(page.getByRole('button', { name: 'Undo' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Reorder Pumps' })).toBeVisible();
    expect(await tooSmall()).toEqual([]);
  });

  test('the status bar stays on screen while the board scrolls', async ({ page, context }) => {
    await signIn(page);
    await goOffline(context);
    await widget(page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
    await page.mouse.wheel(0, 2_000);
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    for (const handle of [page.getByRole('status'), page.getByText('1 pending')]) {
      const box = await handle.boundingBox();
      expect(box, 'visible').not.toBeNull();
      expect(box!.y).toBeGreaterThanOrEqual(0);
      expect(box!.y + box!.height).toBeLessThanOrEqual(740);
    }
  });
});

test('Escape closes an inline form without saving', async ({ page }) => {
  await signIn(page);
  const pumps = widget(page, 'Pumps');
  await editLayout(page);
  await pumps.getByRole('button', { name: 'Rename' }).click();
  await pumps.getByRole('textbox', { name: 'Title' }).fill('Not this');
  await page.keyboard.press('Escape');
  await expect(pumps.getByRole('textbox', { name: 'Title' })).toHaveCount(0);
  await expect(widget(page, 'Pumps')).toBeVisible();
  await expect(page.getByRole('article', { name: 'Not this' })).toHaveCount(0);
  // And a checklist item's edit form.
  const list = widget(page, 'Valve check');
  await list.getByRole('button', { name: 'Edit Inlet valve open' }).click();
  // The form takes the focus when it opens, so Escape reaches it without a click into it.
  await expect(list.getByRole('textbox', { name: 'Item text' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(list.getByRole('checkbox', { name: 'Inlet valve open' })).toBeVisible();
});
