/**
 * What each dependency and each of our folders costs in the gzipped app and service worker (README "Sizes").
 *
 * Builds the PWA once more with hidden sourcemaps into a scratch directory (the same config, so the same
 * minified code as `npm run build`), gives every byte of each output file to the source file its mapping
 * points at, and groups sources by npm package or by our folder (protocol/, contract/, sw/, src/app, ...).
 * Two gzip figures per row:
 * - share: the file's gzipped size split in proportion to the row's minified bytes (the rows add up);
 * - marginal: how much smaller the gzipped file gets with the row's bytes taken out, i.e. what cutting it
 *   would save (gzip shares its dictionary, so these do not add up; they are the evidence for a cut).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SourceMapConsumer } from 'source-map-js';
import { build } from 'vite';
import { outputFiles, type OutputFile, type Part } from './outputs.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const GLUE = '(unmapped: bundler glue)';
const gz = (s: string) => gzipSync(s, { level: 9 }).length;
const kib = (b: number) => (b / 1024).toFixed(2);

export interface Cost {
  /** A source file (`src/app/board.tsx`, `node_modules/preact/dist/preact.module.js`) or a group of them. */
  name: string;
  minBytes: number;
  gzipShare: number;
  gzipMarginal: number;
}

export interface FileCost {
  file: string;
  part: Part;
  gzipBytes: number;
  sources: Cost[];
  groups: Cost[];
}

/** `node_modules/@preact/signals-core/dist/x.js` -> `@preact/signals-core`; `src/app/x.tsx` -> `src/app`. */
export function groupOf(source: string): string {
  if (source === GLUE) return GLUE;
  const parts = source.split('/');
  const nm = parts.lastIndexOf('node_modules');
  if (nm >= 0) return parts[nm + 1].startsWith('@') ? `${parts[nm + 1]}/${parts[nm + 2]}` : parts[nm + 1];
  if (parts.length === 1) return parts[0];
  // One level deeper where the folder holds concepts of its own (src/app, src/state, contract/local-db).
  return parts[0] === 'src' || parts[0] === 'contract' ? parts.slice(0, Math.min(2, parts.length - 1)).join('/') : parts[0];
}

/** The source file (relative to the repository, `/`-separated) of every character of `code`. */
function owners(code: string, mapText: string, mapDir: string): string[] {
  const map = new SourceMapConsumer(JSON.parse(mapText));
  const lineStart = [0];
  for (let i = 0; i < code.length; i++) if (code[i] === '\n') lineStart.push(i + 1);
  const segs: { at: number; source: string }[] = [];
  map.eachMapping(
    (m) => {
      const source = m.source === null ? GLUE : relative(ROOT, resolve(mapDir, m.source)).split(sep).join('/');
      segs.push({ at: lineStart[m.generatedLine - 1] + m.generatedColumn, source });
    },
    null,
    SourceMapConsumer.GENERATED_ORDER,
  );
  const out = new Array<string>(code.length).fill(GLUE);
  segs.forEach((s, i) => out.fill(s.source, s.at, i + 1 < segs.length ? segs[i + 1].at : code.length));
  return out;
}

/** UTF-8 bytes of one UTF-16 code unit (each half of a surrogate pair counts 2 of the pair's 4). */
const utf8Bytes = (c: number) => (c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3);

/** Costs of each distinct key of `keyOf(owner)` in `code`. */
function costs(code: string, own: string[], keyOf: (owner: string) => string): Cost[] {
  const total = gz(code);
  const keys = own.map(keyOf);
  const counts = new Map<string, number>();
  for (let i = 0; i < code.length; i++) counts.set(keys[i], (counts.get(keys[i]) ?? 0) + utf8Bytes(code.charCodeAt(i)));
  const size = Buffer.byteLength(code);
  return [...counts]
    .map(([name, minBytes]) => {
      let without = '';
      for (let i = 0; i < code.length; i++) if (keys[i] !== name) without += code[i];
      return { name, minBytes, gzipShare: Math.round((total * minBytes) / size), gzipMarginal: total - gz(without) };
    })
    .sort((a, b) => b.gzipShare - a.gzipShare);
}

function costOf(f: OutputFile, dir: string): FileCost {
  const code = readFileSync(join(dir, f.file), 'utf8');
  const own = owners(code, readFileSync(join(dir, `${f.file}.map`), 'utf8'), join(dir, f.file, '..'));
  return { file: f.file, part: f.part, gzipBytes: gz(code), sources: costs(code, own, (s) => s), groups: costs(code, own, groupOf) };
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

function sum(rows: Cost[]): Cost[] {
  const by = new Map<string, Cost>();
  for (const r of rows) {
    const s = by.get(r.name) ?? { name: r.name, minBytes: 0, gzipShare: 0, gzipMarginal: 0 };
    by.set(r.name, { name: r.name, minBytes: s.minBytes + r.minBytes, gzipShare: s.gzipShare + r.gzipShare, gzipMarginal: s.gzipMarginal + r.gzipMarginal });
  }
  return [...by.values()].sort((a, b) => b.gzipShare - a.gzipShare);
}

function table(head: string, rows: Cost[]): string[] {
  return [
    `| ${head} | minified bytes | gzip share KiB | gzip marginal KiB |`,
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.minBytes} | ${kib(r.gzipShare)} | ${kib(r.gzipMarginal)} |`),
  ];
}

/**
 * Markdown: per part (app at start, app lazy chunks, service worker) the groups summed over its files, then
 * its `top` largest source files, then the sources both the app and the worker ship (each bundle is its own
 * script, so shared code is paid twice).
 */
export function byModuleTable(files: FileCost[], top = 12): string {
  const out: string[] = [];
  const parts = [...new Set(files.map((f) => f.part))];
  for (const part of parts) {
    const inPart = files.filter((f) => f.part === part);
    const total = inPart.reduce((n, f) => n + f.gzipBytes, 0);
    out.push(`**${part}** (${inPart.map((f) => f.file).join(', ')}): ${kib(total)} KiB gzipped`, '');
    out.push(...table('package or folder', sum(inPart.flatMap((f) => f.groups))), '');
    out.push(...table(`largest ${top} source files`, sum(inPart.flatMap((f) => f.sources)).slice(0, top)), '');
  }
  const app = sum(files.filter((f) => f.part !== 'service worker').flatMap((f) => f.sources));
  const sw = new Map(sum(files.filter((f) => f.part === 'service worker').flatMap((f) => f.sources)).map((c) => [c.name, c]));
  const shared = app.filter((c) => c.name !== GLUE && sw.has(c.name));
  const groups = [...new Set(shared.map((c) => groupOf(c.name)))].join(', ');
  const add = (cs: Cost[]) => kib(cs.reduce((n, c) => n + c.gzipShare, 0));
  out.push(
    `**In both bundles**: ${shared.length} source files (${groups}): ${add(shared)} KiB of the app's gzip share, ` +
      `${add(shared.map((c) => sw.get(c.name)!))} KiB of the worker's.`,
  );
  return out.join('\n');
}
