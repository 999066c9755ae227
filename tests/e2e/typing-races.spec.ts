/**
 * What people really do with a note on two devices, online: type into it within a second of each other, and
 * keep typing into it while its conflict waits. Nothing either person typed may vanish without a conflict
 * shown (docs/testing.md, "Typed words vanish").
 */
import { apiDashboards, apiLogin, serverState, test, expect, waitForSynced } from '../kit/index.ts';
import { device, noteBox, typeNote, widget, type Device, closeDevices } from './ui-helpers.ts';

test.afterEach(closeDevices);

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

type RaceEnd = { merged: true } | { merged: false; on: Device };

/**
 * How a race ended, once it settled: merged on the server (every word of `words` there), or a conflict shown
 * on one device. Which device sends second (and so is asked) depends on timing; what may never happen is a
 * word gone with no conflict shown.
 */
async function raceEnd(url: string, devices: Device[], words: string[]): Promise<RaceEnd> {
  let end: RaceEnd | null = null;
  await expect
    .poll(
      async () => {
        const text = await serverNote(url);
        if (words.every((w) => text.includes(w))) end = { merged: true };
        for (const d of devices) {
          if (!end && (await d.page.getByRole('button', { name: 'Conflicts (1)' }).isVisible())) end = { merged: false, on: d };
        }
        return end !== null;
      },
      { timeout: 20_000, message: `neither merged (${words.join(', ')} on the server) nor a conflict shown` },
    )
    .toBe(true);
  return end!;
}

test.describe('two devices typing into one note', () => {
  for (let round = 1; round <= 3; round++) {
    test(`within a second of each other: neither's words vanish (try ${round})`, async ({ browser, server }) => {
      const a = await device(browser, server.url);
      const b = await device(browser, server.url);
      await raceOnNote(a, b);

      // Both typed at the end of the same text: the edits overlap, so whichever device sent second is shown a
      // conflict holding both; until it chooses, the server keeps the first one's words.
      const outcome = await raceEnd(server.url, [a, b], [' from A', ' from B']);
      expect(outcome.merged, 'overlapping edits cannot merge').toBe(false);
      if (outcome.merged) return;
      const [mine, theirs] = outcome.on === a ? ['X1 from A', 'X1 from B'] : ['X1 from B', 'X1 from A'];
      const page = outcome.on.page;
      await expect(widget(page, 'Shift notes').getByText('Conflict')).toBeVisible();
      await page.getByRole('button', { name: 'Conflicts (1)' }).click();
      const card = page.getByRole('region', { name: 'Conflict on Shift notes' });
      await expect(card.getByRole('cell', { name: mine, exact: true })).toBeVisible();
      await expect(card.getByRole('cell', { name: theirs, exact: true })).toBeVisible();
      expect(await serverNote(server.url)).toBe(theirs);
      await card.getByRole('button', { name: 'Edit' }).click();
      await card.getByRole('textbox', { name: 'Edit Text' }).fill('X1 from B from A');
      await card.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('button', { name: 'Back to dashboard' }).click();
      await waitForSynced(page);
      await expect(noteBox(a.page)).toHaveValue('X1 from B from A');
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
    expect(await raceEnd(server.url, [a, b], ['Pump 3', 'Check the bearing.'])).toEqual({ merged: true });
    await expect.poll(() => serverNote(server.url)).toBe(merged);
    await expect(noteBox(a.page)).toHaveValue(merged);
    await expect(noteBox(b.page)).toHaveValue(merged);
    for (const d of [a, b]) await expect(d.page.getByRole('button', { name: /^Conflicts/ })).toHaveCount(0);
    // The device that sent second merged, and says so in its activity list.
    const said = async (d: Device) => {
      await d.page.getByRole('button', { name: 'Activity' }).click();
      return d.page.getByText(/merged automatically/).count();
    };
    expect((await said(a)) + (await said(b))).toBeGreaterThan(0);
  });

  test('a note whose conflict is parked keeps following the other device, and typing into it is kept', async ({ browser, server }) => {
    const a = await device(browser, server.url);
    const b = await device(browser, server.url);
    await raceOnNote(a, b);
    const outcome = await raceEnd(server.url, [a, b], [' from A', ' from B']);
    if (outcome.merged) throw new Error('overlapping edits merged');
    const asked = outcome.on;
    const other = asked === a ? b : a;
    const [mine, theirs] = asked === a ? ['X1 from A', 'X1 from B'] : ['X1 from B', 'X1 from A'];

    // The other device goes on editing; the asked one keeps typing into the conflicted note.
    await noteBox(other.page).press('End');
    await noteBox(other.page).pressSequentially(' again');
    await noteBox(other.page).blur();
    await expect.poll(() => serverNote(server.url)).toBe(`${theirs} again`);
    await noteBox(asked.page).press('End');
    await typeSlowly(asked.page, ' more');
    await noteBox(asked.page).blur();
    await expect(noteBox(asked.page)).toHaveValue(`${mine} more`);

    // Still one conflict, now between the latest words on each side.
    await asked.page.getByRole('button', { name: 'Conflicts (1)' }).click();
    const card = asked.page.getByRole('region', { name: 'Conflict on Shift notes' });
    await expect(card.getByRole('cell', { name: `${mine} more`, exact: true })).toBeVisible();
    await expect(card.getByRole('cell', { name: `${theirs} again`, exact: true })).toBeVisible();
    await card.getByRole('button', { name: 'Keep mine' }).click();
    await asked.page.getByRole('button', { name: 'Back to dashboard' }).click();
    await waitForSynced(asked.page);
    await expect(noteBox(other.page)).toHaveValue(`${mine} more`);
    await expect(noteBox(asked.page)).toHaveValue(`${mine} more`);
    expect(await serverNote(server.url)).toBe(`${mine} more`);
    // And the note follows the other device again.
    await noteBox(other.page).press('End');
    await noteBox(other.page).pressSequentially(' ok');
    await noteBox(other.page).blur();
    await expect(noteBox(asked.page)).toHaveValue(`${mine} more ok`);
  });
});
