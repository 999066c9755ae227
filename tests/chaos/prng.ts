/**
 * The chaos run's and the simulation's only source of randomness: a seeded PRNG (mulberry32), so a seed
 * names a run. The
 * browser, the server and the network add their own timing, so a seed replays the same sequence of
 * decisions, not the same interleaving; a failure that depends on timing may need a few replays.
 */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)];
  }

  /** A key of `weights`, with probability proportional to its weight (zero weights never). */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((s, [, w]) => s + Math.max(0, w), 0);
    let r = this.next() * total;
    for (const [k, w] of entries) {
      if (w <= 0) continue;
      r -= w;
      if (r < 0) return k;
    }
    return entries.filter(([, w]) => w > 0).at(-1)![0];
  }

  /** An independent stream derived from this one (so one consumer's draws do not shift another's). */
  child(salt: number): Rng {
    return new Rng((Math.imul(this.state ^ salt, 0x9e3779b1) + salt) >>> 0);
  }
}

/** A fresh seed when none was given: printed at start, so any run can be replayed. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/** `CHAOS_SEED` as a number, or `fallback`. */
export function seedFrom(value: string | undefined, fallback: () => number): number {
  if (value === undefined || value.trim() === '') return fallback();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`seed must be a non-negative integer, not ${JSON.stringify(value)}`);
  return n;
}
