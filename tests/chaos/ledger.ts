/**
 * The chaos run's ledger: what each device's service worker accepted, seen from the pages without touching
 * the app. An init script in every page of a device (browser context) wraps `ServiceWorker.prototype
 * .postMessage` to see the tab's `mutate` and `resolve` commands, listens for the SW's `reply` messages
 * (contract/tab-messages.ts: `{ type: 'reply', requestId, ok, data }`, `data.entry` for a mutate), and
 * follows the SW's BroadcastChannel (`outbox` and `activity` broadcasts), reporting each through
 * `context.exposeBinding`. The audit (audit.ts) then holds the server to every id in here.
 *
 * Facts kept per mutation id: which device, its outbox `order` (a coalesced mutation takes the `order` of
 * the one it replaced, sw/outbox.ts), whether the SW answered `queued`, whether it was ever sent (an entry
 * with attempts > 0 or a state other than `queued`), and whether it was parked in conflict.
 */
import type { BrowserContext, Page } from '@playwright/test';
import type { Mutation } from '../../protocol/index.ts';
import type { ActivityEntry } from '../../contract/index.ts';

export const LEDGER_BINDING = '__fieldboardChaosLedger';

export interface SeenEntry {
  mutation: Mutation;
  state: string;
  order: number;
  attempts: number;
  conflict?: { fields: string[]; serverNull: boolean; serverTitle: string | null; baseTitle: string | null };
}

export type PageEvent =
  | { t: 'post'; requestId: string; mutation: Mutation }
  | { t: 'resolve'; requestId: string; dashboardId: string; widgetId: string; keep: string }
  | { t: 'policy'; requestId: string; policy: string }
  | { t: 'reply'; requestId: string; ok: boolean; error?: string; entry?: { id: string; order: number } }
  /** An outbox broadcast: a delta (`from` a generation) or the whole outbox (`from: null`). */
  | { t: 'outbox'; swInstance: string; seq: number; from: number | null; upserted: SeenEntry[]; removed: string[] }
  | { t: 'activity'; swInstance: string; seq: number; entry: ActivityEntry };

/**
 * Runs in every page of a device before the app's own scripts (context.addInitScript). Self-contained:
 * Playwright serialises it. Reports are fire-and-forget; a page closing mid-report loses nothing the
 * other sources (the next outbox broadcast) do not repeat.
 */
export function ledgerInitScript(binding: string): void {
  if (!/^https?:$/.test(location.protocol) || !('serviceWorker' in navigator)) return;
  const w = window as unknown as Record<string, unknown>;
  const report = (e: unknown) => {
    const f = w[binding];
    if (typeof f !== 'function') return;
    try {
      const p = (f as (e: unknown) => Promise<unknown>)(e);
      if (p && typeof p.catch === 'function') p.catch(() => {});
    } catch {
      /* page going away */
    }
  };
  const watched = new Set<string>();
  const original = ServiceWorker.prototype.postMessage;
  ServiceWorker.prototype.postMessage = function (this: ServiceWorker, message: unknown, ...rest: unknown[]) {
    try {
      const m = message as Record<string, unknown> | null;
      if (m && m.type === 'mutate') {
        watched.add(String(m.requestId));
        report({ t: 'post', requestId: m.requestId, mutation: m.mutation });
      } else if (m && m.type === 'resolve') {
        watched.add(String(m.requestId));
        const r = m.resolution as { keep: string };
        report({ t: 'resolve', requestId: m.requestId, dashboardId: m.dashboardId, widgetId: m.widgetId, keep: r.keep });
      } else if (m && m.type === 'set-policy') {
        watched.add(String(m.requestId));
        report({ t: 'policy', requestId: m.requestId, policy: m.policy });
      }
    } catch {
      /* never break the app */
    }
    return (original as (...a: unknown[]) => void).call(this, message, ...rest);
  } as typeof ServiceWorker.prototype.postMessage;

  navigator.serviceWorker.addEventListener('message', (e) => {
    const d = e.data as { type?: string; requestId?: string; ok?: boolean; error?: string; data?: { entry?: { mutation: { id: string }; order: number } } } | null;
    if (!d || d.type !== 'reply' || !d.requestId || !watched.has(d.requestId)) return;
    watched.delete(d.requestId);
    const entry = d.data?.entry;
    report({ t: 'reply', requestId: d.requestId, ok: d.ok === true, error: d.error, entry: entry ? { id: entry.mutation.id, order: entry.order } : undefined });
  });

  const channel = new BroadcastChannel('fieldboard');
  channel.addEventListener('message', (e) => {
    const m = e.data as { type?: string; swInstance?: string; seq?: number; from?: number | null; upserted?: unknown[]; removed?: string[]; entry?: unknown } | null;
    if (!m) return;
    if (m.type === 'outbox' && Array.isArray(m.upserted)) {
      const upserted = m.upserted.map((raw) => {
        const x = raw as {
          mutation: unknown;
          state: string;
          order: number;
          attempts: number;
          conflict?: { fields: string[]; server: { title?: string } | null; base: { title?: string } | null };
        };
        return {
          mutation: x.mutation,
          state: x.state,
          order: x.order,
          attempts: x.attempts,
          conflict: x.conflict
            ? {
                fields: x.conflict.fields,
                serverNull: x.conflict.server === null,
                serverTitle: x.conflict.server?.title ?? null,
                baseTitle: x.conflict.base?.title ?? null,
              }
            : undefined,
        };
      });
      report({ t: 'outbox', swInstance: m.swInstance, seq: m.seq, from: m.from ?? null, upserted, removed: m.removed ?? [] });
    } else if (m.type === 'activity') {
      report({ t: 'activity', swInstance: m.swInstance, seq: m.seq, entry: m.entry });
    }
  });
}

export interface MutationFacts {
  mutation: Mutation;
  device: string;
  /** The outbox slot (sw/outbox.ts `order`); a coalescing mutation takes its predecessor's. */
  order: number | null;
  /** The SW answered `queued` to the page that posted it. */
  accepted: boolean;
  /** The page posted it (false: the SW made it, e.g. "Keep mine" or local-wins re-issues). */
  posted: boolean;
  /** The SW answered the post with ok false (the page told the person it was not saved). */
  refused: string | null;
  /** Seen in an outbox broadcast: durably queued. */
  queued: boolean;
  /** Ever seen with attempts > 0 or a state other than `queued`: it may have reached the server. */
  sent: boolean;
  /** Ever seen parked in `conflict`. */
  parked: boolean;
  /** A conflicts view showed a card for its widget while it was parked. */
  shown: boolean;
  /** When the ledger first heard of it (ms since the run began), to order coalescing. */
  firstSeen: number;
}

interface DeviceLedger {
  name: string;
  outbox: { swInstance: string; seq: number; entries: SeenEntry[] } | null;
  retired: Set<string>;
  broadcasts: Set<string>;
  requests: Map<string, { kind: 'mutate' | 'resolve' | 'policy'; id?: string; widgetId?: string; keep?: string; policy?: string }>;
  resolves: { widgetId: string; keep: string; at: number; ok: boolean | null }[];
  policies: string[];
  activity: (ActivityEntry & { seenAt: number })[];
}

export class Ledger {
  readonly mutations = new Map<string, MutationFacts>();
  private readonly devices = new Map<string, DeviceLedger>();
  private readonly start = Date.now();
  /** Mutate requests with no reply yet: a reply may still come, or the page timed out or went away. */
  readonly unanswered = new Map<string, { device: string; id: string; page?: object; documents?: number }>();
  /** Documents each page has unloaded (a reload or a close ends one): a request outlives its page. */
  private readonly unloaded = new WeakMap<object, number>();
  /** Things that must never happen (a mutation id on two devices, a reply about another id): the audit fails on any. */
  readonly anomalies: string[] = [];

  /** Installs the init script and binding on a device's browser context. */
  async attach(device: string, context: BrowserContext): Promise<void> {
    this.addDevice(device);
    await context.exposeBinding(LEDGER_BINDING, (source: { page: Page }, e: PageEvent) => this.record(device, e, source.page));
    await context.addInitScript(ledgerInitScript, LEDGER_BINDING);
    // A reload replaces the page's document and a close ends it: events the old document had in flight
    // (the SW's answer, an outbox broadcast) are lost with it.
    context.on('page', (page) => {
      page.on('load', () => this.documentGone(page));
      page.on('close', () => this.documentGone(page));
    });
  }

  /** Per device, the times it had no app page open (every tab closed, the worker on its own). */
  private readonly pageless = new Map<string, { from: number; to: number }[]>();

  /** Every tab of `device` closes now; `pagesBack` ends the window. Times are Date.now(), like the server's. */
  noPages(device: string): void {
    this.pageless.set(device, [...(this.pageless.get(device) ?? []), { from: Date.now(), to: Infinity }]);
  }

  pagesBack(device: string): void {
    const last = this.pageless.get(device)?.at(-1);
    if (last && last.to === Infinity) last.to = Date.now();
  }

  /**
   * Did the device whose worker has `clientId` have no page open at `at` (give or take `slackMs`, for the
   * reopened page's first reads)? A worker alone can make mutations no page ever sees: a merge or a policy's
   * re-issue during a Background Sync drain, sent and settled before any tab opens.
   */
  hadNoPageAt(clientId: string, at: number, slackMs = 5_000): boolean {
    const device = [...this.mutations.values()].find((f) => f.mutation.clientId === clientId)?.device;
    if (!device) return false;
    return (this.pageless.get(device) ?? []).some((w) => at >= w.from && at <= w.to + slackMs);
  }

  /** The page's current document is gone (reloaded, navigated or closed). */
  documentGone(page: object): void {
    this.unloaded.set(page, (this.unloaded.get(page) ?? 0) + 1);
  }

  /**
   * The mutation was posted by a document that went away before the SW's answer reached it: whatever the
   * SW did next (queue it, send it, settle it on the server's echo) may never have been seen by a page.
   */
  postedByAGoneDocument(id: string): boolean {
    for (const u of this.unanswered.values()) {
      if (u.id === id && u.page && (this.unloaded.get(u.page) ?? 0) !== u.documents) return true;
    }
    return false;
  }

  /** A device whose events come through `record` (attach does this for a browser context). */
  addDevice(device: string): void {
    this.devices.set(device, {
      name: device,
      outbox: null,
      retired: new Set(),
      broadcasts: new Set(),
      requests: new Map(),
      resolves: [],
      policies: [],
      activity: [],
    });
  }

  private dev(name: string): DeviceLedger {
    const d = this.devices.get(name);
    if (!d) throw new Error(`no device ${name} in the ledger`);
    return d;
  }

  private now(): number {
    return Date.now() - this.start;
  }

  private facts(device: string, m: Mutation, posted: boolean): MutationFacts {
    let f = this.mutations.get(m.id);
    if (!f) {
      f = {
        mutation: m,
        device,
        order: null,
        accepted: false,
        posted,
        refused: null,
        queued: false,
        sent: false,
        parked: false,
        shown: false,
        firstSeen: this.now(),
      };
      this.mutations.set(m.id, f);
    }
    if (f.device !== device) this.anomalies.push(`mutation ${m.id} seen on devices ${f.device} and ${device}`);
    if (posted) f.posted = true;
    return f;
  }

  /** An event from one of the device's pages (`page`: the page it came from, to know when it goes away). */
  record(device: string, e: PageEvent, page?: object): void {
    const d = this.dev(device);
    switch (e.t) {
      case 'post':
        d.requests.set(e.requestId, { kind: 'mutate', id: e.mutation.id });
        this.facts(device, e.mutation, true);
        this.unanswered.set(e.requestId, { device, id: e.mutation.id, page, documents: page && (this.unloaded.get(page) ?? 0) });
        return;
      case 'resolve':
        d.requests.set(e.requestId, { kind: 'resolve', widgetId: e.widgetId, keep: e.keep });
        d.resolves.push({ widgetId: e.widgetId, keep: e.keep, at: this.now(), ok: null });
        return;
      case 'policy':
        d.requests.set(e.requestId, { kind: 'policy', policy: e.policy });
        d.policies.push(e.policy);
        return;
      case 'reply': {
        const r = d.requests.get(e.requestId);
        if (!r) return;
        d.requests.delete(e.requestId);
        if (r.kind === 'mutate' && r.id) {
          this.unanswered.delete(e.requestId);
          const f = this.mutations.get(r.id)!;
          if (e.ok) {
            if (e.entry?.id !== r.id) this.anomalies.push(`the SW answered mutate ${r.id} with entry ${e.entry?.id}`);
            f.accepted = true;
            f.order = e.entry?.order ?? f.order;
          } else {
            f.refused = e.error ?? 'refused';
          }
        } else if (r.kind === 'resolve') {
          const res = [...d.resolves].reverse().find((x) => x.widgetId === r.widgetId && x.ok === null);
          if (res) res.ok = e.ok;
        }
        return;
      }
      case 'outbox': {
        const key = `${e.swInstance}:${e.seq}`;
        if (d.broadcasts.has(key)) return;
        d.broadcasts.add(key);
        // A delta names only what changed: entries it does not name were noted when they last changed.
        for (const entry of e.upserted) this.note(device, entry);
        const cur = d.outbox;
        // Folded as a tab folds them (contract/outbox-copy.ts), over what this ledger heard of the instance.
        const fold = (base: SeenEntry[]) => {
          const gone = new Set([...e.removed, ...e.upserted.map((x) => x.mutation.id as string)]);
          return [...(e.from === null ? [] : base.filter((x) => !gone.has(x.mutation.id))), ...e.upserted];
        };
        if (!cur || (cur.swInstance === e.swInstance && e.seq > cur.seq)) {
          d.outbox = { swInstance: e.swInstance, seq: e.seq, entries: fold(cur?.entries ?? []) };
        } else if (cur.swInstance !== e.swInstance && !d.retired.has(e.swInstance)) {
          d.retired.add(cur.swInstance);
          d.outbox = { swInstance: e.swInstance, seq: e.seq, entries: fold(cur.entries) };
        }
        return;
      }
      case 'activity': {
        const key = `${e.swInstance}:${e.seq}`;
        if (d.broadcasts.has(key)) return;
        d.broadcasts.add(key);
        d.activity.push({ ...e.entry, seenAt: this.now() });
        return;
      }
    }
  }

  /**
   * The device's outbox as IndexedDB holds it now, read from one of its pages (what a tab paints from on
   * load or after a missed broadcast); its facts go into the ledger like a broadcast's.
   */
  async snapshot(device: string, page: Page): Promise<SeenEntry[]> {
    const entries = await page.evaluate(
      () =>
        new Promise<unknown[]>((resolve, reject) => {
          const open = indexedDB.open('fieldboard');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const db = open.result;
            if (!db.objectStoreNames.contains('outbox')) return resolve([]);
            const req = db.transaction('outbox').objectStore('outbox').getAll();
            req.onsuccess = () => {
              db.close();
              resolve(req.result as unknown[]);
            };
            req.onerror = () => reject(req.error);
          };
        }),
    );
    const seen: SeenEntry[] = entries.map((raw) => {
      const x = raw as {
        mutation: Mutation;
        state: string;
        order: number;
        attempts: number;
        conflict?: { fields: string[]; server: { title?: string } | null; base: { title?: string } | null };
      };
      return {
        mutation: x.mutation,
        state: x.state,
        order: x.order,
        attempts: x.attempts,
        conflict: x.conflict
          ? {
              fields: x.conflict.fields,
              serverNull: x.conflict.server === null,
              serverTitle: x.conflict.server?.title ?? null,
              baseTitle: x.conflict.base?.title ?? null,
            }
          : undefined,
      };
    });
    for (const entry of seen) this.note(device, entry);
    return seen;
  }

  private note(device: string, entry: SeenEntry): void {
    const f = this.facts(device, entry.mutation, false);
    f.queued = true;
    if (f.order === null) f.order = entry.order;
    // Parked is not proof of sending: typing into a parked conflict folds into it (sw/outbox.ts), so an
    // entry can be first seen parked under an id that never went out.
    if (entry.state === 'sending' || entry.state === 'failed' || (entry.state === 'queued' && entry.attempts > 0)) f.sent = true;
    if (entry.state === 'conflict') f.parked = true;
  }

  /** The device's outbox as last broadcast (entries of the signed-in user). */
  outbox(device: string): SeenEntry[] {
    return this.dev(device).outbox?.entries ?? [];
  }

  /** Parked conflicts, grouped by widget (first entry first), as the conflicts view groups them. */
  static parked(entries: SeenEntry[]): Map<string, SeenEntry[]> {
    const byWidget = new Map<string, SeenEntry[]>();
    for (const e of [...entries].sort((a, b) => a.order - b.order)) {
      if (e.state !== 'conflict') continue;
      const key = e.mutation.args.widgetId;
      byWidget.set(key, [...(byWidget.get(key) ?? []), e]);
    }
    return byWidget;
  }

  /** The conflicts view showed these parked mutations' card. */
  markShown(ids: Iterable<string>): void {
    for (const id of ids) {
      const f = this.mutations.get(id);
      if (f) f.shown = true;
    }
  }

  resolves(device: string): DeviceLedger['resolves'] {
    return this.dev(device).resolves;
  }

  activity(device: string): DeviceLedger['activity'] {
    return this.dev(device).activity;
  }

  policies(device: string): string[] {
    return this.dev(device).policies;
  }

  deviceNames(): string[] {
    return [...this.devices.keys()];
  }
}
