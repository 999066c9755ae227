/**
 * A bounded batch of seeds for vitest: runs them, shrinks the first unknown failures, and answers what to
 * report. Shared by the batch's shards (sim.test.ts and sim-shard2.test.ts run in parallel workers).
 */
import { knownFor, signature } from './known.ts';
import { generate } from './schedule.ts';
import { formatShrunk, replayCommand, shrink } from './shrink.ts';
import { runSim } from './sim.ts';

/** Seeds of the whole batch (both shards), from SIM_SEEDS; the default is about 40 CPU-seconds (README "Seeds per second"). */
export const SEEDS = Number(process.env.SIM_SEEDS ?? 800);
export const FROM = Number(process.env.SIM_FROM ?? 1);

export interface BatchReport {
  /** One block per seed with a finding that is not a known open bug. */
  unknown: string[];
  summary: string[];
}

export async function runBatch(from: number, count: number): Promise<BatchReport> {
  const started = performance.now();
  const unknown: string[] = [];
  const known = new Map<string, number[]>();
  let shrunk = 0;
  for (let seed = from; seed < from + count; seed++) {
    const o = await runSim(seed, generate(seed));
    if (o.findings.length === 0) continue;
    const fresh = o.findings.filter((f) => !knownFor(f));
    for (const f of o.findings) {
      const k = knownFor(f);
      if (k && !known.get(k.id)?.includes(seed)) known.set(k.id, [...(known.get(k.id) ?? []), seed]);
    }
    if (fresh.length === 0) continue;
    const lines = [`seed ${seed}: ${fresh.length} findings`, ...fresh.slice(0, 5).map((f) => `  [${f.kind}] ${f.detail}`)];
    if (shrunk++ < 2) lines.push(formatShrunk(await shrink(seed, signature(fresh[0]), 150), generate(seed).length));
    else lines.push(`  replay: ${replayCommand(seed)}`);
    unknown.push(lines.join('\n'));
  }
  const secs = (performance.now() - started) / 1000;
  const summary = [`sim: seeds ${from}..${from + count - 1} in ${secs.toFixed(1)} s (${(count / secs).toFixed(1)} seeds/s)`];
  for (const [id, seeds] of known) summary.push(`sim: known bug ${id} (tests/sim/known.ts) in ${seeds.length} seeds, e.g. ${seeds.slice(0, 5).join(', ')}`);
  return { unknown, summary };
}
