/**
 * "Edit layout" and undo in the component tree (issue 15), against a fake client: what is sent for a
 * keyboard reorder and for each undo, what the live region says, and when the undo toast goes away.
 * tests/e2e/edit-layout.spec.ts and undo.spec.ts do the same against a real server on two devices.
 */
import { act, fireEvent, screen, within } from '@testing-library/preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ItemId, WidgetId } from '../../protocol/index.ts';
import { UNDO_MS } from '../../src/app/undo-toast.tsx';
import { DASH, checklist, counter, entry, fakeClient, metric, note } from './fake-client.ts';
import { renderApp } from './render-app.tsx';

const board = () => [
  counter('w_c', 'Pumps', 3, 'a0', 5),
  note('w_n', 'Shift notes', 'hello', 'a1', 2),
  checklist('w_l', 'Checks', [{ id: 'i1', text: 'Valve check', done: true }, { id: 'i2', text: 'Oil', done: false }], 'a2', 4),
  metric('w_m', 'Flow rate', 'flow', [1, 3, 2], 'a3', 9),
];
const card = (name: string) => within(screen.getByRole('article', { name }));
const titles = () => screen.getAllByRole('article').map((a) => a.getAttribute('aria-label'));
const toggle = () => screen.getByRole('button', { name: 'Edit layout' });
const live = () => document.querySelector('[aria-live="assertive"]')?.textContent;
const key = (el: Element, k: string) => fireEvent.keyDown(el, { key: k });

afterEach(() => vi.restoreAllMocks());

describe('Edit layout', () => {
  it('is a pressed toggle; only in it do cards have a handle described by the keyboard help', () => {
    renderApp(fakeClient({ widgets: board() }));
    expect(toggle().getAttribute('aria-pressed')).toBe('false');
    expect(card('Pumps').queryByRole('button', { name: 'Reorder Pumps' })).toBeNull();
    fireEvent.click(toggle());
    expect(toggle().getAttribute('aria-pressed')).toBe('true');
    const handle = card('Pumps').getByRole('button', { name: 'Reorder Pumps' });
    expect(document.getElementById(handle.getAttribute('aria-describedby')!)?.textContent).toMatch(/Space or Enter picks the card up/);
  });

  it('by keyboard: picks up, shows the card moving, drops with one widget.move between its new neighbours', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0); // the keys' random tail is then "111"
    const client = fakeClient({ widgets: board() });
    renderApp(client);
    fireEvent.click(toggle());
    const handle = card('Pumps').getByRole('button', { name: 'Reorder Pumps' });
    key(handle, ' ');
    expect(live()).toBe('Picked up Pumps, position 1 of 4. Arrow keys move it, Space or Enter drops it, Escape cancels.');
    key(handle, 'ArrowDown');
    key(handle, 'ArrowRight');
    expect(titles()).toEqual(['Shift notes', 'Checks', 'Pumps', 'Flow rate']);
    expect(live()).toBe('Pumps, position 3 of 4.');
    expect(client.mutate).not.toHaveBeenCalled();
    key(handle, 'Enter');
    expect(live()).toBe('Pumps dropped at position 3 of 4.');
    expect(client.mutate.mock.calls).toEqual([[DASH, { name: 'widget.move', args: { widgetId: 'w_c', position: 'a2V111' } }, 5]]);
  });

  it('Escape puts a held card back and sends nothing; the next Escape leaves the mode', () => {
    const client = fakeClient({ widgets: board() });
    renderApp(client);
    fireEvent.click(toggle());
    const handle = card('Flow rate').getByRole('button', { name: 'Reorder Flow rate' });
    key(handle, 'Enter');
    key(handle, 'Home');
    expect(titles()).toEqual(['Flow rate', 'Pumps', 'Shift notes', 'Checks']);
    key(handle, 'Escape');
    expect(titles()).toEqual(['Pumps', 'Shift notes', 'Checks', 'Flow rate']);
    expect(live()).toBe('Reorder cancelled. Flow rate is back at position 4 of 4.');
    expect(toggle().getAttribute('aria-pressed')).toBe('true');
    key(handle, 'Escape');
    expect(toggle().getAttribute('aria-pressed')).toBe('false');
    expect(document.activeElement).toBe(toggle());
    expect(client.mutate).not.toHaveBeenCalled();
  });
});

describe('undo toast', () => {
  const toast = () => document.querySelector('.toast') as HTMLElement | null;
  const undo = () => within(toast()!).getByRole('button', { name: 'Undo' });

  it('after a delete, Undo re-creates the widget with its content at its position, under a new id', async () => {
    const client = fakeClient({ widgets: board() });
    renderApp(client);
    fireEvent.click(toggle());
    fireEvent.click(card('Checks').getByRole('button', { name: 'Delete' }));
    fireEvent.click(card('Checks').getByRole('button', { name: 'Confirm delete' }));
    expect(toast()?.textContent).toMatch(/^Deleted ‘Checks’\./);
    expect(toast()?.closest('[aria-live="polite"]')).not.toBeNull();
    await act(async () => void fireEvent.click(undo()));
    expect(client.mutate.mock.calls[1]).toEqual([
      DASH,
      {
        name: 'widget.create',
        args: {
          widgetId: expect.stringMatching(/^w_[0-9A-Z]{26}$/),
          kind: 'checklist',
          title: 'Checks',
          position: 'a2',
          items: [{ id: 'i1', text: 'Valve check', done: true }, { id: 'i2', text: 'Oil', done: false }],
        },
      },
      0,
    ]);
    expect(client.mutate.mock.calls[1][1].args.widgetId).not.toBe('w_l');
    expect(toast()).toBeNull();
  });

  it('after an item remove, Undo adds it back in front of the next item, ticked as it was', async () => {
    const client = fakeClient({ widgets: board() });
    renderApp(client);
    fireEvent.click(card('Checks').getByRole('button', { name: 'Remove Valve check' }));
    expect(toast()?.textContent).toMatch(/^Removed ‘Valve check’ from ‘Checks’\./);
    await act(async () => void fireEvent.click(undo()));
    expect(client.mutate.mock.calls[1]).toEqual([
      DASH,
      { name: 'checklist.add', args: { widgetId: 'w_l', itemId: expect.stringMatching(/^[0-9A-Z]{26}$/), text: 'Valve check', done: true, before: 'i2' } },
      4,
    ]);
  });

  it('after a discard, Undo queues the same change on the same base', async () => {
    const client = fakeClient({ widgets: board() });
    const edit = entry({ name: 'checklist.set', args: { widgetId: 'w_l' as WidgetId, itemId: 'i2' as ItemId, patch: { done: true } } }, { baseVersion: 3 });
    client.outbox.value = [edit];
    renderApp(client);
    fireEvent.click(screen.getByRole('button', { name: 'Pending changes' }));
    fireEvent.click(screen.getByRole('button', { name: 'Discard' }));
    await act(async () => void fireEvent.click(screen.getByRole('button', { name: 'Confirm discard' })));
    expect(client.discard).toHaveBeenCalledWith(edit.mutation.id);
    expect(toast()?.textContent).toMatch(/^Discarded: Checklist ‘Checks’: ticked ‘Oil’\./);
    await act(async () => void fireEvent.click(undo()));
    expect(client.mutate.mock.calls).toEqual([[DASH, { name: 'checklist.set', args: edit.mutation.args }, 3, null]]);
  });

  it(`goes after ${UNDO_MS / 1000} s, but not while the pointer is on it or the focus in it`, () => {
    vi.useFakeTimers();
    renderApp(fakeClient({ widgets: board() }));
    const remove = (text: string) => fireEvent.click(card('Checks').getByRole('button', { name: `Remove ${text}` }));
    remove('Valve check');
    act(() => void vi.advanceTimersByTime(UNDO_MS - 1));
    expect(toast()).not.toBeNull();
    act(() => void vi.advanceTimersByTime(1));
    expect(toast()).toBeNull();

    remove('Oil');
    fireEvent.pointerEnter(toast()!);
    act(() => void vi.advanceTimersByTime(UNDO_MS * 3));
    expect(toast()).not.toBeNull();
    act(() => void undo().focus());
    fireEvent.pointerLeave(toast()!);
    act(() => void vi.advanceTimersByTime(UNDO_MS * 3));
    expect(toast()).not.toBeNull();
    act(() => void undo().blur());
    act(() => void vi.advanceTimersByTime(UNDO_MS));
    expect(toast()).toBeNull();
  });
});
