/**
 * What the chaos audit reads from the server's database: the change log and the recorded mutation results,
 * from SQLite (one server) or PostgreSQL (a cluster), in the same shape.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { MutationResult } from '../../protocol/index.ts';
import type { ChangeRow as StoredChangeRow } from '../../server/store/sqlite-statements.ts';

/** A change log row as both engines store it (the SQLite statements' shape; PostgreSQL's bigints converted). */
export type ChangeRow = Omit<StoredChangeRow, 'user_id'>;

export interface AuditRows {
  changes: ChangeRow[];
  results: Map<string, MutationResult>;
}

const CHANGES = 'SELECT dashboard_id, seq, widget_id, version, widget, mutation_id, client_id, at FROM changes ORDER BY dashboard_id, seq';
const RESULTS = 'SELECT id, result FROM mutations';

type ResultRow = { id: string; result: string };
const resultsOf = (rows: ResultRow[]) => new Map(rows.map((r) => [r.id, JSON.parse(r.result) as MutationResult]));

/** Reads the rows from `databaseUrl` (`sqlite:<path>` or `postgres://…`), as the server's DATABASE_URL names it. */
export async function loadAuditRows(databaseUrl: string): Promise<AuditRows> {
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new Database(databaseUrl.slice('sqlite:'.length), { readonly: true, fileMustExist: true });
    try {
      return { changes: db.prepare(CHANGES).all() as ChangeRow[], results: resultsOf(db.prepare(RESULTS).all() as ResultRow[]) };
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // bigint columns arrive as strings: the audit compares numbers.
    const changes = (await client.query<ChangeRow>(CHANGES)).rows.map((c) => ({ ...c, seq: Number(c.seq), version: Number(c.version), at: Number(c.at) }));
    return { changes, results: resultsOf((await client.query<ResultRow>(RESULTS)).rows) };
  } finally {
    await client.end();
  }
}
