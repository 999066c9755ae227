/**
 * Which version this page runs, which version a waiting update brings and what changed in it, and the
 * one-line confirmation after updating (docs/updates.md).
 *
 * The running version is baked in at build time. The waiting one is read from the server's `version.json`
 * (written by the same build as the new service worker; not precached, fetched past every cache) when the
 * update is found. Accepting it remembers, for this tab, the version it was going to; the reload that
 * follows reads that and says "Updated to …" once.
 */
import * as v from 'valibot';

export const ReleaseSchema = v.object({
  version: v.pipe(v.string(), v.minLength(1), v.maxLength(50)),
  changes: v.pipe(v.array(v.pipe(v.string(), v.maxLength(300))), v.maxLength(20)),
});
export type Release = v.InferOutput<typeof ReleaseSchema>;

/** This page's own version ("dev" where nothing was baked in: Vitest). */
export const RUNNING: Release =
  typeof __FIELDBOARD_RELEASE__ !== 'undefined' && __FIELDBOARD_RELEASE__ ? __FIELDBOARD_RELEASE__ : { version: 'dev', changes: [] };

/** The version a waiting update brings; null when the server cannot say (offline, an older build). */
export async function fetchWaitingRelease(fetcher: typeof fetch = fetch): Promise<Release | null> {
  try {
    const r = await fetcher('/version.json', { cache: 'no-store', credentials: 'same-origin' });
    if (!r.ok) return null;
    const parsed = v.safeParse(ReleaseSchema, await r.json());
    return parsed.success ? parsed.output : null;
  } catch {
    return null;
  }
}

const UPDATING_KEY = 'fieldboard.updating-to';

/** Called as the person accepts the update, just before the page reloads into it. */
export function rememberUpdating(to: Release | null): void {
  try {
    globalThis.sessionStorage?.setItem(UPDATING_KEY, JSON.stringify(to ?? RUNNING));
  } catch {
    /* storage blocked: the update still happens, without the confirmation line */
  }
}

/** The version this tab just updated to, once (the marker is removed as it is read). */
export function takeUpdated(): Release | null {
  try {
    const raw = globalThis.sessionStorage?.getItem(UPDATING_KEY);
    if (!raw) return null;
    globalThis.sessionStorage.removeItem(UPDATING_KEY);
    const parsed = v.safeParse(ReleaseSchema, JSON.parse(raw));
    return parsed.success ? parsed.output : null;
  } catch {
    return null;
  }
}

/** "Update available: version 0.2.0" (or "a new build" when the version did not change). */
export function updateHeadline(next: Release | null): string {
  if (!next) return 'Update available';
  return next.version === RUNNING.version ? `Update available: a new build of version ${next.version}` : `Update available: version ${next.version}`;
}
