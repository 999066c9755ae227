/**
 * What people really do with a note on two devices, online: type into it within a second of each other, and
 * keep typing into it while its conflict waits. Nothing either person typed may vanish without a conflict
 * shown (docs/testing.md, "Typed words vanish").
 */
import { apiDashboards, apiLogin, serverState, test, expect, waitForSynced } from '../kit/index.ts';
import { device, noteBox, typeNote, widget, type Device } from './ui-helpers.ts';

type Pg = Device['page'];

async function serverNote(url: string): Promise<string> {
  const api = await apiLogin(url);
  const [d] = await apiDashboards(api);
  const w = (await serverState(api, d.id)).find((x) => x.title === 'Shift notes');
  return w?.kind === 'note' ? w.text : '';
}

/** Types like a person: one key at a time, ~60 ms apart, so the note's 300 ms send delay keeps restarting. */
const typeSlowly = (page: Pg, text: string) => noteBox(page).pressSequentially(text, { delay: 60 });

/**
 * A starts typing at the end of "X1"; while A is still typing, B's " from B" is sent and reaches A. A's words
 * were typed on "X1", so when A's note is sent B's change is a conflict (or a merge), never overwritten.
 */
async function raceOnNote(a: Device, b: Device): Promise<void> {
  await typeNote(a.page, 'X1');
  await expect(noteBox(b.page)).toHaveValue('X1');
  await noteBox(a.page).focus();
  await noteBox(a.page).press('End');
  const typingA = typeSlowly(a.page, ' from A');
  await a.page.waitForTimeout(120);
  await noteBox(b.page).press('End');
  await noteBox(b.page).pressSequentially(' from B');
  await noteBox(b.page).blur();
  await typingA;
  await noteBox(a.page).blur();
}

test.describe('two devices typing into one note', () => {
  for (let round = 1; round <= 3; round++) {
    test(`within a second of each other: neither's words vanish (try ${round})`, async ({ browser, server }) => {
      const a = await device(browser, server.url);
      const b = await device(browser, server.url);
      await raceOnNote(a, b);

      // Both typed at the end of the same text: the edits overlap, so A must be shown a conflict holding both.
      const conflicts = a.page.getByRole('button', { name: 'Conflicts (1)' });
      await expect(conflicts).toBeVisible();
      await expect(widget(a.page, 'Shift notes').getByText('Conflict')).toBeVisible();
      await conflicts.click();
      const card = a.page.getByRole('region', { name: 'Conflict on Shift notes' });
      await expect(card.getByRole('cell', { name: 'X1 from A' })).toBeVisible();
      await expect(card.getByRole('cell', { name: 'X1 from B' })).toBeVisible();
      // Until A chooses, the server keeps B's words.
      expect(await serverNote(server.url)).toBe('X1 from B');
      await card.getByRole('button', { name: 'Edit' }).click();
      await card.getByRole('textbox', { name: 'Edit Text' }).fill('X1 from B from A');
      await card.getByRole('button', { name: 'Save' }).click();
      await a.page.getByRole('button', { name: 'Back to dashboard' }).click();
      await waitForSynced(a.page);
      await expect(noteBox(b.page)).toHaveValue('X1 from B from A');
      expect(await serverNote(server.url)).toBe('X1 from B from A');
    });
  }

  test('edits that do not overlap merge by themselves and say so', async ({ browser, server }) => {
    const a = await device(browser, server.url);
    const b = await device(browser, server.url);
    await typeNote(a.page, 'Pump 2 is noisy.');
    await expect(noteBox(b.page)).toHaveValue('Pump 2 is noisy.');
    // A fixes the start while B appends at the end, within the same second.
    await noteBox(a.page).focus();
    await noteBox(a.page).press('Home');
    await noteBox(a.page).press('Delete');
    await noteBox(a.page).press('Delete');
    await noteBox(a.page).press('Delete');
    await noteBox(a.page).press('Delete');
    const typingA = noteBox(a.page).pressSequentially('Pump 3', { delay: 60 });
    await a.page.waitForTimeout(100);
    await noteBox(b.page).press('End');
    await noteBox(b.page).pressSequentially(' Check the bearing.');
    await noteBox(b.page).blur();
    await typingA;
    await noteBox(a.page).blur();

    const merged = 'Pump 3 2 is noisy. Check the bearing.';
    await expect.poll(() => serverNote(server.url)).toBe(merged);
    await expect(noteBox(a.page)).toHaveValue(merged);
    await expect(noteBox(b.page)).toHaveValue(merged);
    await expect(a.page.getByRole('button', { name: /^Conflicts/ })).toHaveCount(0);
    await a.page.getByRole('button', { name: 'Activity' }).click();
    await expect(a.page.getByText(/merged automatically/).first()).toBeVisible();
  });

  test('a note whose conflict is parked keeps following the other device, and typing into it is kept', async ({ browser, server }) => {
    const a = await device(browser, server.url);
    const b = await device(browser, server.url);
    await raceOnNote(a, b);
    await expect(a.page.getByRole('button', { name: 'Conflicts (1)' })).toBeVisible();

    // B goes on editing; A keeps typing into the conflicted note.
    await noteBox(b.page).press('End');
    await noteBox(b.page).pressSequentially(' again');
    await noteBox(b.page).blur();
    await expect.poll(() => serverNote(server.url)).toBe('X1 from B again');
    await noteBox(a.page).press('End');
    await typeSlowly(a.page, ' more');
    await noteBox(a.page).blur();
    await expect(noteBox(a.page)).toHaveValue('X1 from A more');

    // Still one conflict, now between A's latest words and B's latest words.
    await a.page.getByRole('button', { name: 'Conflicts (1)' }).click();
    const card = a.page.getByRole('region', { name: 'Conflict on Shift notes' });
    await expect(card.getByRole('cell', { name: 'X1 from A more' })).toBeVisible();
    await expect(card.getByRole('cell', { name: 'X1 from B again' })).toBeVisible();
    await card.getByRole('button', { name: 'Keep mine' }).click();
    await a.page.getByRole('button', { name: 'Back to dashboard' }).click();
    await waitForSynced(a.page);
    await expect(noteBox(b.page)).toHaveValue('X1 from A more');
    await expect(noteBox(a.page)).toHaveValue('X1 from A more');
    expect(await serverNote(server.url)).toBe('X1 from A more');
    // And the note follows B again.
    await noteBox(b.page).press('End');
    await noteBox(b.page).pressSequentially(' ok');
    await noteBox(b.page).blur();
    await expect(noteBox(a.page)).toHaveValue('X1 from A more ok');
  });
});
