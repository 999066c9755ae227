/**
 * Replies of the worker to a tab's requests, typed per command (docs/service-worker.md, "Tabs: broadcasts in,
 * commands out"). Each request type names the `data` its success carries (`REPLY_DATA`); a refusal carries a
 * `code` from one list, which a tab acts on, and an `error` sentence, which it shows. No tab reads meaning out
 * of the sentence.
 */
import * as v from 'valibot';
import { ClientIdSchema } from '../protocol/ids.ts';
import { UserSchema } from '../protocol/frames.ts';
import { ConnectionStateSchema, OutboxEntrySchema, type TabCommand } from './tab-messages.ts';

/**
 * Why a request was refused:
 * - `not-signed-in`: the worker has no identity (sign in first);
 * - `foreign-client`: a mutation made under another client id than this worker's;
 * - `no-such-entry`: the pending change to discard is not (or no longer) in the outbox;
 * - `cannot-resolve`: the conflict to resolve is gone or the resolution does not fit it;
 * - `out-of-order`: a mutation posted ahead of one its tab still waits for (post the waiting ones again);
 * - `quota`: the browser refused the write for lack of space;
 * - `bad-command`: the message failed validation;
 * - `failed`: anything else the worker could not do (the sentence says what).
 */
export const REPLY_CODES = ['not-signed-in', 'foreign-client', 'no-such-entry', 'cannot-resolve', 'out-of-order', 'quota', 'bad-command', 'failed'] as const;
export const ReplyCodeSchema = v.picklist(REPLY_CODES);
export type ReplyCode = v.InferOutput<typeof ReplyCodeSchema>;

const requestId = v.string();
export const ReplySchema = v.variant('ok', [
  v.object({ type: v.literal('reply'), requestId, ok: v.literal(true), data: v.optional(v.unknown()) }),
  v.object({ type: v.literal('reply'), requestId, ok: v.literal(false), code: ReplyCodeSchema, error: v.string() }),
]);
/** A reply as posted (its `data` still to be read with the schema of its request's type). */
export type Reply = v.InferOutput<typeof ReplySchema>;

/**
 * `data` of the reply to `mutate`: the entry as queued (maybe coalesced) and the outbox broadcast holding it.
 * `entry` is null when the worker had taken this mutation before (a post repeated after a lost answer) and it
 * is no longer pending under its own id (sent and applied, or coalesced into a later edit).
 */
export const MutateReplyDataSchema = v.object({ entry: v.nullable(OutboxEntrySchema), outboxSeq: v.number(), swInstance: v.string() });
/** `data` of the reply to `get-state` and `identity`. */
export const StateReplyDataSchema = v.object({
  connection: ConnectionStateSchema,
  clientId: ClientIdSchema,
  user: v.nullable(UserSchema),
  swInstance: v.string(),
  seq: v.number(),
});
/** `data` of the reply to `sign-out`: unsynced mutations the user had (kept unless discarded). */
export const SignOutReplyDataSchema = v.object({ pending: v.number() });

/** Commands that get a reply, by type. */
export type RequestType = Extract<TabCommand, { requestId: string }>['type'];
/** Commands that get none (fire and forget). */
export type TellType = Exclude<TabCommand['type'], RequestType>;
export type CommandOf<T extends TabCommand['type']> = Extract<TabCommand, { type: T }>;

/** The `data` each request's success carries: one entry per request type, no more (checked by `satisfies`). */
export const REPLY_DATA = {
  identity: StateReplyDataSchema,
  'get-state': StateReplyDataSchema,
  mutate: MutateReplyDataSchema,
  'sign-out': SignOutReplyDataSchema,
  retry: v.undefined(),
  discard: v.undefined(),
  resolve: v.undefined(),
  'set-policy': v.undefined(),
} satisfies Record<RequestType, v.GenericSchema>;
export type ReplyData<T extends RequestType> = v.InferOutput<(typeof REPLY_DATA)[T]>;

/** A request's outcome, typed by its command: what the worker's handler returns and what the tab receives. */
export type Answer<T extends RequestType> = { ok: true; data: ReplyData<T> } | Refusal;
export type Refusal = { ok: false; code: ReplyCode; error: string };

export const answered = <D>(data: D): { ok: true; data: D } => ({ ok: true, data });
export const refused = (code: ReplyCode, error: string): Refusal => ({ ok: false, code, error });

/** The reply to post for an outcome. */
export function toReply(requestId: string, a: Answer<RequestType>): Reply {
  return a.ok ? { type: 'reply', requestId, ok: true, ...(a.data !== undefined ? { data: a.data } : {}) } : { type: 'reply', requestId, ...a };
}

/** Reads a reply to a request of type `type`: its data checked against that type's schema. */
export function answerOf<T extends RequestType>(type: T, r: Reply): Answer<T> {
  if (!r.ok) return { ok: false, code: r.code, error: r.error };
  const data = v.safeParse(REPLY_DATA[type], r.data);
  if (!data.success) return { ok: false, code: 'failed', error: `the worker's answer to "${type}" was not understood: ${data.issues[0].message}` };
  return { ok: true, data: data.output as ReplyData<T> };
}

/** A refusal as an error a caller can throw and still act on (`code`). */
export class ReplyError extends Error {
  constructor(
    readonly code: ReplyCode,
    message: string,
  ) {
    super(message);
    this.name = 'ReplyError';
  }
}
