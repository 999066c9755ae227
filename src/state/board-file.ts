/**
 * The dashboard file: a dashboard's widgets and layout as a versioned JSON document a person can download,
 * keep, mail and import again (docs/export-import.md). Pure: no DOM, no sync client.
 *
 * What is in it: the dashboard's name and, in display order (the layout), each widget's kind and title and
 * what a person set up: a counter's value, a note's text, a checklist's items, a metric's key. Not in it:
 * ids, versions, who changed what, and a metric's points (those are the sensor's, and keep coming).
 *
 * Importing never reuses ids: every widget and item gets a new one, so a file can be imported any number
 * of times, into any dashboard, without colliding with what is there (docs/protocol.md "Precise rules": a `widget.create` with
 * an id in use is rejected).
 */
import * as v from 'valibot';
import {
  FiniteSchema,
  ItemTextSchema,
  LIMITS,
  MetricKeySchema,
  newItemId,
  newWidgetId,
  NoteTextSchema,
  TitleSchema,
  type MutationInput,
  type Widget,
} from '../../protocol/index.ts';
import { createWithContent } from './create-widget.ts';
import { comparePositions, DIGITS } from './fractional-index.ts';

export const BOARD_FILE_FORMAT = 'fieldboard.dashboard';
/** Bump when a reader of an older version could not read the file correctly; list it in the doc. */
export const BOARD_FILE_VERSION = 1;
/** The server's default cap of live widgets per dashboard (README: FIELDBOARD_MAX_WIDGETS_PER_DASHBOARD). */
export const MAX_FILE_WIDGETS = 1000;

const title = { title: TitleSchema };
const FileWidgetSchema = v.variant('kind', [
  v.strictObject({ kind: v.literal('counter'), ...title, value: FiniteSchema }),
  v.strictObject({ kind: v.literal('note'), ...title, text: NoteTextSchema }),
  v.strictObject({
    kind: v.literal('checklist'),
    ...title,
    items: v.pipe(
      v.array(v.strictObject({ text: ItemTextSchema, done: v.boolean() })),
      v.maxLength(LIMITS.maxChecklistItems, 'over 500 checklist items'),
    ),
  }),
  v.strictObject({ kind: v.literal('metric'), ...title, metricKey: MetricKeySchema }),
], 'kind must be counter, note, checklist or metric');

export const BoardFileSchema = v.strictObject({
  format: v.literal(BOARD_FILE_FORMAT),
  version: v.literal(BOARD_FILE_VERSION),
  name: v.pipe(v.string(), v.minLength(1, 'name is empty'), v.maxLength(LIMITS.maxDashboardNameLength, 'name is over 200 characters')),
  exportedAt: v.pipe(v.number(), v.finite(), v.minValue(0)),
  widgets: v.pipe(v.array(FileWidgetSchema), v.maxLength(MAX_FILE_WIDGETS, `over ${MAX_FILE_WIDGETS} widgets`)),
});
export type BoardFile = v.InferOutput<typeof BoardFileSchema>;
export type FileWidget = BoardFile['widgets'][number];

/** The file for a dashboard's widgets (any order: the file keeps display order). */
export function exportBoard(name: string, widgets: readonly Widget[], now: number): BoardFile {
  const ordered = [...widgets].sort((a, b) => comparePositions(a.position, b.position) || a.id.localeCompare(b.id));
  return {
    format: BOARD_FILE_FORMAT,
    version: BOARD_FILE_VERSION,
    name,
    exportedAt: now,
    widgets: ordered.map((w): FileWidget => {
      switch (w.kind) {
        case 'counter':
          return { kind: 'counter', title: w.title, value: w.value };
        case 'note':
          return { kind: 'note', title: w.title, text: w.text };
        case 'checklist':
          return { kind: 'checklist', title: w.title, items: w.items.map((i) => ({ text: i.text, done: i.done })) };
        case 'metric':
          return { kind: 'metric', title: w.title, metricKey: w.metricKey };
      }
    }),
  };
}

/** The file as text: pretty, so a person can read and diff it. */
export const serializeBoard = (file: BoardFile): string => `${JSON.stringify(file, null, 2)}\n`;

/** A file name a person recognises: `fieldboard-site-a-2026-12-02.json`. */
export function boardFileName(name: string, now: number): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'dashboard';
  return `fieldboard-${slug}-${new Date(now).toISOString().slice(0, 10)}.json`;
}

export type ParsedBoard = { ok: true; file: BoardFile } | { ok: false; error: string };

function where(path: v.IssuePathItem[] | undefined): string {
  if (!path) return '';
  return path.map((p) => (typeof p.key === 'number' ? `[${p.key}]` : `.${String(p.key)}`)).join('').replace(/^\./, '');
}

/** Reads a file a person chose. Every refusal says what is wrong and where, in words. */
export function parseBoardFile(text: string): ParsedBoard {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: 'This file is not a Fieldboard dashboard file: it is not JSON.' };
  }
  if (typeof json !== 'object' || json === null || (json as { format?: unknown }).format !== BOARD_FILE_FORMAT) {
    return { ok: false, error: 'This file is not a Fieldboard dashboard file (it has no "format": "fieldboard.dashboard").' };
  }
  const version = (json as { version?: unknown }).version;
  if (typeof version === 'number' && version > BOARD_FILE_VERSION) {
    return {
      ok: false,
      error: `This file was made by a newer Fieldboard (file version ${version}); this one reads version ${BOARD_FILE_VERSION}. Update the app and try again.`,
    };
  }
  const r = v.safeParse(BoardFileSchema, json);
  if (!r.success) {
    const issue = r.issues[0];
    const at = where(issue.path);
    return { ok: false, error: `This dashboard file cannot be imported: ${at ? `${at}: ` : ''}${issue.message}.` };
  }
  return { ok: true, file: r.output };
}

/** "4 widgets: 1 counter, 1 note, 1 checklist, 1 metric". */
export function summarizeBoard(file: BoardFile): string {
  const n = file.widgets.length;
  if (n === 0) return 'no widgets';
  const counts = new Map<string, number>();
  for (const w of file.widgets) counts.set(w.kind, (counts.get(w.kind) ?? 0) + 1);
  const parts = [...counts].map(([k, c]) => `${c} ${k}${c === 1 ? '' : 's'}`);
  return `${n} widget${n === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

/**
 * The mutations that build the file's widgets, in display order, on an empty dashboard (import never mixes
 * a file into widgets already there). They are ordinary queued mutations: offline they wait in the outbox
 * and sync later.
 *
 * Positions are two base-62 digits per widget (room for 3,844, above the file's cap) and one random tail
 * for the whole import, so keys stay short however long the file, sort in the file's order, and two devices
 * importing into the same dashboard at once do not write equal keys (src/state/fractional-index.ts).
 */
export function importMutations(file: BoardFile, random: () => number = Math.random): MutationInput[] {
  let tail = '';
  for (let i = 0; i < 3; i++) tail += DIGITS[1 + Math.floor(random() * (DIGITS.length - 1))];
  return file.widgets.map((w, i): MutationInput => {
    const position = `${DIGITS[1 + Math.floor(i / DIGITS.length)]}${DIGITS[i % DIGITS.length]}${tail}`;
    return createWithContent(w, newWidgetId(), position, () => newItemId());
  });
}
