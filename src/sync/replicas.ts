/**
 * The page's confirmed replicas, one signal per dashboard shown: read from IndexedDB when first asked for
 * and again after a missed broadcast or a reset, and moved forward by the worker's replica broadcasts in
 * between (docs/service-worker.md "Tabs: broadcasts in, commands out").
 *
 * Invariants:
 * - A widget only moves forward in version (the replica-forward rule, contract/local-db/replica.ts).
 * - A broadcast that arrives during a read makes the read stale, and the read runs again: the broadcast
 *   carried only the widgets that changed, and the worker commits before it broadcasts, so a second read
 *   holds both (the chaos test found a board left empty when the stale read was just dropped).
 */
import { signal, type Signal } from '@preact/signals';
import type { Change, DashboardId, Widget, WidgetId } from '../../protocol/index.ts';
import { movesForward } from '../../contract/local-db/index.ts';

export interface ReplicaSource {
  /** The confirmed widgets of a dashboard in IndexedDB (of the signed-in user). */
  read(d: DashboardId): Promise<Widget[]>;
  failed(e: unknown): void;
}

export class Replicas {
  private readonly shown = new Map<DashboardId, Signal<Widget[]>>();
  /** Bumped by every broadcast that moves a replica, so a slower IndexedDB read never overwrites it. */
  private readonly version = new Map<DashboardId, number>();
  /** Dashboards whose replica has been read from IndexedDB at least once (until then [] means "not known"). */
  private readonly loaded = signal<ReadonlySet<DashboardId>>(new Set());

  constructor(private readonly source: ReplicaSource) {}

  /** The dashboard's replica; the first ask reads it from IndexedDB. */
  of(d: DashboardId): Signal<Widget[]> {
    let s = this.shown.get(d);
    if (!s) {
      s = signal<Widget[]>([]);
      this.shown.set(d, s);
      void this.load(d);
    }
    return s;
  }

  /** Whether the dashboard's replica has been read yet (a signal read: a component re-renders when it is). */
  ready(d: DashboardId): boolean {
    this.of(d);
    return this.loaded.value.has(d);
  }

  /** Reads every replica shown again (a missed broadcast). */
  async reloadAll(): Promise<void> {
    await Promise.all([...this.shown.keys()].map((d) => this.load(d)));
  }

  /** A replica broadcast: a reset is read again, changes move a shown replica forward. */
  broadcast(d: DashboardId, reset: boolean, changes: Change[]): void {
    this.version.set(d, (this.version.get(d) ?? 0) + 1);
    if (reset) void this.load(d);
    else if (this.shown.has(d)) this.apply(this.of(d), changes);
  }

  /** Signed out: every replica shows nothing. */
  clear(): void {
    for (const s of this.shown.values()) s.value = [];
  }

  private async load(d: DashboardId): Promise<void> {
    for (;;) {
      const at = this.version.get(d) ?? 0;
      try {
        const widgets = await this.source.read(d);
        if ((this.version.get(d) ?? 0) !== at) continue;
        this.of(d).value = widgets;
      } catch (e) {
        this.source.failed(e);
      }
      if (!this.loaded.value.has(d)) this.loaded.value = new Set([...this.loaded.value, d]);
      return;
    }
  }

  private apply(s: Signal<Widget[]>, changes: Change[]): void {
    const byId = new Map<WidgetId, Widget>(s.value.map((w) => [w.id, w]));
    const versions = new Map<WidgetId, number>(s.value.map((w) => [w.id, w.version]));
    for (const c of changes) {
      if (!movesForward(versions.get(c.widgetId), c.version)) continue;
      versions.set(c.widgetId, c.version);
      if (c.widget) byId.set(c.widgetId, c.widget);
      else byId.delete(c.widgetId);
    }
    s.value = [...byId.values()];
  }
}
