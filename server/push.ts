/**
 * One push, whatever the transport: apply the batch, count and time it, then fan the committed changes out.
 * Publishing (server/fanout.ts) happens before this resolves, so a socket pusher that is subscribed has its `changes` queued
 * before its `push-result` (docs/protocol.md "Precise rules", "Echo order").
 */
import type { ClientId, User } from '../protocol/index.ts';
import type { ServerContext } from './context.ts';
import type { BatchOutcome } from './store/store.ts';
import { traceServer } from './trace.ts';

export async function runPush(
  ctx: ServerContext,
  user: User,
  clientId: ClientId,
  mutations: readonly unknown[],
): Promise<BatchOutcome> {
  const done = ctx.metrics.startPush();
  try {
    const outcome = await ctx.track(ctx.store.applyBatch(
        {
          userId: user.id,
          clientId,
          now: ctx.now(),
          maxWidgets: ctx.config.limits.maxWidgetsPerDashboard,
          maxDashboardSize: ctx.config.limits.maxDashboardBytes,
        },
        mutations,
      ));
    traceServer('committed', outcome.changes);
    ctx.metrics.countResults(outcome.results);
    await ctx.fanout.committed(outcome.changes);
    return outcome;
  } finally {
    done();
  }
}
