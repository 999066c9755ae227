/**
 * The PostgreSQL store's security bookkeeping (postgres.ts delegates here): login failure counters,
 * the purge of expired rows, and ingest tokens with their dashboard scopes. Same contract as store.ts.
 */
import type pg from 'pg';
import type { DashboardId } from '../../protocol/index.ts';
import { runTx } from './postgres-pool.ts';
import type { FailureCount } from './store.ts';

export async function purgeExpiredPg(pool: pg.Pool, now: number): Promise<{ sessions: number; failures: number }> {
  const sessions = await pool.query('DELETE FROM sessions WHERE expires_at <= $1', [now]);
  const failures = await pool.query('DELETE FROM login_failures WHERE expires_at <= $1', [now]);
  return { sessions: sessions.rowCount ?? 0, failures: failures.rowCount ?? 0 };
}

/** One statement: two nodes counting the same key at once both land (the second waits on the row lock). */
export async function countFailurePg(pool: pg.Pool, key: string, now: number, ttlMs: number, extend: boolean): Promise<FailureCount> {
  // Every right-hand side reads the row as it was, so `expires_at` below sees the old end.
  const { rows } = await pool.query<{ count: number; expires_at: number }>(
    `INSERT INTO login_failures (key, count, expires_at) VALUES ($1, 1, $2)
     ON CONFLICT (key) DO UPDATE SET
       count = CASE WHEN login_failures.expires_at <= $3 THEN 1 ELSE login_failures.count + 1 END,
       expires_at = CASE WHEN login_failures.expires_at <= $3 OR $4 THEN excluded.expires_at
                         ELSE login_failures.expires_at END
     RETURNING count, expires_at`,
    [key, now + ttlMs, now, extend],
  );
  return { count: rows[0].count, expiresAt: rows[0].expires_at };
}

export async function failuresPg(pool: pg.Pool, key: string, now: number): Promise<FailureCount | null> {
  const { rows } = await pool.query<{ count: number; expires_at: number }>(
    'SELECT count, expires_at FROM login_failures WHERE key = $1 AND expires_at > $2',
    [key, now],
  );
  return rows[0] ? { count: rows[0].count, expiresAt: rows[0].expires_at } : null;
}

/** One transaction: an unknown dashboard (foreign key) leaves no token behind. */
export async function createIngestTokenPg(pool: pg.Pool, tokenHash: string, label: string, scope: 'all' | readonly DashboardId[]): Promise<void> {
  await runTx(pool, 'BEGIN', async (db) => {
    await db.query('INSERT INTO ingest_tokens (token_hash, label, all_dashboards) VALUES ($1, $2, $3)', [tokenHash, label, scope === 'all']);
    if (scope === 'all') return;
    for (const id of scope) {
      await db.query('INSERT INTO ingest_token_dashboards (token_hash, dashboard_id) VALUES ($1, $2)', [tokenHash, id]);
    }
  });
}

export async function ingestTokenScopePg(pool: pg.Pool, tokenHash: string): Promise<'all' | DashboardId[] | null> {
  const { rows } = await pool.query<{ all_dashboards: boolean; ids: string[] | null }>(
    `SELECT t.all_dashboards,
            array_agg(d.dashboard_id ORDER BY d.dashboard_id COLLATE "C") FILTER (WHERE d.dashboard_id IS NOT NULL) AS ids
     FROM ingest_tokens t LEFT JOIN ingest_token_dashboards d ON d.token_hash = t.token_hash
     WHERE t.token_hash = $1 GROUP BY t.all_dashboards`,
    [tokenHash],
  );
  if (!rows[0]) return null;
  return rows[0].all_dashboards ? 'all' : ((rows[0].ids ?? []) as DashboardId[]);
}
