/**
 * Findings the simulation has reported that are real, open product bugs (README.md "What it found"). The
 * vitest batch prints a seed whose every finding matches one of these and does not fail on it; any other
 * finding fails the batch. Remove an entry when its bug is fixed (SIM_STRICT=1 fails on these too).
 */
import type { Finding } from './invariants.ts';

export interface Known {
  id: string;
  kind: string;
  match: RegExp;
  note: string;
}

/** None open: the three bugs it found are fixed (regressions.ts keeps their scripts). */
export const KNOWN: Known[] = [];

export function knownFor(f: Finding): Known | undefined {
  if (process.env.SIM_STRICT === '1') return undefined;
  return KNOWN.find((k) => k.kind === f.kind && k.match.test(f.detail));
}

/** What a shrink must keep failing with: the known bug a finding is, else its kind. */
export function signature(f: Finding): string {
  return KNOWN.find((k) => k.kind === f.kind && k.match.test(f.detail))?.id ?? f.kind;
}
