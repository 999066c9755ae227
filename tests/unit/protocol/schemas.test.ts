/** The wire schemas: ids, mutations with their limits, parseMutation's rejected results, frames and HTTP bodies. */
import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import {
  ClientFrameSchema,
  LIMITS,
  MUTATION_NAMES,
  MutationIdSchema,
  MutationResultSchema,
  PullQuerySchema,
  PushBodySchema,
  ServerFrameSchema,
  WidgetIdSchema,
  WidgetSchema,
  newMutationId,
  parse,
  parseMutation,
  ulid,
  type ItemId,
} from '../../../protocol/index.ts';
import { checklist, counter, m, note, W } from './helpers.ts';

describe('ids', () => {
  it('accepts prefix_ and 1-64 of [0-9A-Za-z_-], nothing else', () => {
    expect(v.is(WidgetIdSchema, 'w_a')).toBe(true);
    expect(v.is(WidgetIdSchema, `w_${'Z9_-'.repeat(16)}`)).toBe(true);
    for (const bad of ['w_', `w_${'a'.repeat(65)}`, 'x_1', 'w_bad id', 'w_é', 'W_1', 'w_1\n', 42]) {
      expect(v.is(WidgetIdSchema, bad)).toBe(false);
    }
  });

  it('makes mutation ids that parse and sort by creation time', () => {
    const early = newMutationId(1_000_000);
    const late = newMutationId(2_000_000);
    expect(v.is(MutationIdSchema, early)).toBe(true);
    expect(early < late).toBe(true);
    expect(ulid(0).slice(0, 10)).toBe('0000000000');
    expect(ulid()).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });
});

describe('mutations', () => {
  it('defines the eight version 1 names', () => {
    expect([...MUTATION_NAMES].sort()).toEqual([
      'checklist.add', 'checklist.remove', 'checklist.set', 'counter.add',
      'widget.create', 'widget.delete', 'widget.move', 'widget.set',
    ]);
  });

  it('parses a well-formed mutation of each name', () => {
    const inputs = [
      counter(),
      { name: 'widget.set', args: { widgetId: W, patch: { title: 'x' } } },
      { name: 'widget.move', args: { widgetId: W, position: 'b' } },
      { name: 'widget.delete', args: { widgetId: W } },
      { name: 'counter.add', args: { widgetId: W, delta: -1.5 } },
      { name: 'checklist.add', args: { widgetId: W, itemId: 'i1', text: 't' } },
      { name: 'checklist.set', args: { widgetId: W, itemId: 'i1', patch: { done: true } } },
      { name: 'checklist.remove', args: { widgetId: W, itemId: 'i1' } },
    ] as const;
    for (const input of inputs) {
      const mutation = m(input as never);
      expect(parseMutation(JSON.parse(JSON.stringify(mutation)))).toEqual({ ok: true, mutation });
    }
  });

  it('rejects as invalid what breaks the shape, naming the path', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...m(counter()), name: 'widget.explode' }, /name/],
      [{ ...m(counter()), clientId: 'x_1' }, /clientId/],
      [{ ...m(counter()), baseVersion: -1 }, /baseVersion/],
      [{ ...m(counter()), baseVersion: 1.5 }, /baseVersion/],
      [m({ name: 'widget.set', args: { widgetId: W, patch: {} } }), /patch is empty/],
      [m({ name: 'widget.set', args: { widgetId: W, patch: { color: 'red' } as never } }), /patch/],
      [m({ name: 'checklist.set', args: { widgetId: W, itemId: 'i1' as ItemId, patch: {} } }), /patch is empty/],
      [m({ name: 'counter.add', args: { widgetId: W, delta: Infinity } }), /delta/],
      [m({ name: 'checklist.add', args: { widgetId: W, itemId: 'bad id' as never, text: 't' } }), /itemId/],
    ];
    for (const [input, message] of cases) {
      const r = parseMutation(input);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.result).toMatchObject({ status: 'rejected', code: 'invalid', message: expect.stringMatching(message) });
      expect(r.result.id).toBe((input as { id: string }).id);
    }
  });

  it('rejects as too-large what crosses a limit', () => {
    const over = [
      m({ ...counter(), args: { ...counter().args, title: 'x'.repeat(LIMITS.maxTitleLength + 1) } } as never),
      m(note('x'.repeat(LIMITS.maxNoteLength + 1))),
      m({ name: 'checklist.add', args: { widgetId: W, itemId: 'i' as ItemId, text: 'x'.repeat(LIMITS.maxItemTextLength + 1) } }),
      m({
        ...checklist(),
        args: { ...checklist().args, items: Array.from({ length: 501 }, (_, i) => ({ id: `i${i}`, text: '', done: false })) },
      } as never),
    ];
    for (const input of over) expect(parseMutation(input)).toMatchObject({ ok: false, result: { code: 'too-large' } });
    expect(parseMutation(m(note('x'.repeat(LIMITS.maxNoteLength)))).ok).toBe(true);
  });

  it('gives a broken mutation the best id it can: a string id cut to 100 characters, else empty', () => {
    expect(parseMutation(null)).toMatchObject({ ok: false, result: { id: '' } });
    expect(parseMutation({ id: 7 })).toMatchObject({ ok: false, result: { id: '' } });
    expect(parseMutation({ id: 'm_' + 'a'.repeat(200) })).toMatchObject({ ok: false, result: { id: 'm_' + 'a'.repeat(98) } });
  });
});

describe('frames and bodies', () => {
  it('accepts the client frames of docs/protocol.md and refuses unknown types', () => {
    const frames = [
      { type: 'hello', protocol: 1, clientId: 'c_1' },
      { type: 'subscribe', dashboardId: 'd_1', cursor: 0 },
      { type: 'subscribe', dashboardId: 'd_1', cursor: 5, epoch: 'e1' },
      { type: 'subscribe', dashboardId: 'd_1', cursor: 0, epoch: null },
      { type: 'unsubscribe', dashboardId: 'd_1' },
      { type: 'push', requestId: 'r1', mutations: [{ anything: true }] },
      { type: 'ping', t: 3 },
    ];
    for (const f of frames) expect(v.is(ClientFrameSchema, f)).toBe(true);
    expect(v.is(ClientFrameSchema, { type: 'welcome' })).toBe(false);
    expect(v.is(ClientFrameSchema, { type: 'subscribe', dashboardId: 'd_1', cursor: -1 })).toBe(false);
  });

  it('caps a push at 500 mutations with too-large', () => {
    const frame = { type: 'push', requestId: 'r', mutations: Array.from({ length: 501 }, () => ({})) };
    expect(parse(ClientFrameSchema, frame)).toMatchObject({ ok: false, code: 'too-large' });
    expect(parse(PushBodySchema, { clientId: 'c_1', mutations: frame.mutations })).toMatchObject({ ok: false, code: 'too-large' });
    expect(parse(PushBodySchema, { clientId: 'c_1', mutations: frame.mutations.slice(1) }).ok).toBe(true);
  });

  it('validates server frames, results and widgets as the SW will read them', () => {
    const widget = { id: 'w_1', kind: 'metric', title: 't', position: 'a', version: 2, updatedAt: 5, updatedBy: null, metricKey: 'k', value: null, at: null, series: [] };
    expect(v.is(WidgetSchema, widget)).toBe(true);
    expect(v.is(WidgetSchema, { ...widget, version: 0 })).toBe(false);
    expect(v.is(ServerFrameSchema, { type: 'reset', dashboardId: 'd_1', epoch: 'e', seq: 0, widgets: [widget] })).toBe(true);
    expect(v.is(ServerFrameSchema, { type: 'caught-up', dashboardId: 'd_1', seq: 3 })).toBe(true);
    expect(v.is(ServerFrameSchema, { type: 'error', code: 'teapot', message: '' })).toBe(false);
    expect(v.is(MutationResultSchema, { id: 'm_1', status: 'conflict', fields: ['title'], server: null })).toBe(true);
    expect(v.is(MutationResultSchema, { id: 'm_1', status: 'applied', seq: 0, version: 1 })).toBe(false);
    expect(v.is(MutationResultSchema, { id: 'm_1', status: 'rejected', code: 'gone', message: '' })).toBe(false);
  });

  it('reads pull queries from strings with defaults and the 1000 cap', () => {
    expect(parse(PullQuerySchema, { dashboardId: 'd_1' })).toEqual({
      ok: true, value: { dashboardId: 'd_1', cursor: 0, limit: LIMITS.defaultPullLimit },
    });
    expect(parse(PullQuerySchema, { dashboardId: 'd_1', cursor: '12', limit: '1000', epoch: 'e' })).toMatchObject({
      ok: true, value: { cursor: 12, limit: 1000, epoch: 'e' },
    });
    expect(parse(PullQuerySchema, { dashboardId: 'd_1', limit: '1001' }).ok).toBe(false);
    expect(parse(PullQuerySchema, { dashboardId: 'd_1', cursor: '-1' }).ok).toBe(false);
  });
});
