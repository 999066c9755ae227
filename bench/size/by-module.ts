/**
 * What each dependency and each of our folders costs in the gzipped app and service worker (README "Sizes").
 *
 * Builds the PWA once more with hidden sourcemaps into a scratch directory (the same config, so the same
 * minified code as `npm run build`), gives every byte of each output file to the source file its mapping
 * points at, and groups sources by npm package or by our top-level folder (protocol/, contract/, sw/, src/app,
 * ...). Two gzip figures per group:
 * - share: the file's gzipped size split in proportion to the group's minified bytes (the rows add up);
 * - marginal: how much smaller the gzipped file gets with the group's bytes taken out, i.e. what cutting it
 *   would save (gzip shares its dictionary, so these do not add up; they are the evidence for a cut).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SourceMapConsumer } from 'source-map-js';
import { build } from 'vite';
import { outputFiles, type OutputFile } from './outputs.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const gz = (s: string) => gzipSync(s, { level: 9 }).length;

export interface GroupCost {
  group: string;
  minBytes: number;
  gzipShare: number;
  gzipMarginal: number;
}

export interface FileCost {
  file: string;
  /** `app (start)`, `app (lazy)` or `service worker`. */
  part: string;
  gzipBytes: number;
  groups: GroupCost[];
}

/** `node_modules/@preact/signals-core/dist/x.js` -> `@preact/signals-core`; `src/app/x.tsx` -> `src/app`. */
export function groupOf(source: string | null): string {
  if (source === null) return '(unmapped: bundler glue)';
  const abs = resolve(source);
  const nm = abs.lastIndexOf(`${sep}node_modules${sep}`);
  if (nm >= 0) {
    const [a, b] = abs.slice(nm + 14).split(sep);
    return a.startsWith('@') ? `${a}/${b}` : a;
  }
  const rel = abs.startsWith(ROOT + sep) ? abs.slice(ROOT.length + 1) : abs;
  const parts = rel.split(sep);
  if (parts.length === 1) return parts[0];
  // src/app, src/state, ..., contract/local-db: one level deeper where the folder holds a concept of its own.
  return parts[0] === 'src' || parts[0] === 'contract' ? parts.slice(0, Math.min(2, parts.length - 1)).join('/') : parts[0];
}

/** The owner (group) of every character of `code`, from its sourcemap. */
function owners(code: string, mapText: string, mapDir: string): (string | null)[] {
  const map = new SourceMapConsumer(JSON.parse(mapText));
  const lineStart = [0];
  for (let i = 0; i < code.length; i++) if (code[i] === '\n') lineStart.push(i + 1);
  const segs: { at: number; group: string }[] = [];
  map.eachMapping(
    (m) => segs.push({ at: lineStart[m.generatedLine - 1] + m.generatedColumn, group: groupOf(m.source === null ? null : resolve(mapDir, m.source)) }),
    null,
    SourceMapConsumer.GENERATED_ORDER,
  );
  const out = new Array<string | null>(code.length).fill(null);
  segs.forEach((s, i) => out.fill(s.group, s.at, i + 1 < segs.length ? segs[i + 1].at : code.length));
  return out.map((g) => g ?? groupOf(null));
}

function costOf(f: OutputFile, dir: string): FileCost {
  const code = readFileSync(join(dir, f.file), 'utf8');
  const own = owners(code, readFileSync(join(dir, `${f.file}.map`), 'utf8'), join(dir, f.file, '..'));
  const total = gz(code);
  const counts = new Map<string, number>();
  for (const g of own) counts.set(g!, (counts.get(g!) ?? 0) + 1);
  const groups = [...counts].map(([group, minBytes]) => {
    let without = '';
    for (let i = 0; i < code.length; i++) if (own[i] !== group) without += code[i];
    return { group, minBytes, gzipShare: Math.round((total * minBytes) / code.length), gzipMarginal: total - gz(without) };
  });
  groups.sort((a, b) => b.gzipShare - a.gzipShare);
  return { file: f.file, part: f.part, gzipBytes: total, groups };
}

/** Builds with sourcemaps into a scratch directory and measures every JS file the PWA ships. */
export async function measureByModule(): Promise<FileCost[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fieldboard-size-'));
  try {
    await build({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn', build: { sourcemap: 'hidden', outDir: dir, emptyOutDir: true } });
    return outputFiles(dir).map((f) => costOf(f, dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One Markdown table per part (app at start, app lazy chunks, service worker), groups summed over its files. */
export function byModuleTable(files: FileCost[]): string {
  const kib = (b: number) => (b / 1024).toFixed(2);
  const out: string[] = [];
  for (const part of [...new Set(files.map((f) => f.part))]) {
    const inPart = files.filter((f) => f.part === part);
    const sum = new Map<string, GroupCost>();
    for (const g of inPart.flatMap((f) => f.groups)) {
      const s = sum.get(g.group) ?? { group: g.group, minBytes: 0, gzipShare: 0, gzipMarginal: 0 };
      sum.set(g.group, { group: g.group, minBytes: s.minBytes + g.minBytes, gzipShare: s.gzipShare + g.gzipShare, gzipMarginal: s.gzipMarginal + g.gzipMarginal });
    }
    const total = inPart.reduce((n, f) => n + f.gzipBytes, 0);
    out.push(`${part}: ${inPart.map((f) => f.file).join(', ')}: ${kib(total)} KiB gzipped`, '');
    out.push('| package or folder | minified bytes | gzip share KiB | gzip marginal KiB |', '|---|---:|---:|---:|');
    for (const g of [...sum.values()].sort((a, b) => b.gzipShare - a.gzipShare)) {
      out.push(`| ${g.group} | ${g.minBytes} | ${kib(g.gzipShare)} | ${kib(g.gzipMarginal)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
