/** The mutators against every rule of docs/protocol.md "Precise rules", one mutation at a time. */
import { describe, expect, it } from 'vitest';
import {
  LIMITS,
  applyIngest,
  applyMutation,
  applyOptimistic,
  recordOf,
  touchedFields,
  type ItemId,
  type Widget,
} from '../../../protocol/index.ts';
import { A, B, W, apply, checklist, counter, m, metric, note } from './helpers.ts';

const set = (patch: object, base: number, who = A) => m({ name: 'widget.set', args: { widgetId: W, patch } } as never, base, who.clientId);
const item = (name: string, args: object, base = 0, who = A) =>
  m({ name, args: { widgetId: W, ...args } } as never, base, who.clientId);

describe('versions and stamps', () => {
  it('creates at version 1, stamps every initial field, and adds exactly 1 per applied change', () => {
    let r = apply(null, m(note('hi')));
    expect(r.widget).toEqual({ id: W, kind: 'note', title: 'Notes', position: 'a0', version: 1, updatedAt: A.now, updatedBy: A.userId, text: 'hi' });
    expect(r.stamps).toEqual({ title: { v: 1, c: A.clientId }, position: { v: 1, c: A.clientId }, text: { v: 1, c: A.clientId } });
    r = apply(r, set({ text: 'a' }, 1), B);
    r = apply(r, m({ name: 'widget.move', args: { widgetId: W, position: 'b' } }), A);
    expect(r.widget).toMatchObject({ version: 3, text: 'a', position: 'b', updatedBy: A.userId });
    expect(r.stamps).toMatchObject({ text: { v: 2, c: B.clientId }, position: { v: 3, c: A.clientId }, title: { v: 1 } });
  });

  it('counts an ingest as one version, stamped as the server (client null)', () => {
    const r = applyIngest(apply(null, m(metric())), { value: 7, at: 50 });
    expect(r?.widget).toMatchObject({ version: 2, value: 7, at: 50, series: [{ at: 50, value: 7 }], updatedAt: 50, updatedBy: null });
    expect(r?.stamps.value).toEqual({ v: 2, c: null });
  });

  it('matches recordOf for a created widget', () => {
    const r = apply(null, m(counter(3)));
    expect(recordOf(r.widget, A.clientId)).toEqual(r);
  });
});

describe('baseVersion and conflicts', () => {
  it('conflicts on a field another client changed after baseVersion; never with the same client', () => {
    const r = apply(apply(null, m(note())), set({ title: 'B' }, 1, B), B);
    expect(applyMutation(r, set({ title: 'A' }, 1), A)).toEqual({ kind: 'conflict', fields: ['title'], server: r.widget });
    expect(applyMutation(r, set({ title: 'A' }, 2), A).kind).toBe('applied');
    expect(applyMutation(r, set({ title: 'B2' }, 1, B), B).kind).toBe('applied');
  });

  it("an edit made before another client's change conflicts even after its own client wrote over that change", () => {
    // v1 created by A, v2 B's words, v3 A's merge that keeps them; then A's edit typed on v1 arrives.
    let r = apply(apply(null, m(note('X1'))), set({ text: 'X1 from B' }, 1, B), B);
    r = apply(r, set({ text: 'X1 from B from A' }, 2), A);
    expect(r.stamps.text).toEqual({ v: 3, c: A.clientId, o: 2 });
    expect(applyMutation(r, set({ text: 'X1 from A, more' }, 1), A)).toEqual({ kind: 'conflict', fields: ['text'], server: r.widget });
    // Made on v2 or later it saw B's words: no conflict, and A's own later edits never conflict with each other.
    expect(applyMutation(r, set({ text: 'X1 from B from A!' }, 2), A).kind).toBe('applied');
    r = apply(r, set({ text: 'again' }, 3), A);
    expect(r.stamps.text).toEqual({ v: 4, c: A.clientId, o: 2 });
    expect(applyMutation(r, set({ text: 'and again' }, 3), A).kind).toBe('applied');
    // B writes over A: the other client is now A, at A's last version.
    r = apply(r, set({ text: 'B again' }, 4, B), B);
    expect(r.stamps.text).toEqual({ v: 5, c: B.clientId, o: 4 });
  });

  it('is all or nothing, listing only the conflicting fields', () => {
    const r = apply(apply(null, m(note())), set({ title: 'B' }, 1, B), B);
    const out = applyMutation(r, set({ title: 'A', text: 'mine' }, 1), A);
    expect(out).toEqual({ kind: 'conflict', fields: ['title'], server: r.widget });
    expect(r.widget).toMatchObject({ text: '', title: 'B' });
  });

  it('counts server-made changes (client null) as another client', () => {
    const seeded = recordOf(apply(null, m(note())).widget, null);
    expect(applyMutation(seeded, set({ title: 'A' }, 0), A)).toEqual({ kind: 'conflict', fields: ['title'], server: seeded.widget });
    expect(applyMutation(seeded, set({ title: 'A' }, 1), A).kind).toBe('applied');
  });

  it('ignores baseVersion for every mutation but widget.set and checklist.set', () => {
    let r = apply(null, m(counter()));
    r = apply(r, set({ title: 'x', value: 5 }, 1, B), B);
    expect(applyMutation(r, m({ name: 'counter.add', args: { widgetId: W, delta: 1 } }, 0), A).kind).toBe('applied');
    expect(applyMutation(r, m({ name: 'widget.move', args: { widgetId: W, position: 'z' } }, 0), A).kind).toBe('applied');
    expect(applyMutation(r, m({ name: 'widget.delete', args: { widgetId: W } }, 0), A).kind).toBe('applied');
  });

  it('checklist.add puts the item in front of `before` and takes `done`; a `before` no longer there means the end', () => {
    let r = apply(null, m(checklist()));
    r = apply(r, item('checklist.add', { itemId: 'i1', text: 'one' }));
    r = apply(r, item('checklist.add', { itemId: 'i3', text: 'three' }));
    r = apply(r, item('checklist.add', { itemId: 'i2', text: 'two', before: 'i3', done: true }));
    r = apply(r, item('checklist.add', { itemId: 'i4', text: 'four', before: 'gone' }));
    expect(r.widget.kind === 'checklist' && r.widget.items).toEqual([
      { id: 'i1', text: 'one', done: false },
      { id: 'i2', text: 'two', done: true },
      { id: 'i3', text: 'three', done: false },
      { id: 'i4', text: 'four', done: false },
    ]);
  });

  it('conflicts per checklist item field, written items.<itemId>.<field>', () => {
    let r = apply(null, m(checklist()));
    r = apply(r, item('checklist.add', { itemId: 'i1', text: 'one' }));
    r = apply(r, item('checklist.set', { itemId: 'i1', patch: { done: true } }, 2, B), B);
    expect(applyMutation(r, item('checklist.set', { itemId: 'i1', patch: { done: false, text: 'x' } }, 2), A))
      .toEqual({ kind: 'conflict', fields: ['items.i1.done'], server: r.widget });
    expect(applyMutation(r, item('checklist.set', { itemId: 'i1', patch: { text: 'x' } }, 2), A).kind).toBe('applied');
  });
});

describe('deleted widgets and removed items', () => {
  const deleted = () => {
    const r = apply(apply(null, m(checklist())), item('checklist.add', { itemId: 'i1', text: 't' }));
    return apply(r, m({ name: 'widget.delete', args: { widgetId: W } }), B);
  };

  it('keeps a tombstone with the deletion version; applyMutation reports a null widget', () => {
    const r = apply(apply(null, m(counter())), m({ name: 'widget.delete', args: { widgetId: W } }), B);
    expect(r).toMatchObject({ deleted: true, widget: { version: 2, updatedBy: B.userId } });
    const out = applyMutation(apply(null, m(counter())), m({ name: 'widget.delete', args: { widgetId: W } }), A);
    expect(out.kind === 'applied' && out.widget).toBeNull();
  });

  it('makes every mutation but widget.delete on a tombstone a conflict with server null', () => {
    const r = deleted();
    const others = [
      set({ title: 'x' }, 3),
      m({ name: 'widget.move', args: { widgetId: W, position: 'b' } }),
      item('checklist.add', { itemId: 'i2', text: 'x' }),
      item('checklist.set', { itemId: 'i1', patch: { done: true } }, 3),
      item('checklist.remove', { itemId: 'i1' }),
    ];
    for (const mutation of others) {
      expect(applyMutation(r, mutation, A)).toEqual({ kind: 'conflict', fields: touchedFields(mutation), server: null });
    }
    expect(applyMutation(r, m({ name: 'counter.add', args: { widgetId: W, delta: 1 } }), A)).toEqual({ kind: 'conflict', fields: ['value'], server: null });
  });

  it('answers deleting a deleted widget as unchanged at the deletion version', () => {
    expect(applyMutation(deleted(), m({ name: 'widget.delete', args: { widgetId: W } }), A)).toEqual({ kind: 'unchanged', version: 3 });
  });

  it('rejects widget.create with an id in use, live or deleted, as invalid', () => {
    expect(applyMutation(apply(null, m(counter())), m(note()), A)).toMatchObject({ kind: 'rejected', code: 'invalid' });
    expect(applyMutation(deleted(), m(note()), A)).toMatchObject({ kind: 'rejected', code: 'invalid' });
  });

  it('rejects an unknown widget and an unknown item as not-found', () => {
    expect(applyMutation(null, m({ name: 'widget.move', args: { widgetId: W, position: 'b' } }), A)).toMatchObject({ kind: 'rejected', code: 'not-found' });
    const r = apply(null, m(checklist()));
    expect(applyMutation(r, item('checklist.set', { itemId: 'nope', patch: { done: true } }), A)).toMatchObject({ kind: 'rejected', code: 'not-found' });
    expect(applyMutation(r, item('checklist.remove', { itemId: 'nope' }), A)).toMatchObject({ kind: 'rejected', code: 'not-found' });
  });

  it('handles removed items: remove again is unchanged, set conflicts, add with the id is invalid', () => {
    let r = apply(null, m(checklist()));
    r = apply(r, item('checklist.add', { itemId: 'i1', text: 't' }));
    r = apply(r, item('checklist.remove', { itemId: 'i1' }), B);
    expect(r.removedItems).toEqual({ i1: 3 });
    expect(r.stamps['items.i1.done']).toBeUndefined();
    expect(applyMutation(r, item('checklist.remove', { itemId: 'i1' }), A)).toEqual({ kind: 'unchanged', version: 3 });
    expect(applyMutation(r, item('checklist.set', { itemId: 'i1', patch: { done: true } }, 3), A))
      .toEqual({ kind: 'conflict', fields: ['items.i1.done'], server: r.widget });
    expect(applyMutation(r, item('checklist.add', { itemId: 'i1', text: 'again' }), A)).toMatchObject({ kind: 'rejected', code: 'invalid' });
  });

  it('treats item ids that name Object.prototype members like any other id', () => {
    for (const id of ['valueOf', 'constructor', 'toString', 'hasOwnProperty', '__proto__']) {
      let r = apply(null, m(checklist()));
      r = apply(r, item('checklist.add', { itemId: id, text: 't' }));
      r = apply(r, item('checklist.set', { itemId: id, patch: { done: true } }, 2));
      r = apply(r, item('checklist.remove', { itemId: id }));
      expect(Object.hasOwn(r.removedItems, id)).toBe(true);
      const stored = JSON.parse(JSON.stringify(r)) as typeof r;
      expect(applyMutation(stored, item('checklist.remove', { itemId: id }), B)).toEqual({ kind: 'unchanged', version: 4 });
      expect(applyMutation(stored, item('checklist.add', { itemId: id, text: 'again' }), B)).toMatchObject({ kind: 'rejected', code: 'invalid' });
    }
  });

  it('rejects checklist.add with a live item id as invalid', () => {
    const r = apply(apply(null, m(checklist())), item('checklist.add', { itemId: 'i1', text: 't' }));
    expect(applyMutation(r, item('checklist.add', { itemId: 'i1', text: 'dup' }), B)).toMatchObject({ kind: 'rejected', code: 'invalid' });
  });
});

describe('kinds and limits', () => {
  it('rejects fields and operations that do not belong to the widget kind', () => {
    const c = apply(null, m(counter()));
    expect(applyMutation(c, set({ text: 'x' }, 1), A)).toMatchObject({ kind: 'rejected', code: 'invalid' });
    expect(applyMutation(c, item('checklist.add', { itemId: 'i', text: 'x' }), A)).toMatchObject({ kind: 'rejected', code: 'invalid' });
    expect(applyMutation(apply(null, m(note())), m({ name: 'counter.add', args: { widgetId: W, delta: 1 } }), A)).toMatchObject({ kind: 'rejected', code: 'invalid' });
    expect(applyMutation(null, m({ ...counter(), args: { ...counter().args, text: 'x' } } as never), A)).toMatchObject({ kind: 'rejected', code: 'invalid' });
    expect(applyMutation(null, m({ ...metric(), args: { ...metric().args, metricKey: undefined } } as never), A)).toMatchObject({ kind: 'rejected', code: 'invalid' });
    const dupItems = { ...checklist(), args: { ...checklist().args, items: [{ id: 'i', text: '', done: false }, { id: 'i', text: '', done: true }] } };
    expect(applyMutation(null, m(dupItems as never), A)).toMatchObject({ kind: 'rejected', code: 'invalid' });
  });

  it('refuses a counter value that would not be finite', () => {
    const r = apply(null, m(counter(Number.MAX_VALUE)));
    expect(applyMutation(r, m({ name: 'counter.add', args: { widgetId: W, delta: Number.MAX_VALUE } }), A)).toMatchObject({ kind: 'rejected', code: 'invalid' });
  });

  it('refuses the 501st checklist item as too-large', () => {
    const items = Array.from({ length: LIMITS.maxChecklistItems }, (_, i) => ({ id: `i${i}` as ItemId, text: '', done: false }));
    const r = apply(null, m({ ...checklist(), args: { ...checklist().args, items } } as never));
    expect(applyMutation(r, item('checklist.add', { itemId: 'one-more', text: '' }), A)).toMatchObject({ kind: 'rejected', code: 'too-large' });
  });

  it('keeps the last 60 metric points and ignores ingest for deleted or other widgets', () => {
    let r = apply(null, m(metric()));
    for (let i = 0; i < 70; i++) r = applyIngest(r, { value: i, at: i })!;
    expect(r.widget.kind === 'metric' && r.widget.series.map((p) => p.value)).toEqual(Array.from({ length: 60 }, (_, i) => i + 10));
    expect(applyIngest(apply(null, m(counter())), { value: 1, at: 1 })).toBeNull();
    expect(applyIngest(apply(r, m({ name: 'widget.delete', args: { widgetId: W } })), { value: 1, at: 1 })).toBeNull();
  });
});

describe('applyOptimistic', () => {
  it('shows what the server would apply, and leaves the widget as it was for a rejection', () => {
    const w = apply(null, m(counter(1))).widget;
    const added = applyOptimistic(w, m({ name: 'counter.add', args: { widgetId: W, delta: 2 } }), A) as Widget;
    expect(added).toMatchObject({ value: 3, version: 2 });
    expect(applyOptimistic(w, set({ text: 'x' }, 1), A)).toBe(w);
    expect(applyOptimistic(w, m({ name: 'widget.delete', args: { widgetId: W } }), A)).toBeNull();
    expect(applyOptimistic(null, m(note('n')), A)).toMatchObject({ kind: 'note', text: 'n', version: 1 });
  });
});
