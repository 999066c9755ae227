/** Widgets as the server and every replica hold them (docs/protocol.md "Widget"). */
import * as v from 'valibot';
import { ItemIdSchema, UserIdSchema, WidgetIdSchema } from './ids.ts';
import { LIMITS } from './limits.ts';

export const WIDGET_KINDS = ['counter', 'note', 'checklist', 'metric'] as const;
export const WidgetKindSchema = v.picklist(WIDGET_KINDS);
export type WidgetKind = v.InferOutput<typeof WidgetKindSchema>;

export const TitleSchema = v.pipe(v.string(), v.maxLength(LIMITS.maxTitleLength, 'title is over 200 characters'));
export const NoteTextSchema = v.pipe(v.string(), v.maxLength(LIMITS.maxNoteLength, 'note text is over 64 KiB'));
export const ItemTextSchema = v.pipe(v.string(), v.maxLength(LIMITS.maxItemTextLength, 'item text is over 500 characters'));
export const MetricKeySchema = v.pipe(v.string(), v.minLength(1), v.maxLength(LIMITS.maxMetricKeyLength));
/** A fractional index: strings that sort in display order. */
export const PositionSchema = v.pipe(v.string(), v.minLength(1), v.maxLength(100));
export const FiniteSchema = v.pipe(v.number(), v.finite());
const TimeSchema = v.pipe(v.number(), v.finite(), v.minValue(0));

export const ChecklistItemSchema = v.object({ id: ItemIdSchema, text: ItemTextSchema, done: v.boolean() });
export type ChecklistItem = v.InferOutput<typeof ChecklistItemSchema>;
export const MetricPointSchema = v.object({ at: TimeSchema, value: FiniteSchema });
export type MetricPoint = v.InferOutput<typeof MetricPointSchema>;

const base = {
  id: WidgetIdSchema,
  title: TitleSchema,
  position: PositionSchema,
  version: v.pipe(v.number(), v.integer(), v.minValue(1)),
  updatedAt: TimeSchema,
  /** null for changes the server made itself (metric ingest). */
  updatedBy: v.nullable(UserIdSchema),
};

export const CounterWidgetSchema = v.object({ ...base, kind: v.literal('counter'), value: FiniteSchema });
export const NoteWidgetSchema = v.object({ ...base, kind: v.literal('note'), text: NoteTextSchema });
export const ChecklistWidgetSchema = v.object({
  ...base,
  kind: v.literal('checklist'),
  items: v.pipe(v.array(ChecklistItemSchema), v.maxLength(LIMITS.maxChecklistItems, 'over 500 checklist items')),
});
export const MetricWidgetSchema = v.object({
  ...base,
  kind: v.literal('metric'),
  metricKey: MetricKeySchema,
  value: v.nullable(FiniteSchema),
  at: v.nullable(TimeSchema),
  series: v.pipe(v.array(MetricPointSchema), v.maxLength(LIMITS.metricSeriesLength)),
});

export const WidgetSchema = v.variant('kind', [
  CounterWidgetSchema,
  NoteWidgetSchema,
  ChecklistWidgetSchema,
  MetricWidgetSchema,
]);
export type Widget = v.InferOutput<typeof WidgetSchema>;
export type CounterWidget = v.InferOutput<typeof CounterWidgetSchema>;
export type NoteWidget = v.InferOutput<typeof NoteWidgetSchema>;
export type ChecklistWidget = v.InferOutput<typeof ChecklistWidgetSchema>;
export type MetricWidget = v.InferOutput<typeof MetricWidgetSchema>;
