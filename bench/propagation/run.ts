/**
 * Propagation: a click on "Increment" in tab 1 of device A until the new value is painted in device B (a
 * second browser context: its own profile, service worker and socket) and in tab 2 of device A, on the demo
 * dashboard. Fieldboard: tab -> service worker (IndexedDB outbox) -> BroadcastChannel to the other tab;
 * socket -> server (validate, apply, commit to SQLite) -> fan-out -> B's service worker (replica commit)
 * -> B's tab. Peer: the same click relayed by a minimal Socket.IO broadcast server to a bare Preact page in
 * the same three tabs (each tab its own Socket.IO connection: the familiar choice). The floor between two tabs
 * is shown too: the same bare page in two tabs of one profile, each click posted on a BroadcastChannel.
 *
 * Times are the trusted click's timestamp in tab 1 and the painted frame in the other tab, both epoch
 * times of one browser. Each edit waits until every tab has settled before the next. Fieldboard's edits are
 * traced too (bench/propagation/hops.ts): the median of each hop of the path is printed beside the totals.
 */
import type { Browser, Page } from '@playwright/test';
import { startKitServer, type KitServer } from '../../tests/kit/server.ts';
import { signIn } from '../../tests/kit/app.ts';
import { buildPage, launchChromium, sleep, snapshotDist, tempDir, tracer, until } from '../lib/browser.ts';
import { COUNTER_TITLE } from '../lib/fieldboard.ts';
import { probeOf, probeScript } from '../lib/probe.ts';
import { startPeerProcess } from '../lib/proc.ts';
import { sideBySide, summarize } from '../lib/stats.ts';
import { enableTrace } from '../../tests/kit/trace.ts';
import { summarizeHops, tracedTabs, type HopSamples } from './hops.ts';

export interface PropagationOptions {
  edits: number;
  warmup: number;
}

type Summary = ReturnType<typeof summarize>;
export interface PropagationResult {
  /** `hops`: the median of each hop of the path, from the hop trace (bench/propagation/hops.ts). */
  fieldboard: { device: Summary; tab: Summary; hops: ReturnType<typeof summarizeHops> };
  peer: { device: Summary; tab: Summary };
  /** The floor between two tabs of one profile: the same bare page, each click posted on a BroadcastChannel. */
  floor: { tab: Summary };
}

interface Tabs {
  a1: Page;
  a2: Page;
  b: Page;
  /** Fieldboard's only: the hop trace of the last click. */
  trace?: () => Promise<HopSamples>;
}

async function edit(t: Tabs): Promise<{ device: number; tab: number; hops: HopSamples | null }> {
  const expected = String(Number(await probeOf.value(t.a1, COUNTER_TITLE)) + 1);
  await Promise.all([t.a2, t.b].map((p) => probeOf.arm(p, COUNTER_TITLE, expected, 10_000)));
  const { x, y } = await probeOf.arm(t.a1, COUNTER_TITLE, expected, 10_000);
  await t.a1.mouse.click(x, y);
  const [input, tab, device] = await Promise.all([
    probeOf.result(t.a1).then(() => probeOf.lastInput(t.a1)),
    probeOf.result(t.a2),
    probeOf.result(t.b),
  ]);
  await Promise.all([t.a1, t.a2, t.b].map((p) => probeOf.settled(p, COUNTER_TITLE, expected, 10_000)));
  const hops = t.trace ? await t.trace() : null;
  await sleep(Math.random() * 17);
  return { device: device.paint - input, tab: tab.paint - input, hops };
}

async function fieldboardTabs(browser: Browser, server: KitServer): Promise<Tabs> {
  const a = await browser.newContext({ baseURL: server.url });
  const b = await browser.newContext({ baseURL: server.url });
  for (const c of [a, b]) await Promise.all([c.addInitScript(probeScript()), enableTrace(c)]);
  const [a1, bPage] = await Promise.all([a.newPage(), b.newPage()]);
  await Promise.all([signIn(a1), signIn(bPage)]);
  const a2 = await a.newPage();
  await a2.goto('/');
  for (const p of [a1, a2, bPage]) {
    await p.getByRole('article', { name: COUNTER_TITLE }).waitFor();
    await until(async () => /Online/.test((await p.getByRole('status').textContent()) ?? ''), 10_000, 'Online');
  }
  return tracedTabs({ a1, a2, b: bPage }, a, b, server);
}

async function peerTabs(browser: Browser, url: string): Promise<Tabs> {
  const a = await browser.newContext();
  const b = await browser.newContext();
  for (const c of [a, b]) await c.addInitScript(probeScript());
  const [a1, a2, bPage] = await Promise.all([a.newPage(), a.newPage(), b.newPage()]);
  for (const p of [a1, a2, bPage]) {
    await p.goto(`${url}/?widgets=4&relay`);
    await p.evaluate(() => (window as unknown as { peerReady: Promise<void> }).peerReady);
  }
  return { a1, a2, b: bPage };
}

/** Two tabs of one profile joined by a BroadcastChannel (no device B: a channel does not leave the profile). */
async function floorTabs(browser: Browser, url: string): Promise<Tabs> {
  const a = await browser.newContext();
  await a.addInitScript(probeScript());
  const [a1, a2] = await Promise.all([a.newPage(), a.newPage()]);
  for (const p of [a1, a2]) await p.goto(`${url}/?widgets=4&bc`);
  return { a1, a2, b: a2 };
}

export async function runPropagation(opts: PropagationOptions): Promise<PropagationResult> {
  const lap = tracer('propagation');
  const dist = snapshotDist();
  const peerDir = tempDir('relay-peer');
  const [server, browser] = await Promise.all([
    startKitServer({ staticDir: dist.dir, env: { LOG_LEVEL: 'warn', FIELDBOARD_TRACE: '1' } }),
    launchChromium(),
    buildPage('bench/peer-board', peerDir.dir),
  ]);
  const relay = await startPeerProcess('bench/propagation/relay-server.ts', [peerDir.dir], 'relay');
  lap('server, browser, peer build, relay');
  try {
    const [fb, peer, floor] = await Promise.all([fieldboardTabs(browser, server), peerTabs(browser, relay.url), floorTabs(browser, relay.url)]);
    lap('tabs');
    const [fbSamples, peerSamples, floorSamples] = await sideBySide([fb, peer, floor], opts.edits, opts.warmup, edit, () => lap('warm-up'));
    lap('edits');
    return {
      fieldboard: {
        device: summarize(fbSamples.map((s) => s.device)),
        tab: summarize(fbSamples.map((s) => s.tab)),
        hops: summarizeHops(fbSamples.map((s) => s.hops!)),
      },
      peer: { device: summarize(peerSamples.map((s) => s.device)), tab: summarize(peerSamples.map((s) => s.tab)) },
      floor: { tab: summarize(floorSamples.map((s) => s.tab)) },
    };
  } finally {
    await browser.close();
    relay.stop();
    await server.stop();
    dist.remove();
    peerDir.remove();
  }
}
