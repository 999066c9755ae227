import { act, fireEvent, screen, within } from '@testing-library/preact';
import { describe, expect, it } from 'vitest';
import type { ItemId, WidgetId } from '../../protocol/index.ts';
import { DASH, checklist, counter, entry, fakeClient, note } from './fake-client.ts';
import { renderApp } from './render-app.tsx';

const baseNote = note('w_n', 'Shift notes', 'base text', 'a1', 2);
const theirsNote = { ...baseNote, text: 'their text', version: 3 };

function noteConflict() {
  const client = fakeClient({ widgets: [counter('w_c', 'Pumps', 0, 'a0'), theirsNote] });
  client.outbox.value = [
    entry({ name: 'widget.set', args: { widgetId: 'w_n' as WidgetId, patch: { text: 'my text' } } }, {
      state: 'conflict',
      baseVersion: 2,
      conflict: { fields: ['text'], base: baseNote, server: theirsNote },
    }),
  ];
  return client;
}

const openConflicts = () => fireEvent.click(screen.getByRole('button', { name: 'Conflicts (1)' }));
const region = (name: string) => within(screen.getByRole('region', { name }));

describe('conflicts view', () => {
  it('has no Conflicts button when nothing is parked', () => {
    renderApp(fakeClient({ widgets: [baseNote] }));
    expect(screen.queryByRole('button', { name: /^Conflicts/ })).toBeNull();
  });

  it('shows base / mine / theirs per field side by side', () => {
    renderApp(noteConflict());
    openConflicts();
    const rows = region('Conflict on Shift notes').getAllByRole('row').map((r) => [...r.children].map((c) => c.textContent));
    expect(rows).toEqual([
      ['Field', 'Before', 'Yours', 'Theirs'],
      ['Text', 'base text', 'my text', 'their text'],
    ]);
  });

  it('says (empty) for an empty base rather than leaving the cell blank', () => {
    const client = noteConflict();
    const emptyBase = { ...baseNote, text: '' };
    client.outbox.value = [{ ...client.outbox.value[0]!, conflict: { fields: ['text'], base: emptyBase, server: theirsNote } }];
    renderApp(client);
    openConflicts();
    const rows = region('Conflict on Shift notes').getAllByRole('row').map((r) => [...r.children].map((c) => c.textContent));
    expect(rows[1]).toEqual(['Text', '(empty)', 'my text', 'their text']);
  });

  it("theirs follows the replica while the conflict waits, and Keep mine goes out on the version shown", () => {
    const client = noteConflict();
    renderApp(client);
    act(() => void (client.confirmedOf(DASH).value = [{ ...theirsNote, text: 'their newer text', version: 4 } as typeof theirsNote]));
    openConflicts();
    expect(region('Conflict on Shift notes').getByRole('cell', { name: 'their newer text' })).toBeTruthy();
    fireEvent.click(region('Conflict on Shift notes').getByRole('button', { name: 'Keep mine' }));
    expect(client.resolve.mock.calls).toEqual([[DASH, 'w_n', { keep: 'mine', seenVersion: 4 }]]);
  });

  it('a card keeps the theirs it opened with, says when it changed again, and shows the latest when asked', () => {
    const client = noteConflict();
    renderApp(client);
    openConflicts();
    const card = () => region('Conflict on Shift notes');
    act(() => void (client.confirmedOf(DASH).value = [{ ...theirsNote, text: 'changed while reading', version: 4 } as typeof theirsNote]));
    expect(card().getByRole('cell', { name: 'their text' })).toBeTruthy();
    expect(card().getByText(/changed again there since you opened this/)).toBeTruthy();
    // Keep mine now goes out on what the person is looking at: the newer change becomes a new conflict.
    fireEvent.click(card().getByRole('button', { name: 'Keep mine' }));
    fireEvent.click(card().getByRole('button', { name: 'Show the latest' }));
    expect(card().getByRole('cell', { name: 'changed while reading' })).toBeTruthy();
    expect(card().queryByText(/changed again there/)).toBeNull();
    fireEvent.click(card().getByRole('button', { name: 'Keep mine' }));
    expect(client.resolve.mock.calls.map((c) => c[2])).toEqual([
      { keep: 'mine', seenVersion: 3 },
      { keep: 'mine', seenVersion: 4 },
    ]);
  });

  it('Keep mine and Keep theirs resolve that widget with the matching resolution', () => {
    const client = noteConflict();
    renderApp(client);
    openConflicts();
    fireEvent.click(region('Conflict on Shift notes').getByRole('button', { name: 'Keep mine' }));
    fireEvent.click(region('Conflict on Shift notes').getByRole('button', { name: 'Keep theirs' }));
    expect(client.resolve.mock.calls).toEqual([
      [DASH, 'w_n', { keep: 'mine', seenVersion: 3 }],
      [DASH, 'w_n', { keep: 'theirs' }],
    ]);
  });

  it('edit-then-save sends my edited value as the patch', () => {
    const client = noteConflict();
    renderApp(client);
    openConflicts();
    const r = region('Conflict on Shift notes');
    fireEvent.click(r.getByRole('button', { name: 'Edit' }));
    const box = r.getByRole('textbox', { name: 'Edit Text' }) as HTMLTextAreaElement;
    expect(box.value).toBe('my text');
    fireEvent.input(box, { target: { value: 'my text + their text' } });
    fireEvent.click(r.getByRole('button', { name: 'Save' }));
    expect(client.resolve.mock.calls).toEqual([[DASH, 'w_n', { keep: 'mine', patch: { text: 'my text + their text' }, seenVersion: 3 }]]);
  });

  it('a counter value edit is sent as a number', () => {
    const base = counter('w_c', 'Pumps', 1, 'a0', 4);
    const theirs = { ...base, value: 9, version: 5 };
    const client = fakeClient({ widgets: [theirs] });
    client.outbox.value = [
      entry({ name: 'widget.set', args: { widgetId: 'w_c' as WidgetId, patch: { value: 3 } } }, {
        state: 'conflict',
        conflict: { fields: ['value'], base, server: theirs },
      }),
    ];
    renderApp(client);
    openConflicts();
    const r = region('Conflict on Pumps');
    fireEvent.click(r.getByRole('button', { name: 'Edit' }));
    fireEvent.input(r.getByRole('textbox', { name: 'Edit Value' }), { target: { value: '12' } });
    fireEvent.click(r.getByRole('button', { name: 'Save' }));
    expect(client.resolve.mock.calls).toEqual([[DASH, 'w_c', { keep: 'mine', patch: { value: 12 }, seenVersion: 5 }]]);
  });

  it('a checklist item conflict names the item and edits go in itemPatch', () => {
    const base = checklist('w_l', 'Checks', [{ id: 'i1', text: 'Valve check', done: false }], 'a0', 2);
    const theirs = checklist('w_l', 'Checks', [{ id: 'i1', text: 'Valve check (east)', done: false }], 'a0', 3);
    const client = fakeClient({ widgets: [theirs] });
    client.outbox.value = [
      entry({ name: 'checklist.set', args: { widgetId: 'w_l' as WidgetId, itemId: 'i1' as ItemId, patch: { text: 'Valve check (west)' } } }, {
        state: 'conflict',
        conflict: { fields: ['items.i1.text'], base, server: theirs },
      }),
    ];
    renderApp(client);
    openConflicts();
    const r = region('Conflict on Checks');
    expect(r.getAllByRole('row')[1].textContent).toBe('‘Valve check (east)’ textValve checkValve check (west)Valve check (east)');
    fireEvent.click(r.getByRole('button', { name: 'Edit' }));
    fireEvent.input(r.getByRole('textbox', { name: 'Edit ‘Valve check (east)’ text' }), { target: { value: 'Both valves' } });
    fireEvent.click(r.getByRole('button', { name: 'Save' }));
    expect(client.resolve.mock.calls).toEqual([[DASH, 'w_l', { keep: 'mine', itemPatch: { text: 'Both valves' }, seenVersion: 3 }]]);
  });

  it('deleted by someone else: Restore with my changes, or Discard mine', () => {
    const client = fakeClient({ widgets: [] });
    client.outbox.value = [
      entry({ name: 'widget.set', args: { widgetId: 'w_n' as WidgetId, patch: { text: 'my text' } } }, {
        state: 'conflict',
        conflict: { fields: ['text'], base: baseNote, server: null },
      }),
    ];
    renderApp(client);
    openConflicts();
    const r = region('Conflict on Shift notes');
    expect(r.getByRole('heading').textContent).toBe('‘Shift notes’ was deleted by someone else');
    expect(r.getByRole('listitem').textContent).toBe('Note ‘Shift notes’ edited');
    expect(r.queryByRole('button', { name: 'Keep mine' })).toBeNull();
    fireEvent.click(r.getByRole('button', { name: 'Restore with my changes' }));
    fireEvent.click(r.getByRole('button', { name: 'Discard mine' }));
    expect(client.resolve.mock.calls).toEqual([
      [DASH, 'w_n', { keep: 'restore' }],
      [DASH, 'w_n', { keep: 'theirs' }],
    ]);
  });

  it('one card per widget; the count and the view follow the outbox', () => {
    const client = noteConflict();
    client.outbox.value = [
      ...client.outbox.value,
      entry({ name: 'widget.set', args: { widgetId: 'w_n' as WidgetId, patch: { title: 'Notes' } } }, { state: 'conflict' }),
    ];
    renderApp(client);
    fireEvent.click(screen.getByRole('button', { name: 'Conflicts (2)' }));
    expect(screen.getAllByRole('region', { name: /^Conflict on/ })).toHaveLength(1);
    act(() => void (client.outbox.value = []));
    expect(screen.queryByRole('button', { name: /^Conflicts/ })).toBeNull();
    expect(screen.getByText('No conflicts.')).toBeTruthy();
  });

  it('the policy radio group calls setPolicy', () => {
    const client = noteConflict();
    renderApp(client);
    openConflicts();
    const group = within(screen.getByRole('group', { name: 'Conflict policy' }));
    expect((group.getByRole('radio', { name: 'Ask me' }) as HTMLInputElement).checked).toBe(true);
    fireEvent.click(group.getByRole('radio', { name: 'Keep the other change' }));
    fireEvent.click(group.getByRole('radio', { name: 'Keep my change' }));
    expect(client.setPolicy.mock.calls).toEqual([['remote-wins'], ['local-wins']]);
  });
});
