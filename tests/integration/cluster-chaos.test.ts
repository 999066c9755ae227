/**
 * The cluster chaos run in every `npm test` (tests/chaos/cluster-engine.ts): 3 devices on 2 nodes of one
 * PostgreSQL, node kills and graceful stops, dropped sockets, LISTEN cuts and device moves among 250
 * operations, then the audit. The seed comes from CHAOS_SEED (default fixed, so a run is reproducible);
 * the long run is `npm run test:chaos -- --cluster --ops 5000` (docs/testing.md).
 */
import { describe, expect, it } from 'vitest';
import { runClusterChaos } from '../chaos/cluster-engine.ts';
import { seedFrom } from '../chaos/prng.ts';
import { freshDatabaseUrl } from '../setup/pg.ts';

describe('cluster chaos', () => {
  it('keeps exactly-once and every device equal to the database through node kills and cuts', { timeout: 240_000 }, async () => {
    const seed = seedFrom(process.env.CHAOS_SEED, () => 20261201);
    const report = await runClusterChaos({ databaseUrl: await freshDatabaseUrl('chaos'), seed, ops: 250 });
    expect(report.problems).toEqual([]);
    expect(report.mutations).toBeGreaterThan(200);
    expect(report.faults.kill + report.faults.term + report.faults.drop + report.faults.cutListen).toBeGreaterThan(0);
  });
});
