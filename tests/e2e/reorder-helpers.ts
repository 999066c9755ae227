/**
 * Driving "Edit layout" as a person does (issue 15): the toggle, a drag by mouse or by finger, and the
 * board's order as the screen shows it.
 */
import type { BrowserContext, Locator, Page } from '@playwright/test';
import { expect } from '../kit/index.ts';
import { widget } from './ui-helpers.ts';

/** Turns "Edit layout" on (or off) unless it already is. */
export async function editLayout(page: Page, on = true): Promise<void> {
  const toggle = page.getByRole('button', { name: 'Edit layout' });
  if ((await toggle.getAttribute('aria-pressed')) !== String(on)) await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', String(on));
}

/** The cards' titles in the order the board shows them. */
export const order = (page: Page): Promise<string[]> =>
  page.getByRole('article').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));

export const handle = (page: Page, title: string): Locator => widget(page, title).getByRole('button', { name: `Reorder ${title}` });

/** The sentence the board last gave screen readers about a reorder. */
export const announcement = (page: Page): Locator => page.locator('[aria-live="assertive"]');

async function centre(l: Locator): Promise<{ x: number; y: number }> {
  const b = await l.boundingBox();
  if (!b) throw new Error('not on screen');
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

/** A point inside `target`'s card, a quarter of the way in from the side it should land on. */
async function landing(page: Page, target: string, side: 'before' | 'after', axis: 'x' | 'y'): Promise<{ x: number; y: number }> {
  const b = await widget(page, target).boundingBox();
  if (!b) throw new Error(`${target} is not on screen`);
  const f = side === 'before' ? 0.25 : 0.75;
  return axis === 'x' ? { x: b.x + b.width * f, y: b.y + b.height / 2 } : { x: b.x + b.width / 2, y: b.y + b.height * f };
}

/** Drags `title` by its handle with the mouse onto `side` of `target`, in small steps as a hand moves. */
export async function mouseDrag(page: Page, title: string, target: string, side: 'before' | 'after', axis: 'x' | 'y'): Promise<void> {
  const from = await centre(handle(page, title));
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  const to = await landing(page, target, side, axis);
  await page.mouse.move(to.x, to.y, { steps: 12 });
  await expect(widget(page, target)).toHaveClass(new RegExp(`drop-${side}`));
  await page.mouse.up();
}

/**
 * Drags `title` by its handle with one finger onto `side` of `target`: real touch events through the
 * DevTools protocol (Chromium turns them into pointer events of type touch, as on a phone; Playwright's own
 * touchscreen only taps). A target off screen is reached as a person does: the finger holds at the window's
 * edge while the board scrolls, then goes to it.
 */
export async function touchDrag(context: BrowserContext, page: Page, title: string, target: string, side: 'before' | 'after'): Promise<void> {
  await handle(page, title).scrollIntoViewIfNeeded();
  const cdp = await context.newCDPSession(page);
  let at = await centre(handle(page, title));
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at] });
  const slide = async (to: { x: number; y: number }, steps: number) => {
    const from = at;
    for (let i = 1; i <= steps; i++) {
      const point = { x: from.x + ((to.x - from.x) * i) / steps, y: from.y + ((to.y - from.y) * i) / steps };
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [point] });
    }
    at = to;
  };
  const height = page.viewportSize()?.height ?? 740;
  const margin = 100; // clear of the edge zones where the page scrolls under a dragged card
  const onScreen = async () => {
    const y = (await landing(page, target, side, 'y')).y;
    return y < margin ? 'above' : y > height - margin ? 'below' : 'here';
  };
  const where = await onScreen();
  if (where !== 'here') {
    await slide({ x: at.x, y: where === 'above' ? 8 : height - 8 }, 8);
    await expect.poll(onScreen).toBe('here');
  }
  await slide(await landing(page, target, side, 'y'), 12);
  await expect(widget(page, target)).toHaveClass(new RegExp(`drop-${side}`));
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}
