/**
 * Recent changes of a dashboard from the server's activity feed (GET /api/activity, a protocol extension).
 * Read-only and best effort: offline it simply fails and the list shows what it had.
 */
import * as v from 'valibot';
import { ActivityResponseSchema, type ActivityResponse, type DashboardId } from '../../protocol/index.ts';

/** The feed's changes and the names of the people who made them. */
export type ActivityFetcher = (dashboardId: DashboardId) => Promise<ActivityResponse>;

export const fetchActivityFeed: ActivityFetcher = async (dashboardId) => {
  const r = await fetch(`/api/activity?dashboardId=${encodeURIComponent(dashboardId)}&limit=30`, {
    credentials: 'same-origin',
  });
  if (!r.ok) throw new Error(`activity feed: HTTP ${r.status}`);
  // A boundary: the answer is validated like every other message.
  const body = v.safeParse(ActivityResponseSchema, await r.json());
  if (!body.success) throw new Error('activity feed: unexpected answer');
  return body.output;
};
