/** Result of one mutation and the change feed (docs/protocol.md "Result of one mutation", "Change"). */
import * as v from 'valibot';
import { ClientIdSchema, DashboardIdSchema, MutationIdSchema, UserIdSchema, WidgetIdSchema } from './ids.ts';
import { WidgetSchema } from './widget.ts';

const Seq = v.pipe(v.number(), v.integer(), v.minValue(1));
const Version = v.pipe(v.number(), v.integer(), v.minValue(1));

export const REJECT_CODES = ['invalid', 'forbidden', 'not-found', 'too-large'] as const;
export const RejectCodeSchema = v.picklist(REJECT_CODES);
export type RejectCode = v.InferOutput<typeof RejectCodeSchema>;

export const AppliedResultSchema = v.object({ id: v.string(), status: v.literal('applied'), seq: Seq, version: Version });
export const ConflictResultSchema = v.object({
  id: v.string(),
  status: v.literal('conflict'),
  /** Only the conflicting fields; checklist fields are written `items.<itemId>.<field>`. */
  fields: v.array(v.string()),
  /** The widget as the server has it, or null when it was deleted. */
  server: v.nullable(WidgetSchema),
});
export const RejectedResultSchema = v.object({
  /** The mutation's id, or the best string found where the mutation was too broken to carry one. */
  id: v.string(),
  status: v.literal('rejected'),
  code: RejectCodeSchema,
  message: v.string(),
});
export const MutationResultSchema = v.variant('status', [
  AppliedResultSchema,
  ConflictResultSchema,
  RejectedResultSchema,
]);
export type MutationResult = v.InferOutput<typeof MutationResultSchema>;
export type AppliedResult = v.InferOutput<typeof AppliedResultSchema>;
export type ConflictResult = v.InferOutput<typeof ConflictResultSchema>;
export type RejectedResult = v.InferOutput<typeof RejectedResultSchema>;

export const ChangeSchema = v.object({
  seq: Seq,
  dashboardId: DashboardIdSchema,
  widgetId: WidgetIdSchema,
  version: Version,
  /** The whole widget after the change, or null when deleted. */
  widget: v.nullable(WidgetSchema),
  /** null for changes the server made itself (metric ingest). */
  mutationId: v.nullable(MutationIdSchema),
  clientId: v.nullable(ClientIdSchema),
  userId: v.nullable(UserIdSchema),
  at: v.number(),
});
export type Change = v.InferOutput<typeof ChangeSchema>;
