import { act, fireEvent, screen, within } from '@testing-library/preact';
import { options, type VNode } from 'preact';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WidgetId } from '../../protocol/index.ts';
import { DASH, checklist, counter, entry, fakeClient, metric, note } from './fake-client.ts';
import { renderApp } from './render-app.tsx';

const board = () => [
  counter('w_c', 'Pumps', 3, 'a0', 5),
  note('w_n', 'Shift notes', 'hello', 'a1', 2),
  checklist('w_l', 'Checks', [{ id: 'i1', text: 'Valve check', done: false }, { id: 'i2', text: 'Oil', done: true }], 'a2', 4),
  metric('w_m', 'Flow rate', 'flow', [1, 3, 2], 'a3', 9),
];
const card = (name: string) => within(screen.getByRole('article', { name }));
/** Rename, Move and Delete live in "Edit layout" mode. */
const editLayout = () => fireEvent.click(screen.getByRole('button', { name: 'Edit layout' }));
/** The confirmed widget an edit session began from, as it is passed along with the edit. */
const seen = (id: string) => board().find((w) => w.id === id);

afterEach(() => {
  vi.restoreAllMocks();
});

describe('metric widget', () => {
  const one = (values: number[]) => fakeClient({ widgets: [metric('w_m', 'Flow rate', 'flow', values, 'a0')] });
  const flow = () => within(screen.getByRole('article', { name: 'Flow rate' }));

  it('formats every value the same way: no trailing zeros, at most two decimals', () => {
    renderApp(one([3.2, 45, 42.5]));
    expect(flow().getByText('42.5')).toBeTruthy();
    expect(flow().getByText('min 3.2 · max 45', { exact: false })).toBeTruthy();
  });

  it('with no value yet, says how to feed it: the ingest address with this dashboard and key, copyable', () => {
    renderApp(one([]));
    expect(flow().getByText('No values yet.', { exact: false })).toBeTruthy();
    expect(flow().getByText(`/api/ingest/${DASH}/flow`, { exact: false })).toBeTruthy();
    expect(flow().getByRole('button', { name: 'Copy ingest address' })).toBeTruthy();
  });
});

describe('widget grid', () => {
  it('renders one article per widget, named by title, in position order, with kind contents', () => {
    renderApp(fakeClient({ widgets: board() }));
    expect(screen.getAllByRole('article').map((a) => a.getAttribute('aria-label'))).toEqual(['Pumps', 'Shift notes', 'Checks', 'Flow rate']);
    expect(card('Pumps').getByText('3')).toBeTruthy();
    expect((card('Shift notes').getByRole('textbox', { name: 'Note' }) as HTMLTextAreaElement).value).toBe('hello');
    expect((card('Checks').getByRole('checkbox', { name: 'Oil' }) as HTMLInputElement).checked).toBe(true);
    expect(card('Flow rate').getByRole('img', { name: 'Recent values of flow' }).querySelector('polyline')?.getAttribute('points')).toBe(
      '0.0,32.0 60.0,0.0 120.0,16.0',
    );
    expect(card('Flow rate').getByText('flow')).toBeTruthy();
  });

  it('shows pending, failed and conflict marks as text on the widget', () => {
    const client = fakeClient({ widgets: board() });
    client.outbox.value = [
      entry({ name: 'counter.add', args: { widgetId: 'w_c' as WidgetId, delta: 1 } }, { state: 'failed', attempts: 2 }),
      entry({ name: 'counter.add', args: { widgetId: 'w_c' as WidgetId, delta: 1 } }),
      entry({ name: 'widget.set', args: { widgetId: 'w_n' as WidgetId, patch: { text: 'x' } } }, { state: 'conflict' }),
    ];
    renderApp(client);
    expect(card('Pumps').getAllByRole('listitem').map((li) => li.textContent)).toEqual(['Pending', 'Waiting to send (retrying)']);
    expect(card('Shift notes').getAllByRole('listitem').map((li) => li.textContent)).toEqual(['Conflict']);
    expect(card('Checks').queryAllByRole('listitem', { name: /Pending|Conflict/ })).toHaveLength(0);
    expect(card('Pumps').getByText('5')).toBeTruthy(); // 3 + 1 + 1, optimistic
  });
});

describe('rendering cost', () => {
  it('an edit renders again only the card it changes, not the whole board', async () => {
    const client = fakeClient({ widgets: board() });
    renderApp(client);
    const rendered: string[] = [];
    const previous = options.diffed;
    options.diffed = (vnode: VNode) => {
      const type = vnode.type as { name?: string };
      if (typeof vnode.type === 'function' && type.name === 'WidgetCard') {
        rendered.push((vnode.props as unknown as { item: { widget: { title: string } } }).item.widget.title);
      }
      previous?.(vnode);
    };
    try {
      await act(() => {
        client.outbox.value = [entry({ name: 'counter.add', args: { widgetId: 'w_c' as WidgetId, delta: 1 } })];
      });
      expect(rendered).toEqual(['Pumps']);
      expect(card('Pumps').getByText('4')).toBeTruthy();
      // Settled: Pumps shows its confirmed value again; then a change to another widget renders only that card.
      await act(() => {
        client.outbox.value = [];
      });
      rendered.length = 0;
      await act(() => {
        client.confirmedOf(DASH).value = client.confirmedOf(DASH).value.map((w) => (w.id === 'w_n' ? { ...w, text: 'changed', version: 3 } : w));
      });
      expect(rendered).toEqual(['Shift notes']);
    } finally {
      options.diffed = previous;
    }
  });

  it('an outbox change that shows nothing new renders no component at all (the worker copy, queued to sending)', async () => {
    const client = fakeClient({ widgets: board() });
    renderApp(client);
    const click = entry({ name: 'counter.add', args: { widgetId: 'w_c' as WidgetId, delta: 1 } });
    await act(() => {
      client.outbox.value = [click];
    });
    const rendered: string[] = [];
    const previous = options.diffed;
    options.diffed = (vnode: VNode) => {
      if (typeof vnode.type === 'function') rendered.push((vnode.type as { name?: string }).name ?? '?');
      previous?.(vnode);
    };
    try {
      // What follows a click: the worker's own copy of the entry replaces the tab's, then it turns to sending.
      await act(() => {
        client.outbox.value = [structuredClone(click)];
      });
      await act(() => {
        client.outbox.value = [{ ...structuredClone(click), state: 'sending' as const }];
      });
      expect(rendered).toEqual([]);
      expect(card('Pumps').getByText('4')).toBeTruthy();
      expect(screen.getByText('1 pending')).toBeTruthy();
    } finally {
      options.diffed = previous;
    }
  });
});

describe('widget controls call mutate with the right args and the confirmed baseVersion', () => {
  it('counter: Increment, Decrement and Set value', () => {
    const client = fakeClient({ widgets: board() });
    // A pending add makes the optimistic version 6; edits must still say 5, the confirmed one.
    client.outbox.value = [entry({ name: 'counter.add', args: { widgetId: 'w_c' as WidgetId, delta: 1 } })];
    renderApp(client);
    fireEvent.click(card('Pumps').getByRole('button', { name: 'Increment' }));
    fireEvent.click(card('Pumps').getByRole('button', { name: 'Decrement' }));
    fireEvent.input(card('Pumps').getByRole('spinbutton', { name: 'Set value' }), { target: { value: '42' } });
    fireEvent.click(card('Pumps').getByRole('button', { name: 'Set' }));
    expect(client.mutate.mock.calls).toEqual([
      [DASH, { name: 'counter.add', args: { widgetId: 'w_c', delta: 1 } }, 5],
      [DASH, { name: 'counter.add', args: { widgetId: 'w_c', delta: -1 } }, 5],
      [DASH, { name: 'widget.set', args: { widgetId: 'w_c', patch: { value: 42 } } }, 5],
    ]);
  });

  it('uses baseVersion 0 for a widget the server has not confirmed yet', () => {
    const client = fakeClient({ widgets: [] });
    client.outbox.value = [
      entry({ name: 'widget.create', args: { widgetId: 'w_new' as WidgetId, kind: 'counter', title: 'Fresh', position: 'a0' } }),
    ];
    renderApp(client);
    fireEvent.click(card('Fresh').getByRole('button', { name: 'Increment' }));
    expect(client.mutate.mock.calls).toEqual([[DASH, { name: 'counter.add', args: { widgetId: 'w_new', delta: 1 } }, 0]]);
  });

  it('rename sends widget.set {title}', () => {
    const client = fakeClient({ widgets: board() });
    renderApp(client);
    editLayout();
    fireEvent.click(card('Pumps').getByRole('button', { name: 'Rename' }));
    fireEvent.input(card('Pumps').getByRole('textbox', { name: 'Title' }), { target: { value: 'Pumps 2' } });
    fireEvent.click(card('Pumps').getByRole('button', { name: 'Save title' }));
    expect(client.mutate.mock.calls).toEqual([[DASH, { name: 'widget.set', args: { widgetId: 'w_c', patch: { title: 'Pumps 2' } } }, 5, seen('w_c')]]);
    expect(card('Pumps').queryByRole('textbox', { name: 'Title' })).toBeNull();
  });

  it('Move up / Move down write a position between the new neighbours; the ends are disabled', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0); // the keys' random tail is then "111"
    const client = fakeClient({ widgets: board() });
    renderApp(client);
    editLayout();
    expect((card('Pumps').getByRole('button', { name: 'Move up' }) as HTMLButtonElement).disabled).toBe(true);
    expect((card('Flow rate').getByRole('button', { name: 'Move down' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(card('Checks').getByRole('button', { name: 'Move up' }));
    fireEvent.click(card('Pumps').getByRole('button', { name: 'Move down' }));
    fireEvent.click(card('Shift notes').getByRole('button', { name: 'Move up' }));
    expect(client.mutate.mock.calls).toEqual([
      [DASH, { name: 'widget.move', args: { widgetId: 'w_l', position: 'a0V111' } }, 4], // between a0 and a1
      [DASH, { name: 'widget.move', args: { widgetId: 'w_c', position: 'a1V111' } }, 5], // between a1 and a2
      [DASH, { name: 'widget.move', args: { widgetId: 'w_n', position: 'I111' } }, 2], // before a0
    ]);
  });

  it('delete asks first; Cancel sends nothing, Confirm delete sends widget.delete', () => {
    const client = fakeClient({ widgets: board() });
    renderApp(client);
    editLayout();
    fireEvent.click(card('Pumps').getByRole('button', { name: 'Delete' }));
    fireEvent.click(card('Pumps').getByRole('button', { name: 'Cancel' }));
    expect(client.mutate).toHaveBeenCalledTimes(0);
    fireEvent.click(card('Pumps').getByRole('button', { name: 'Delete' }));
    expect(card('Pumps').getByText('Delete ‘Pumps’?')).toBeTruthy();
    fireEvent.click(card('Pumps').getByRole('button', { name: 'Confirm delete' }));
    expect(client.mutate.mock.calls).toEqual([[DASH, { name: 'widget.delete', args: { widgetId: 'w_c' } }, 5]]);
  });

  it('checklist: add, tick, edit text and remove items', () => {
    const client = fakeClient({ widgets: board() });
    renderApp(client);
    const c = card('Checks');
    fireEvent.input(c.getByRole('textbox', { name: 'New item' }), { target: { value: 'Filters' } });
    fireEvent.click(c.getByRole('button', { name: 'Add' }));
    fireEvent.click(c.getByRole('checkbox', { name: 'Valve check' }));
    fireEvent.click(c.getByRole('button', { name: 'Edit Oil' }));
    fireEvent.input(c.getByRole('textbox', { name: 'Item text' }), { target: { value: 'Oil level' } });
    fireEvent.click(c.getByRole('button', { name: 'Save' }));
    fireEvent.click(c.getByRole('button', { name: 'Remove Valve check' }));
    const calls = client.mutate.mock.calls;
    expect(calls).toHaveLength(4);
    expect(calls[0]).toEqual([DASH, { name: 'checklist.add', args: { widgetId: 'w_l', itemId: expect.stringMatching(/^[0-9A-Z]{26}$/), text: 'Filters' } }, 4]);
    expect(calls.slice(1)).toEqual([
      [DASH, { name: 'checklist.set', args: { widgetId: 'w_l', itemId: 'i1', patch: { done: true } } }, 4, seen('w_l')],
      [DASH, { name: 'checklist.set', args: { widgetId: 'w_l', itemId: 'i2', patch: { text: 'Oil level' } } }, 4, seen('w_l')],
      [DASH, { name: 'checklist.remove', args: { widgetId: 'w_l', itemId: 'i1' } }, 4],
    ]);
  });

  it('add widget sends widget.create with baseVersion 0 at the end; a metric carries its key', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const client = fakeClient({ widgets: board() });
    renderApp(client);
    const form = within(screen.getByRole('form', { name: 'Add widget' }));
    fireEvent.input(form.getByRole('textbox', { name: 'New widget title' }), { target: { value: 'Valves' } });
    fireEvent.click(form.getByRole('button', { name: 'Add widget' }));
    fireEvent.change(form.getByRole('combobox', { name: 'Kind' }), { target: { value: 'metric' } });
    fireEvent.input(form.getByRole('textbox', { name: 'New widget title' }), { target: { value: 'Pressure' } });
    fireEvent.input(form.getByRole('textbox', { name: 'Metric key' }), { target: { value: 'psi' } });
    fireEvent.click(form.getByRole('button', { name: 'Add widget' }));
    const id = expect.stringMatching(/^w_[0-9A-Z]{26}$/);
    expect(client.mutate.mock.calls).toEqual([
      [DASH, { name: 'widget.create', args: { widgetId: id, kind: 'counter', title: 'Valves', position: 'n111' } }, 0],
      [DASH, { name: 'widget.create', args: { widgetId: id, kind: 'metric', title: 'Pressure', position: 'n111', metricKey: 'psi' } }, 0],
    ]);
  });

  it('a refused mutate shows an alert instead of failing silently', async () => {
    const client = fakeClient({ widgets: board() });
    client.mutate.mockRejectedValueOnce(new Error('quota exceeded'));
    renderApp(client);
    fireEvent.click(card('Pumps').getByRole('button', { name: 'Increment' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Could not save the change: quota exceeded');
  });
});

describe('note typing', () => {
  it('debounces keystrokes into one widget.set {text} 300 ms after the last key', () => {
    const client = fakeClient({ widgets: board() });
    renderApp(client);
    vi.useFakeTimers();
    const box = card('Shift notes').getByRole('textbox', { name: 'Note' });
    for (const text of ['hello ', 'hello w', 'hello wo', 'hello wor', 'hello world']) {
      fireEvent.input(box, { target: { value: text } });
      act(() => void vi.advanceTimersByTime(100));
    }
    expect(client.mutate).toHaveBeenCalledTimes(0);
    act(() => void vi.advanceTimersByTime(199));
    expect(client.mutate).toHaveBeenCalledTimes(0);
    act(() => void vi.advanceTimersByTime(1));
    expect(client.mutate.mock.calls).toEqual([
      [DASH, { name: 'widget.set', args: { widgetId: 'w_n', patch: { text: 'hello world' } } }, 2, seen('w_n')],
    ]);
    act(() => void vi.advanceTimersByTime(5_000));
    expect(client.mutate).toHaveBeenCalledTimes(1);
  });

  it('sends at once on blur, and not at all when the text ends where it started', () => {
    const client = fakeClient({ widgets: board() });
    renderApp(client);
    vi.useFakeTimers();
    const box = card('Shift notes').getByRole('textbox', { name: 'Note' });
    fireEvent.input(box, { target: { value: 'hello!' } });
    fireEvent.input(box, { target: { value: 'hello' } });
    act(() => void vi.advanceTimersByTime(300));
    expect(client.mutate).toHaveBeenCalledTimes(0);
    fireEvent.input(box, { target: { value: 'bye' } });
    fireEvent.blur(box);
    expect(client.mutate.mock.calls).toEqual([[DASH, { name: 'widget.set', args: { widgetId: 'w_n', patch: { text: 'bye' } } }, 2, seen('w_n')]]);
  });

  it('the base is what was on screen at the first key: a remote edit landing while the person types is not overwritten', () => {
    const client = fakeClient({ widgets: board() });
    renderApp(client);
    vi.useFakeTimers();
    const box = card('Shift notes').getByRole('textbox', { name: 'Note' });
    fireEvent.input(box, { target: { value: 'hello from A' } });
    // Another device's edit arrives during the send delay: the replica moves to version 3.
    act(() => void (client.confirmedOf(DASH).value = board().map((w) => (w.kind === 'note' ? { ...w, text: 'hello from B', version: 3 } : w))));
    expect((box as HTMLTextAreaElement).value).toBe('hello from A');
    act(() => void vi.advanceTimersByTime(300));
    // Sent on version 2, the one the person saw, with that widget: the server calls it a conflict.
    expect(client.mutate.mock.calls).toEqual([[DASH, { name: 'widget.set', args: { widgetId: 'w_n', patch: { text: 'hello from A' } } }, 2, seen('w_n')]]);
  });

  it('a rename takes its base when the form opens, and an item edit when Edit is pressed', () => {
    const client = fakeClient({ widgets: board() });
    renderApp(client);
    editLayout();
    fireEvent.click(card('Pumps').getByRole('button', { name: 'Rename' }));
    fireEvent.click(card('Checks').getByRole('button', { name: 'Edit Oil' }));
    act(() => void (client.confirmedOf(DASH).value = board().map((w) => ({ ...w, version: w.version + 1 }))));
    fireEvent.input(card('Pumps').getByRole('textbox', { name: 'Title' }), { target: { value: 'Pumps 2' } });
    fireEvent.click(card('Pumps').getByRole('button', { name: 'Save title' }));
    fireEvent.input(card('Checks').getByRole('textbox', { name: 'Item text' }), { target: { value: 'Oil level' } });
    fireEvent.click(card('Checks').getByRole('button', { name: 'Save' }));
    expect(client.mutate.mock.calls.map((c) => c[2])).toEqual([5, 4]);
  });

  it('typing on top of an unsent edit of the same text keeps that edit\'s base', () => {
    const client = fakeClient({ widgets: board() });
    client.outbox.value = [
      entry({ name: 'widget.set', args: { widgetId: 'w_n' as WidgetId, patch: { text: 'hello A' } } }, { state: 'sending' }),
    ];
    client.outbox.value = client.outbox.value.map((e) => ({ ...e, mutation: { ...e.mutation, baseVersion: 1 } }));
    renderApp(client);
    vi.useFakeTimers();
    const box = card('Shift notes').getByRole('textbox', { name: 'Note' });
    fireEvent.input(box, { target: { value: 'hello A!' } });
    fireEvent.blur(box);
    expect(client.mutate.mock.calls[0][2]).toBe(1);
  });

  it('shows text from others when the person has nothing unsent', () => {
    const client = fakeClient({ widgets: board() });
    renderApp(client);
    act(() => void (client.confirmedOf(DASH).value = board().map((w) => (w.kind === 'note' ? { ...w, text: 'from Ana', version: 3 } : w))));
    expect((card('Shift notes').getByRole('textbox', { name: 'Note' }) as HTMLTextAreaElement).value).toBe('from Ana');
  });
});
