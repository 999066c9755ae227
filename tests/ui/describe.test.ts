import { describe, expect, it } from 'vitest';
import type { Change, ItemId, Mutation, UserId, WidgetId } from '../../protocol/index.ts';
import { describeChange, describeFeed, describeMutation } from '../../src/state/describe.ts';
import { pendingLine, pendingRuns } from '../../src/state/pending-runs.ts';
import { statusText } from '../../src/state/connection-text.ts';
import { ago } from '../../src/state/clock.ts';
import { DASH, USER, checklist, counter, entry, note } from './fake-client.ts';

const m = (input: Parameters<typeof entry>[0]): Mutation => entry(input).mutation;
const W = 'w_1' as WidgetId;

describe('describeMutation', () => {
  const list = checklist('w_1', 'Checks', [{ id: 'i1', text: 'Valve check', done: false }], 'a0');
  it.each([
    [m({ name: 'counter.add', args: { widgetId: W, delta: 1 } }), counter('w_1', 'Pumps', 0, 'a0'), "Counter ‘Pumps’ +1"],
    [m({ name: 'counter.add', args: { widgetId: W, delta: -2 } }), counter('w_1', 'Pumps', 0, 'a0'), "Counter ‘Pumps’ -2"],
    [m({ name: 'widget.set', args: { widgetId: W, patch: { title: 'P2', value: 4 } } }), counter('w_1', 'Pumps', 0, 'a0'), "Counter ‘Pumps’ renamed to ‘P2’, set to 4"],
    [m({ name: 'widget.set', args: { widgetId: W, patch: { text: 'x' } } }), note('w_1', 'Notes', '', 'a0'), "Note ‘Notes’ edited"],
    [m({ name: 'checklist.set', args: { widgetId: W, itemId: 'i1' as ItemId, patch: { done: true } } }), list, "Checklist ‘Checks’: ticked ‘Valve check’"],
    [m({ name: 'checklist.set', args: { widgetId: W, itemId: 'i1' as ItemId, patch: { text: 'Valves' } } }), list, "Checklist ‘Checks’: renamed ‘Valve check’ to ‘Valves’"],
    [m({ name: 'checklist.remove', args: { widgetId: W, itemId: 'i1' as ItemId } }), list, "Checklist ‘Checks’: removed ‘Valve check’"],
    [m({ name: 'checklist.add', args: { widgetId: W, itemId: 'i9' as ItemId, text: 'Oil' } }), list, "Checklist ‘Checks’: added ‘Oil’"],
    [m({ name: 'widget.create', args: { widgetId: W, kind: 'note', title: 'Log', position: 'a' } }), null, "Added note ‘Log’"],
    [m({ name: 'widget.move', args: { widgetId: W, position: 'b' } }), null, 'A widget moved'],
    [m({ name: 'widget.delete', args: { widgetId: W } }), note('w_1', 'Notes', '', 'a0'), "Note ‘Notes’ deleted"],
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
    expect(describeChange(before, true, c(counter('w_1', 'Pumps', 2, 'a0', 2), 'u_ana'), { me: USER.id })).toBe("Someone else changed ‘Pumps’ from 1 to 2");
    expect(describeChange(before, true, c(counter('w_1', 'Pumps 2', 1, 'a0', 2), USER.id), { me: USER.id })).toBe("You renamed ‘Pumps’ to ‘Pumps 2’");
    expect(describeChange(before, true, c(null, 'u_ana'), { me: USER.id })).toBe("Someone else deleted ‘Pumps’");
    expect(describeChange(null, false, c(before, 'u_ana'), { me: USER.id })).toBe("Someone else changed ‘Pumps’");
    const l1 = checklist('w_1', 'Checks', [{ id: 'i1', text: 'A', done: false }], 'a0');
    const l2 = checklist('w_1', 'Checks', [], 'a0');
    expect(describeChange(l1, true, c(l2, 'u_ana'), { me: USER.id })).toBe("Someone else removed ‘A’ from ‘Checks’");
  });
});

describe('describeFeed: who, where, and runs', () => {
  const at = (seq: number, widget: Change['widget'], userId: string | null, clientId: string | null): Change => ({
    seq, dashboardId: DASH, widgetId: W, version: seq, widget, mutationId: null, clientId: clientId as Change['clientId'], userId: userId as UserId | null, at: seq * 1000,
  });
  const audience = { me: USER.id, myClient: 'c_mine' as Change['clientId'] & string, names: new Map([['u_ana' as UserId, 'Ana']]) };
  it('names people, says the device, and adds a run of counter steps into one line', () => {
    // Newest first, as the server sends it: Ana +1 three times on her phone, after I created it here.
    const feed = [
      at(4, counter('w_1', 'Pumps', 3, 'a0', 4), 'u_ana', 'c_phone'),
      at(3, counter('w_1', 'Pumps', 2, 'a0', 3), 'u_ana', 'c_phone'),
      at(2, counter('w_1', 'Pumps', 1, 'a0', 2), 'u_ana', 'c_phone'),
      at(1, counter('w_1', 'Pumps', 0, 'a0', 1), USER.id, 'c_mine'),
    ];
    expect(describeFeed(feed, audience)).toEqual([
      { key: `${DASH}:4`, at: 4000, firstAt: 2000, text: 'Ana changed ‘Pumps’ from 0 to 3 (+3)', device: 'on another device', count: 3 },
      { key: `${DASH}:1`, at: 1000, firstAt: 1000, text: 'You added counter ‘Pumps’', device: 'on this device', count: 1 },
    ]);
  });
  it('groups repeated edits of a note by one person on one device, and keeps other devices apart', () => {
    const feed = [
      at(5, note('w_1', 'Log', 'abcd', 'a0', 5), USER.id, 'c_other'),
      at(4, note('w_1', 'Log', 'abc', 'a0', 4), USER.id, 'c_mine'),
      at(3, note('w_1', 'Log', 'ab', 'a0', 3), USER.id, 'c_mine'),
      at(2, note('w_1', 'Log', 'a', 'a0', 2), 'u_bob', 'c_bob'),
      at(1, note('w_1', 'Log', '', 'a0', 1), 'u_bob', 'c_bob'),
    ];
    expect(describeFeed(feed, audience).map((l) => [l.text, l.device, l.count])).toEqual([
      ['You edited ‘Log’', 'on another device', 1],
      ['You edited ‘Log’', 'on this device', 2],
      ['Someone else edited ‘Log’', 'on another device', 1],
      ['Someone else added note ‘Log’', 'on another device', 1],
    ]);
  });
});

describe('pending runs', () => {
  const pumps = counter('w_1', 'Pumps', 0, 'a0');
  it('three +1 on one counter are one line "+3"; other widgets and other states stay apart', () => {
    const add = (delta: number, o = {}) => entry({ name: 'counter.add', args: { widgetId: W, delta } }, { createdAt: 0, ...o });
    const other = entry({ name: 'counter.add', args: { widgetId: 'w_2' as WidgetId, delta: 1 } }, { createdAt: 0 });
    const runs = pendingRuns([add(1), add(1), add(1), other, add(-1), add(1, { state: 'failed', attempts: 2, lastError: 'HTTP 503' })], (e) =>
      e.mutation.args.widgetId === W ? pumps : null,
    );
    expect(runs.map((r) => pendingLine(r, 60_000))).toEqual([
      'Counter ‘Pumps’ +3, 3 changes, 1 min ago, not sent yet',
      'A widget +1, 1 min ago, not sent yet',
      'Counter ‘Pumps’ -1, 1 min ago, not sent yet',
      'Counter ‘Pumps’ +1, 1 min ago, attempt 2, last error: HTTP 503',
    ]);
    expect(runs[0].entries).toHaveLength(3);
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
