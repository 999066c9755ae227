/**
 * The simulation from the command line:
 *
 *   node --import tsx tests/sim/run.ts --seeds 2000            seeds 1..2000 (or --from F)
 *   node --import tsx tests/sim/run.ts --seed 42               one seed, with its findings
 *   node --import tsx tests/sim/run.ts --seed 42 --keep 3,7,9  a shrunk script (printed by a failure)
 *   ... --trace       print the whole event trace of a single seed
 *   ... --no-shrink   report failures without shrinking them
 *   ... --check-determinism   run each seed twice and compare the traces
 *
 * Prints seeds per second and, for every failing seed, its findings, a replay command and a shrunk trace.
 * Seeds whose findings are all known open bugs (known.ts) are only counted (SIM_STRICT=1: reported too).
 * Exits 1 when a seed failed.
 */
import { parseArgs } from 'node:util';
import { knownFor, signature } from './known.ts';
import { formatShrunk, replayCommand, select, shrink } from './shrink.ts';
import { runSim } from './sim.ts';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string' },
    from: { type: 'string', default: '1' },
    seed: { type: 'string' },
    keep: { type: 'string' },
    trace: { type: 'boolean', default: false },
    'no-shrink': { type: 'boolean', default: false },
    'check-determinism': { type: 'boolean', default: false },
    'max-failures': { type: 'string', default: '5' },
  },
});

const keep = values.keep ? values.keep.split(',') : null;
const seeds = values.seed !== undefined ? [Number(values.seed)] : range(Number(values.from), Number(values.seeds ?? '100'));

function range(from: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

const started = performance.now();
let failed = 0;
let events = 0;
let mutations = 0;
let conflicts = 0;
const kinds = new Map<string, number>();
const known = new Map<string, number[]>();
let ran = 0;
for (const seed of seeds) {
  const steps = select(seed, keep);
  const verbose = values.trace || values['check-determinism'];
  const o = await runSim(seed, steps, { verbose });
  events += o.stats.events;
  mutations += o.stats.mutations;
  conflicts += o.stats.conflicts;
  if (values['check-determinism']) {
    const again = await runSim(seed, steps, { verbose: true });
    if (again.trace.join('\n') !== o.trace.join('\n')) {
      const i = o.trace.findIndex((l, k) => l !== again.trace[k]);
      console.log(`seed ${seed}: NOT DETERMINISTIC at trace line ${i}:\n  ${o.trace[i]}\n  ${again.trace[i]}`);
      failed++;
    }
  }
  if (values.trace) console.log(o.trace.join('\n'));
  ran++;
  if (o.findings.length === 0) continue;
  const knownIds = o.findings.map((f) => knownFor(f)?.id);
  if (knownIds.every(Boolean) && !values.seed) {
    for (const id of new Set(knownIds)) known.set(id!, [...(known.get(id!) ?? []), seed]);
    continue;
  }
  failed++;
  const kind = o.findings[0].kind;
  const target = signature(o.findings.find((f) => !knownFor(f)) ?? o.findings[0]);
  kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  console.log(`\nseed ${seed} FAILED (${o.findings.length} findings):`);
  for (const f of o.findings.slice(0, 8)) console.log(`  [${f.kind}] ${f.detail}${knownFor(f) ? ` (known: ${knownFor(f)!.id})` : ''}`);
  if (!values['no-shrink'] && !keep && failed <= Number(values['max-failures'])) {
    console.log(formatShrunk(await shrink(seed, target), steps.length));
  } else {
    console.log(`  replay: ${replayCommand(seed, keep ?? undefined)}`);
  }
  if (failed >= Number(values['max-failures']) && seeds.length > 1 && !values['check-determinism']) {
    console.log(`stopping after ${failed} failing seeds`);
    break;
  }
}
const secs = (performance.now() - started) / 1000;
for (const [id, list] of known) console.log(`known bug ${id} (known.ts) in ${list.length} seeds: ${list.slice(0, 10).join(', ')}`);
console.log(
  `\n${ran} seeds in ${secs.toFixed(1)} s: ${(ran / secs).toFixed(1)} seeds/s, ${events} events, ${mutations} mutations, ${conflicts} conflicts; ${failed} failed${kinds.size ? ` (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`,
);
process.exitCode = failed ? 1 : 0;
