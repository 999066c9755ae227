/** Mutations (docs/protocol.md "Mutation"): one schema per name, args checked with the limits. */
import * as v from 'valibot';
import { ClientIdSchema, DashboardIdSchema, ItemIdSchema, MutationIdSchema, WidgetIdSchema } from './ids.ts';
import { LIMITS } from './limits.ts';
import {
  ChecklistItemSchema,
  FiniteSchema,
  ItemTextSchema,
  MetricKeySchema,
  NoteTextSchema,
  PositionSchema,
  TitleSchema,
  WidgetKindSchema,
} from './widget.ts';

const envelope = {
  id: MutationIdSchema,
  clientId: ClientIdSchema,
  dashboardId: DashboardIdSchema,
  /** The widget version the client saw; read only by `widget.set` and `checklist.set`. */
  baseVersion: v.pipe(v.number(), v.integer(), v.minValue(0)),
  createdAt: v.pipe(v.number(), v.finite(), v.minValue(0)),
};

/** Scalar fields a `widget.set` patch may carry; which ones apply depends on the widget's kind. */
export const WidgetPatchSchema = v.pipe(
  v.strictObject({
    title: v.optional(TitleSchema),
    value: v.optional(FiniteSchema),
    text: v.optional(NoteTextSchema),
    metricKey: v.optional(MetricKeySchema),
  }),
  v.check((p) => Object.keys(p).length > 0, 'patch is empty'),
);
export type WidgetPatch = v.InferOutput<typeof WidgetPatchSchema>;
export type PatchField = keyof WidgetPatch;

export const ItemPatchSchema = v.pipe(
  v.strictObject({ text: v.optional(ItemTextSchema), done: v.optional(v.boolean()) }),
  v.check((p) => Object.keys(p).length > 0, 'patch is empty'),
);
export type ItemPatch = v.InferOutput<typeof ItemPatchSchema>;

export const WidgetCreateSchema = v.object({
  ...envelope,
  name: v.literal('widget.create'),
  args: v.object({
    widgetId: WidgetIdSchema,
    kind: WidgetKindSchema,
    title: TitleSchema,
    position: PositionSchema,
    value: v.optional(FiniteSchema),
    text: v.optional(NoteTextSchema),
    items: v.optional(
      v.pipe(v.array(ChecklistItemSchema), v.maxLength(LIMITS.maxChecklistItems, 'over 500 checklist items')),
    ),
    metricKey: v.optional(MetricKeySchema),
  }),
});
export const WidgetSetSchema = v.object({
  ...envelope,
  name: v.literal('widget.set'),
  args: v.object({ widgetId: WidgetIdSchema, patch: WidgetPatchSchema }),
});
export const WidgetMoveSchema = v.object({
  ...envelope,
  name: v.literal('widget.move'),
  args: v.object({ widgetId: WidgetIdSchema, position: PositionSchema }),
});
export const WidgetDeleteSchema = v.object({
  ...envelope,
  name: v.literal('widget.delete'),
  args: v.object({ widgetId: WidgetIdSchema }),
});
export const CounterAddSchema = v.object({
  ...envelope,
  name: v.literal('counter.add'),
  args: v.object({ widgetId: WidgetIdSchema, delta: FiniteSchema }),
});
export const ChecklistAddSchema = v.object({
  ...envelope,
  name: v.literal('checklist.add'),
  args: v.object({
    widgetId: WidgetIdSchema,
    itemId: ItemIdSchema,
    text: ItemTextSchema,
    /** Insert in front of this item; absent, or an item no longer there: at the end (undo of a remove). */
    before: v.optional(ItemIdSchema),
    /** Absent: not done. */
    done: v.optional(v.boolean()),
  }),
});
export const ChecklistSetSchema = v.object({
  ...envelope,
  name: v.literal('checklist.set'),
  args: v.object({ widgetId: WidgetIdSchema, itemId: ItemIdSchema, patch: ItemPatchSchema }),
});
export const ChecklistRemoveSchema = v.object({
  ...envelope,
  name: v.literal('checklist.remove'),
  args: v.object({ widgetId: WidgetIdSchema, itemId: ItemIdSchema }),
});

export const MutationSchema = v.variant('name', [
  WidgetCreateSchema,
  WidgetSetSchema,
  WidgetMoveSchema,
  WidgetDeleteSchema,
  CounterAddSchema,
  ChecklistAddSchema,
  ChecklistSetSchema,
  ChecklistRemoveSchema,
]);
export type Mutation = v.InferOutput<typeof MutationSchema>;
export type MutationName = Mutation['name'];
export type MutationOf<N extends MutationName> = Extract<Mutation, { name: N }>;
/** What a caller supplies to build a mutation; the envelope is filled in by `makeMutation`. */
export type MutationInput = { [N in MutationName]: { name: N; args: MutationOf<N>['args'] } }[MutationName];
export const MUTATION_NAMES = MutationSchema.options.map((o) => o.entries.name.literal);
