/**
 * Branded ids. Every id on the wire is `prefix_` followed by 1-64 characters of `[0-9A-Za-z_-]`
 * (docs/protocol.md "Ids"). Mutation ids are time-sortable (ULID-style body) so that sorting by id sorts by
 * creation time; the outbox relies on that only as a tie-breaker, never for correctness.
 */
import * as v from 'valibot';

const ID_BODY = '[0-9A-Za-z_-]{1,64}';

function idSchema<const B extends string>(prefix: string, brand: B) {
  return v.pipe(
    v.string(),
    v.regex(new RegExp(`^${prefix}_${ID_BODY}$`), `must look like ${prefix}_ followed by 1-64 of [0-9A-Za-z_-]`),
    v.brand(brand),
  );
}

export const UserIdSchema = idSchema('u', 'UserId');
export const DashboardIdSchema = idSchema('d', 'DashboardId');
export const WidgetIdSchema = idSchema('w', 'WidgetId');
export const ClientIdSchema = idSchema('c', 'ClientId');
export const MutationIdSchema = idSchema('m', 'MutationId');
/** Checklist item ids are not prefixed by the protocol; they follow the same body rule. */
export const ItemIdSchema = v.pipe(v.string(), v.regex(new RegExp(`^${ID_BODY}$`)), v.brand('ItemId'));

export type UserId = v.InferOutput<typeof UserIdSchema>;
export type DashboardId = v.InferOutput<typeof DashboardIdSchema>;
export type WidgetId = v.InferOutput<typeof WidgetIdSchema>;
export type ClientId = v.InferOutput<typeof ClientIdSchema>;
export type MutationId = v.InferOutput<typeof MutationIdSchema>;
export type ItemId = v.InferOutput<typeof ItemIdSchema>;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A ULID body: 10 characters of millisecond time then 16 of randomness, Crockford base32.
 * Ids made in the same millisecond are not ordered among themselves; nothing relies on that.
 */
export function ulid(now: number = Date.now()): string {
  let time = '';
  let t = Math.floor(now);
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let rand = '';
  for (const b of bytes) rand += CROCKFORD[b % 32];
  return time + rand;
}

export const newMutationId = (now?: number) => `m_${ulid(now)}` as MutationId;
export const newClientId = () => `c_${ulid()}` as ClientId;
export const newWidgetId = () => `w_${ulid()}` as WidgetId;
export const newDashboardId = () => `d_${ulid()}` as DashboardId;
export const newUserId = () => `u_${ulid()}` as UserId;
export const newItemId = () => ulid() as ItemId;
