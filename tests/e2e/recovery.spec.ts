/**
 * Recovery after a server outage: the worker backs off while the server is down (up to a minute between
 * tries), but with a tab open it probes the server's health every couple of seconds, so once the server is
 * back the tab is Online and drained within seconds, not at the end of the backoff. Meanwhile nothing
 * reads like data loss: edits waiting to be sent say so.
 */
import { test, expect, pendingCount, waitForSynced } from '../kit/index.ts';
import { counterValue, device, widget, closeDevices } from './ui-helpers.ts';

test.afterEach(closeDevices);

test('after a long outage the tab is Online and drained within 5 s of the server coming back', async ({ browser, server }) => {
  test.setTimeout(120_000);
  const a = await device(browser, server.url);
  const pa = a.page;
  await server.down('kill');
  await expect(pa.getByRole('status')).toContainText('Retrying', { timeout: 15_000 });

  // Edits while the server is down: kept, and marked as waiting, never as failed.
  const increment = widget(pa, 'Pumps').getByRole('button', { name: 'Increment' });
  await increment.click();
  await increment.click();
  await expect(counterValue(pa, 'Pumps')).toHaveText('2');
  await expect(widget(pa, 'Pumps').getByText('Waiting to send (retrying)')).toBeVisible({ timeout: 15_000 });
  await expect(pa.getByText('Failed to send')).toHaveCount(0);
  await expect(pa.getByRole('button', { name: 'Retry now' })).toBeVisible();

  // Long enough for the backoff to grow well past 5 s between tries.
  await pa.waitForTimeout(25_000);
  const waiting = await pa.getByRole('status').textContent();
  expect(waiting).toMatch(/^Retrying in \d+s/);

  await server.up();
  const back = Date.now();
  await expect(pa.getByRole('status')).toHaveText(/^Online/, { timeout: 5_000 });
  await expect.poll(() => pendingCount(pa), { timeout: Math.max(1, 5_000 - (Date.now() - back)) }).toBe(0);
  await waitForSynced(pa);
  await expect(widget(pa, 'Pumps').getByText('Waiting to send (retrying)')).toHaveCount(0);
});

test('"Retry now" tries at once while the worker waits to retry', async ({ browser, server }) => {
  const a = await device(browser, server.url);
  const pa = a.page;
  await server.down('kill');
  await expect(pa.getByRole('status')).toContainText('Retrying', { timeout: 15_000 });
  await server.up();
  // The app probes the server every 2 s while it waits: on a loaded machine its probe can find the server
  // before the click lands, and the button leaves with the backoff (CI and a merged run both saw a click
  // wait a minute for a button that had gone). Either way the tab must be Online at once.
  await pa
    .getByRole('button', { name: 'Retry now' })
    .click({ timeout: 3_000 })
    .catch(() => expect(pa.getByRole('status')).toHaveText(/^Online/, { timeout: 1_000 }));
  await expect(pa.getByRole('status')).toHaveText(/^Online/, { timeout: 5_000 });
});
