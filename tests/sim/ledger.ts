/**
 * What each device's people did and what its service worker said, kept from the outside: the tab commands
 * the sim posts, their replies, and the worker's `outbox` and `activity` broadcasts (every broadcast
 * describes something committed, sw/engine.ts). The checks (invariants.ts) hold the server to it.
 *
 * Per mutation id: its body, whether a person made it (`person`) or the engine did (keep mine, restore,
 * a policy or a merge), whether the worker answered `queued`, what version of its fields the person had
 * seen when the edit began (`seen`), and how it left the outbox: under which cause (world.ts `cause`:
 * `person:*` for a person's command, else an event such as a frame or an answer), and whether an entry of
 * the same `order` took its place in the same broadcast (a coalesce, or a keep-mine re-issue).
 */
import type { Mutation } from '../../protocol/index.ts';
import type { ActivityEntry, OutboxEntry, Reply, SwBroadcast } from '../../contract/index.ts';
import type { Device } from './device.ts';
import type { World } from './world.ts';

export interface MutInfo {
  id: string;
  device: string;
  mutation: Mutation;
  person: boolean;
  queued: boolean;
  /** The worker answered it (queued or refused); false while its tab still posts it again. */
  answered: boolean;
  /** Its tab closed before the worker answered (the browser may drop what it had not taken). */
  tabClosed: boolean;
  /** Version of the widget the person had seen for this edit's fields; null: not an edit, or not known. */
  seen: number | null;
  order: number | null;
  removedCause: string | null;
  replacedBy: string | null;
  everConflict: boolean;
}

interface Decision {
  widgetId: string;
  seen: number;
}

export class Ledger {
  readonly muts = new Map<string, MutInfo>();
  readonly activity: { device: string; entry: ActivityEntry }[] = [];
  private readonly last = new Map<string, Map<string, OutboxEntry>>();
  /** A person's resolve now running: new entries it makes inherit what the person saw. */
  private decision = new Map<string, Decision>();

  constructor(private readonly world: World) {}

  /** A person posted a mutation; `seen` is the version the edit began from (for edits). */
  submitted(device: string, mutation: Mutation, seen: number | null): void {
    this.muts.set(mutation.id, {
      id: mutation.id,
      device,
      mutation,
      person: true,
      queued: false,
      answered: false,
      tabClosed: false,
      seen,
      order: null,
      removedCause: null,
      replacedBy: null,
      everConflict: false,
    });
  }

  replied(id: string, r: { ok: boolean }): void {
    const m = this.muts.get(id);
    if (!m) return;
    m.answered = true;
    if (r.ok) m.queued = true;
  }

  /** A device's tab closed: what it still waited for may be gone. */
  tabClosed(device: string): void {
    for (const m of this.muts.values()) if (m.device === device && m.person && !m.answered) m.tabClosed = true;
  }

  /** A tab showed this entry parked in conflict (read from IndexedDB: the worker may not have broadcast it). */
  sawParked(id: string): void {
    const m = this.muts.get(id);
    if (m) m.everConflict = true;
  }

  /** A person is about to resolve a conflict of `widgetId` having seen `seen`. */
  deciding(device: string, d: Decision | null): void {
    if (d) this.decision.set(device, d);
    else this.decision.delete(device);
  }

  broadcast(device: Device, b: SwBroadcast): void {
    if (b.type === 'activity') {
      this.activity.push({ device: device.name, entry: b.entry });
      this.world.log(`${device.name} activity ${b.entry.kind}: ${b.entry.message}`);
      return;
    }
    if (b.type !== 'outbox') return;
    const prev = this.last.get(device.name) ?? new Map<string, OutboxEntry>();
    // The outbox after this broadcast: a delta folded on the last one, or whole (`from: null`).
    const next = b.from === null ? new Map<string, OutboxEntry>() : new Map(prev);
    for (const id of b.removed) next.delete(id);
    for (const e of b.upserted) next.set(e.mutation.id, e);
    const entries = [...next.values()];
    const byOrder = new Map(entries.map((e) => [e.order, e.mutation.id as string]));
    const cause = this.world.cause;
    for (const e of b.upserted) {
      const id = e.mutation.id as string;
      let m = this.muts.get(id);
      if (!m) {
        const d = this.decision.get(device.name);
        const fromDecision = cause.startsWith(`person:resolve ${device.name}`) && d && d.widgetId === e.mutation.args.widgetId;
        m = {
          id,
          device: device.name,
          mutation: e.mutation,
          person: false,
          queued: true,
          answered: true,
          tabClosed: false,
          seen: fromDecision ? d.seen : null,
          order: e.order,
          removedCause: null,
          replacedBy: null,
          everConflict: false,
        };
        this.muts.set(id, m);
        this.world.log(`${device.name} engine made ${id} ${e.mutation.name} (${cause})`);
      }
      m.mutation = e.mutation;
      m.order = e.order;
      if (e.state === 'conflict') m.everConflict = true;
    }
    for (const [id, e] of prev) {
      if (next.has(id)) continue;
      const m = this.muts.get(id);
      if (!m || m.removedCause !== null) continue;
      m.removedCause = cause;
      const fresh = (x: OutboxEntry) => !prev.has(x.mutation.id);
      const sameWidget = (x: OutboxEntry) => fresh(x) && x.mutation.args.widgetId === e.mutation.args.widgetId;
      const restore = (x: OutboxEntry) => fresh(x) && x.mutation.name === 'widget.create' && !this.muts.get(x.mutation.id)?.person;
      // The entry that took its place: same order (a coalesce, keep mine), else a new one of the same widget
      // in the same commit (a merge that folded several entries into one), else a restore (a widget.create
      // the engine made, under a new widget id, replaying every entry of the deleted widget).
      const heir = byOrder.get(e.order) ?? (entries.find(sameWidget) ?? entries.find(restore))?.mutation.id;
      if (heir && heir !== id && !prev.has(heir)) {
        m.replacedBy = heir;
        const h = this.muts.get(heir);
        // A coalesced edit keeps the earliest of what was seen (the person saw their own earlier value).
        if (h && cause.startsWith('person:') && !cause.startsWith('person:resolve')) {
          h.seen = h.seen === null ? m.seen : m.seen === null ? h.seen : Math.min(h.seen, m.seen);
        }
      }
    }
    this.last.set(device.name, next);
  }
}
