/**
 * The server's hops of the hop trace (docs/testing.md, "The hop trace"): a batch committed to the store,
 * and its changes handed to every subscribed socket on this node. With `FIELDBOARD_TRACE=1` each hop of
 * each change that carries a mutation id is one JSON line on stdout, `{"trace":"committed","m":"m_…",
 * "t":<epoch ms>}`, read by the benchmark from the server's output; nothing goes on the wire. Off by
 * default: one boolean test per batch.
 *
 * `t` is `performance.timeOrigin + performance.now()`: epoch milliseconds with sub-millisecond digits, on
 * the same clock as the browsers' marks when both run on one machine.
 */
import type { Change } from '../protocol/index.ts';
import { flag } from './config-env.ts';

export type ServerHop = 'committed' | 'fanned-out';
export const SERVER_HOPS: readonly ServerHop[] = ['committed', 'fanned-out'];

// Read at the first call, not at import: loadConfig (server/config.ts) checks the variable first, so a
// malformed value stops the server with its message like any other.
let enabled: boolean | null = null;

export function traceServer(hop: ServerHop, changes: readonly Change[]): void {
  if (!(enabled ??= flag(process.env, 'FIELDBOARD_TRACE', false))) return;
  const t = performance.timeOrigin + performance.now();
  let out = '';
  for (const c of changes) if (c.mutationId) out += `${JSON.stringify({ trace: hop, m: c.mutationId, t })}\n`;
  if (out) process.stdout.write(out);
}
