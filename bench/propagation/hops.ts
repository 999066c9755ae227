/**
 * The propagation benchmark's hop breakdown (docs/testing.md, "The hop trace"): after each of Fieldboard's
 * edits the trace marks of the two tabs of device A, its worker, the server, device B's worker and tab are
 * taken, and the edit's path is cut into hops (tests/kit/trace.ts). Printed as the median of each hop
 * beside the totals, so a change to the hot path shows where its time went.
 */
import type { BrowserContext, Page } from '@playwright/test';
import type { KitServer } from '../../tests/kit/server.ts';
import {
  DEVICE_PATH,
  TAB_PATH,
  hopDurations,
  madeMutation,
  pathTimes,
  serverTraceReader,
  serviceWorkerOf,
  takeClickTrace,
  takeMarks,
} from '../../tests/kit/trace.ts';
import { row, type Row } from '../lib/report.ts';
import { round, summarize } from '../lib/stats.ts';

/** One edit's hops in milliseconds, named "from -> to", plus "total", for each path. */
export interface HopSamples {
  device: Record<string, number>;
  tab: Record<string, number>;
}

interface ThreeTabs {
  a1: Page;
  a2: Page;
  b: Page;
}

/** The tabs with `trace`, which takes (and clears) the last click's marks everywhere and cuts them into hops. */
export async function tracedTabs<T extends ThreeTabs>(
  tabs: T,
  a: BrowserContext,
  b: BrowserContext,
  server: KitServer,
): Promise<T & { trace: () => Promise<HopSamples> }> {
  const realms = { tab: tabs.a1, tab2: tabs.a2, worker: serviceWorkerOf(a), workerB: serviceWorkerOf(b), tabB: tabs.b };
  const serverMarks = serverTraceReader(server);
  for (const realm of Object.values(realms)) await takeMarks(realm); // sign-in and first paint: no edit's
  serverMarks();
  return {
    ...tabs,
    async trace() {
      const marks = await takeClickTrace(realms, serverMarks);
      const m = madeMutation(marks);
      return { device: hopDurations(pathTimes(DEVICE_PATH, marks, m)), tab: hopDurations(pathTimes(TAB_PATH, marks, m)) };
    },
  };
}

type Summary = ReturnType<typeof summarize>;

export function summarizeHops(samples: HopSamples[]): { device: Record<string, Summary>; tab: Record<string, Summary> } {
  const of = (path: keyof HopSamples) =>
    Object.fromEntries(Object.keys(samples[0]?.[path] ?? {}).map((hop) => [hop, summarize(samples.map((s) => s[path][hop]))]));
  return { device: of('device'), tab: of('tab') };
}

/** One row per hop, its p50 in ms; no peer (a relay has no such hops). "total" is the trace's own, a check on the probe's. */
export function hopRows(label: string, hops: ReturnType<typeof summarizeHops>): Row[] {
  const rows = (path: string, of: Record<string, Summary>) =>
    Object.entries(of).map(([hop, s]) => row(label, `${path} p50: ${hop}`, 'ms', true, round(s.p50, 2), '', NaN, '', null));
  return [...rows('A -> device B hop', hops.device), ...rows('A -> tab 2 hop', hops.tab)];
}
