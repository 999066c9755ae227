/**
 * `npm run test:chaos:cluster -- --ops 5000 [--seed N] [--nodes 2] [--devices 3]`: the long cluster chaos
 * run (tests/chaos/cluster-engine.ts) on a PostgreSQL of its own with fsync on, started and stopped by
 * tests/setup/postgres.sh. Without --seed it draws one and prints it first, so a failing run can be
 * replayed. Prints the report; exit code 1 when the audit found anything.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { runClusterChaos } from './cluster-engine.ts';
import { randomSeed, seedFrom } from './prng.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'tests/setup/postgres.sh');

const { values } = parseArgs({
  options: {
    ops: { type: 'string', default: '1000' },
    seed: { type: 'string' },
    nodes: { type: 'string', default: '2' },
    devices: { type: 'string', default: '3' },
  },
  strict: true,
});
const positive = (name: string, raw: string | undefined, max: number) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be a whole number from 1 to ${max}, not ${raw}`);
  return n;
};
const ops = positive('ops', values.ops, 1_000_000);
const nodes = positive('nodes', values.nodes, 9);
const devices = positive('devices', values.devices, 50);
const seed = seedFrom(values.seed ?? process.env.CHAOS_SEED, randomSeed);
console.log(`cluster chaos: seed ${seed}, ${ops} operations, ${nodes} nodes, ${devices} devices`);
console.log(`cluster chaos: replay with  npm run test:chaos:cluster -- --ops ${ops} --seed ${seed} --nodes ${nodes} --devices ${devices}`);

execFileSync('bash', [SCRIPT, 'ensure'], { stdio: 'inherit' });
const dir = mkdtempSync(path.join(tmpdir(), 'fieldboard-chaos-pg-'));
chmodSync(dir, 0o755);
const data = path.join(dir, 'data');
let code = 1;
try {
  const admin = execFileSync('bash', [SCRIPT, 'start', data], { encoding: 'utf8' }).trim();
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query('CREATE DATABASE chaos');
  await client.end();
  const url = new URL(admin);
  url.pathname = '/chaos';
  const report = await runClusterChaos({ databaseUrl: url.toString(), seed, ops, nodes, devices, log: (l) => console.log(l) });
  console.log(JSON.stringify({ ...report, problems: report.problems.length }, null, 2));
  for (const p of report.problems.slice(0, 50)) console.log(`problem: ${p}`);
  code = report.problems.length === 0 ? 0 : 1;
  console.log(`cluster chaos: ${code === 0 ? 'passed' : 'FAILED'} (seed ${seed})`);
} finally {
  execFileSync('bash', [SCRIPT, 'stop', data]);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
