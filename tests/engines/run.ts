/**
 * The Firefox ESR and WebKitGTK runner: the field story (story.ts) in each engine, one browser per engine,
 * against a fresh kit server each. Part of `npm test` (tests/run-all.sh runs it after Playwright).
 *
 *   node --import tsx tests/engines/run.ts [--engine firefox|webkit] [--static-dir DIR]
 *
 * Serves the build in FIELDBOARD_STATIC_DIR (default dist/; build it first). Exits non-zero when a step
 * failed in any engine; every failure line names the engine and the step. Prints "N passed, N failed"
 * (engines) last.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launchEngine, type EngineName } from './drivers.ts';
import { runStory, type StepReport } from './story.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: { engine: { type: 'string', multiple: true }, 'static-dir': { type: 'string' } },
});
const engines = (values.engine ?? ['firefox', 'webkit']) as EngineName[];
for (const e of engines) if (e !== 'firefox' && e !== 'webkit') throw new Error(`unknown engine ${e} (firefox or webkit)`);
const staticDir = resolve(values['static-dir'] ?? process.env.FIELDBOARD_STATIC_DIR ?? join(ROOT, 'dist'));
if (!existsSync(join(staticDir, 'sw.js'))) {
  console.error(`no built PWA in ${staticDir} (sw.js missing): run \`npm run build\` or pass --static-dir`);
  process.exit(2);
}

/** The whole engine run (launch, story, close) has this long; each step has its own, shorter limit. */
const ENGINE_LIMIT_MS = 6 * 60_000;

const started = Date.now();
const results: { engine: EngineName; version: string; reports: StepReport[]; error?: string; ms: number }[] = [];
for (const engine of engines) {
  const t0 = Date.now();
  console.log(`== ${engine}`);
  let version = '?';
  let reports: StepReport[] = [];
  let error: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      (async () => {
        const browser = await launchEngine(engine).catch((e: Error) => {
          throw new Error(`[${engine}] the browser did not start: ${e.message}`);
        });
        version = browser.version;
        console.log(`   ${version}, started in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        try {
          reports = await runStory(browser, staticDir, (l) => console.log(l));
        } finally {
          await browser.close().catch((e: Error) => console.warn(`[${engine}] closing the browser: ${e.message}`));
        }
      })(),
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error(`[${engine}] the engine run took over ${ENGINE_LIMIT_MS / 60_000} min`)), ENGINE_LIMIT_MS);
      }),
    ]);
  } catch (e) {
    error = (e as Error).message;
    console.log(`  FAIL ${error}`);
  } finally {
    clearTimeout(timer);
  }
  results.push({ engine, version, reports, error, ms: Date.now() - t0 });
}

console.log('\n== engines');
let passed = 0;
let failed = 0;
for (const r of results) {
  const bad = r.error !== undefined || r.reports.length === 0 || r.reports.some((s) => !s.ok);
  if (bad) failed += 1;
  else passed += 1;
  const ok = r.reports.filter((s) => s.ok).length;
  console.log(`${bad ? 'FAIL' : 'ok  '} ${r.engine} (${r.version}): ${ok}/${r.reports.length} steps in ${(r.ms / 1000).toFixed(1)} s`);
  if (r.error) console.log(`     ${r.error}`);
  for (const s of r.reports.filter((x) => !x.ok)) console.log(`     ${s.error}`);
}
console.log(`wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`engines: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
