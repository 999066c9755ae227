/**
 * Two devices through the UI only: offline edits of every kind reach the other device, a note edited on
 * both while offline becomes a conflict that each resolution settles identically everywhere, a reload
 * offline still shows what is pending.
 */
import { apiDashboards, apiLogin, goOffline, goOnline, pendingCount, serverState, test, expect, waitForSynced } from '../kit/index.ts';
import { counterValue, device, expectOffline, noteBox, typeNote, widget, closeDevices } from './ui-helpers.ts';
import { editLayout } from './reorder-helpers.ts';

test.afterEach(closeDevices);

test('offline edits of every kind appear on the other device once online', async ({ browser, server }) => {
  const a = await device(browser, server.url);
  const b = await device(browser, server.url);
  await goOffline(a.context);
  await expectOffline(a.page);
  const pa = a.page;

  await widget(pa, 'Pumps').getByRole('button', { name: 'Increment' }).click();
  await widget(pa, 'Pumps').getByRole('button', { name: 'Increment' }).click();
  await typeNote(pa, 'Pump 2 is noisy');
  const checks = widget(pa, 'Valve check');
  await checks.getByRole('checkbox', { name: 'Inlet valve open' }).check();
  await checks.getByRole('textbox', { name: 'New item' }).fill('Filters clean');
  await checks.getByRole('button', { name: 'Add' }).click();
  await editLayout(pa);
  await widget(pa, 'Flow rate').getByRole('button', { name: 'Rename' }).click();
  await widget(pa, 'Flow rate').getByRole('textbox', { name: 'Title' }).fill('Flow');
  await widget(pa, 'Flow rate').getByRole('button', { name: 'Save title' }).click();
  const add = pa.getByRole('form', { name: 'Add widget' });
  await add.getByRole('textbox', { name: 'New widget title' }).fill('Valves');
  await add.getByRole('button', { name: 'Add widget' }).click();
  await widget(pa, 'Pumps').getByRole('button', { name: 'Move down' }).click();

  // Instant, offline: the optimistic view shows every edit, marked pending.
  await expect(counterValue(pa, 'Pumps')).toHaveText('2');
  await expect(widget(pa, 'Valves')).toBeVisible();
  await expect(widget(pa, 'Pumps').getByText('Pending')).toBeVisible();
  await expect.poll(() => pendingCount(pa)).toBeGreaterThan(0);
  // Nothing reached the other device yet.
  await expect(counterValue(b.page, 'Pumps')).toHaveText('0');

  await goOnline(a.context);
  await waitForSynced(pa);
  const pb = b.page;
  await expect(counterValue(pb, 'Pumps')).toHaveText('2');
  await expect(noteBox(pb)).toHaveValue('Pump 2 is noisy');
  await expect(widget(pb, 'Valve check').getByRole('checkbox', { name: 'Inlet valve open' })).toBeChecked();
  await expect(widget(pb, 'Valve check').getByRole('checkbox', { name: 'Filters clean' })).not.toBeChecked();
  await expect(widget(pb, 'Flow')).toBeVisible();
  await expect(widget(pb, 'Valves')).toBeVisible();
  await expect(pb.getByRole('article')).toHaveCount(5);
  // Same order on both devices (Pumps moved below Shift notes).
  const order = (p: typeof pa) => p.getByRole('article').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  await expect.poll(() => order(pb)).toEqual(['Shift notes', 'Pumps', 'Valve check', 'Flow', 'Valves']);
  expect(await order(pa)).toEqual(['Shift notes', 'Pumps', 'Valve check', 'Flow', 'Valves']);
  await expect(widget(pa, 'Pumps').getByText('Pending')).toHaveCount(0);
});

for (const resolution of ['Keep mine', 'Keep theirs', 'Edit'] as const) {
  test(`a note edited on both devices offline is a conflict; "${resolution}" converges everywhere`, async ({ browser, server }) => {
    const a = await device(browser, server.url);
    const b = await device(browser, server.url);
    await goOffline(a.context);
    await goOffline(b.context);
    await expectOffline(a.page);
    await expectOffline(b.page);
    await typeNote(a.page, 'from A');
    await typeNote(b.page, 'from B');
    await expect.poll(() => pendingCount(a.page)).toBe(1);
    await expect.poll(() => pendingCount(b.page)).toBe(1);

    await goOnline(a.context);
    await waitForSynced(a.page);
    await goOnline(b.context);
    const button = b.page.getByRole('button', { name: 'Conflicts (1)' });
    await expect(button).toBeVisible({ timeout: 15_000 });
    await expect(widget(b.page, 'Shift notes').getByText('Conflict')).toBeVisible();
    await button.click();
    const card = b.page.getByRole('region', { name: 'Conflict on Shift notes' });
    await expect(card.getByRole('cell', { name: 'from B' })).toBeVisible();
    await expect(card.getByRole('cell', { name: 'from A' })).toBeVisible();

    let expected: string;
    if (resolution === 'Edit') {
      await card.getByRole('button', { name: 'Edit' }).click();
      await expect(card.getByRole('textbox', { name: 'Edit Text' })).toHaveValue('from B');
      await card.getByRole('textbox', { name: 'Edit Text' }).fill('from A and B');
      await card.getByRole('button', { name: 'Save' }).click();
      expected = 'from A and B';
    } else {
      await card.getByRole('button', { name: resolution }).click();
      expected = resolution === 'Keep mine' ? 'from B' : 'from A';
    }
    await expect(b.page.getByRole('button', { name: /^Conflicts/ })).toHaveCount(0);
    await expect(b.page.getByText('No conflicts.')).toBeVisible();
    await b.page.getByRole('button', { name: 'Back to dashboard' }).click();
    await waitForSynced(b.page);
    await expect(noteBox(b.page)).toHaveValue(expected);
    await expect(noteBox(a.page)).toHaveValue(expected);
    const api = await apiLogin(server.url);
    const dashboards = await (await fetch(`${server.url}/api/dashboards`, { headers: { cookie: api.cookie } })).json();
    const widgets = await serverState(api, dashboards.dashboards[0].id);
    expect(widgets.find((w) => w.title === 'Shift notes')).toMatchObject({ kind: 'note', text: expected });
  });
}

test('a reload while offline still shows the pending edits and their count', async ({ browser, server }) => {
  const a = await device(browser, server.url);
  await goOffline(a.context);
  await expectOffline(a.page);
  await widget(a.page, 'Pumps').getByRole('button', { name: 'Increment' }).click();
  await typeNote(a.page, 'written offline');
  await expect.poll(() => pendingCount(a.page)).toBeGreaterThanOrEqual(2);
  const before = await pendingCount(a.page);

  await a.page.reload();
  await expectOffline(a.page);
  await expect(counterValue(a.page, 'Pumps')).toHaveText('1');
  await expect(noteBox(a.page)).toHaveValue('written offline');
  await expect.poll(() => pendingCount(a.page)).toBe(before);

  await goOnline(a.context);
  await waitForSynced(a.page);
  await expect(counterValue(a.page, 'Pumps')).toHaveText('1');
  // Chromium has Background Sync, storage persistence and an install prompt: nothing to warn about.
  await expect(a.page.getByRole('region', { name: 'In this browser' })).toHaveCount(0);
});

test('a counter clicked online only ever counts up: its own echo never shows it twice', async ({ browser, server }) => {
  const a = await device(browser, server.url);
  // Every value the counter's text takes, as painted: a mutation replayed on top of a replica that already
  // holds it would show one too many, then step back.
  await a.page.evaluate(() => {
    const el = [...document.querySelectorAll('article')].find((x) => x.getAttribute('aria-label') === 'Pumps')!.querySelector('.counter-value')!;
    const seen: string[] = [el.textContent ?? ''];
    (window as unknown as { seen: string[] }).seen = seen;
    new MutationObserver(() => seen.push(el.textContent ?? '')).observe(el, { childList: true, characterData: true, subtree: true });
  });
  const increment = widget(a.page, 'Pumps').getByRole('button', { name: 'Increment' });
  for (let i = 0; i < 15; i++) await increment.click();
  await waitForSynced(a.page);
  await expect(counterValue(a.page, 'Pumps')).toHaveText('15');
  const seen = (await a.page.evaluate(() => (window as unknown as { seen: string[] }).seen)).map(Number);
  expect(seen.length).toBeGreaterThanOrEqual(15);
  expect(seen.every((v, i) => i === 0 || v >= seen[i - 1]), `values shown: ${seen.join(' ')}`).toBe(true);
  const api = await apiLogin(server.url);
  const [dashboard] = await apiDashboards(api);
  expect((await serverState(api, dashboard.id)).find((w) => w.title === 'Pumps')).toMatchObject({ kind: 'counter', value: 15 });
});
