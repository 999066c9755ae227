/**
 * Connections and transactions of the PostgreSQL store: one `pg` pool per node and the transaction runner
 * every multi-statement read or write goes through.
 *
 * What must stay true:
 * - bigint columns come back as JS numbers (seq, versions and times stay far below 2^53).
 * - The pool survives the database restarting: a connection broken while idle is dropped (its error is
 *   swallowed here instead of ending the process), and the next query opens a new one.
 * - A transaction that lost a race is run again from the start, a few times at most: a deadlock (40P01), a
 *   serialization failure (40001), or another node committing the same mutation id first (23505 on
 *   `mutations_pkey`, see postgres-apply.ts). Any other error rolls back and propagates.
 */
import pg from 'pg';

const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID && format !== 'binary'
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** How often a transaction that lost a race is run before its error reaches the caller. */
const MAX_ATTEMPTS = 5;

export function openPool(url: string, size: number): { pool: pg.Pool; config: pg.PoolConfig } {
  const config: pg.PoolConfig = { connectionString: url, types, max: size, application_name: 'fieldboard' };
  const pool = new pg.Pool(config);
  pool.on('error', () => undefined);
  return { pool, config };
}

export function isRetryable(err: unknown): boolean {
  const { code, constraint } = err as { code?: unknown; constraint?: unknown };
  return code === '40001' || code === '40P01' || (code === '23505' && constraint === 'mutations_pkey');
}

/** Runs `fn` in one transaction opened with `begin`, again from the start when it lost a race. */
export async function runTx<T>(pool: pg.Pool, begin: string, fn: (db: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const db = await pool.connect();
    let broken = false;
    try {
      await db.query(begin);
      const out = await fn(db);
      await db.query('COMMIT');
      return out;
    } catch (err) {
      await db.query('ROLLBACK').catch(() => (broken = true));
      if (!broken && attempt < MAX_ATTEMPTS && isRetryable(err)) continue;
      throw err;
    } finally {
      // A connection that could not even roll back is not handed to the next caller.
      db.release(broken);
    }
  }
}
