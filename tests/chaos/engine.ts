/**
 * The chaos convergence run (issue 5): two devices (browser contexts), one with two tabs, edit the demo
 * dashboard through the UI only while a scheduler injects faults, all drawn from one seeded PRNG. Every
 * `roundOps` operations the run settles (everyone online, conflicts resolved through the conflicts view,
 * every tab synced), checks that every tab renders exactly the server's state, and audits the server's
 * database against the ledger of what the service workers accepted (audit.ts).
 *
 * Operations (UI): counter +1/-1/set, note edits (filled or typed, left at once or after the debounce),
 * checklist add/toggle/edit/remove, rename, move, add and delete widgets, resolving conflicts (keep mine,
 * keep theirs, edit, restore, discard; sometimes switching the conflict policy), visiting the activity
 * list, pauses; plus metric ingest through the server's ingest endpoint (an external sensor). And what
 * people do: both devices typing into one note (or renaming one widget) within a second of each other,
 * typing into a note whose conflict is parked, and typing across a dropped connection.
 * Faults: a device offline/online, the server dropping every socket, SIGKILL and graceful restarts, the
 * service worker stopped, a tab reloaded, and a Background Sync fired with no tab of the device open.
 */
import type { Browser, Page } from '@playwright/test';
import { expect } from '@playwright/test';
import { apiDashboards, apiLogin, fireSync, goOffline, goOnline, serverState, signIn, stopServiceWorker, withoutBackgroundSync, type ApiSession, type KitServer } from '../kit/index.ts';
import { audit, type AuditStats } from './audit.ts';
import { loadAuditRows } from './audit-rows.ts';
import { Ledger, type SeenEntry } from './ledger.ts';
import { Rng } from './prng.ts';
import { ACTION_MS, articles, editLayout, expectedView, renderedView, syncState, toBoard, waitForApp, type Device, type RenderedWidget, type Tab } from './ui.ts';

export const INGEST_TOKEN = 'chaos-ingest-token-0123456789';

export interface ChaosOptions {
  browser: Browser;
  server: KitServer;
  seed: number;
  ops: number;
  /** Operations between two settle-and-audit points. */
  roundOps: number;
  /** Probability that a fault precedes an operation. */
  faultRate?: number;
  /** How long a settle may take before the run fails (backoff is capped at 60 s). */
  settleTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  ops: number;
  rounds: number;
  opsByKind: Record<string, { done: number; skipped: number }>;
  faultsByKind: Record<string, number>;
  skipReasons: string[];
  convergeMs: number[];
  wallMs: number;
  audit: AuditStats | null;
  conflictCardsSeen: number;
  resolutions: Record<string, number>;
  alerts: string[];
  pageErrors: string[];
  failures: string[];
}

const OPS = {
  'counter.increment': 14,
  'counter.decrement': 7,
  'counter.set': 2,
  'note.fill': 8,
  'note.type': 4,
  'checklist.add': 6,
  'checklist.toggle': 8,
  'checklist.edit': 2,
  'checklist.remove': 2,
  'widget.rename': 3,
  'widget.move': 3,
  'widget.add': 2.5,
  'widget.delete': 1,
  'conflict.resolve': 6,
  'activity.visit': 0.5,
  'metric.ingest': 2,
  pause: 3,
  // What people do (issue 10): two devices typing into one note or renaming one widget within a second,
  // typing into a note whose conflict is parked, typing while the connection drops and comes back.
  'note.race': 3,
  'title.race': 1,
  'note.parked': 2,
  'note.reconnect': 1,
} as const;
type OpKind = keyof typeof OPS;

const FAULTS = {
  offline: 30,
  'drop-sockets': 10,
  'restart-kill': 5,
  'restart-graceful': 5,
  'stop-sw': 10,
  reload: 10,
  'sync-no-tab': 6,
} as const;
type FaultKind = keyof typeof FAULTS;

class Skip extends Error {}
const skip = (why: string): never => {
  throw new Skip(why);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Longest a single operation or fault may take before the run stops and names it (instead of hanging). */
const STEP_LIMIT_MS = 90_000;

class Hung extends Error {}

/** `work`, or a `Hung` error naming `what` after `ms`: a stuck CDP call or page must fail the run, not stall it. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Hung(`${what} did not finish in ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** `work` bounded by the step limit: every await of the run goes through this or `within`. */
const step = <T>(what: string, work: Promise<T>): Promise<T> => within(STEP_LIMIT_MS, what, work);
const rethrowHung = (e: unknown): void => {
  if (e instanceof Hung) throw e;
};

const WORDS = ['pump', 'valve', 'flow', 'check', 'north', 'south', 'filter', 'tank', 'leak', 'ok', 'noisy', 'shift', 'spare', 'seal'];

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const { browser, server } = opts;
  const rng = new Rng(opts.seed);
  const log = opts.log ?? ((l: string) => console.log(l));
  const faultRate = opts.faultRate ?? 0.12;
  const settleTimeoutMs = opts.settleTimeoutMs ?? 150_000;
  const started = Date.now();
  const ledger = new Ledger();
  const report: ChaosReport = {
    seed: opts.seed,
    ops: 0,
    rounds: 0,
    opsByKind: {},
    faultsByKind: {},
    skipReasons: [],
    convergeMs: [],
    wallMs: 0,
    audit: null,
    conflictCardsSeen: 0,
    resolutions: {},
    alerts: [],
    pageErrors: [],
    failures: [],
  };
  let unique = 0;
  const fresh = (prefix: string) => `${prefix}${++unique}`;
  const words = (n: number) => Array.from({ length: n }, () => rng.pick(WORDS)).join(' ');

  const api: ApiSession = await apiLogin(server.url);
  const [dashboard] = await apiDashboards(api);

  // ---- Devices and tabs -----------------------------------------------------------------------------------
  const watchPage = (name: string, page: Page) => {
    page.on('pageerror', (e) => report.pageErrors.push(`${name}: ${e.message}`));
  };
  async function openTab(device: Device, name: string, first: boolean): Promise<Tab> {
    const page = await device.context.newPage();
    watchPage(name, page);
    if (first) await signIn(page);
    else await page.goto('/');
    await waitForApp(page);
    return { name, page };
  }
  async function newDevice(name: string, tabs: number, backgroundSync: boolean): Promise<Device> {
    const context = await browser.newContext({ baseURL: server.url });
    if (!backgroundSync) await withoutBackgroundSync(context, server.url);
    await ledger.attach(name, context);
    const device: Device = { name, context, tabs: [], offline: false, backgroundSync };
    for (let i = 1; i <= tabs; i++) device.tabs.push(await openTab(device, `${name}${i}`, i === 1));
    return device;
  }
  // B is a browser without Background Sync and Periodic Background Sync (as Firefox and Safari): only the
  // fallbacks (drain on worker start, on online, on a visible tab) carry its outbox.
  const devices = [await newDevice('A', 2, true), await newDevice('B', 1, false)];
  const allTabs = () => devices.flatMap((d) => d.tabs);
  const deviceOf = (tab: Tab) => devices.find((d) => d.tabs.includes(tab))!;

  // ---- Operations -------------------------------------------------------------------------------------------
  async function pickCard(page: Page, kind?: string, from = 0) {
    const cards = articles(page, kind);
    const n = await cards.count();
    const i = rng.int(1 << 30);
    if (n <= from) skip(`no ${kind ?? 'widget'}${from ? ' to spare' : ''}`);
    return cards.nth(from + (i % (n - from)));
  }

  async function resolveConflict(tab: Tab, settling: boolean): Promise<void> {
    const page = tab.page;
    const device = deviceOf(tab);
    const button = page.getByRole('button', { name: /^Conflicts \(\d+\)$/ });
    if (!(await button.isVisible())) skip('no conflicts');
    await button.click({ timeout: ACTION_MS });
    await expect(page.getByRole('heading', { name: 'Conflicts', exact: true })).toBeVisible();
    // Every parked conflict of this device has its card (one per widget), as IndexedDB holds them.
    const cards = page.getByRole('region', { name: /^Conflict on / });
    let parked = new Map<string, SeenEntry[]>();
    let shown: string[] = [];
    const until = Date.now() + 10_000;
    for (;;) {
      parked = Ledger.parked(await ledger.snapshot(device.name, page));
      shown = await cards.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
      const titles = [...parked.values()].map((es) => es[0].conflict?.serverTitle ?? es[0].conflict?.baseTitle ?? null);
      const match = parked.size > 0 && shown.length === parked.size && titles.every((t) => t === null || shown.includes(`Conflict on ${t}`));
      if (match) break;
      if (Date.now() > until) {
        const what = [...parked.entries()].map(([w, es]) => `${w} ${JSON.stringify(es.map((e) => ({ id: e.mutation.id, name: e.mutation.name, conflict: e.conflict })))}`);
        throw new Error(`${tab.name}: the conflicts view shows ${JSON.stringify(shown)}, IndexedDB has parked ${what.join('; ') || 'nothing'}`);
      }
      await sleep(200);
    }
    report.conflictCardsSeen += parked.size;
    ledger.markShown([...parked.values()].flat().map((e) => e.mutation.id));
    if (!settling && rng.chance(0.15)) {
      // Once automatic, a device parks no more conflicts, so its Conflicts button (and this setting) stays
      // hidden: the device keeps that policy for the rest of the run, and its conflicts go to Activity.
      const policy = rng.pick(['Ask me', 'Keep the other change', 'Keep my change']);
      await page.getByRole('radio', { name: policy }).check({ timeout: ACTION_MS });
      report.resolutions[`policy ${policy}`] = (report.resolutions[`policy ${policy}`] ?? 0) + 1;
    }
    // The card by its own name, not by place: a conflict that parks while this one is edited can come first
    // (long run seed 133509776: Edit on one card, then Save looked for on another).
    const name = (await cards.first().getAttribute('aria-label', { timeout: ACTION_MS })) ?? skip('a conflict card without a name');
    const card = page.getByRole('region', { name, exact: true }).first();
    const restore = card.getByRole('button', { name: 'Restore with my changes' });
    let choice: string;
    if (await restore.isVisible()) {
      choice = rng.chance(0.6) ? 'Restore with my changes' : 'Discard mine';
      await card.getByRole('button', { name: choice }).click({ timeout: ACTION_MS });
    } else {
      choice = rng.weighted({ 'Keep mine': 4, 'Keep theirs': 4, Edit: 2 });
      await card.getByRole('button', { name: choice, exact: true }).click({ timeout: ACTION_MS });
      if (choice === 'Edit') {
        const boxes = card.getByRole('textbox', { name: /^Edit / });
        for (let i = 0; i < (await boxes.count()); i++) {
          const label = (await boxes.nth(i).getAttribute('aria-label')) ?? (await boxes.nth(i).evaluate((el) => el.closest('label')?.textContent ?? ''));
          await boxes.nth(i).fill(/Value/.test(label) ? String(rng.int(100)) : `${fresh('edit')} ${words(2)}`);
        }
        const checks = card.getByRole('checkbox', { name: /^Edit / });
        for (let i = 0; i < (await checks.count()); i++) await checks.nth(i).click({ timeout: ACTION_MS });
        await card.getByRole('button', { name: 'Save' }).click({ timeout: ACTION_MS });
      }
    }
    report.resolutions[choice] = (report.resolutions[choice] ?? 0) + 1;
    await toBoard(page);
  }

  async function op(kind: OpKind, tab: Tab): Promise<void> {
    const page = tab.page;
    switch (kind) {
      case 'counter.increment':
      case 'counter.decrement': {
        const card = await pickCard(page, 'counter');
        await card.getByRole('button', { name: kind === 'counter.increment' ? 'Increment' : 'Decrement' }).click({ timeout: ACTION_MS });
        return;
      }
      case 'counter.set': {
        const card = await pickCard(page, 'counter');
        await card.getByRole('spinbutton', { name: 'Set value' }).fill(String(rng.int(50) - 10), { timeout: ACTION_MS });
        await card.getByRole('button', { name: 'Set', exact: true }).click({ timeout: ACTION_MS });
        return;
      }
      case 'note.fill':
      case 'note.type': {
        const card = await pickCard(page, 'note');
        const box = card.getByRole('textbox', { name: 'Note' });
        const leave = rng.chance(0.75);
        if (kind === 'note.fill') {
          await box.fill(`${tab.name} ${fresh('n')}: ${words(3)}`, { timeout: ACTION_MS });
        } else {
          await box.click({ timeout: ACTION_MS });
          await page.keyboard.press('End');
          await box.pressSequentially(` ${tab.name}${fresh('t')} ${words(1)}`, { timeout: ACTION_MS });
        }
        // Leaving sends at once; staying sends after the debounce (300 ms), maybe while something fails.
        if (leave) await box.blur();
        return;
      }
      case 'note.race':
      case 'title.race': {
        const other = rng.pick(devices.filter((d) => d !== deviceOf(tab))).tabs[0];
        // A widget both devices show under the same title (offline renames make titles differ for a while).
        const titles = async (p: Page) => articles(p, kind === 'note.race' ? 'note' : undefined).evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
        const mine = await titles(page);
        const both = (await titles(other.page)).filter((t) => t && mine.filter((m) => m === t).length === 1);
        if (both.length === 0) skip(`no widget ${other.name} shows under the same title`);
        const title = rng.pick(both);
        const card = page.getByRole('article', { name: title, exact: true });
        const theirs = other.page.getByRole('article', { name: title, exact: true });
        const lag = rng.int(500);
        const edit = async (t: Tab, c: typeof card, delay: number) => {
          await sleep(delay);
          if (kind === 'note.race') {
            const box = c.getByRole('textbox', { name: 'Note' });
            await box.click({ timeout: ACTION_MS });
            await t.page.keyboard.press('End');
            await box.pressSequentially(` ${t.name}${fresh('r')} ${words(1)}`, { delay: 40, timeout: ACTION_MS });
            await box.blur();
          } else {
            await editLayout(t.page);
            await c.getByRole('button', { name: 'Rename' }).click({ timeout: ACTION_MS });
            await c.getByRole('textbox', { name: 'Title' }).fill(`${words(1)} ${fresh('T')}`, { timeout: ACTION_MS });
            await c.getByRole('button', { name: 'Save title' }).click({ timeout: ACTION_MS });
          }
        };
        await Promise.all([edit(tab, card, 0), edit(other, theirs, lag)]);
        return;
      }
      case 'note.parked': {
        // Typing into a note whose conflict is parked; with none parked, race for one first.
        let parked = articles(page, 'note').filter({ has: page.getByText('Conflict', { exact: true }) });
        if ((await parked.count()) === 0) {
          await op('note.race', tab);
          await sleep(300);
          parked = articles(page, 'note').filter({ has: page.getByText('Conflict', { exact: true }) });
          if ((await parked.count()) === 0) skip('the race parked no conflict');
        }
        const box = parked.first().getByRole('textbox', { name: 'Note' });
        await box.click({ timeout: ACTION_MS });
        await page.keyboard.press('End');
        await box.pressSequentially(` ${tab.name}${fresh('p')} ${words(1)}`, { delay: 30, timeout: ACTION_MS });
        if (rng.chance(0.5)) await box.blur();
        return;
      }
      case 'note.reconnect': {
        const card = await pickCard(page, 'note');
        const box = card.getByRole('textbox', { name: 'Note' });
        await box.click({ timeout: ACTION_MS });
        await page.keyboard.press('End');
        const typing = box.pressSequentially(` ${tab.name}${fresh('c')} ${words(2)}`, { delay: 50, timeout: ACTION_MS });
        await sleep(rng.int(300));
        await server.dropSockets();
        await typing;
        await box.blur();
        return;
      }
      case 'checklist.add': {
        const card = await pickCard(page, 'checklist');
        await card.getByRole('textbox', { name: 'New item' }).fill(`${fresh('i')} ${words(1)}`, { timeout: ACTION_MS });
        await card.getByRole('button', { name: 'Add', exact: true }).click({ timeout: ACTION_MS });
        return;
      }
      case 'checklist.toggle': {
        const card = await pickCard(page, 'checklist');
        const boxes = card.getByRole('checkbox');
        const n = await boxes.count();
        const i = rng.int(1 << 30);
        if (n === 0) skip('no checklist item');
        await boxes.nth(i % n).click({ timeout: ACTION_MS });
        return;
      }
      case 'checklist.edit': {
        const card = await pickCard(page, 'checklist');
        const edits = card.getByRole('button', { name: /^Edit / });
        const n = await edits.count();
        const i = rng.int(1 << 30);
        if (n === 0) skip('no checklist item');
        await edits.nth(i % n).click({ timeout: ACTION_MS });
        await card.getByRole('textbox', { name: 'Item text' }).fill(`${fresh('e')} ${words(1)}`, { timeout: ACTION_MS });
        await card.getByRole('button', { name: 'Save', exact: true }).click({ timeout: ACTION_MS });
        return;
      }
      case 'checklist.remove': {
        const card = await pickCard(page, 'checklist');
        const removes = card.getByRole('button', { name: /^Remove / });
        const n = await removes.count();
        const i = rng.int(1 << 30);
        if (n === 0) skip('no checklist item');
        await removes.nth(i % n).click({ timeout: ACTION_MS });
        return;
      }
      case 'widget.rename': {
        const card = await pickCard(page);
        await editLayout(page);
        await card.getByRole('button', { name: 'Rename' }).click({ timeout: ACTION_MS });
        await card.getByRole('textbox', { name: 'Title' }).fill(`${rng.pick(WORDS)} ${fresh('r')}`, { timeout: ACTION_MS });
        await card.getByRole('button', { name: 'Save title' }).click({ timeout: ACTION_MS });
        return;
      }
      case 'widget.move': {
        const card = await pickCard(page);
        await editLayout(page);
        const which = rng.chance(0.5) ? 'Move up' : 'Move down';
        const button = card.getByRole('button', { name: which });
        if (await button.isDisabled({ timeout: ACTION_MS })) skip(`${which} is disabled at the end`);
        await button.click({ timeout: ACTION_MS });
        return;
      }
      case 'widget.add': {
        const form = page.getByRole('form', { name: 'Add widget' });
        const kind = rng.pick(['Counter', 'Note', 'Checklist']);
        await form.getByRole('combobox', { name: 'Kind' }).selectOption({ label: kind }, { timeout: ACTION_MS });
        await form.getByRole('textbox', { name: 'New widget title' }).fill(`${kind} ${fresh('w')}`, { timeout: ACTION_MS });
        await form.getByRole('button', { name: 'Add widget' }).click({ timeout: ACTION_MS });
        return;
      }
      case 'widget.delete': {
        // Never the first widget of its kind, so each kind keeps being edited.
        const card = await pickCard(page, rng.pick(['counter', 'note', 'checklist']), 1);
        await editLayout(page);
        await card.getByRole('button', { name: 'Delete' }).click({ timeout: ACTION_MS });
        await card.getByRole('button', { name: 'Confirm delete' }).click({ timeout: ACTION_MS });
        return;
      }
      case 'conflict.resolve':
        await resolveConflict(tab, false);
        return;
      case 'activity.visit':
        await page.getByRole('button', { name: 'Activity' }).click({ timeout: ACTION_MS });
        await expect(page.getByRole('heading', { name: 'Activity' })).toBeVisible();
        await toBoard(page);
        return;
      case 'metric.ingest': {
        const r = await fetch(`${server.url}/api/ingest/${dashboard.id}/flow`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` },
          body: JSON.stringify({ value: Math.round(rng.next() * 1000) / 10 }),
        }).catch(() => null);
        if (!r || r.status !== 202) skip(`ingest answered ${r?.status ?? "nothing"} (server restarting, or no metric widget reads "flow")`);
        return;
      }
      case 'pause':
        await sleep(200 + rng.int(1300));
        return;
    }
  }

  // ---- Faults -----------------------------------------------------------------------------------------------
  /**
   * Makes sure the device's service worker runs (it answers a `get-state`) before its network emulation
   * changes: changing it under a stopped worker can hang Chromium's CDP (docs/browser-facts.md "Offline").
   * A person's next action would wake the worker anyway; this only keeps the harness out of that trap.
   */
  async function wakeWorker(d: Device): Promise<void> {
    await d.tabs[0].page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const requestId = `chaos-wake-${Math.random().toString(36).slice(2)}`;
          const timer = setTimeout(() => reject(new Error('the service worker did not answer get-state in 10 s')), 10_000);
          const onMessage = (e: MessageEvent) => {
            if (e.data?.type !== 'reply' || e.data.requestId !== requestId) return;
            clearTimeout(timer);
            navigator.serviceWorker.removeEventListener('message', onMessage);
            resolve();
          };
          navigator.serviceWorker.addEventListener('message', onMessage);
          navigator.serviceWorker.controller?.postMessage({ type: 'get-state', requestId });
        }),
    );
  }
  async function setNetwork(d: Device, online: boolean): Promise<void> {
    await wakeWorker(d);
    if (online) await goOnline(d.context);
    else await goOffline(d.context);
    d.offline = !online;
  }

  /** What a restart stopped: the server, or one node of a cluster (the others keep serving). */
  const restarted = () => ('lastRestarted' in server ? `node ${String(server.lastRestarted)}` : 'server');

  async function fault(kind: FaultKind): Promise<string> {
    switch (kind) {
      case 'offline': {
        const d = rng.pick(devices);
        await setNetwork(d, d.offline);
        return `${d.name} ${d.offline ? 'offline' : 'online'}`;
      }
      case 'drop-sockets':
        await server.dropSockets();
        return 'server drops every socket';
      case 'restart-kill':
        await server.restart('kill');
        return `${restarted()} SIGKILL + start`;
      case 'restart-graceful':
        await server.restart('graceful');
        return `${restarted()} SIGTERM + start`;
      case 'stop-sw': {
        const d = rng.pick(devices);
        await stopServiceWorker(d.tabs[0].page);
        return `${d.name} service worker stopped`;
      }
      case 'reload': {
        const t = rng.pick(allTabs());
        const d = deviceOf(t);
        const alone = d.tabs.length === 1; // its device has no other page while it reloads
        if (alone) ledger.noPages(d.name);
        await t.page.reload();
        await waitForApp(t.page);
        if (alone) ledger.pagesBack(d.name);
        return `${t.name} reloaded`;
      }
      case 'sync-no-tab': {
        // Close every tab of the device, fire Background Sync with none open (where the browser has it),
        // then open them again.
        const d = rng.pick(devices);
        const names = d.tabs.map((t) => t.name);
        const blank = await d.context.newPage();
        ledger.noPages(d.name);
        for (const t of d.tabs) await t.page.close();
        d.tabs = [];
        if (rng.chance(0.5)) await stopServiceWorker(blank);
        if (d.backgroundSync) await fireSync(blank, server.url);
        await sleep(300 + rng.int(1200));
        watchPage(names[0], blank);
        await blank.goto('/');
        await waitForApp(blank);
        d.tabs.push({ name: names[0], page: blank });
        for (const n of names.slice(1)) d.tabs.push(await openTab(d, n, false));
        ledger.pagesBack(d.name);
        return `${d.name} tabs closed, ${d.backgroundSync ? 'sync fired' : 'no sync (none in this browser)'} with no tab, reopened`;
      }
    }
  }

  // ---- Settling and checking ------------------------------------------------------------------------------
  async function dismissAlerts(tab: Tab): Promise<void> {
    const alerts = tab.page.getByRole('alert');
    for (let i = 0; i < 5 && (await alerts.count()) > 0; i++) {
      const text = (await alerts.first().textContent()) ?? '';
      report.alerts.push(`${tab.name}: ${text}`);
      const dismiss = alerts.first().getByRole('button', { name: 'Dismiss' });
      if (!(await dismiss.isVisible())) break;
      await dismiss.click({ timeout: ACTION_MS });
    }
  }

  async function tidy(tab: Tab): Promise<void> {
    await toBoard(tab.page);
    // A half-done edit (an action that timed out) leaves a form open: cancel it, as a person would.
    const cancels = articles(tab.page).getByRole('button', { name: 'Cancel' });
    for (let i = 0; i < 10 && (await cancels.count()) > 0; i++) await cancels.first().click({ timeout: ACTION_MS });
    const focused = tab.page.locator('textarea:focus');
    if (await focused.count()) await focused.blur();
  }

  async function settle(round: number): Promise<void> {
    const t0 = Date.now();
    const at = `(settling round ${round})`;
    for (const d of devices) if (d.offline) await step(`${d.name} going online ${at}`, setNetwork(d, true));
    for (const t of allTabs()) await step(`tidying ${t.name} ${at}`, tidy(t));
    const deadline = t0 + settleTimeoutMs;
    let last = '';
    let resolvesThisSettle = 0;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`round ${round}: no convergence within ${settleTimeoutMs} ms: ${last}`);
      // Conflicts wait for a person: resolve them through the conflicts view, one device at a time.
      let resolving = false;
      for (const d of devices) {
        const s = await step(`reading ${d.tabs[0].name}'s sync state ${at}`, syncState(d.tabs[0].page));
        if (s.conflicts > 0) {
          resolving = true;
          if (resolvesThisSettle++ > 200) throw new Error(`round ${round}: conflicts keep coming back`);
          await step(`resolving a conflict on ${d.tabs[0].name} ${at}`, resolveConflict(d.tabs[0], true));
        }
      }
      if (resolving) continue;
      const states = await Promise.all(
        allTabs().map(async (t) => ({ t, s: await step(`reading ${t.name}'s sync state ${at}`, syncState(t.page)) })),
      );
      const busy = states.filter(({ s }) => !s.status.startsWith('Online') || s.pending > 0 || s.conflicts > 0 || s.marks > 0);
      if (busy.length) {
        last = busy.map(({ t, s }) => `${t.name} ${JSON.stringify(s)}`).join('; ');
        await sleep(250);
        continue;
      }
      const want = expectedView(await step(`reading the server's state ${at}`, serverState(api, dashboard.id)));
      const views = await Promise.all(
        allTabs().map(async (t) => ({ t, v: await step(`reading what ${t.name} renders ${at}`, renderedView(t.page)) })),
      );
      const differ = views.filter(({ v }) => JSON.stringify(v) !== JSON.stringify(want));
      if (differ.length) {
        last = `views differ from the server: ${differ.map(({ t, v }) => `${t.name} ${diff(v, want)}`).join('; ')}`;
        await sleep(250);
        continue;
      }
      break;
    }
    report.convergeMs.push(Date.now() - t0);
    for (const t of allTabs()) await step(`dismissing alerts on ${t.name} ${at}`, dismissAlerts(t));
  }

  async function checkRound(round: number): Promise<void> {
    // Still equal a moment later: nothing was in flight that would move a replica again.
    await sleep(500);
    const at = `(checking round ${round})`;
    const widgets = await step(`reading the server's state ${at}`, serverState(api, dashboard.id));
    const want = expectedView(widgets);
    for (const t of allTabs()) {
      const v = await step(`reading what ${t.name} renders ${at}`, renderedView(t.page));
      if (JSON.stringify(v) !== JSON.stringify(want)) report.failures.push(`round ${round}: ${t.name} renders ${diff(v, want)}`);
    }
    const rows = await step(`reading the server's database ${at}`, loadAuditRows(server.databaseUrl));
    const result = audit({ ledger, rows, serverWidgets: widgets, serverLogs: server.logs() });
    report.audit = result.stats;
    for (const f of result.failures) report.failures.push(`round ${round}: ${f}`);
    // The newest conflict the policy resolved on each device is in that device's activity list.
    for (const d of devices) {
      const auto = ledger.activity(d.name).filter((a) => a.kind === 'auto-resolved').at(-1);
      if (auto) await step(`looking for "${auto.message}" in ${d.name}'s activity ${at}`, lookInActivity(d, auto.message));
    }
    if (report.pageErrors.length) report.failures.push(`round ${round}: page errors: ${report.pageErrors.join(' | ')}`);

    async function lookInActivity(d: Device, message: string): Promise<void> {
      const page = d.tabs[0].page;
      await page.getByRole('button', { name: 'Activity' }).click({ timeout: ACTION_MS });
      const list = page.getByRole('list', { name: 'Recent activity' });
      await expect(list).toBeVisible();
      const found = await list
        .getByText(message)
        .first()
        .waitFor({ timeout: 5_000 })
        .then(() => true)
        .catch(() => false);
      const full = (await list.getByRole('listitem').count()) >= 50;
      if (!found && !full) report.failures.push(`round ${round}: ${d.name}'s activity list lacks "${message}"`);
      await toBoard(page);
    }
  }

  // ---- The run ----------------------------------------------------------------------------------------------
  const bump = (rec: Record<string, { done: number; skipped: number }>, k: string, ok: boolean) => {
    const e = (rec[k] ??= { done: 0, skipped: 0 });
    if (ok) e.done++;
    else e.skipped++;
  };
  try {
    let done = 0;
    while (done < opts.ops) {
      const round = ++report.rounds;
      const end = Math.min(opts.ops, done + opts.roundOps);
      log(`chaos: round ${round}, operations ${done + 1}..${end}`);
      for (; done < end; done++) {
        if (rng.chance(faultRate)) {
          const kind = rng.weighted(FAULTS);
          const what = await within(STEP_LIMIT_MS, `fault ${kind} (operation ${done + 1})`, fault(kind));
          report.faultsByKind[kind] = (report.faultsByKind[kind] ?? 0) + 1;
          if (process.env.CHAOS_VERBOSE) log(`  fault: ${what}`);
        }
        const tab = rng.pick(allTabs());
        let kind = rng.weighted(OPS);
        if (kind === 'conflict.resolve') {
          const s = await step(`reading ${tab.name}'s sync state (operation ${done + 1})`, syncState(tab.page));
          if (s.conflicts === 0) kind = 'counter.increment';
        }
        try {
          await within(STEP_LIMIT_MS, `${kind} on ${tab.name} (operation ${done + 1})`, op(kind, tab));
          bump(report.opsByKind, kind, true);
        } catch (e) {
          if (e instanceof Hung) throw e;
          const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
          bump(report.opsByKind, kind, false);
          if (report.skipReasons.length < 30) report.skipReasons.push(`${kind} on ${tab.name}: ${msg}`);
          if (!(e instanceof Skip)) await step(`tidying ${tab.name} after ${kind} (operation ${done + 1})`, tidy(tab)).catch(rethrowHung);
        }
        report.ops++;
        if (rng.chance(0.3)) await sleep(rng.int(150));
      }
      await settle(round);
      await checkRound(round);
      log(`chaos: round ${round} converged in ${report.convergeMs.at(-1)} ms; ${report.failures.length} failure(s) so far`);
      if (report.failures.length) break;
    }
  } catch (e) {
    if (!(e instanceof Hung)) throw e;
    report.failures.push(`seed ${opts.seed}: ${e.message}`);
  } finally {
    report.wallMs = Date.now() - started;
    for (const d of devices) await within(30_000, `closing ${d.name}`, d.context.close()).catch(() => {});
  }
  return report;
}

/** The first difference between a tab's view and the server's, in words. */
function diff(got: RenderedWidget[], want: RenderedWidget[]): string {
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    const g = JSON.stringify(got[i] ?? null);
    const w = JSON.stringify(want[i] ?? null);
    if (g !== w) return `widget #${i + 1}: tab ${g}, server ${w}`;
  }
  return 'equal';
}

/** The figures a run reports, in a few lines. */
export function summarize(r: ChaosReport): string {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const done = sum(Object.values(r.opsByKind).map((x) => x.done));
  const skipped = sum(Object.values(r.opsByKind).map((x) => x.skipped));
  const sorted = [...r.convergeMs].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
  const a = r.audit;
  return [
    `chaos seed ${r.seed}: ${r.ops} operations (${done} done, ${skipped} skipped) in ${r.rounds} round(s), wall ${(r.wallMs / 1000).toFixed(1)} s`,
    `  operations: ${Object.entries(r.opsByKind).map(([k, v]) => `${k} ${v.done}${v.skipped ? `(+${v.skipped} skipped)` : ''}`).join(', ')}`,
    `  faults (${sum(Object.values(r.faultsByKind))}): ${Object.entries(r.faultsByKind).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  converge: min ${sorted[0] ?? 0} ms, median ${median} ms, max ${sorted.at(-1) ?? 0} ms`,
    a
      ? `  server: ${a.changes} changes; ${a.known} mutations queued by service workers (${a.swMade} made by the SW), ${a.applied} applied (${a.unchangedApplied} with no change of their own), ${a.conflicts} conflicts (${a.conflictsShown} shown in a conflicts view, ${a.conflictsAuto} resolved by policy), ${a.coalesced} coalesced, ${a.droppedByResolution} replaced by a resolution or merge before being sent, ${a.madeWithNoPage} made by a worker with no page open, rejected ${JSON.stringify(a.rejected)}; ${a.counters} counters replayed; ${a.serverErrors} error / ${a.serverWarnings} warning log lines`
      : '  server: not audited',
    a
      ? `  pages: ${a.refusedByTheSw} edits refused by the SW, ${a.unansweredNeverQueued} never answered nor queued, ${a.queuedReplyUnseen} queued while their tab went away before the answer; ${r.alerts.length} alerts, ${r.pageErrors.length} page errors`
      : '',
    `  conflict cards seen ${r.conflictCardsSeen}; resolutions: ${Object.entries(r.resolutions).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
  ]
    .filter(Boolean)
    .join('\n');
}
