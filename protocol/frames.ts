/** WebSocket `/api/ws` frames, one union per direction (docs/protocol.md "WebSocket"). */
import * as v from 'valibot';
import { ClientIdSchema, DashboardIdSchema, UserIdSchema } from './ids.ts';
import { ChangeSchema, MutationResultSchema } from './result.ts';
import { WidgetSchema } from './widget.ts';
import { PROTOCOL_VERSION } from './version.ts';
import { LIMITS } from './limits.ts';

const Cursor = v.pipe(v.number(), v.integer(), v.minValue(0));
const RequestId = v.pipe(v.string(), v.minLength(1), v.maxLength(100));
export const EpochSchema = v.pipe(v.string(), v.maxLength(100));
export const UserSchema = v.object({ id: UserIdSchema, name: v.string() });
export type User = v.InferOutput<typeof UserSchema>;

// Client to server.
export const HelloFrameSchema = v.object({ type: v.literal('hello'), protocol: v.number(), clientId: ClientIdSchema });
export const SubscribeFrameSchema = v.object({
  type: v.literal('subscribe'),
  dashboardId: DashboardIdSchema,
  cursor: Cursor,
  /** Missing or null epoch: the client has nothing yet; it gets a `reset` unless cursor is 0. */
  epoch: v.optional(v.nullable(EpochSchema)),
});
export const UnsubscribeFrameSchema = v.object({ type: v.literal('unsubscribe'), dashboardId: DashboardIdSchema });
/**
 * Mutations are validated one by one by the server (a bad one is `rejected`, the rest still apply), so the
 * frame only checks that there is an array of at most 500 of them.
 */
export const PushFrameSchema = v.object({
  type: v.literal('push'),
  requestId: RequestId,
  mutations: v.pipe(v.array(v.unknown()), v.maxLength(LIMITS.maxMutationsPerPush, 'over 500 mutations in one push')),
});
export const PingFrameSchema = v.object({ type: v.literal('ping'), t: v.number() });
export const ClientFrameSchema = v.variant('type', [
  HelloFrameSchema,
  SubscribeFrameSchema,
  UnsubscribeFrameSchema,
  PushFrameSchema,
  PingFrameSchema,
]);
export type ClientFrame = v.InferOutput<typeof ClientFrameSchema>;

// Server to client.
/** `unavailable` (an addition to version 1): the server could not handle the request now; nothing was committed, retry. */
export const ERROR_CODES = ['bad-message', 'too-large', 'rate-limited', 'forbidden', 'unsupported-protocol', 'unavailable'] as const;
export const WelcomeFrameSchema = v.object({
  type: v.literal('welcome'),
  protocol: v.literal(PROTOCOL_VERSION),
  epoch: EpochSchema,
  user: UserSchema,
  heartbeatMs: v.number(),
});
export const ChangesFrameSchema = v.object({
  type: v.literal('changes'),
  dashboardId: DashboardIdSchema,
  changes: v.array(ChangeSchema),
});
export const CaughtUpFrameSchema = v.object({ type: v.literal('caught-up'), dashboardId: DashboardIdSchema, seq: Cursor });
export const ResetFrameSchema = v.object({
  type: v.literal('reset'),
  dashboardId: DashboardIdSchema,
  epoch: EpochSchema,
  seq: Cursor,
  widgets: v.array(WidgetSchema),
  /**
   * A paged reset (an addition to version 1, docs/protocol.md): these are the first widgets; the rest follow
   * as the catch-up from `seq` (`changes` frames, then `caught-up`), and only then is the reset complete.
   */
  more: v.optional(v.literal(true)),
});
export const PushResultFrameSchema = v.object({
  type: v.literal('push-result'),
  requestId: v.string(),
  results: v.array(MutationResultSchema),
});
export const ErrorFrameSchema = v.object({
  type: v.literal('error'),
  code: v.picklist(ERROR_CODES),
  message: v.string(),
  requestId: v.optional(v.string()),
  /** With `rate-limited`: wait at least this long before sending again (an addition to version 1). */
  retryAfterMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
});
export const NoticeFrameSchema = v.looseObject({ type: v.literal('notice'), kind: v.string() });
export const PongFrameSchema = v.object({ type: v.literal('pong'), t: v.number() });
export const ServerFrameSchema = v.variant('type', [
  WelcomeFrameSchema,
  ChangesFrameSchema,
  CaughtUpFrameSchema,
  ResetFrameSchema,
  PushResultFrameSchema,
  ErrorFrameSchema,
  NoticeFrameSchema,
  PongFrameSchema,
]);
export type ServerFrame = v.InferOutput<typeof ServerFrameSchema>;
export type ErrorCode = (typeof ERROR_CODES)[number];
export type FrameOf<F extends { type: string }, T extends F['type']> = Extract<F, { type: T }>;
