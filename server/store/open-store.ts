/**
 * Picks the storage backend from `DATABASE_URL`. The only place that knows which backends exist, so adding
 * PostgreSQL is a new branch here plus its module, nothing else.
 *
 *   sqlite:<path>        a file (relative to the working directory); its folder is created when missing
 *   sqlite::memory:      a private in-memory database, gone when the process ends (tests, demos)
 *   postgres://user[:password]@host[:port]/db[?host=/socket/dir]   (also postgresql://) a shared database
 *                        that several nodes may use at once (docs/server.md, "Several nodes")
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { openPostgresStore } from './postgres.ts';
import { openSqliteStore } from './sqlite.ts';
import type { Store } from './store.ts';

export class StoreUrlError extends Error {
  override name = 'StoreUrlError';
}

export async function openStore(databaseUrl: string): Promise<Store> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(databaseUrl)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'sqlite': {
      const target = databaseUrl.slice('sqlite:'.length);
      if (target === ':memory:') return openSqliteStore(':memory:');
      if (target === '') throw new StoreUrlError('DATABASE_URL "sqlite:" needs a path, e.g. sqlite:data/fieldboard.db');
      const file = path.resolve(target);
      mkdirSync(path.dirname(file), { recursive: true });
      return openSqliteStore(file);
    }
    case 'postgres':
    case 'postgresql':
      return openPostgresStore(databaseUrl);
    default:
      throw new StoreUrlError(
        // Only the scheme is echoed: a URL may carry a password.
        `unsupported DATABASE_URL scheme "${scheme ?? ''}": expected sqlite:<path>, sqlite::memory: or postgres://…`,
      );
  }
}
