/**
 * Optimistic input-to-paint in Chromium: a trusted click on "Increment" (CDP input, as a person's click
 * arrives) until the frame showing the new value is painted, with `widgets` cards on the dashboard.
 * Fieldboard (online, signed in, the real service worker and server behind it: the click builds a
 * mutation, the optimistic view replays it, Preact re-renders) against a bare Preact board with the same
 * cards and stylesheet whose counters are local state (the floor: the same DOM change with no sync).
 *
 * Clicks alternate between the two pages in blocks, after warm-up clicks on each. Each click waits for the
 * previous one to settle (value shown, nothing pending: Fieldboard's queue, send, server echo and outbox
 * settlement are over), then a random 0-17 ms so clicks fall at every phase of the 60 Hz frame. Settling
 * first is deliberate: with clicks faster than the echo, Fieldboard's optimistic counter was seen to step
 * back and forth by one (see the bench notes), and a sample must not be taken from a flickering value.
 */
import type { Page } from '@playwright/test';
import { startKitServer } from '../../tests/kit/server.ts';
import { signIn } from '../../tests/kit/app.ts';
import { buildPage, launchChromium, serveStatic, sleep, snapshotDist, tempDir, tracer, until } from '../lib/browser.ts';
import { COUNTER_TITLE, prepareBoard } from '../lib/fieldboard.ts';
import { probeOf, probeScript } from '../lib/probe.ts';
import { sideBySide, summarize } from '../lib/stats.ts';

export interface PaintOptions {
  clicks: number;
  warmup: number;
  widgets: number;
}

export interface PaintFigures {
  /** Click to painted frame, ms. */
  paint: ReturnType<typeof summarize>;
  /** Click to the DOM holding the new value (before layout and paint), ms. */
  dom: ReturnType<typeof summarize>;
}

export interface PaintResult {
  fieldboard: PaintFigures;
  peer: PaintFigures;
}

async function click(page: Page): Promise<{ paint: number; dom: number }> {
  const expected = String(Number(await probeOf.value(page, COUNTER_TITLE)) + 1);
  const { x, y } = await probeOf.arm(page, COUNTER_TITLE, expected, 5_000);
  await page.mouse.click(x, y);
  const shown = await probeOf.result(page);
  const input = await probeOf.lastInput(page);
  await probeOf.settled(page, COUNTER_TITLE, expected, 10_000);
  await sleep(Math.random() * 17);
  return { paint: shown.paint - input, dom: shown.dom - input };
}

async function cardsShown(page: Page, n: number): Promise<void> {
  await until(async () => (await page.locator('section.grid > article').count()) >= n, 20_000, `${n} cards`, 50);
}

export async function runInputToPaint(opts: PaintOptions): Promise<PaintResult> {
  const lap = tracer('input-to-paint');
  const dist = snapshotDist();
  const peerDir = tempDir('paint-peer');
  const [server, browser] = await Promise.all([
    startKitServer({ staticDir: dist.dir, env: { LOG_LEVEL: 'warn' } }),
    launchChromium(),
    buildPage('bench/peer-board', peerDir.dir),
  ]);
  const peerServer = await serveStatic(peerDir.dir);
  try {
    const board = await prepareBoard(server.url, opts.widgets);
    lap('server, browser, peer build, board');

    const fbContext = await browser.newContext({ baseURL: server.url });
    await fbContext.addInitScript(probeScript());
    const fb = await fbContext.newPage();
    await signIn(fb);
    await cardsShown(fb, board.widgets);
    await until(async () => /Online/.test((await fb.getByRole('status').textContent()) ?? ''), 10_000, 'Online');

    const peerContext = await browser.newContext();
    await peerContext.addInitScript(probeScript());
    const peer = await peerContext.newPage();
    await peer.goto(`${peerServer.url}/?widgets=${board.widgets}`);
    await cardsShown(peer, board.widgets);

    lap('pages');
    const [fbSamples, peerSamples] = await sideBySide([fb, peer], opts.clicks, opts.warmup, click, () => lap('warm-up'));
    lap('clicks');
    await fbContext.close();
    await peerContext.close();
    return {
      fieldboard: { paint: summarize(fbSamples.map((s) => s.paint)), dom: summarize(fbSamples.map((s) => s.dom)) },
      peer: { paint: summarize(peerSamples.map((s) => s.paint)), dom: summarize(peerSamples.map((s) => s.dom)) },
    };
  } finally {
    await browser.close();
    await peerServer.close();
    await server.stop();
    dist.remove();
    peerDir.remove();
  }
}
