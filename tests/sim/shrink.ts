/**
 * Shrinking a failing script: remove chunks of steps (halves, then quarters, ... then single steps) while
 * the run still fails with the same finding (the same known bug, or the same kind), then shorten the waits that are left. Every attempt
 * is a full deterministic rerun, so the result is a script that fails for certain, named by the seed and
 * the indices of the steps kept (`--seed S --keep i,j,k` replays it).
 */
import { signature } from './known.ts';
import { describeStep, generate, type Step } from './schedule.ts';
import { runSim, type Outcome } from './sim.ts';

export interface Shrunk {
  seed: number;
  target: string;
  /** Step indices kept, `i:w<ms>` where a wait was shortened (what `--keep` takes). */
  keep: string[];
  steps: Step[];
  outcome: Outcome;
  attempts: number;
}

/** The steps of a seed, or the ones `keep` names (`i`, or `i:w<ms>` for a wait shortened to ms). */
export function select(seed: number, keep: string[] | null): Step[] {
  const all = generate(seed);
  if (!keep) return all;
  return keep.map((token) => {
    const [i, w] = token.split(':w');
    return w === undefined ? all[Number(i)] : { k: 'wait', ms: Number(w) };
  });
}

/** `target`: the signature (known.ts) of the finding to keep: a known bug's id, or a finding's kind. */
export async function shrink(seed: number, target: string, budget = 300): Promise<Shrunk> {
  const all = generate(seed);
  let keep = all.map((_, i) => i);
  let attempts = 0;
  let best: Outcome | null = null;
  const fails = async (k: number[], steps = k.map((i) => all[i])): Promise<Outcome | null> => {
    attempts++;
    const o = await runSim(seed, steps);
    return o.findings.some((f) => signature(f) === target) ? o : null;
  };
  for (let chunk = Math.max(1, Math.floor(keep.length / 2)); chunk >= 1 && attempts < budget; chunk = Math.floor(chunk / 2)) {
    for (let start = 0; start < keep.length && attempts < budget; ) {
      const candidate = [...keep.slice(0, start), ...keep.slice(start + chunk)];
      const o = candidate.length ? await fails(candidate) : null;
      if (o) {
        keep = candidate;
        best = o;
      } else {
        start += chunk;
      }
    }
    if (chunk === 1) break;
  }
  // Shorter waits where the failure allows (kept as overrides of the original steps).
  const steps = keep.map((i) => all[i]);
  for (let i = 0; i < steps.length && attempts < budget; i++) {
    const s = steps[i];
    if (s.k !== 'wait' || s.ms <= 100) continue;
    const trial = steps.slice();
    trial[i] = { k: 'wait', ms: 100 };
    const o = await fails(keep, trial);
    if (o) {
      steps[i] = trial[i];
      best = o;
    }
  }
  best ??= await runSim(seed, steps);
  const tokens = keep.map((i, n) => (steps[n] === all[i] ? String(i) : `${i}:w${(steps[n] as { ms: number }).ms}`));
  return { seed, target, keep: tokens, steps, outcome: best, attempts };
}

export function replayCommand(seed: number, keep?: string[]): string {
  return `node --import tsx tests/sim/run.ts --seed ${seed}${keep ? ` --keep ${keep.join(',')}` : ''} --trace`;
}

/** The shrunk script, its first finding and the one-line replay. */
export function formatShrunk(s: Shrunk, of: number): string {
  const lines = [`  shrunk to ${s.steps.length} of ${of} steps in ${s.attempts} runs:`];
  for (const [i, st] of s.steps.entries()) lines.push(`    #${s.keep[i]} ${describeStep(st)}`);
  const f = s.outcome.findings.find((x) => signature(x) === s.target) ?? s.outcome.findings[0];
  lines.push(`  first finding after shrinking: [${f?.kind}] ${f?.detail}`);
  lines.push(`  replay: ${replayCommand(s.seed, s.keep)}`);
  return lines.join('\n');
}
