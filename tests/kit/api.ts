/**
 * The server's truth, read through its HTTP API the way any client would: what a convergence test compares
 * every tab's view against.
 */
import { HealthResponseSchema, parse, type DashboardSummary, type HealthResponse, type Widget } from '../../protocol/index.ts';

export interface ApiSession {
  url: string;
  cookie: string;
}

/** `origin` defaults to the server's own; pass another allowed one when FIELDBOARD_ALLOWED_ORIGINS names it. */
export async function apiLogin(url: string, username = 'demo', password = 'demo', origin = url): Promise<ApiSession> {
  const r = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ username, password }),
  });
  if (r.status !== 204) throw new Error(`login as ${username} failed: HTTP ${r.status}`);
  const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0];
  return { url, cookie };
}

async function getJson<T>(s: ApiSession, path: string): Promise<T> {
  const r = await fetch(`${s.url}${path}`, { headers: { cookie: s.cookie } });
  if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

export async function apiDashboards(s: ApiSession): Promise<DashboardSummary[]> {
  return (await getJson<{ dashboards: DashboardSummary[] }>(s, '/api/dashboards')).dashboards;
}

/** Every live widget of a dashboard as the server holds it, sorted by id. */
export async function serverState(s: ApiSession, dashboardId: string): Promise<Widget[]> {
  // A foreign epoch always gets a reset: the whole current state in one answer.
  const body = await getJson<{ reset?: { widgets: Widget[] } }>(
    s,
    `/api/pull?dashboardId=${encodeURIComponent(dashboardId)}&cursor=0&epoch=kit-snapshot`,
  );
  if (!body.reset) throw new Error('expected a reset snapshot from /api/pull');
  return body.reset.widgets.slice().sort((a, b) => a.id.localeCompare(b.id));
}

/** The server's health, read with the protocol's schema (a server answering otherwise fails the call). */
export async function apiHealth(url: string): Promise<HealthResponse> {
  const r = await fetch(`${url}/api/health`);
  const body = parse(HealthResponseSchema, await r.json());
  if (!body.ok) throw new Error(`unexpected /api/health answer: ${body.message}`);
  return body.value;
}
