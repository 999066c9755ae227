/**
 * Fieldboard-side setup for the browser benchmarks, through the server's public API only: a dashboard of
 * N widgets (made by `widget.create` pushes, like any client's), pushes, the server's own counts (its
 * SQLite file, opened read-only) and its Prometheus counters.
 */
import Database from 'better-sqlite3';
import {
  newClientId,
  newItemId,
  newMutationId,
  newWidgetId,
  type ClientId,
  type DashboardId,
  type Mutation,
  type MutationInput,
  type MutationResult,
  type WidgetId,
} from '../../protocol/index.ts';
import { apiDashboards, apiLogin, serverState, type ApiSession } from '../../tests/kit/api.ts';

/** The demo dashboard's counter, the widget every benchmark clicks. */
export const COUNTER_TITLE = 'Pumps';

export interface Board {
  session: ApiSession;
  dashboardId: DashboardId;
  counterId: WidgetId;
  widgets: number;
}

export async function push(session: ApiSession, clientId: ClientId, mutations: Mutation[]): Promise<MutationResult[]> {
  const r = await fetch(`${session.url}/api/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: session.url, cookie: session.cookie },
    body: JSON.stringify({ clientId, mutations }),
  });
  if (!r.ok) throw new Error(`push: HTTP ${r.status} ${await r.text()}`);
  return ((await r.json()) as { results: MutationResult[] }).results;
}

/** A mutation of this dashboard, stamped like a client stamps it. */
export function mutation(clientId: ClientId, dashboardId: DashboardId, input: MutationInput): Mutation {
  const now = Date.now();
  return { id: newMutationId(now), clientId, dashboardId, baseVersion: 0, createdAt: now, ...input } as Mutation;
}

/**
 * The demo dashboard filled up to `widgets` cards (counters, notes and checklists in turn, after the four
 * demo widgets), as a person would see it after a while of use.
 */
export async function prepareBoard(url: string, widgets: number): Promise<Board> {
  const session = await apiLogin(url);
  const [dashboard] = await apiDashboards(session);
  const existing = await serverState(session, dashboard.id);
  const counter = existing.find((w) => w.title === COUNTER_TITLE);
  if (!counter) throw new Error(`the demo dashboard has no "${COUNTER_TITLE}"`);
  const clientId = newClientId();
  const inputs: MutationInput[] = [];
  for (let i = existing.length; i < widgets; i++) {
    const widgetId = newWidgetId();
    const title = `Widget ${String(i).padStart(3, '0')}`;
    const position = `b${String(i).padStart(4, '0')}`;
    const kind = i % 3;
    if (kind === 0) inputs.push({ name: 'widget.create', args: { widgetId, kind: 'counter', title, position, value: i } });
    else if (kind === 1) inputs.push({ name: 'widget.create', args: { widgetId, kind: 'note', title, position, text: `Note ${i}: check the gauges.` } });
    else {
      const items = [0, 1, 2].map((k) => ({ id: newItemId(), text: `Item ${k}`, done: k === 0 }));
      inputs.push({ name: 'widget.create', args: { widgetId, kind: 'checklist', title, position, items } });
    }
  }
  for (let i = 0; i < inputs.length; i += 500) {
    const results = await push(session, clientId, inputs.slice(i, i + 500).map((m) => mutation(clientId, dashboard.id, m)));
    const bad = results.find((r) => r.status !== 'applied');
    if (bad) throw new Error(`seeding widgets failed: ${JSON.stringify(bad)}`);
  }
  return { session, dashboardId: dashboard.id, counterId: counter.id, widgets: Math.max(widgets, existing.length) };
}

export async function counterValue(board: Board): Promise<number> {
  const w = (await serverState(board.session, board.dashboardId)).find((x) => x.id === board.counterId);
  if (!w || w.kind !== 'counter') throw new Error('the counter is gone');
  return w.value;
}

/** The server's database, read-only, for counts while it runs (WAL: readers never block the writer). */
export function openServerDb(path: string): { appliedBy(clientId: string): number; close(): void } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const stmt = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM changes WHERE client_id = ?');
  return { appliedBy: (clientId) => stmt.get(clientId)!.n, close: () => db.close() };
}

/** `fieldboard_mutations_total{status="applied"}`: every applied answer, repeats of an id included. */
export async function appliedAnswers(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = text.match(/^fieldboard_mutations_total\{status="applied"\} (\d+)/m);
  return m ? Number(m[1]) : NaN;
}
