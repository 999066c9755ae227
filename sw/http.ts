/**
 * The HTTP fallbacks of the socket: `POST /api/push` (no socket, Background Sync, no tab open) and
 * `GET /api/pull` (periodic refresh, and catching the replica up before applied mutations leave the
 * outbox). Expected failures are values: the caller decides between retry (transient) and sign-out (401).
 */
import {
  LIMITS,
  PullResponseSchema,
  PushResponseSchema,
  parse,
  type ClientId,
  type DashboardId,
  type Mutation,
  type MutationResult,
} from '../protocol/index.ts';
import type { ReplicaUpdate } from './store.ts';

export type FetchLike = (path: string, init?: RequestInit) => Promise<Response>;

/** `retryAfterMs`: the server refused for a rate limit and said how long to wait (429 Retry-After). */
export type HttpOutcome<T> = { ok: true; value: T } | { ok: false; unauthorized: boolean; error: string; retryAfterMs?: number };

const failure = (error: string, unauthorized = false) => ({ ok: false as const, unauthorized, error });

/** Retry-After in seconds (the only form the server sends); a date or junk counts as no hint. */
function retryAfterMs(r: Response): number | undefined {
  const raw = r.headers.get('retry-after');
  return raw !== null && /^\d{1,6}$/.test(raw.trim()) ? Number(raw.trim()) * 1000 : undefined;
}

/**
 * Why the last socket upgrade failed, as far as the server says: `GET /api/ws` answers the upgrade's
 * verdict (docs/server.md). A 429 is a refusal to wait out (Retry-After, else 30 s); anything else,
 * the network included, is not a refusal (the usual backoff and probes go on).
 */
export async function socketRefusal(fetcher: FetchLike): Promise<{ retryAfterMs: number } | null> {
  try {
    const r = await fetcher('/api/ws', { credentials: 'same-origin' });
    return r.status === 429 ? { retryAfterMs: retryAfterMs(r) ?? 30_000 } : null;
  } catch {
    return null;
  }
}

export async function pushOverHttp(
  fetcher: FetchLike,
  clientId: ClientId,
  mutations: Mutation[],
): Promise<HttpOutcome<MutationResult[]>> {
  let r: Response;
  try {
    r = await fetcher('/api/push', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId, mutations }),
      credentials: 'same-origin',
    });
  } catch (e) {
    return failure(`network: ${(e as Error).message}`);
  }
  if (r.status === 401) return failure('session expired', true);
  if (r.status === 429) return { ...failure('rate-limited: HTTP 429 on push'), retryAfterMs: retryAfterMs(r) };
  if (!r.ok) return failure(`HTTP ${r.status} on push`);
  const body = parse(PushResponseSchema, await r.json().catch(() => null));
  if (!body.ok) return failure(`bad push answer: ${body.message}`);
  return { ok: true, value: body.value.results };
}

/** A paged reset is pulled to its end whatever `maxPages` says, but not past this (a server gone wrong). */
const MAX_RESET_PAGES = 1000;

/**
 * Pulls a dashboard from `cursor` until the head, as replica updates to commit in one transaction (a reset
 * first when the server says the cursor means nothing there). A paged reset (`more`, docs/protocol.md) is
 * pulled to its last page before anything is answered: the caller commits it whole or not at all, so the
 * replica never holds part of a reset as the dashboard.
 */
export async function pullOverHttp(
  fetcher: FetchLike,
  dashboardId: DashboardId,
  from: { cursor: number; epoch: string | null },
  maxPages = 20,
): Promise<HttpOutcome<ReplicaUpdate[]>> {
  const updates: ReplicaUpdate[] = [];
  let { cursor, epoch } = from;
  let resetting = false;
  for (let page = 0; page < (resetting ? MAX_RESET_PAGES : maxPages); page++) {
    const q = new URLSearchParams({ dashboardId, cursor: String(cursor), limit: String(LIMITS.maxPullLimit) });
    if (epoch !== null) q.set('epoch', epoch);
    let r: Response;
    try {
      r = await fetcher(`/api/pull?${q}`, { credentials: 'same-origin' });
    } catch (e) {
      return failure(`network: ${(e as Error).message}`);
    }
    if (r.status === 401) return failure('session expired', true);
    if (!r.ok) return failure(`HTTP ${r.status} on pull`);
    const body = parse(PullResponseSchema, await r.json().catch(() => null));
    if (!body.ok) return failure(`bad pull answer: ${body.message}`);
    const v = body.value;
    if ('reset' in v) {
      const { more, ...reset } = v.reset;
      updates.push({ dashboardId, kind: 'reset', ...reset });
      cursor = reset.seq;
      epoch = reset.epoch;
      resetting = more === true;
      continue; // a reset carries the head: one more page confirms nothing is left
    }
    updates.push({ dashboardId, kind: 'changes', changes: v.changes, seq: v.seq, epoch: v.epoch });
    cursor = v.seq;
    epoch = v.epoch;
    if (!v.more) return { ok: true, value: updates };
  }
  if (resetting) return failure(`a reset of ${dashboardId} did not end within ${MAX_RESET_PAGES} pages`);
  return { ok: true, value: updates };
}
