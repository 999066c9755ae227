/**
 * The field story, run the same way in each engine against a real kit server behind a proxy it can cut:
 * sign in through the form; the worker controls the page and holds one socket for two tabs; offline, edits
 * in both tabs; another device edits the same note meanwhile; a reload offline shows the shell and the
 * pending edits; back online the outbox drains with no Background Sync; the server holds each edit once;
 * the conflict is shown and resolved in the conflicts view; and an edit left behind with every tab closed
 * is sent when the app opens again (the worker's start drains it).
 *
 * Every step is bounded and named; a failure says which engine and which step.
 */
import { newMutationId, type ClientId, type DashboardId, type Widget } from '../../protocol/index.ts';
import { apiDashboards, apiHealth, apiLogin, serverState, type ApiSession } from '../kit/api.ts';
import { startKitServer, type KitServer } from '../kit/server.ts';
import type { EngineBrowser, Tab } from './drivers.ts';
import { countClicks, find, snapshot, type Snapshot } from './page.ts';
import { startProxy, type Proxy } from './proxy.ts';

export interface StepReport {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

export class StepError extends Error {}

const OFFLINE_STATES = /^(Offline|Connecting|Retrying)/;
const MINE = 'Pump 3 hums. Checked from the engine run.';
const THEIRS = 'Pump 3 replaced by the day crew.';
const NO_BACKGROUND_SYNC = 'This browser syncs while the app is open';
const NO_STORAGE = 'This browser cannot be asked to keep';

async function bounded<T>(engine: string, step: string, ms: number, work: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new StepError(`[${engine}] step "${step}" timed out after ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work(), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Where `until` reports waits longer than 3 s (slow spots show in the run's output, not only failures). */
let slowLog: (line: string) => void = () => {};

/** Polls the page until `ok` holds; on timeout the error shows the last snapshot. */
async function until(tab: Tab, what: string, ok: (s: Snapshot) => boolean, ms = 20_000): Promise<Snapshot> {
  const t0 = Date.now();
  const deadline = t0 + ms;
  let last: Snapshot | null = null;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      last = await snapshot(tab);
      if (ok(last)) {
        if (Date.now() - t0 > 3000) slowLog(`       (waited ${((Date.now() - t0) / 1000).toFixed(1)} s for: ${what})`);
        return last;
      }
    } catch (e) {
      lastError = (e as Error).message; // a page mid-navigation
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not reached within ${ms / 1000} s; page: ${JSON.stringify(last)}${lastError ? `; last error: ${lastError}` : ''}`);
}

async function press(tab: Tab, scope: string | null, name: string): Promise<void> {
  const t0 = Date.now();
  const deadline = t0 + 10_000;
  for (;;) {
    const css = await find(tab, scope, 'button', name);
    if (css) {
      await tab.click(css);
      if (Date.now() - t0 > 3000) slowLog(`       (pressing "${name}" took ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`no enabled button "${name}"${scope ? ` in "${scope}"` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function typeInto(tab: Tab, scope: string | null, label: string, text: string): Promise<void> {
  const css = await find(tab, scope, 'field', label);
  if (!css) throw new Error(`no field "${label}"${scope ? ` in "${scope}"` : ''}`);
  await tab.type(css, text);
}

/**
 * One tap on Pumps' Increment, as a person taps: waits for the view to show `expected` before the next.
 * The page counts the clicks it receives (`countClicks`). A click the page received with no effect is the
 * app's fault, and so is a click that landed on another element (the board moved under it: twice in about
 * 20 runs before the sync state and the widgets' marks got fixed lines); both fail the step. A tap the page
 * never received at all is the driver's: tapped again, once, and logged.
 */
async function tap(tab: Tab, expected: number, log: (l: string) => void): Promise<void> {
  const before = await snapshot(tab);
  await press(tab, 'Pumps', 'Increment');
  try {
    await until(tab, `the counter shows ${expected}`, (s) => s.counter === String(expected), 5000);
  } catch (e) {
    const s = await snapshot(tab);
    if (s.clicks > before.clicks) throw new Error(`the page received the tap but the counter shows ${s.counter}: ${(e as Error).message}`);
    if (s.otherClicks > before.otherClicks) throw new Error(`tap ${expected} landed on ${s.missed} instead of Increment: the board moved under it`);
    log(`       (tap ${expected} never reached the page; tapping again)`);
    await press(tab, 'Pumps', 'Increment');
    await until(tab, `the counter shows ${expected} after a second tap`, (x) => x.counter === String(expected), 5000);
  }
}

interface World {
  server: KitServer;
  proxy: Proxy;
  api: ApiSession;
  dashboardId: DashboardId;
}

async function widgetNamed(w: World, title: string): Promise<Widget> {
  const found = (await serverState(w.api, w.dashboardId)).find((x) => x.title === title);
  if (!found) throw new Error(`the server has no widget "${title}"`);
  return found;
}

/** The second device: another client of the same user, writing through the HTTP API. */
async function otherDeviceSetsNote(w: World, text: string): Promise<void> {
  const note = await widgetNamed(w, 'Shift notes');
  const clientId = 'c_enginepeer' as ClientId;
  const r = await fetch(`${w.api.url}/api/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: w.api.cookie, origin: w.proxy.url },
    body: JSON.stringify({
      clientId,
      mutations: [
        {
          id: newMutationId(),
          clientId,
          dashboardId: w.dashboardId,
          name: 'widget.set',
          args: { widgetId: note.id, patch: { text } },
          baseVersion: note.version,
          createdAt: Date.now(),
        },
      ],
    }),
  });
  const body = (await r.json()) as { results: { status: string }[] };
  if (body.results[0]?.status !== 'applied') throw new Error(`the other device's edit was not applied: ${JSON.stringify(body)}`);
}

export async function runStory(browser: EngineBrowser, staticDir: string, log: (line: string) => void): Promise<StepReport[]> {
  const engine = browser.name;
  slowLog = log;
  const reports: StepReport[] = [];
  let failed = false;
  /** Runs a step unless an earlier one failed (the story builds on each step; later ones are reported as not run). */
  /** `independent`: later steps do not build on this one, so its failure does not stop them. */
  const step = async (name: string, ms: number, work: () => Promise<void>, independent = false) => {
    if (failed) {
      reports.push({ name, ok: false, ms: 0, error: 'not run: an earlier step failed' });
      return;
    }
    const t0 = Date.now();
    try {
      await bounded(engine, name, ms, work);
      reports.push({ name, ok: true, ms: Date.now() - t0 });
      log(`  ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (e) {
      if (!independent) failed = true;
      const message = e instanceof StepError ? e.message : `[${engine}] step "${name}" failed: ${(e as Error).message}`;
      reports.push({ name, ok: false, ms: Date.now() - t0, error: message });
      log(`  FAIL ${message}`);
    }
  };

  const proxy = await startProxy();
  let server: KitServer | null = null;
  const tabs: Tab[] = [];
  try {
    let w!: World;
    await step('start a kit server behind a proxy', 30_000, async () => {
      // The browser's origin is the proxy's; the other device talks to the server directly, and says so
      // with the same allowed origin (the list replaces the server's default one).
      server = await startKitServer({ staticDir, env: { FIELDBOARD_ALLOWED_ORIGINS: proxy.url } });
      proxy.setTarget(server.port);
      const api = await apiLogin(server.url, 'demo', 'demo', proxy.url);
      const [demo] = await apiDashboards(api);
      w = { server, proxy, api, dashboardId: demo.id };
    });

    let tab1!: Tab;
    let tab2!: Tab;
    await step('sign in through the form; the worker controls the page', 60_000, async () => {
      tab1 = await browser.newTab(proxy.url);
      tabs.push(tab1);
      await until(tab1, 'the sign-in form', (s) => s.signInForm);
      await typeInto(tab1, null, 'Username', 'demo');
      await typeInto(tab1, null, 'Password', 'demo');
      await press(tab1, null, 'Sign in');
      await until(tab1, 'Online, controlled, Pumps shown', (s) => !!s.status?.startsWith('Online') && s.controlled && s.counter === '0');
    });

    await step('a second tab shares the worker: one socket on the server', 45_000, async () => {
      tab2 = await browser.newTab(proxy.url);
      tabs.push(tab2);
      await until(tab2, 'tab 2 Online and controlled', (s) => !!s.status?.startsWith('Online') && s.controlled && s.counter === '0');
      // Give a second socket, if a tab opened one, the time to show up, then count.
      await new Promise((r) => setTimeout(r, 1500));
      const { connections } = await apiHealth(w.server.url);
      if (connections !== 1) throw new Error(`the server has ${connections} sockets for one browser with two tabs`);
    });

    await step('the app says what a missing Background Sync (and storage) means', 15_000, async () => {
      await until(tab1, `"${NO_BACKGROUND_SYNC}" shown`, (s) => s.limits.some((l) => l.startsWith(NO_BACKGROUND_SYNC)), 10_000);
      // The storage sentence follows what the page really has (WebKitGTK has no navigator.storage).
      const hasPersist = await tab1.run<boolean>('return !!(navigator.storage && navigator.storage.persist);');
      const { limits } = await snapshot(tab1);
      const saysStorage = limits.some((l) => l.startsWith(NO_STORAGE));
      if (saysStorage === hasPersist) {
        throw new Error(`navigator.storage.persist ${hasPersist ? 'exists' : 'is missing'} but the app ${saysStorage ? 'says' : 'does not say'} "${NO_STORAGE}"`);
      }
      log(`       (the app says: ${limits.map((l) => `"${l.split(':')[0]}"`).join(', ')})`);
    }, true);

    await step('go offline (the proxy drops and refuses connections)', 30_000, async () => {
      w.proxy.offline();
      await until(tab1, 'tab 1 no longer Online', (s) => OFFLINE_STATES.test(s.status ?? ''));
      await until(tab2, 'tab 2 no longer Online', (s) => OFFLINE_STATES.test(s.status ?? ''));
      const { connections } = await apiHealth(w.server.url);
      if (connections !== 0) throw new Error(`the server still has ${connections} sockets`);
    });

    await step('the board stays put while the app reconnects (a tap lands where it aims)', 20_000, async () => {
      // The status text changes every second or two while reconnecting; it once moved the whole board 45 px
      // and a tap on Increment landed on the counter's value.
      const tops = new Map<number, string>();
      for (let i = 0; i < 15; i++) {
        const [top, what] = await tab1.run<[number, string]>(`
          var b = document.querySelector('[aria-label="Pumps"] [aria-label=Increment]');
          var st = document.querySelector('[role=status]');
          var sizes = ['header', '.banner', '[aria-label=Notices]', '.browser-limits', '.pending-summary'].map(function (q) {
            var e = document.querySelector(q); return q + ' ' + (e ? Math.round(e.getBoundingClientRect().height) : '-');
          });
          return [b ? Math.round(b.getBoundingClientRect().top) : -1, sizes.join(', ') + '; status "' + (st ? st.textContent : '') + '"'];`);
        if (!tops.has(top)) tops.set(top, what);
        await new Promise((r) => setTimeout(r, 200));
      }
      const width = await tab1.run<number>('return window.innerWidth;');
      if (tops.size > 1) {
        throw new Error(`window ${width} px wide: Increment's top moved: ${[...tops].map(([t, w]) => `${t} px (${w})`).join(' | ')}`);
      }
    }, true);

    await step('edit offline in both tabs: three increments, a note', 30_000, async () => {
      // One at a time, as a person taps: each waits for the view to show it (and the "Pending" mark to move
      // the layout) before the next.
      await countClicks(tab1);
      for (let i = 1; i <= 3; i++) await tap(tab1, i, log);
      await typeInto(tab2, 'Shift notes', 'Note', MINE);
      await until(tab1, 'tab 1 shows 3 and the note, pending', (s) => s.counter === '3' && s.note === MINE && s.pending > 0);
      await until(tab2, 'tab 2 shows 3 and the note, pending', (s) => s.counter === '3' && s.note === MINE && s.pending > 0);
    });

    await step('another device edits the same note meanwhile', 15_000, async () => {
      await otherDeviceSetsNote(w, THEIRS);
    });

    await step('reload offline: the shell and the pending edits', 45_000, async () => {
      await tab1.reload();
      await until(
        tab1,
        'tab 1 reloaded offline with its pending edits',
        (s) => OFFLINE_STATES.test(s.status ?? '') && s.controlled && s.counter === '3' && s.note === MINE && s.pending > 0,
      );
    });

    await step('back online: the outbox drains without Background Sync', 60_000, async () => {
      w.proxy.online();
      await until(tab1, 'Online, nothing pending, the note in conflict', (s) => !!s.status?.startsWith('Online') && s.pending === 0 && s.conflicts === 1, 45_000);
    });

    await step('the other device sees each increment once', 15_000, async () => {
      const pumps = await widgetNamed(w, 'Pumps');
      if (pumps.kind !== 'counter' || pumps.value !== 3) throw new Error(`the server's Pumps is ${JSON.stringify(pumps)}, expected value 3`);
      const note = await widgetNamed(w, 'Shift notes');
      if (note.kind !== 'note' || note.text !== THEIRS) throw new Error(`the server's note is ${JSON.stringify(note)}, expected the other device's text until resolved`);
    });

    await step('the conflict is shown and resolved with Keep mine', 45_000, async () => {
      await press(tab1, null, 'Conflicts (1)');
      await press(tab1, 'Conflict on Shift notes', 'Keep mine');
      await until(tab1, 'no conflict, nothing pending', (s) => s.conflicts === 0 && s.pending === 0 && !!s.status?.startsWith('Online'));
      const deadline = Date.now() + 15_000;
      for (;;) {
        const note = await widgetNamed(w, 'Shift notes');
        if (note.kind === 'note' && note.text === MINE) break;
        if (Date.now() > deadline) throw new Error(`the server's note stayed ${JSON.stringify(note)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      await until(tab2, 'tab 2 shows the resolved note', (s) => s.note === MINE && s.conflicts === 0);
      await press(tab1, null, 'Back to dashboard');
      await until(tab1, 'tab 1 back on the dashboard', (s) => s.counter === '3');
      const pumps = await widgetNamed(w, 'Pumps');
      if (pumps.kind !== 'counter' || pumps.value !== 3) throw new Error(`Pumps became ${JSON.stringify(pumps)} after the resolution`);
    });

    await step('an edit left with no tab open is sent when the app opens again', 90_000, async () => {
      w.proxy.offline();
      await until(tab1, 'tab 1 no longer Online', (s) => OFFLINE_STATES.test(s.status ?? ''));
      await countClicks(tab1);
      await tap(tab1, 4, log);
      await until(tab1, 'the fourth increment pending', (s) => s.counter === '4' && s.pending === 1);
      // No page of the app left: both tabs leave for about:blank (closing the last one would end a WebKit
      // session). The network comes back while nobody is there; without Background Sync nothing sends it.
      await tab1.goto('about:blank');
      await tab2.goto('about:blank');
      // Let the worker stop: Firefox 20 s after its last event (the idle_timeout pref set at launch), WebKit
      // 10 s after its last page left (docs/browser-facts.md "Lifetime"). The drain below is then the worker's start.
      await new Promise((r) => setTimeout(r, engine === 'firefox' ? 23_000 : 12_000));
      w.proxy.online();
      await new Promise((r) => setTimeout(r, 3000));
      const meanwhile = await widgetNamed(w, 'Pumps');
      log(
        meanwhile.kind === 'counter' && meanwhile.value === 3
          ? '       (with no page open, the increment stayed queued until the app opened)'
          : `       (with no page open, the server got the increment anyway: ${JSON.stringify(meanwhile)})`,
      );
      await tab1.goto(proxy.url);
      await until(tab1, 'reopened: Online, nothing pending', (s) => !!s.status?.startsWith('Online') && s.pending === 0 && s.counter === '4', 45_000);
      const pumps = await widgetNamed(w, 'Pumps');
      if (pumps.kind !== 'counter' || pumps.value !== 4) throw new Error(`the server's Pumps is ${JSON.stringify(pumps)}, expected 4`);
    });

    await step('the server logged no error', 5_000, async () => {
      const errors = w.server
        .logs()
        .split('\n')
        .filter((l) => /"level":(50|60)/.test(l));
      if (errors.length) throw new Error(`server errors:\n${errors.slice(0, 5).join('\n')}`);
    });
  } finally {
    for (const t of tabs.reverse()) await t.goto('about:blank').catch(() => {});
    await proxy.close();
    await (server as KitServer | null)?.stop();
  }
  return reports;
}
