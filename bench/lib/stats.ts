/** Small statistics helpers for benchmark figures. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(samples: number[]): { n: number; p50: number; p95: number; p99: number; mean: number } {
  const s = samples.slice().sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / (s.length || 1);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), mean };
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Samples Fieldboard and its peers alike: `warmup` unrecorded rounds, then `total` samples of each, taken in
 * alternating blocks of 10 so that drift on a shared machine hits every side the same. Answers the samples
 * of each side, in the order of `sides`.
 */
export async function sideBySide<S, T, const N extends readonly S[]>(
  sides: N,
  total: number,
  warmup: number,
  sample: (side: S) => Promise<T>,
  onWarm?: () => void,
): Promise<{ [K in keyof N]: T[] }> {
  const BLOCK = 10;
  for (let i = 0; i < warmup; i++) for (const side of sides) await sample(side);
  onWarm?.();
  const out = sides.map(() => [] as T[]);
  for (let done = 0; done < total; done += BLOCK) {
    for (let i = 0; i < sides.length; i++) {
      for (let k = 0; k < Math.min(BLOCK, total - done); k++) out[i].push(await sample(sides[i]));
    }
  }
  return out as { [K in keyof N]: T[] };
}
