/**
 * PostgreSQL for tests: a fresh database per store or per cluster, on the server that tests/run-all.sh or
 * the vitest global setup (pg-global.ts) started, whose URL is in FIELDBOARD_TEST_PG_URL.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export function pgAdminUrl(): string {
  const url = process.env.FIELDBOARD_TEST_PG_URL;
  if (!url) {
    throw new Error(
      'FIELDBOARD_TEST_PG_URL is not set: run the tests with `npm test` or `npx vitest run` (both start a ' +
        'throwaway PostgreSQL through tests/setup/postgres.sh), or set it to a postgres:// URL of a role that may CREATE DATABASE',
    );
  }
  return url;
}

/** Creates an empty database with a unique name and returns its URL. */
export async function freshDatabaseUrl(prefix = 'fb', admin = pgAdminUrl()): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name} TEMPLATE template0`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs one statement on the database at `url` (test set-up and fault injection). */
export async function sql<Row extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}
