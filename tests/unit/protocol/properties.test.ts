/**
 * Properties of the mutators that convergence rests on: commutative operations commute, non-overlapping
 * edits merge, versions count applied changes, the optimistic view matches the server's for one client, and
 * records survive the JSON round trip every store and replica puts them through.
 * (Replaying a mutation through the store is a no-op: tests/storage/conformance-feed.ts, for every backend.)
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  applyMutation,
  applyOptimistic,
  type Mutation,
  type MutationInput,
  type Widget,
  type WidgetRecord,
} from '../../../protocol/index.ts';
import { A, B, W, apply, checklist, counter, m, note, type Actor } from './helpers.ts';

const actor = fc.constantFrom(A, B);
const itemId = fc.stringMatching(/^[0-9A-Za-z_-]{1,8}$/);
const text = fc.string({ maxLength: 20 });

/** Applies each mutation as its actor, skipping the ones that do not apply; returns the final record. */
function run(start: WidgetRecord, steps: { mutation: Mutation; who: Actor }[]): WidgetRecord {
  return steps.reduce((r, { mutation, who }) => {
    const out = applyMutation(r, mutation, who);
    return out.kind === 'applied' ? out.record : r;
  }, start);
}

describe('mutator properties', () => {
  it('counter.add commutes: any order of the same adds gives the same value and version', () => {
    const add = fc.record({ delta: fc.integer({ min: -1_000_000, max: 1_000_000 }), who: actor });
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.array(add, { maxLength: 30 }).chain((adds) =>
        fc.tuple(fc.constant(adds), fc.shuffledSubarray(adds, { minLength: adds.length, maxLength: adds.length }))), (start, [adds, shuffled]) => {
        const steps = (list: typeof adds) =>
          list.map(({ delta, who }) => ({ mutation: m({ name: 'counter.add', args: { widgetId: W, delta } }, 0, who.clientId), who }));
        const created = apply(null, m(counter(start)));
        const one = run(created, steps(adds)).widget;
        const other = run(created, steps(shuffled)).widget;
        expect(one).toMatchObject({ value: start + adds.reduce((s, a) => s + a.delta, 0), version: adds.length + 1 });
        expect(other).toMatchObject({ value: one.kind === 'counter' && one.value, version: one.version });
      }),
    );
  });

  it('checklist.add of distinct items commutes as a set', () => {
    const adds = fc.uniqueArray(fc.record({ id: itemId, text, who: actor }), { selector: (a) => a.id, maxLength: 20 });
    fc.assert(
      fc.property(adds.chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }))), ([list, shuffled]) => {
        const steps = (l: typeof list) =>
          l.map(({ id, text, who }) => ({
            mutation: m({ name: 'checklist.add', args: { widgetId: W, itemId: id, text } } as MutationInput, 0, who.clientId),
            who,
          }));
        const created = apply(null, m(checklist()));
        const asSet = (w: Widget) => (w.kind === 'checklist' ? [...w.items].sort((x, y) => (x.id < y.id ? -1 : 1)) : null);
        const one = run(created, steps(list)).widget;
        const other = run(created, steps(shuffled)).widget;
        expect(asSet(one)).toEqual(asSet(other));
        expect(asSet(one)).toHaveLength(list.length);
        expect(one.version).toBe(other.version);
      }),
    );
  });

  it('widget.set on non-overlapping fields by two clients merges in either order', () => {
    fc.assert(
      fc.property(text, text, fc.nat(5), fc.boolean(), (title, body, extraEdits, aFirst) => {
        // Both clients saw the same version (after some edits by a third party to unrelated fields).
        let r = apply(null, m(note()));
        for (let i = 0; i < extraEdits; i++) r = apply(r, m({ name: 'widget.move', args: { widgetId: W, position: `p${i}` } }, 0, 'c_third' as never), { ...A, clientId: 'c_third' as never });
        const base = r.widget.version;
        const fromA = { mutation: m({ name: 'widget.set', args: { widgetId: W, patch: { title } } }, base, A.clientId), who: A };
        const fromB = { mutation: m({ name: 'widget.set', args: { widgetId: W, patch: { text: body } } }, base, B.clientId), who: B };
        const order = aFirst ? [fromA, fromB] : [fromB, fromA];
        for (const step of order) {
          const out = applyMutation(r, step.mutation, step.who);
          expect(out.kind).toBe('applied');
          if (out.kind === 'applied') r = out.record;
        }
        expect(r.widget).toMatchObject({ title, text: body, version: base + 2 });
      }),
    );
  });

  it('versions count applied changes exactly, and the optimistic view of one client matches the server', () => {
    const input = fc.oneof(
      fc.integer({ min: -5, max: 5 }).map((delta): MutationInput => ({ name: 'counter.add', args: { widgetId: W, delta } })),
      text.map((title): MutationInput => ({ name: 'widget.set', args: { widgetId: W, patch: { title } } })),
      fc.integer({ min: -9, max: 9 }).map((value): MutationInput => ({ name: 'widget.set', args: { widgetId: W, patch: { value } } })),
      text.map((t): MutationInput => ({ name: 'widget.set', args: { widgetId: W, patch: { text: t } } })),
      fc.string({ minLength: 1, maxLength: 4 }).map((position): MutationInput => ({ name: 'widget.move', args: { widgetId: W, position } })),
      fc.constant<MutationInput>({ name: 'widget.delete', args: { widgetId: W } }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(input, fc.nat(8)), { maxLength: 25 }), (steps) => {
        let record: WidgetRecord | null = apply(null, m(counter()));
        let optimistic: Widget | null = record.widget;
        let appliedCount = 1;
        for (const [i, base] of steps) {
          const mutation = m(i, base);
          const out = applyMutation(record, mutation, A);
          optimistic = applyOptimistic(optimistic, mutation, A);
          if (out.kind === 'applied') {
            appliedCount += 1;
            record = out.record;
            expect(out.record.widget.version).toBe(appliedCount);
          }
          // One client never conflicts with itself; only a tombstone answers with a conflict.
          if (out.kind === 'conflict') expect(out.server === null && record.deleted).toBe(true);
          const server = record.deleted ? null : record.widget;
          // After a deletion the optimistic view is null and stays null (every later mutation is a no-op there).
          expect(optimistic).toEqual(server);
          expect(JSON.parse(JSON.stringify(record))).toEqual(record);
        }
      }),
    );
  });
});
