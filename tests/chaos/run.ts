/**
 * `npm run test:chaos -- --ops 5000 [--seed N] [--round 250] [--cluster NODES]`: the long chaos run, against
 * one server on SQLite or, with --cluster, against that many nodes on PostgreSQL behind nginx. Builds the PWA unless
 * FIELDBOARD_SKIP_BUILD=1, then runs tests/e2e/chaos.spec.ts in Playwright (one worker) with the
 * operations, seed and a time limit that fits them, and prints the report's figures. Without --seed it
 * draws one and prints it first, so a failing run can be replayed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomSeed, seedFrom } from './prng.ts';

const ROOT = resolve(import.meta.dirname, '../..');

const { values } = parseArgs({
  options: {
    ops: { type: 'string', default: '1000' },
    seed: { type: 'string' },
    round: { type: 'string', default: '250' },
    output: { type: 'string' },
    cluster: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});
if (values.help) {
  console.log('usage: npm run test:chaos -- [--ops N (default 1000)] [--seed N (default: random)] [--round N (default 250)] [--cluster NODES] [--output DIR]');
  process.exit(0);
}

const ops = Number(values.ops);
const round = Number(values.round);
if (!Number.isInteger(ops) || ops < 1) throw new Error(`--ops must be a positive integer, not ${values.ops}`);
if (!Number.isInteger(round) || round < 1) throw new Error(`--round must be a positive integer, not ${values.round}`);
const nodes = values.cluster === undefined ? 0 : Number(values.cluster);
if (!Number.isInteger(nodes) || nodes < 0 || nodes > 9) throw new Error(`--cluster must be a number of nodes from 1 to 9, not ${values.cluster}`);
const seed = seedFrom(values.seed ?? process.env.CHAOS_SEED, randomSeed);
// Generous: an operation takes ~0.25 s, a round's settle and audit a few seconds, a settle at most 150 s.
const timeoutMs = 10 * 60_000 + ops * 2_000;
const work = mkdtempSync(join(tmpdir(), 'fieldboard-chaos-'));
const reportFile = join(work, 'report.json');
const output = values.output ?? join(work, 'results');

const where = nodes ? ` --cluster ${nodes}` : '';
console.log(`chaos: seed ${seed}, ${ops} operations, rounds of ${round}, ${nodes ? `${nodes} nodes on PostgreSQL behind nginx` : 'one server on SQLite'}, time limit ${Math.round(timeoutMs / 60_000)} min`);
console.log(`chaos: replay with  npm run test:chaos -- --ops ${ops} --seed ${seed}${where}`);

if (process.env.FIELDBOARD_SKIP_BUILD !== '1' || !existsSync(join(ROOT, 'dist/sw.js'))) {
  const build = spawnSync('npx', ['vite', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const started = Date.now();
const run = spawnSync(
  'npx',
  ['playwright', 'test', 'tests/e2e/chaos.spec.ts', '--grep', nodes ? 'chaos on a cluster' : 'chaos: \\d+ UI operations', '--workers', '1', '--retries', '0', '--reporter', 'list', '--output', output],
  {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      FIELDBOARD_SKIP_BUILD: '1',
      CHAOS_SEED: String(seed),
      CHAOS_OPS: String(ops),
      CHAOS_NODES: String(nodes || 2),
      CHAOS_ROUND_OPS: String(round),
      CHAOS_TIMEOUT_MS: String(timeoutMs),
      CHAOS_REPORT: reportFile,
    },
  },
);
const wall = (Date.now() - started) / 1000;
if (existsSync(reportFile)) {
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { summary: string; failures: string[] };
  console.log(`\n${report.summary}`);
  if (report.failures.length) console.log(`\n${report.failures.length} failure(s):\n${report.failures.join('\n')}`);
}
console.log(`\nchaos: ${run.status === 0 ? 'passed' : 'FAILED'} in ${wall.toFixed(0)} s (seed ${seed}); report and artifacts in ${work}`);
process.exit(run.status ?? 1);
