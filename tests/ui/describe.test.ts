import { describe, expect, it } from 'vitest';
import type { Change, ItemId, Mutation, UserId, WidgetId } from '../../protocol/index.ts';
import { describeChange, describeMutation } from '../../src/state/describe.ts';
import { statusText } from '../../src/state/connection-text.ts';
import { ago } from '../../src/state/clock.ts';
import { DASH, USER, checklist, counter, entry, note } from './fake-client.ts';

const m = (input: Parameters<typeof entry>[0]): Mutation => entry(input).mutation;
const W = 'w_1' as WidgetId;

describe('describeMutation', () => {
  const list = checklist('w_1', 'Checks', [{ id: 'i1', text: 'Valve check', done: false }], 'a0');
  it.each([
    [m({ name: 'counter.add', args: { widgetId: W, delta: 1 } }), counter('w_1', 'Pumps', 0, 'a0'), "Counter 'Pumps' +1"],
    [m({ name: 'counter.add', args: { widgetId: W, delta: -2 } }), counter('w_1', 'Pumps', 0, 'a0'), "Counter 'Pumps' -2"],
    [m({ name: 'widget.set', args: { widgetId: W, patch: { title: 'P2', value: 4 } } }), counter('w_1', 'Pumps', 0, 'a0'), "Counter 'Pumps' renamed to 'P2', set to 4"],
    [m({ name: 'widget.set', args: { widgetId: W, patch: { text: 'x' } } }), note('w_1', 'Notes', '', 'a0'), "Note 'Notes' edited"],
    [m({ name: 'checklist.set', args: { widgetId: W, itemId: 'i1' as ItemId, patch: { done: true } } }), list, "Checklist 'Checks': ticked 'Valve check'"],
    [m({ name: 'checklist.set', args: { widgetId: W, itemId: 'i1' as ItemId, patch: { text: 'Valves' } } }), list, "Checklist 'Checks': renamed 'Valve check' to 'Valves'"],
    [m({ name: 'checklist.remove', args: { widgetId: W, itemId: 'i1' as ItemId } }), list, "Checklist 'Checks': removed 'Valve check'"],
    [m({ name: 'checklist.add', args: { widgetId: W, itemId: 'i9' as ItemId, text: 'Oil' } }), list, "Checklist 'Checks': added 'Oil'"],
    [m({ name: 'widget.create', args: { widgetId: W, kind: 'note', title: 'Log', position: 'a' } }), null, "Added note 'Log'"],
    [m({ name: 'widget.move', args: { widgetId: W, position: 'b' } }), null, 'A widget moved'],
    [m({ name: 'widget.delete', args: { widgetId: W } }), note('w_1', 'Notes', '', 'a0'), "Note 'Notes' deleted"],
  ])('%#: %s', (mutation, w, text) => {
    expect(describeMutation(mutation, w)).toBe(text);
  });
});

describe('describeChange', () => {
  const c = (widget: Change['widget'], userId: string | null): Change => ({
    seq: 1, dashboardId: DASH, widgetId: W, version: 2, widget, mutationId: null, clientId: null, userId: userId as UserId | null, at: 0,
  });
  it('names who did what, from the previous state of the widget', () => {
    const before = counter('w_1', 'Pumps', 1, 'a0');
    expect(describeChange(before, true, c(counter('w_1', 'Pumps', 2, 'a0', 2), 'u_ana'), USER.id)).toBe("Someone else changed 'Pumps' from 1 to 2");
    expect(describeChange(before, true, c(counter('w_1', 'Pumps 2', 1, 'a0', 2), USER.id), USER.id)).toBe("You renamed 'Pumps' to 'Pumps 2'");
    expect(describeChange(before, true, c(null, 'u_ana'), USER.id)).toBe("Someone else deleted 'Pumps'");
    expect(describeChange(null, false, c(before, 'u_ana'), USER.id)).toBe("Someone else changed 'Pumps'");
    const l1 = checklist('w_1', 'Checks', [{ id: 'i1', text: 'A', done: false }], 'a0');
    const l2 = checklist('w_1', 'Checks', [], 'a0');
    expect(describeChange(l1, true, c(l2, 'u_ana'), USER.id)).toBe("Someone else removed 'A' from 'Checks'");
  });
});

describe('time words', () => {
  it('ago', () => {
    expect([0, 4_999, 5_000, 59_000, 60_000, 3_600_000, 49 * 3_600_000].map((d) => ago(0, d))).toEqual([
      'just now', 'just now', '5 s ago', '59 s ago', '1 min ago', '1 h ago', '2 d ago',
    ]);
  });
  it('status for a backoff already due says 0s, never a negative number', () => {
    expect(statusText({ kind: 'backoff', attempt: 1, retryAt: 0, lastError: '', lastSyncedAt: null }, 0, 10_000)).toBe('Retrying in 0s');
  });
});
