/**
 * Lighthouse (pinned 12.2.3: the last that installs from a lock on Node 20, docs/lighthouse.md) on the
 * built app served by our own server, in the Debian Chromium. Not part of `npm test`: scores are
 * measurements, not assertions. `npm run lighthouse` builds, then audits two pages a person meets:
 *
 *   1. the first visit (storage cleared, as Lighthouse does by default): the sign-in page;
 *   2. the dashboard of a signed-in person (storage kept: the session cookie and the installed worker).
 *
 * Prints accessibility, best practices and performance per page (Lighthouse's default mobile settings) and
 * writes the full reports to bench/lighthouse/report-*.json (not tracked).
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../tests/kit/chromium.ts';
import { startKitServer } from '../../tests/kit/server.ts';

const CATEGORIES = ['accessibility', 'best-practices', 'performance'] as const;
const OUT = resolve(import.meta.dirname);

async function audit(url: string, port: number, keepStorage: boolean, name: string): Promise<Record<string, number>> {
  const result = await lighthouse(url, {
    port,
    output: 'json',
    logLevel: 'error',
    onlyCategories: [...CATEGORIES],
    disableStorageReset: keepStorage,
  });
  if (!result) throw new Error(`lighthouse gave no result for ${name}`);
  writeFileSync(resolve(OUT, `report-${name}.json`), typeof result.report === 'string' ? result.report : JSON.stringify(result.report));
  const scores: Record<string, number> = {};
  for (const c of CATEGORIES) scores[c] = Math.round((result.lhr.categories[c]?.score ?? 0) * 100);
  const failing = Object.values(result.lhr.audits)
    .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode === 'binary')
    .map((a) => a.id);
  if (failing.length) console.log(`  ${name}: audits not passed: ${failing.join(', ')}`);
  return scores;
}

async function main(): Promise<void> {
  const server = await startKitServer();
  const chrome = await chromeLauncher.launch({
    chromePath: CHROMIUM_PATH,
    chromeFlags: ['--headless=new', ...CHROMIUM_ARGS],
  });
  try {
    const rows: [string, Record<string, number>][] = [];
    rows.push(['sign-in page, first visit', await audit(`${server.url}/`, chrome.port, false, 'first-visit')]);

    // Sign in as a person would, in the same browser, so the next audit sees the dashboard.
    const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}` });
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    await page.locator('input[name="username"]').fill('demo');
    await page.locator('input[type="password"]').fill('demo');
    await page.locator('button[type="submit"]').click();
    await page.waitForFunction(() => document.querySelectorAll('article').length > 0 && navigator.serviceWorker.controller !== null, { timeout: 30_000 });
    await page.close();
    await browser.disconnect();
    rows.push(['dashboard, signed in', await audit(`${server.url}/`, chrome.port, true, 'dashboard')]);

    const version = await fetch(`${server.url}/version.json`).then((r) => r.json() as Promise<{ version: string }>);
    console.log(`Lighthouse 12.2.3, Fieldboard ${version.version}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`);
    console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.versions.node}`);
    console.log('| page | accessibility | best practices | performance |');
    console.log('|---|---|---|---|');
    for (const [name, s] of rows) console.log(`| ${name} | ${s.accessibility} | ${s['best-practices']} | ${s.performance} |`);
  } finally {
    chrome.kill();
    await server.stop();
  }
}

await main();
