/**
 * "Edit layout" (issue 15): the layout controls stay out of the way until asked for; a card is reordered by
 * dragging its handle with a mouse or a finger, or by keyboard (pick up, arrows, drop, announced); each
 * drop is one `widget.move` that reaches another device, also when it was made offline. Escape puts back a
 * held card and then leaves the mode.
 */
import { goOffline, goOnline, test, expect, waitForSynced } from '../kit/index.ts';
import { closeDevices, device, expectOffline, widget } from './ui-helpers.ts';
import { announcement, editLayout, handle, mouseDrag, order, touchDrag } from './reorder-helpers.ts';

test.afterEach(closeDevices);

const SEEDED = ['Pumps', 'Shift notes', 'Valve check', 'Flow rate'];

test('cards show their own actions; Rename, Move, Delete and the handles only in Edit layout, which Escape leaves', async ({ browser, server }) => {
  const { page } = await device(browser, server.url);
  const pumps = widget(page, 'Pumps');
  await expect(pumps.getByRole('button', { name: 'Increment' })).toBeVisible();
  for (const name of ['Rename', 'Move up', 'Move down', 'Delete', 'Reorder Pumps']) await expect(pumps.getByRole('button', { name })).toHaveCount(0);

  await editLayout(page);
  for (const name of ['Rename', 'Move down', 'Delete', 'Reorder Pumps']) await expect(pumps.getByRole('button', { name })).toBeVisible();
  // Escape closes an open form first and leaves the mode only when nothing else took it.
  await pumps.getByRole('button', { name: 'Rename' }).click();
  await expect(pumps.getByRole('textbox', { name: 'Title' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(pumps.getByRole('textbox', { name: 'Title' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Edit layout' })).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('button', { name: 'Edit layout' })).toHaveAttribute('aria-pressed', 'false');
  await expect(page.getByRole('button', { name: 'Edit layout' })).toBeFocused();
  await expect(pumps.getByRole('button', { name: 'Rename' })).toHaveCount(0);
});

test.describe('at 1280 px with a mouse', () => {
  test.use({ viewport: { width: 1280, height: 800 } });

  test('dragging a card by its handle moves it there, on this device and another', async ({ browser, server }) => {
    const a = await device(browser, server.url);
    const b = await device(browser, server.url);
    await a.page.setViewportSize({ width: 1280, height: 800 });
    expect(await order(a.page)).toEqual(SEEDED);
    await editLayout(a.page);
    await mouseDrag(a.page, 'Pumps', 'Valve check', 'after', 'x');
    await expect(announcement(a.page)).toHaveText('Pumps dropped at position 3 of 4.');
    expect(await order(a.page)).toEqual(['Shift notes', 'Valve check', 'Pumps', 'Flow rate']);
    await waitForSynced(a.page);
    await expect.poll(() => order(b.page)).toEqual(['Shift notes', 'Valve check', 'Pumps', 'Flow rate']);
    // A card dropped back in front of itself goes nowhere and writes nothing.
    await mouseDrag(a.page, 'Flow rate', 'Pumps', 'after', 'x');
    await expect(announcement(a.page)).toHaveText('Flow rate dropped where it was, position 4 of 4.');
  });

  test('Escape during a drag puts the card back', async ({ page }) => {
    const { signIn } = await import('../kit/index.ts');
    await signIn(page);
    await editLayout(page);
    const from = await handle(page, 'Pumps').boundingBox();
    await page.mouse.move(from!.x + 10, from!.y + 10);
    await page.mouse.down();
    await page.mouse.move(from!.x + 700, from!.y + 20, { steps: 8 });
    await page.keyboard.press('Escape');
    await expect(announcement(page)).toHaveText('Reorder cancelled. Pumps is back at position 1 of 4.');
    await page.mouse.up();
    expect(await order(page)).toEqual(SEEDED);
    await expect(page.getByRole('button', { name: 'Edit layout' })).toHaveAttribute('aria-pressed', 'true');
  });
});

test.describe('on a 360 px phone with a finger', () => {
  test('a touch drag moves the card, and the other device shows the new order', async ({ browser, server }) => {
    const context = await browser.newContext({ baseURL: server.url, viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });
    try {
      const page = await context.newPage();
      const { signIn } = await import('../kit/index.ts');
      await signIn(page);
      await waitForSynced(page);
      const b = await device(browser, server.url);
      await editLayout(page);
      // Pumps is off screen once Shift notes' handle is in reach: the page scrolls under the finger.
      await touchDrag(context, page, 'Shift notes', 'Pumps', 'before');
      await expect(announcement(page)).toHaveText('Shift notes dropped at position 1 of 4.');
      expect(await order(page)).toEqual(['Shift notes', 'Pumps', 'Valve check', 'Flow rate']);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
      await waitForSynced(page);
      await expect.poll(() => order(b.page)).toEqual(['Shift notes', 'Pumps', 'Valve check', 'Flow rate']);
    } finally {
      await context.close();
    }
  });
});

test('by keyboard: Space picks up, arrows move, Space drops, each step announced; offline it syncs later', async ({ browser, server }) => {
  const a = await device(browser, server.url);
  const b = await device(browser, server.url);
  const page = a.page;
  await editLayout(page);

  // Escape puts a held card back and keeps the mode.
  await handle(page, 'Pumps').focus();
  await page.keyboard.press('Space');
  await expect(announcement(page)).toHaveText(/^Picked up Pumps, position 1 of 4\. Arrow keys move it/);
  await page.keyboard.press('ArrowDown');
  await expect(announcement(page)).toHaveText('Pumps, position 2 of 4.');
  expect(await order(page)).toEqual(['Shift notes', 'Pumps', 'Valve check', 'Flow rate']);
  await page.keyboard.press('Escape');
  await expect(announcement(page)).toHaveText('Reorder cancelled. Pumps is back at position 1 of 4.');
  expect(await order(page)).toEqual(SEEDED);
  await expect(page.getByRole('button', { name: 'Edit layout' })).toHaveAttribute('aria-pressed', 'true');

  await goOffline(a.context);
  await expectOffline(page);
  await handle(page, 'Pumps').focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(handle(page, 'Pumps')).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(announcement(page)).toHaveText('Pumps is already at position 4 of 4.');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Space');
  await expect(announcement(page)).toHaveText('Pumps dropped at position 3 of 4.');
  const moved = ['Shift notes', 'Valve check', 'Pumps', 'Flow rate'];
  expect(await order(page)).toEqual(moved);
  await expect(widget(page, 'Pumps').getByText('Pending')).toBeVisible();
  expect(await order(b.page)).toEqual(SEEDED);

  await goOnline(a.context);
  await waitForSynced(page);
  await expect.poll(() => order(b.page)).toEqual(moved);
  expect(await order(page)).toEqual(moved);
});
