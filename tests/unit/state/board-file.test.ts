import { describe, expect, it } from 'vitest';
import { MutationSchema, type Widget } from '../../../protocol/index.ts';
import * as v from 'valibot';
import {
  boardFileName,
  exportBoard,
  importMutations,
  parseBoardFile,
  serializeBoard,
  summarizeBoard,
  type BoardFile,
} from '../../../src/state/board-file.ts';
import { apply, m } from '../protocol/helpers.ts';

const stamp = { version: 3, updatedAt: 5, updatedBy: 'u_alice' } as const;
const widgets = [
  { ...stamp, id: 'w_note', kind: 'note', title: 'Shift notes', position: 'b', text: 'Pump 2 noisy.\nCheck “bearings” ✓' },
  { ...stamp, id: 'w_count', kind: 'counter', title: 'Pumps', position: 'a', value: -2.5 },
  {
    ...stamp,
    id: 'w_list',
    kind: 'checklist',
    title: 'Valve check',
    position: 'c',
    items: [
      { id: 'i1', text: 'Inlet valve open', done: true },
      { id: 'i2', text: 'https://example.com/a-very-long-serial-number-0123456789', done: false },
    ],
  },
  { ...stamp, id: 'w_metric', kind: 'metric', title: 'Flow', position: 'd', metricKey: 'flow', value: 4, at: 9, series: [{ at: 9, value: 4 }] },
] as unknown as Widget[];

/** Builds the widgets an import's mutations make, the way the server's mutators do. */
function build(file: BoardFile): Widget[] {
  return importMutations(file).map((input) => {
    const mutation = v.parse(MutationSchema, m(input));
    return apply(null, mutation).widget as Widget;
  });
}

describe('the dashboard file', () => {
  it('round-trips every widget kind: export, text, import, export again', () => {
    const file = exportBoard('Site A', widgets, 1_000);
    expect(file.widgets.map((w) => w.kind)).toEqual(['counter', 'note', 'checklist', 'metric']);
    const read = parseBoardFile(serializeBoard(file));
    expect(read).toEqual({ ok: true, file });
    if (!read.ok) return;
    const made = build(read.file);
    // New ids everywhere, the file's order kept by the positions.
    expect(made.map((w) => w.id).some((id) => widgets.some((o) => o.id === id))).toBe(false);
    expect([...made].sort((a, b) => (a.position < b.position ? -1 : 1)).map((w) => w.title)).toEqual(file.widgets.map((w) => w.title));
    expect(exportBoard('Site A', made, 1_000)).toEqual(file);
  });

  it('keeps a thousand widgets in order with short positions', () => {
    const file: BoardFile = { ...exportBoard('Big', [], 0), widgets: Array.from({ length: 1000 }, (_, i) => ({ kind: 'counter', title: `C${i}`, value: i })) };
    const positions = importMutations(file).map((x) => (x.name === 'widget.create' ? x.args.position : ''));
    expect([...positions].sort()).toEqual(positions);
    expect(new Set(positions).size).toBe(1000);
    expect(Math.max(...positions.map((p) => p.length))).toBe(5);
  });

  it('says in words what is wrong with a bad file', () => {
    const good = exportBoard('Site A', widgets, 1_000);
    const bad = (o: unknown) => parseBoardFile(typeof o === 'string' ? o : JSON.stringify(o));
    expect(bad('{ nope')).toEqual({ ok: false, error: 'This file is not a Fieldboard dashboard file: it is not JSON.' });
    expect(bad({ widgets: [] })).toMatchObject({ ok: false, error: expect.stringContaining('not a Fieldboard dashboard file') });
    expect(bad({ ...good, version: 2 })).toMatchObject({ ok: false, error: expect.stringContaining('newer Fieldboard (file version 2)') });
    expect(bad({ ...good, widgets: [{ kind: 'gauge', title: 'x' }] })).toEqual({
      ok: false,
      error: 'This dashboard file cannot be imported: widgets[0].kind: kind must be counter, note, checklist or metric.',
    });
    expect(bad({ ...good, widgets: [{ kind: 'counter', title: 'x'.repeat(201), value: 1 }] })).toEqual({
      ok: false,
      error: 'This dashboard file cannot be imported: widgets[0].title: title is over 200 characters.',
    });
    expect(bad({ ...good, widgets: [{ kind: 'counter', title: 'x', value: '3' }] })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^This dashboard file cannot be imported: widgets\[0\]\.value: /),
    });
    expect(bad({ ...good, widgets: [{ kind: 'note', title: 'x', text: '', extra: 1 }] })).toMatchObject({
      ok: false,
      error: expect.stringContaining('widgets[0].extra'),
    });
  });

  it('names the file and sums it up for a person', () => {
    expect(boardFileName('Site A / North!', Date.UTC(2026, 11, 2))).toBe('fieldboard-site-a-north-2026-12-02.json');
    expect(boardFileName('***', 0)).toBe('fieldboard-dashboard-1970-01-01.json');
    expect(summarizeBoard(exportBoard('x', widgets, 0))).toBe('4 widgets: 1 counter, 1 note, 1 checklist, 1 metric');
    expect(summarizeBoard(exportBoard('x', [], 0))).toBe('no widgets');
  });
});
