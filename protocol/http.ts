/** HTTP bodies and answers (docs/protocol.md "HTTP"). */
import * as v from 'valibot';
import { ClientIdSchema, DashboardIdSchema } from './ids.ts';
import { LIMITS } from './limits.ts';
import { ChangeSchema, MutationResultSchema } from './result.ts';
import { EpochSchema, UserSchema } from './frames.ts';
import { WidgetSchema } from './widget.ts';

export const LoginBodySchema = v.object({
  username: v.pipe(v.string(), v.minLength(1), v.maxLength(100)),
  password: v.pipe(v.string(), v.maxLength(1000)),
});
/** `POST /api/password`: the new password must be at least 4 characters (as the CLI requires). */
export const PasswordChangeBodySchema = v.object({
  currentPassword: v.pipe(v.string(), v.maxLength(1000)),
  newPassword: v.pipe(v.string(), v.minLength(4, 'the new password must be at least 4 characters'), v.maxLength(1000)),
});
export const MeResponseSchema = v.object({ user: UserSchema });
export const DashboardSummarySchema = v.object({ id: DashboardIdSchema, name: v.string() });
export type DashboardSummary = v.InferOutput<typeof DashboardSummarySchema>;
export const DashboardsResponseSchema = v.object({ dashboards: v.array(DashboardSummarySchema) });
export const CreateDashboardBodySchema = v.object({
  name: v.pipe(v.string(), v.trim(), v.minLength(1, 'name is empty'), v.maxLength(LIMITS.maxDashboardNameLength)),
});
export const PushBodySchema = v.object({
  clientId: ClientIdSchema,
  mutations: v.pipe(v.array(v.unknown()), v.maxLength(LIMITS.maxMutationsPerPush, 'over 500 mutations in one push')),
});
export const PushResponseSchema = v.object({ results: v.array(MutationResultSchema) });

const IntString = (min: number) =>
  v.pipe(v.string(), v.regex(/^\d{1,15}$/, 'must be a whole number'), v.transform(Number), v.minValue(min));
export const PullQuerySchema = v.object({
  dashboardId: DashboardIdSchema,
  cursor: v.optional(IntString(0), '0'),
  epoch: v.optional(EpochSchema),
  limit: v.optional(v.pipe(IntString(1), v.maxValue(LIMITS.maxPullLimit)), String(LIMITS.defaultPullLimit)),
});
export const ResetPayloadSchema = v.object({
  epoch: EpochSchema,
  seq: v.pipe(v.number(), v.integer(), v.minValue(0)),
  widgets: v.array(WidgetSchema),
  /** A paged reset: pull the rest from `seq` in `epoch`; the reset is complete at the page without `more`. */
  more: v.optional(v.literal(true)),
});
export const PullResponseSchema = v.union([
  v.object({
    epoch: EpochSchema,
    changes: v.array(ChangeSchema),
    seq: v.pipe(v.number(), v.integer(), v.minValue(0)),
    more: v.boolean(),
  }),
  v.object({ reset: ResetPayloadSchema }),
]);
export type PullResponse = v.InferOutput<typeof PullResponseSchema>;
export const IngestBodySchema = v.object({
  value: v.pipe(v.number(), v.finite()),
  at: v.optional(v.pipe(v.number(), v.finite(), v.minValue(0))),
});
/**
 * `GET /api/health` (200, or 503 when the database does not answer): `degraded` while the cross-node hint
 * connection is down (`listen`: `none` on a single node); the node still serves everything then.
 */
export const HealthResponseSchema = v.object({
  status: v.picklist(['ok', 'degraded', 'error']),
  db: v.picklist(['ok', 'error']),
  listen: v.picklist(['none', 'ok', 'down']),
  connections: v.number(),
  uptimeS: v.number(),
});
export type HealthResponse = v.InferOutput<typeof HealthResponseSchema>;
/**
 * `GET /api/activity` (an extension, docs/protocol.md): the newest changes of a dashboard, and the id and
 * name of each user who made one of them, so the activity list and conflict cards can say who. `users` is
 * missing from servers before 2026-12-02.
 */
export const ActivityResponseSchema = v.object({ changes: v.array(ChangeSchema), users: v.optional(v.array(UserSchema), []) });
export type ActivityResponse = v.InferOutput<typeof ActivityResponseSchema>;
export const ErrorBodySchema = v.object({ error: v.object({ code: v.string(), message: v.string() }) });
export type ErrorBody = v.InferOutput<typeof ErrorBodySchema>;
