/**
 * The replica-forward rule: a confirmed replica only moves forward in version. The worker applies it to the
 * `widgets` store (sw/store.ts, where a deletion leaves a tombstone holding its version, so a stale change
 * cannot bring a widget back) and the page to its in-memory replica between re-reads (src/sync/).
 */

/** Does a change at version `incoming` move forward a replica holding `held` for its widget (undefined: none)? */
export function movesForward(held: number | undefined, incoming: number): boolean {
  return held === undefined || incoming > held;
}
