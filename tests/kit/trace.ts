/**
 * Reading the hop trace (docs/testing.md, "The hop trace") out of a running app, the way the propagation
 * benchmark does and its test checks: switch it on in a browser context, take (and clear) the User Timing
 * marks of a page or of the context's service worker, take the server's trace lines from its output, and
 * line one change's marks up along its path.
 *
 * Every time is epoch milliseconds (`performance.timeOrigin + startTime` in a browser realm, the same sum
 * in the server), so the page, the worker and the server, on one machine, share one clock.
 */
import type { BrowserContext, Page, Worker } from '@playwright/test';
import { HOPS, TRACE_STORAGE_KEY, type Hop } from '../../contract/trace.ts';
import type { ServerHop } from '../../server/trace.ts';

export interface TraceMark {
  hop: Hop | ServerHop;
  /** The mutation id. */
  m: string;
  t: number;
}

/** Switches the trace on in every page this context opens from now on (set before the app's scripts run). */
export async function enableTrace(context: BrowserContext): Promise<void> {
  await context.addInitScript(`try { localStorage.setItem(${JSON.stringify(TRACE_STORAGE_KEY)}, '1'); } catch {}`);
}

// A string, not a function: evaluated as written in the page or worker (no compiler helpers in it).
const TAKE = `(() => {
  const out = [];
  for (const hop of ${JSON.stringify(Object.values(HOPS))}) {
    for (const e of performance.getEntriesByName(hop, 'mark')) out.push({ hop, m: e.detail && e.detail.m, t: performance.timeOrigin + e.startTime });
    performance.clearMarks(hop);
  }
  return out;
})()`;

/** The trace marks of a page or a worker, cleared from its timeline. */
export function takeMarks(realm: Page | Worker): Promise<TraceMark[]> {
  return (realm as Page).evaluate<TraceMark[]>(TAKE);
}

/** The context's running service worker (the newest, if an update left two). */
export function serviceWorkerOf(context: BrowserContext): Worker {
  const workers = context.serviceWorkers();
  const sw = workers[workers.length - 1];
  if (!sw) throw new Error('no service worker in this context');
  return sw;
}

/** The server's trace lines (FIELDBOARD_TRACE=1) printed since the last call. */
export function serverTraceReader(server: { logs(): string }): () => TraceMark[] {
  let offset = 0;
  return () => {
    const text = server.logs();
    const end = text.lastIndexOf('\n') + 1;
    const lines = text.slice(offset, end).split('\n');
    offset = Math.max(offset, end);
    const out: TraceMark[] = [];
    for (const line of lines) {
      if (!line.startsWith('{"trace":')) continue;
      const r = JSON.parse(line) as { trace: ServerHop; m: string; t: number };
      out.push({ hop: r.trace, m: r.m, t: r.t });
    }
    return out;
  };
}

/** Where each hop is marked: the clicking tab, a second tab of that device, the workers, the server. */
export type TraceRealm = 'tab' | 'tab2' | 'worker' | 'server' | 'workerB' | 'tabB';
export type RealmMarks = Record<TraceRealm, TraceMark[]>;

export interface PathStep {
  name: string;
  realm: TraceRealm;
  hop: Hop | ServerHop;
}

const step = (name: string, realm: TraceRealm, hop: Hop | ServerHop): PathStep => ({ name, realm, hop });
const DEVICE_A = [
  step('click', 'tab', HOPS.click),
  step('mutation made', 'tab', HOPS.made),
  step('worker has it', 'worker', HOPS.swHas),
  step('durable in IndexedDB', 'worker', HOPS.durable),
];

/** A change from a click in one device to the frame that shows it in another (issue 13, "Measure each hop"). */
export const DEVICE_PATH: readonly PathStep[] = [
  ...DEVICE_A,
  step('on the wire', 'worker', HOPS.wire),
  step('server committed', 'server', 'committed'),
  step('fanned out', 'server', 'fanned-out'),
  step('other worker has it', 'workerB', HOPS.received),
  step('committed to its replica', 'workerB', HOPS.replica),
  step('other tab has it', 'tabB', HOPS.tabHas),
  step('other tab painted', 'tabB', HOPS.painted),
];

/** The same click to the frame that shows it in a second tab of the same device (the outbox broadcast). */
export const TAB_PATH: readonly PathStep[] = [
  ...DEVICE_A,
  step('tab 2 has it', 'tab2', HOPS.tabHas),
  step('tab 2 painted', 'tab2', HOPS.painted),
];

/** The one mutation the clicking tab made in these marks (the benchmark clicks once per edit). */
export function madeMutation(marks: RealmMarks): string {
  const made = marks.tab.filter((k) => k.hop === HOPS.made);
  if (made.length !== 1) throw new Error(`expected one mutation made in the clicking tab, found ${made.length}`);
  return made[0].m;
}

/** The time of each step of `path` for mutation `m` (the first mark of its hop in its realm); throws when one is missing. */
export function pathTimes(path: readonly PathStep[], marks: RealmMarks, m: string): { name: string; t: number }[] {
  return path.map((s) => {
    const found = marks[s.realm].find((k) => k.hop === s.hop && k.m === m);
    if (!found) throw new Error(`no "${s.hop}" mark for ${m} in ${s.realm} (step "${s.name}")`);
    return { name: s.name, t: found.t };
  });
}

/** Milliseconds of each hop, named "previous -> next", and the whole path as "total". */
export function hopDurations(times: readonly { name: string; t: number }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 1; i < times.length; i++) out[`${times[i - 1].name} -> ${times[i].name}`] = times[i].t - times[i - 1].t;
  out.total = times[times.length - 1].t - times[0].t;
  return out;
}

/** The browser realms of a traced two-device setup (the server's marks come from its output). */
export type BrowserRealms = Record<Exclude<TraceRealm, 'server'>, Page | Worker>;

/**
 * The marks of one click, taken from every realm and cleared there: taken again until the other device's
 * tab and the second tab have painted it (their mark comes a frame after the broadcast), up to `timeoutMs`.
 */
export async function takeClickTrace(realms: BrowserRealms, serverMarks: () => TraceMark[], timeoutMs = 5_000): Promise<RealmMarks> {
  const marks: RealmMarks = { tab: [], tab2: [], worker: [], server: [], workerB: [], tabB: [] };
  const painted = (l: TraceMark[]) => l.some((k) => k.hop === HOPS.painted);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const [name, realm] of Object.entries(realms)) marks[name as keyof BrowserRealms].push(...(await takeMarks(realm)));
    marks.server.push(...serverMarks());
    if (painted(marks.tabB) && painted(marks.tab2)) return marks;
    if (Date.now() > deadline) throw new Error(`no painted mark in ${painted(marks.tabB) ? 'tab 2' : 'the other device'} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
