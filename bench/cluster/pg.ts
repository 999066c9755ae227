/**
 * A PostgreSQL of the benchmarks' own, with fsync on (durability is part of what a push costs), started
 * and stopped by tests/setup/postgres.sh like the tests' one; a fresh database per measurement.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

const SCRIPT = path.resolve(import.meta.dirname, '../../tests/setup/postgres.sh');

export interface BenchPostgres {
  freshDatabase(name: string): Promise<string>;
  stop(): void;
}

export function startBenchPostgres(): BenchPostgres {
  execFileSync('bash', [SCRIPT, 'ensure'], { stdio: 'inherit' });
  const dir = mkdtempSync(path.join(tmpdir(), 'fieldboard-bench-pg-'));
  chmodSync(dir, 0o755);
  const data = path.join(dir, 'data');
  const admin = execFileSync('bash', [SCRIPT, 'start', data], { encoding: 'utf8' }).trim();
  let n = 0;
  return {
    async freshDatabase(name) {
      const db = `bench_${name}_${++n}`;
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${db}`);
      } finally {
        await client.end();
      }
      const url = new URL(admin);
      url.pathname = `/${db}`;
      return url.toString();
    },
    stop() {
      execFileSync('bash', [SCRIPT, 'stop', data]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
