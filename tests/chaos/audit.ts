/**
 * The audit at the end of a chaos round: the server's SQLite file (opened read-only) held against the
 * ledger of what the devices' service workers accepted.
 *
 * - Every mutation a SW durably queued (answered `queued`, or seen in an outbox broadcast) has exactly one
 *   recorded result on the server (the `mutations` table), unless it never could: the outbox coalesced it
 *   (a later `widget.set`/`checklist.set` of the same client, widget, item and fields took its slot before
 *   it was ever sent), or a resolution of its widget replaced it before it was sent: a person's (restore,
 *   keep mine, keep theirs, edit: typing folds into a parked conflict, so an unsent edit can be part of
 *   one) or the policy's, or an automatic merge of a note (each said in the activity list).
 * - An applied mutation is in the change log exactly once, with the seq and version of its result; one
 *   that changed nothing (deleting a deleted widget, removing a removed item) points at the change that did.
 * - No mutation id appears twice in the change log; every id in it is the seed's or one the ledger knows.
 * - Every counter, replayed change by change from the mutations' own arguments (+delta, set value), has
 *   the value the server stored at each step and ends at the value the server reports.
 * - Every conflict the server recorded for a device was shown to a person: its card was on that device's
 *   conflicts view while it was parked, or the conflict policy resolved it and said so in the activity list.
 * - The server logged nothing at error level (pino level >= 50).
 */
import type { Mutation, MutationResult, Widget } from '../../protocol/index.ts';
import type { AuditRows, ChangeRow } from './audit-rows.ts';
import type { Ledger, MutationFacts } from './ledger.ts';

const SEED_CLIENT = 'c_server';

export interface AuditStats {
  known: number;
  applied: number;
  unchangedApplied: number;
  conflicts: number;
  conflictsShown: number;
  conflictsAuto: number;
  rejected: Record<string, number>;
  coalesced: number;
  droppedByResolution: number;
  /** Changes from mutations a worker made while its device had no page open (seen by no page). */
  madeWithNoPage: number;
  refusedByTheSw: number;
  unansweredNeverQueued: number;
  queuedReplyUnseen: number;
  swMade: number;
  changes: number;
  counters: number;
  serverErrors: number;
  serverWarnings: number;
}

export interface AuditResult {
  failures: string[];
  stats: AuditStats;
}

/** Fields a `widget.set`/`checklist.set` touches, as coalescing compares them (sw/outbox.ts). */
function slotKey(m: Mutation): string | null {
  if (m.name === 'widget.set') return `${m.args.widgetId} set ${Object.keys(m.args.patch).sort().join(',')}`;
  if (m.name === 'checklist.set') return `${m.args.widgetId} item ${m.args.itemId} ${Object.keys(m.args.patch).sort().join(',')}`;
  return null;
}

export function audit(args: { ledger: Ledger; rows: AuditRows; serverWidgets: Widget[]; serverLogs: string }): AuditResult {
  const { ledger } = args;
  const failures: string[] = [];
  const fail = (s: string) => {
    if (failures.length < 200) failures.push(s);
  };
  const stats: AuditStats = {
    known: 0,
    applied: 0,
    unchangedApplied: 0,
    conflicts: 0,
    conflictsShown: 0,
    conflictsAuto: 0,
    rejected: {},
    coalesced: 0,
    droppedByResolution: 0,
    madeWithNoPage: 0,
    refusedByTheSw: 0,
    unansweredNeverQueued: 0,
    queuedReplyUnseen: 0,
    swMade: 0,
    changes: 0,
    counters: 0,
    serverErrors: 0,
    serverWarnings: 0,
  };
  for (const a of ledger.anomalies) fail(`ledger: ${a}`);

  const { changes, results } = args.rows;
  stats.changes = changes.length;

  // The change log: ids unique, each one known.
  const changeOf = new Map<string, ChangeRow>();
  const bySeq = new Map<string, ChangeRow>();
  for (const c of changes) {
    bySeq.set(`${c.dashboard_id} ${c.seq}`, c);
    if (c.mutation_id === null) continue;
    if (changeOf.has(c.mutation_id)) fail(`mutation ${c.mutation_id} is in the change log twice (seq ${changeOf.get(c.mutation_id)!.seq} and ${c.seq})`);
    changeOf.set(c.mutation_id, c);
    if (c.client_id !== SEED_CLIENT && !ledger.mutations.has(c.mutation_id)) {
      // Made by a worker alone (a merge or a policy's re-issue while every tab of its device was closed):
      // no page could see it queued; it is still held to exactly once above.
      if (c.client_id !== null && ledger.hadNoPageAt(c.client_id, c.at)) stats.madeWithNoPage++;
      else fail(`change seq ${c.seq} comes from mutation ${c.mutation_id} (client ${c.client_id}) that no device queued`);
    }
  }

  // Coalescing: slots (device, order) that held more than one mutation id.
  const slots = new Map<string, MutationFacts[]>();
  for (const f of ledger.mutations.values()) {
    if (f.order === null) continue;
    const k = `${f.device} ${f.order}`;
    slots.set(k, [...(slots.get(k) ?? []), f]);
  }
  const coalescedBy = (f: MutationFacts): MutationFacts | null => {
    const key = slotKey(f.mutation);
    if (!key || f.sent || f.order === null) return null;
    const slot = slots.get(`${f.device} ${f.order}`) ?? [];
    return (
      slot.find(
        (g) =>
          g !== f &&
          g.firstSeen >= f.firstSeen &&
          g.mutation.clientId === f.mutation.clientId &&
          g.mutation.name === f.mutation.name &&
          slotKey(g.mutation) === key,
      ) ?? null
    );
  };
  const droppedByResolution = (f: MutationFacts): boolean => {
    if (f.sent) return false;
    const w = f.mutation.args.widgetId;
    const byPerson = ledger.resolves(f.device).some((r) => r.widgetId === w && r.ok !== false && r.at >= f.firstSeen);
    const byPolicy = ledger
      .activity(f.device)
      .some((a) => a.widgetId === w && (a.kind === 'auto-resolved' || a.kind === 'merged') && a.seenAt >= f.firstSeen);
    return byPerson || byPolicy;
  };

  // Conflicts the policy resolved or a merge settled, told in the activity list: an entry that names the
  // mutations it settled covers exactly those (one merge or policy answer can settle several conflicts of a
  // widget at once); one that names none covers one conflict of its device and widget.
  const autoResolved = new Map<string, number>();
  const settledByName = new Set<string>();
  for (const d of ledger.deviceNames()) {
    for (const a of ledger.activity(d)) {
      if (a.kind !== 'auto-resolved' && a.kind !== 'merged') continue;
      if (a.mutationIds) for (const id of a.mutationIds) settledByName.add(id);
      else autoResolved.set(`${d} ${a.widgetId}`, (autoResolved.get(`${d} ${a.widgetId}`) ?? 0) + 1);
    }
  }
  const conflictsNotShown = new Map<string, string[]>();

  for (const [id, f] of ledger.mutations) {
    const r = results.get(id);
    // The server holding it proves its SW queued it (a SW sends only from its outbox) when the page that
    // posted it went away before the answer: a tab closed right after a click, and the SW drained and
    // settled the entry before any page could see it. The exactly-once checks below still hold it.
    const gone = !f.accepted && !f.queued && f.refused === null && !!r && ledger.postedByAGoneDocument(id);
    const everQueued = f.accepted || f.queued || gone;
    if (!everQueued) {
      // Posted, never answered `queued` and never seen in the outbox.
      if (f.refused !== null) stats.refusedByTheSw++;
      else stats.unansweredNeverQueued++;
      if (r) fail(`mutation ${id} (${f.mutation.name}, ${f.device}) reached the server (${r.status}) but no service worker ever queued it`);
      continue;
    }
    stats.known++;
    if (!f.posted) stats.swMade++;
    // Queued, but its page never saw the answer (the tab reloaded or closed first): the SW still owes it.
    if (f.posted && !f.accepted) stats.queuedReplyUnseen++;
    if (!r) {
      if (coalescedBy(f)) stats.coalesced++;
      else if (droppedByResolution(f)) stats.droppedByResolution++;
      else
        fail(
          `mutation ${id} (${f.mutation.name} on ${f.mutation.args.widgetId}, ${f.device}, ${f.accepted ? 'answered queued' : 'seen queued'}${f.sent ? ', sent' : ''}) has no result on the server: lost`,
        );
      continue;
    }
    if (r.id !== id) fail(`mutation ${id} has the recorded result of ${r.id}`);
    switch (r.status) {
      case 'applied': {
        stats.applied++;
        const c = changeOf.get(id);
        if (c) {
          if (c.seq !== r.seq || c.version !== r.version) fail(`mutation ${id}: result says seq ${r.seq} v${r.version}, change log seq ${c.seq} v${c.version}`);
        } else {
          // Applied with no change of its own: a delete of a deleted widget or a remove of a removed item.
          stats.unchangedApplied++;
          const at = bySeq.get(`${f.mutation.dashboardId} ${r.seq}`);
          const ok =
            at &&
            at.widget_id === f.mutation.args.widgetId &&
            at.version === r.version &&
            (f.mutation.name === 'widget.delete' || f.mutation.name === 'checklist.remove');
          if (!ok) fail(`mutation ${id} (${f.mutation.name}) is applied but has no change in the log, and seq ${r.seq} does not explain it`);
        }
        break;
      }
      case 'conflict': {
        stats.conflicts++;
        // Typing into a parked conflict folds into its slot under a new id: the card showed that id.
        const slotShown = f.order !== null && (slots.get(`${f.device} ${f.order}`) ?? []).some((g) => g.shown && g.firstSeen >= f.firstSeen);
        if (f.shown || slotShown) stats.conflictsShown++;
        else {
          const k = `${f.device} ${f.mutation.args.widgetId}`;
          conflictsNotShown.set(k, [...(conflictsNotShown.get(k) ?? []), id]);
        }
        if (changeOf.has(id)) fail(`mutation ${id} is a recorded conflict but also in the change log`);
        break;
      }
      case 'rejected':
        stats.rejected[r.code] = (stats.rejected[r.code] ?? 0) + 1;
        fail(`mutation ${id} (${f.mutation.name} by ${f.device} through the UI) was rejected: ${r.code}: ${r.message}`);
        if (changeOf.has(id)) fail(`mutation ${id} is rejected but also in the change log`);
        break;
    }
  }
  for (const [k, all] of conflictsNotShown) {
    const ids = all.filter((id) => !settledByName.has(id));
    stats.conflictsAuto += all.length - ids.length;
    const auto = autoResolved.get(k) ?? 0;
    stats.conflictsAuto += Math.min(auto, ids.length);
    if (ids.length > auto) {
      fail(`${ids.length - auto} conflict(s) recorded by the server for ${k} reached neither a conflicts view nor the activity list: ${ids.join(', ')}`);
    }
  }

  // Counters, replayed from the mutations' own arguments.
  const finalById = new Map(args.serverWidgets.map((w) => [w.id, w]));
  const counterIds = new Set<string>();
  for (const c of changes) {
    if (c.widget && (JSON.parse(c.widget) as Widget).kind === 'counter') counterIds.add(`${c.dashboard_id} ${c.widget_id}`);
  }
  stats.counters = counterIds.size;
  for (const key of counterIds) {
    const [dashboardId, widgetId] = key.split(' ');
    let value: number | null = null;
    let deleted = false;
    for (const c of changes) {
      if (c.dashboard_id !== dashboardId || c.widget_id !== widgetId) continue;
      const w = c.widget ? (JSON.parse(c.widget) as Widget) : null;
      if (!w) {
        deleted = true;
        continue;
      }
      if (w.kind !== 'counter') continue;
      const m = c.mutation_id ? ledger.mutations.get(c.mutation_id)?.mutation : undefined;
      let expected: number | null = value;
      if (c.client_id === SEED_CLIENT) expected = w.value;
      else if (!m) expected = null;
      else if (m.name === 'widget.create') expected = m.args.value ?? 0;
      else if (m.name === 'counter.add') expected = value === null ? null : value + m.args.delta;
      else if (m.name === 'widget.set' && m.args.patch.value !== undefined) expected = m.args.patch.value;
      if (expected === null || w.value !== expected) {
        fail(`counter ${widgetId} at seq ${c.seq}: stored ${w.value}, but its mutation ${c.mutation_id} (${m?.name ?? 'unknown'}) makes it ${expected}`);
      }
      value = w.value;
    }
    const final = finalById.get(widgetId as Widget['id']);
    if (!deleted && final && (final.kind !== 'counter' || final.value !== value)) {
      fail(`counter ${widgetId}: the change log ends at ${value}, the server reports ${JSON.stringify(final.kind === 'counter' ? final.value : final.kind)}`);
    }
  }

  // Nothing logged at error level. Every server logs at least that it listens: logs with no record read
  // mean the audit cannot see errors (a prefix or a format change), which must fail, not pass.
  let records = 0;
  for (const line of args.serverLogs.split('\n')) {
    if (!line.startsWith('{')) continue;
    let rec: { level?: number; msg?: string };
    try {
      rec = JSON.parse(line) as { level?: number; msg?: string };
    } catch {
      continue;
    }
    records++;
    if ((rec.level ?? 0) >= 50) {
      stats.serverErrors++;
      fail(`server logged an error: ${line.slice(0, 500)}`);
    } else if ((rec.level ?? 0) >= 40) stats.serverWarnings++;
  }
  if (records === 0) fail('the server logs hold no JSON log record: the audit cannot see logged errors');
  return { failures, stats };
}
