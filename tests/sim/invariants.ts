/**
 * The checks after a healed run (everything online, no fault, quiet). Each finding names its kind; a run
 * passes with none.
 *
 * - `stuck`: no device ends with an outbox entry (none `sending`, none waiting: the heal answered every
 *   conflict and retried).
 * - `lost`: every mutation a device answered `queued` (and every one its engine made: keep mine, restore,
 *   a merge) has a result on the server, or left the outbox for a reason: coalesced into a later edit,
 *   folded into one the engine made in its place (a merge), or removed by a person's discard / keep theirs.
 * - `unanswered`: every mutation a person made was answered by the worker (queued or refused), unless its
 *   tab closed first: a worker that stops before answering must not lose a click (the tab posts it again).
 * - `twice`: no mutation id has two changes in the server's log.
 * - `diverged`: every device's replica (live widgets and cursor) equals the server's snapshot.
 * - `counter`: each counter equals its creation value plus the deltas of the adds the server applied
 *   (a `widget.set` of the value restarts the sum), reading each delta from what the device sent.
 * - `overwrite`: a `widget.set` / `checklist.set` the server applied never replaced a value that another
 *   client had written after the version the person saw when the edit began (ledger.ts `seen`): that is
 *   a lost update, which must have been a conflict.
 * - `engine-error`: a live engine logged a failure (a frame or a drain that threw).
 * - `untold`: a mutation the server rejected is told to its person (a `rejected` entry of its widget in its
 *   device's activity list in IndexedDB), and one it answered with a conflict was parked (itself, or the
 *   later edit folded into it), merged or resolved by the policy (`merged`, `auto-resolved`): no conflict or
 *   rejection is dropped silently.
 * - `storm`: no device pushes more than STORM_MAX times within a minute into a server that is down or
 *   shutting down (retries must back off, however they are triggered).
 *
 * And once mid-heal (`checkFollowing`: faults over for 45 s, conflicts still parked, nobody typing):
 * - `stale`: every device's replica already equals the server, parked conflicts or not (issue 10's "a note
 *   with a parked conflict stops following the server").
 * - `undrained`: nothing is left in an outbox but parked conflicts and the entries of their widgets held
 *   behind them (everything sendable was sent).
 */
import { touchedFields, type Change, type DashboardId, type Widget } from '../../protocol/index.ts';
import { type ActivityEntry } from '../../contract/index.ts';
import type { Device } from './device.ts';
import type { Ledger } from './ledger.ts';
import type { SimServer } from './server.ts';

export interface Finding {
  kind: string;
  detail: string;
}

export interface CheckInput {
  server: SimServer;
  devices: Map<string, Device>;
  ledger: Ledger;
  dashboardId: DashboardId;
}

const ENGINE_FAILURES = /failed|threw|bad frame/;

export const STORM_MAX = 30;

export function storms(futile: Map<string, number[]>): Finding[] {
  const out: Finding[] = [];
  for (const [dev, times] of futile) {
    for (let i = 0, j = 0; j < times.length; j++) {
      while (times[j] - times[i] > 60_000) i++;
      if (j - i + 1 > STORM_MAX) {
        out.push({ kind: 'storm', detail: `${dev} pushed ${j - i + 1} times within ${Math.round((times[j] - times[i]) / 1000)} s into a server that was down or shutting down (from t=${times[i] - 1_000_000} ms)` });
        break;
      }
    }
  }
  return out;
}

export async function check({ server, devices, ledger, dashboardId }: CheckInput): Promise<Finding[]> {
  const out: Finding[] = [];
  const snap = await server.snapshot(dashboardId);
  const changes = server.changes(dashboardId);
  const results = server.results();
  const left = new Set<string>();

  for (const dev of devices.values()) {
    for (const e of await dev.outbox()) {
      left.add(e.mutation.id);
      out.push({ kind: 'stuck', detail: `${dev.name} ends with ${e.mutation.id} (${e.mutation.name} on ${e.mutation.args.widgetId}) ${e.state}, ${e.attempts} attempts, last error ${e.lastError}` });
    }
    const rep = await dev.replica(dashboardId);
    const want = JSON.stringify([...snap.widgets].sort((a, b) => (a.id < b.id ? -1 : 1)));
    if (JSON.stringify(rep.widgets) !== want || rep.cursor !== snap.seq) {
      out.push({ kind: 'diverged', detail: `${dev.name} replica (cursor ${rep.cursor}) differs from the server (seq ${snap.seq}): ${diff(rep.widgets, snap.widgets)}` });
    }
    for (const line of dev.logs) if (ENGINE_FAILURES.test(line)) out.push({ kind: 'engine-error', detail: `${dev.name}: ${line}` });
  }

  const perId = new Map<string, number>();
  for (const c of changes) if (c.mutationId) perId.set(c.mutationId, (perId.get(c.mutationId) ?? 0) + 1);
  for (const [id, n] of perId) if (n > 1) out.push({ kind: 'twice', detail: `${id} has ${n} changes in the log` });

  for (const m of ledger.muts.values()) {
    if (m.person && !m.answered && !m.tabClosed) {
      out.push({ kind: 'unanswered', detail: `${m.id} (${m.mutation.name} on ${m.mutation.args.widgetId}, ${m.device}) was never answered by the worker` });
    }
    if (!m.queued || results.has(m.id) || left.has(m.id)) continue;
    const cause = m.removedCause ?? '(never left the outbox?)';
    const byPerson = cause.startsWith('person:resolve');
    const coalesced = cause.startsWith('person:') && m.replacedBy !== null;
    // Folded into a mutation the engine made in its place (a merge, local-wins): that one is checked too.
    const reissued = m.replacedBy !== null && ledger.muts.get(m.replacedBy)?.person === false;
    if (byPerson || coalesced || reissued) continue;
    out.push({
      kind: 'lost',
      detail: `${m.id} (${m.mutation.name} on ${m.mutation.args.widgetId}, ${m.device}, ${m.person ? 'answered queued' : 'made by the engine'}) has no result on the server; it left the outbox under "${cause}"${m.replacedBy ? ` replaced by ${m.replacedBy}` : ''}`,
    });
  }

  const activity = new Map<string, ActivityEntry[]>();
  for (const dev of devices.values()) activity.set(dev.name, await dev.activity());
  for (const m of ledger.muts.values()) {
    const r = results.get(m.id);
    if (!r || (r.status !== 'rejected' && r.status !== 'conflict')) continue;
    const told = (kinds: string[]) => (activity.get(m.device) ?? []).some((a) => a.widgetId === m.mutation.args.widgetId && kinds.includes(a.kind));
    if (r.status === 'rejected' && !told(['rejected'])) {
      out.push({ kind: 'untold', detail: `${m.id} (${m.mutation.name} on ${m.mutation.args.widgetId}, ${m.device}) was rejected (${r.code}: ${r.message}) and its person was never told` });
    }
    // Parked, possibly under the id of a later edit folded into it (a worker that died before broadcasting the park).
    let parked = false;
    for (let x: typeof m | undefined = m, n = 0; x && n < 50 && !parked; x = x.replacedBy ? ledger.muts.get(x.replacedBy) : undefined, n++) parked = x.everConflict;
    if (r.status === 'conflict' && !parked && !told(['merged', 'auto-resolved'])) {
      out.push({ kind: 'untold', detail: `${m.id} (${m.mutation.name} on ${m.mutation.args.widgetId}, ${m.device}) got a conflict that was never parked, merged or resolved by the policy` });
    }
  }

  out.push(...counters(snap.widgets, changes, ledger));
  out.push(...overwrites(changes, ledger));
  return out;
}

export async function checkFollowing({ server, devices, dashboardId }: Omit<CheckInput, 'ledger'>): Promise<Finding[]> {
  const out: Finding[] = [];
  const snap = await server.snapshot(dashboardId);
  const want = JSON.stringify([...snap.widgets].sort((a, b) => (a.id < b.id ? -1 : 1)));
  for (const dev of devices.values()) {
    const rep = await dev.replica(dashboardId);
    if (JSON.stringify(rep.widgets) !== want) {
      out.push({ kind: 'stale', detail: `${dev.name} replica (cursor ${rep.cursor}) does not follow the server (seq ${snap.seq}) 45 s after the faults ended: ${diff(rep.widgets, snap.widgets)}` });
    }
    const parked = new Set<string>();
    for (const e of await dev.outbox()) {
      const w = e.mutation.args.widgetId;
      if (e.state === 'conflict') parked.add(w);
      else if (!parked.has(w)) {
        out.push({ kind: 'undrained', detail: `${dev.name} still holds ${e.mutation.id} (${e.mutation.name} on ${w}) ${e.state} after ${e.attempts} attempts (last error ${e.lastError}) 45 s after the faults ended` });
      }
    }
  }
  return out;
}

function diff(a: Widget[], b: Widget[]): string {
  const ids = new Set([...a, ...b].map((w) => w.id));
  const parts: string[] = [];
  for (const id of ids) {
    const x = JSON.stringify(a.find((w) => w.id === id) ?? null);
    const y = JSON.stringify(b.find((w) => w.id === id) ?? null);
    if (x !== y) parts.push(`${id}: device ${x} server ${y}`);
  }
  return parts.join('; ');
}

function counters(widgets: Widget[], changes: Change[], ledger: Ledger): Finding[] {
  const out: Finding[] = [];
  for (const w of widgets) {
    if (w.kind !== 'counter') continue;
    let value: number | null = null;
    for (const c of changes) {
      if (c.widgetId !== w.id) continue;
      const m = c.mutationId ? ledger.muts.get(c.mutationId)?.mutation : undefined;
      if (m?.name === 'counter.add') value = (value ?? 0) + m.args.delta;
      else if (m?.name === 'widget.set' && m.args.patch.value !== undefined) value = m.args.patch.value;
      else if (m?.name === 'widget.create') value = m.args.value ?? 0;
      else if (!m && c.version === 1 && c.widget?.kind === 'counter') value = c.widget.value;
    }
    if (value !== w.value) out.push({ kind: 'counter', detail: `${w.id} is ${w.value} on the server but its applied changes add up to ${value}` });
  }
  return out;
}

function fieldValue(w: Widget | null | undefined, field: string): string {
  if (!w) return 'gone';
  if (field.startsWith('items.')) {
    const [, itemId, prop] = field.split('.');
    const item = w.kind === 'checklist' ? w.items.find((i) => i.id === itemId) : undefined;
    return JSON.stringify(item ? item[prop as 'text' | 'done'] : undefined);
  }
  return JSON.stringify((w as Record<string, unknown>)[field]);
}

/**
 * Was the value written at `v` deliberately replaced before `until` by an overwrite whose person had seen it
 * (a keep mine, or a later edit that began after it)? Then a later edit does not lose it.
 */
function covered(versions: Map<number, Change>, ledger: Ledger, field: string, v: number, until: number): boolean {
  for (let u = v + 1; u < until; u++) {
    const id = versions.get(u)?.mutationId;
    const m = id ? ledger.muts.get(id) : undefined;
    if (!m || m.seen === null || m.seen < v) continue;
    if ((m.mutation.name === 'widget.set' || m.mutation.name === 'checklist.set') && touchedFields(m.mutation).includes(field)) return true;
  }
  return false;
}

/** Why the server let it through: a change of the same client after `v` made the field's stamp its own. */
function restamp(versions: Map<number, Change>, ledger: Ledger, c: Change, field: string, v: number): string {
  for (let u = c.version - 1; u > v; u--) {
    const x = versions.get(u);
    if (!x || x.clientId !== c.clientId || fieldValue(versions.get(u - 1)?.widget, field) === fieldValue(x.widget, field)) continue;
    const m = x.mutationId ? ledger.muts.get(x.mutationId) : undefined;
    const what = m ? `${m.mutation.name}${m.person ? '' : ', made by the engine'}` : 'unknown';
    return `; the field's stamp was this client's own v${u} (${x.mutationId}: ${what})`;
  }
  return '';
}

function overwrites(changes: Change[], ledger: Ledger): Finding[] {
  const out: Finding[] = [];
  const byWidget = new Map<string, Map<number, Change>>();
  for (const c of changes) {
    if (!byWidget.has(c.widgetId)) byWidget.set(c.widgetId, new Map());
    byWidget.get(c.widgetId)!.set(c.version, c);
  }
  for (const c of changes) {
    const m = c.mutationId ? ledger.muts.get(c.mutationId) : undefined;
    if (!m || m.seen === null) continue;
    if (m.mutation.name !== 'widget.set' && m.mutation.name !== 'checklist.set') continue;
    const versions = byWidget.get(c.widgetId)!;
    for (const field of touchedFields(m.mutation)) {
      for (let v = m.seen + 1; v < c.version; v++) {
        const other = versions.get(v);
        if (!other || other.clientId === c.clientId) continue;
        const after = fieldValue(other.widget, field);
        if (fieldValue(versions.get(v - 1)?.widget, field) === after) continue;
        if (covered(versions, ledger, field, v, c.version)) continue;
        const own = restamp(versions, ledger, c, field, v);
        out.push({
          kind: 'overwrite',
          detail: `${m.id} (${m.device}, ${m.person ? 'a person' : 'the engine'}) set ${field} of ${c.widgetId} at v${c.version} on base v${m.mutation.baseVersion}, but its person had seen v${m.seen}: it replaced ${after} written at v${v} by ${other.clientId} (${other.mutationId}) without a conflict${own}`,
        });
        break;
      }
    }
  }
  return out;
}
