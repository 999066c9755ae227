/** One row per measured figure: ours, the peer's, and the ratio, printed as a table and saved as JSON. */
import { cpus, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { round } from './stats.ts';

export interface Row {
  benchmark: string;
  metric: string;
  unit: string;
  fieldboard: number;
  peer: string;
  peerValue: number;
  /** How many times better Fieldboard is (>1 is better), whichever direction the metric goes. */
  advantage: number;
  target: string;
  met: boolean | null;
}

export function row(
  benchmark: string,
  metric: string,
  unit: string,
  lowerIsBetter: boolean,
  fieldboard: number,
  peer: string,
  peerValue: number,
  target: string,
  met: boolean | null,
): Row {
  const advantage = lowerIsBetter ? peerValue / fieldboard : fieldboard / peerValue;
  return { benchmark, metric, unit, fieldboard, peer, peerValue, advantage, target, met };
}

export function machine(): Record<string, string | number> {
  const chromium = (() => {
    try {
      return execFileSync('/usr/bin/chromium', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    } catch {
      return 'not installed';
    }
  })();
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    chromium,
  };
}

export function printTable(rows: Row[]): string {
  const header = ['benchmark', 'metric', 'Fieldboard', 'peer', 'peer value', 'advantage', 'target'];
  const lines = rows.map((r) => [
    r.benchmark,
    r.metric,
    withUnit(r.fieldboard, r.unit),
    r.peer,
    // A row without a peer (a hop of the trace) leaves the peer's columns empty; a side that did not finish
    // or was not run shows n/a.
    r.peer === '' ? '' : withUnit(r.peerValue, r.unit),
    r.peer === '' ? '' : Number.isFinite(r.advantage) ? `${round(r.advantage, 2)}x` : 'n/a',
    `${r.target}${r.met === null ? '' : r.met ? ' (met)' : ' (missed)'}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmtLine = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [fmtLine(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmtLine)].join('\n');
}

const withUnit = (x: number, unit: string) => (Number.isNaN(x) ? fmt(x) : `${fmt(x)} ${unit}`);

function fmt(x: number): string {
  // NaN: a side that did not finish or was not run (bench/lib/deadline.ts); the row's text says which.
  if (Number.isNaN(x)) return 'n/a';
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return String(round(x, 2));
}

export function save(path: string, data: unknown): void {
  writeFileSync(path, JSON.stringify(data, null, 2) + '\n');
}
