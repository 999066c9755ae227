/**
 * Catch-up and reset pages bounded in bytes as well as in changes (docs/server.md, "Limits"): a page of 500
 * changes could carry a whole 8 MiB dashboard in one frame or answer, held for a reader that may never read
 * it (issue 14). Both backends cut their feed with this one rule, so a page means the same everywhere.
 */
import type { Change, Widget } from '../../protocol/index.ts';

/** What a change costs besides its widget's JSON: ids, seq, version, time, the frame's keys. */
export const CHANGE_OVERHEAD_BYTES = 200;

/** A change row's size for paging: its widget's stored JSON (none for a deletion) plus the overhead. */
export function rowBytes(row: { widget: string | null }): number {
  return (row.widget?.length ?? 0) + CHANGE_OVERHEAD_BYTES;
}

/**
 * The first rows, in order, up to `take` rows and `maxBytes`, but always at least one (a page that could
 * hold no change would never move the cursor); `more` when a row was left for the next page. Reads `rows`
 * lazily and stops at the first row it leaves, so a backend may pass a statement's iterator.
 */
export function cutPage<R extends { widget: string | null }>(rows: Iterable<R>, take: number, maxBytes: number): { rows: R[]; more: boolean } {
  const out: R[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = rowBytes(row);
    if (out.length >= take || (out.length > 0 && bytes + size > maxBytes)) return { rows: out, more: true };
    out.push(row);
    bytes += size;
  }
  return { rows: out, more: false };
}

/** A reset page's widgets: the live ones among its changes (a deletion in the feed is simply left out). */
export function liveOf(changes: readonly Change[]): Widget[] {
  return changes.flatMap((c) => (c.widget === null ? [] : [c.widget]));
}
