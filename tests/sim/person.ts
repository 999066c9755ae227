/**
 * People at their devices. They act on what a tab would show (the optimistic view of src/state/
 * optimistic.ts over the replica and outbox the tab reads from IndexedDB) and post the tab's commands.
 *
 * An edit session (typing in a note, a title, a counter's value, a checklist item's text) captures its base
 * when it starts, with the UI's rule (contract/edit-base.ts `editBase`), and sends with that base however
 * long the typing takes: a note flushes 300 ms after the last key (the NoteBody debounce) and the session
 * ends there; the next key starts a new one. The ledger keeps the base as what the person saw.
 */
import { editBase } from '../../contract/edit-base.ts';
import type { DashboardId, ItemId, Mutation, MutationInput, Widget, WidgetId, WidgetPatch } from '../../protocol/index.ts';
import type { ConflictResolution } from '../../contract/index.ts';
import { buildView, type ViewWidget } from '../../src/state/optimistic.ts';
import type { Device } from './device.ts';
import type { Ledger } from './ledger.ts';
import type { Keep } from './schedule.ts';
import type { World } from './world.ts';

export const NOTE_DEBOUNCE_MS = 300;
/** Emulates the UI before issue 10 (a note's base read when the flush goes out), to show the sim finds it. */
const SEND_TIME_BASE = process.env.SIM_UI_BASE === 'send';

interface Parked {
  ids: string[];
  serverNull: boolean;
  serverVersion: number;
  /** The first parked `widget.set`'s patch (what an edited "keep mine" rewrites). */
  patch: WidgetPatch | null;
}

/** The person rewrites their side on the conflict card before keeping it. */
function edited(p: WidgetPatch, who: string): WidgetPatch {
  const out: WidgetPatch = {};
  if (p.title !== undefined) out.title = `${p.title} (${who})`.slice(0, 200);
  if (p.text !== undefined) out.text = `${p.text} [edited by ${who}]`;
  if (p.value !== undefined) out.value = p.value + 1;
  if (p.metricKey !== undefined) out.metricKey = p.metricKey;
  return out;
}

interface Session {
  widgetId: WidgetId;
  draft: string;
  version: number;
  base: Widget | null;
  flushTimer: number | null;
}

/**
 * How a conflict card behaves while the person reads it, and so what Keep mine sends and what they saw:
 * - `frozen` (the app, src/app/conflict-card.tsx): the card keeps the theirs it opened with and says when
 *   the server moved on (sent and seen: the version at opening).
 * - `live` (the card before): theirs follows the server; the version on screen at the click is sent, and
 *   taken as seen.
 * - `read`: the live card, with a person who read it when it opened and did not notice it change before the
 *   click (sent: the version at the click; seen: the one at opening). It loses words: why the card freezes.
 */
export type CardModel = 'live' | 'read' | 'frozen';

export class People {
  private n = 0;
  private readonly notes = new Map<string, Session>();

  constructor(
    private readonly world: World,
    private readonly ledger: Ledger,
    private readonly dashboardId: DashboardId,
    private readonly card: CardModel = 'frozen',
  ) {}

  async view(dev: Device): Promise<ViewWidget[]> {
    const [{ widgets }, outbox] = await Promise.all([dev.replica(this.dashboardId), dev.outbox()]);
    return buildView(widgets, outbox, this.dashboardId, dev.user.id);
  }

  /** A widget of the view, chosen by `pick` in [0, 1) among those `ok` accepts. */
  async choose(dev: Device, pick: number, ok: (w: Widget) => boolean): Promise<ViewWidget | null> {
    const all = (await this.view(dev)).filter((v) => ok(v.widget));
    return all.length ? all[Math.floor(pick * all.length)] : null;
  }

  /** What an edit of `fields` of a widget begins from: the UI's rule over the replica and the outbox. */
  async baseOf(dev: Device, widgetId: WidgetId, fields: string[]): Promise<{ version: number; widget: Widget | null }> {
    const [confirmed, outbox] = await Promise.all([dev.confirmed(this.dashboardId, widgetId), dev.outbox()]);
    const mine = outbox
      .filter((e) => e.mutation.dashboardId === this.dashboardId && e.mutation.args.widgetId === widgetId)
      .sort((a, b) => a.order - b.order);
    return editBase(confirmed, mine, fields);
  }

  id(dev: Device, prefix: string): string {
    return `${prefix}_${dev.name}${++this.n}`;
  }

  send(dev: Device, input: MutationInput, baseVersion: number, seen: { version: number; widget: Widget | null } | null): Mutation {
    const m = { id: this.id(dev, 'm'), clientId: dev.clientId, dashboardId: this.dashboardId, baseVersion, createdAt: this.world.now, ...input } as Mutation;
    this.ledger.submitted(dev.name, m, seen ? seen.version : null);
    this.world.log(`${dev.name} mutate ${m.id} ${m.name} ${JSON.stringify(m.args)} base ${baseVersion}`);
    void dev.line.send({ type: 'mutate', mutation: m, ...(seen ? { base: seen.widget } : {}) }).then((r) => {
      this.ledger.replied(m.id, r);
      if (!r.ok) this.world.log(`${dev.name} mutate ${m.id} refused: ${r.error}`);
    });
    return m;
  }

  // ---- One-shot actions -----------------------------------------------------------------------------------

  async counterAdd(dev: Device, pick: number, delta: number): Promise<void> {
    const v = await this.choose(dev, pick, (w) => w.kind === 'counter');
    if (v) this.send(dev, { name: 'counter.add', args: { widgetId: v.widget.id, delta } }, v.confirmedVersion, null);
  }

  async create(dev: Device, kind: 'counter' | 'note' | 'checklist', title: string): Promise<void> {
    const widgetId = this.id(dev, 'w') as WidgetId;
    const extra = kind === 'counter' ? { value: 0 } : kind === 'note' ? { text: '' } : { items: [] };
    this.send(dev, { name: 'widget.create', args: { widgetId, kind, title, position: `b${this.n}`, ...extra } }, 0, null);
  }

  async remove(dev: Device, pick: number): Promise<void> {
    const v = await this.choose(dev, pick, () => true);
    if (v) this.send(dev, { name: 'widget.delete', args: { widgetId: v.widget.id } }, v.confirmedVersion, null);
  }

  async move(dev: Device, pick: number, position: string): Promise<void> {
    const v = await this.choose(dev, pick, () => true);
    if (v) this.send(dev, { name: 'widget.move', args: { widgetId: v.widget.id, position } }, v.confirmedVersion, null);
  }

  async itemAdd(dev: Device, pick: number, text: string): Promise<void> {
    const v = await this.choose(dev, pick, (w) => w.kind === 'checklist');
    if (!v) return;
    const itemId = this.id(dev, 'i').slice(2) as ItemId;
    this.send(dev, { name: 'checklist.add', args: { widgetId: v.widget.id, itemId, text } }, v.confirmedVersion, null);
  }

  async itemToggle(dev: Device, pick: number, pick2: number): Promise<void> {
    const v = await this.choose(dev, pick, (w) => w.kind === 'checklist' && w.items.length > 0);
    if (!v || v.widget.kind !== 'checklist') return;
    const item = v.widget.items[Math.floor(pick2 * v.widget.items.length)];
    const field = `items.${item.id}.done`;
    const base = await this.baseOf(dev, v.widget.id, [field]);
    this.send(dev, { name: 'checklist.set', args: { widgetId: v.widget.id, itemId: item.id, patch: { done: !item.done } } }, base.version, base);
  }

  async itemRemove(dev: Device, pick: number, pick2: number): Promise<void> {
    const v = await this.choose(dev, pick, (w) => w.kind === 'checklist' && w.items.length > 0);
    if (!v || v.widget.kind !== 'checklist') return;
    const item = v.widget.items[Math.floor(pick2 * v.widget.items.length)];
    this.send(dev, { name: 'checklist.remove', args: { widgetId: v.widget.id, itemId: item.id } }, v.confirmedVersion, null);
  }

  // ---- Edit sessions --------------------------------------------------------------------------------------

  /**
   * A short edit (a title, a counter's value, an item's text): base captured now, sent after `thinkMs`
   * (the person types, then presses Enter).
   */
  async shortEdit(dev: Device, what: 'title' | 'value' | 'item', pick: number, pick2: number, thinkMs: number, text: string): Promise<void> {
    const v = await this.choose(dev, pick, (w) => (what === 'value' ? w.kind === 'counter' : what === 'item' ? w.kind === 'checklist' && w.items.length > 0 : true));
    if (!v) return;
    const w = v.widget;
    let field: string;
    let input: MutationInput;
    if (what === 'item' && w.kind === 'checklist') {
      const item = w.items[Math.floor(pick2 * w.items.length)];
      field = `items.${item.id}.text`;
      input = { name: 'checklist.set', args: { widgetId: w.id, itemId: item.id, patch: { text } } };
    } else {
      const patch: WidgetPatch = what === 'value' ? { value: Math.round(pick2 * 100) } : { title: text };
      field = what;
      input = { name: 'widget.set', args: { widgetId: w.id, patch } };
    }
    const base = await this.baseOf(dev, w.id, [field]);
    this.world.log(`${dev.name} starts editing ${field} of ${w.id} on v${base.version}`);
    this.world.after(thinkMs, `person:mutate ${dev.name} ${what} edit ends`, () => this.send(dev, input, base.version, base));
  }

  /** Typing into a note: one key per gap; a gap over the debounce flushes (and ends the session). */
  async type(dev: Device, pick: number, gaps: number[], where: 'end' | 'start'): Promise<void> {
    const v = await this.choose(dev, pick, (w) => w.kind === 'note');
    if (!v) return;
    const widgetId = v.widget.id;
    let at = 0;
    gaps.forEach((gap, k) => {
      at += gap;
      this.world.after(at, `person:type ${dev.name} key`, () => void this.key(dev, widgetId, `${dev.name.toLowerCase()}${k}`, where));
    });
  }

  private async key(dev: Device, widgetId: WidgetId, chars: string, where: 'end' | 'start'): Promise<void> {
    if (!dev.tabOpen) return;
    const key = `${dev.name} ${widgetId}`;
    let s = this.notes.get(key);
    if (!s) {
      const shown = (await this.view(dev)).find((x) => x.widget.id === widgetId)?.widget;
      if (!shown || shown.kind !== 'note') return; // deleted meanwhile: the textarea is gone
      const base = await this.baseOf(dev, widgetId, ['text']);
      s = { widgetId, draft: shown.text, version: base.version, base: base.widget, flushTimer: null };
      this.notes.set(key, s);
      this.world.log(`${dev.name} starts typing in ${widgetId} on v${base.version}: ${JSON.stringify(shown.text)}`);
    }
    s.draft = where === 'end' ? `${s.draft} ${chars}` : `${chars} ${s.draft}`;
    if (s.draft.length > 4000) s.draft = s.draft.slice(-4000);
    if (s.flushTimer !== null) this.world.cancel(s.flushTimer);
    s.flushTimer = this.world.after(NOTE_DEBOUNCE_MS, `person:mutate ${dev.name} note flush`, () => this.flush(dev, key));
  }

  private flush(dev: Device, key: string): void {
    const s = this.notes.get(key);
    if (!s) return;
    this.notes.delete(key);
    if (s.flushTimer !== null) this.world.cancel(s.flushTimer);
    const input: MutationInput = { name: 'widget.set', args: { widgetId: s.widgetId, patch: { text: s.draft } } };
    if (SEND_TIME_BASE) {
      // The rule before issue 10 (SIM_UI_BASE=send): the confirmed version when the flush goes out.
      void dev.confirmed(this.dashboardId, s.widgetId).then((w) => {
        const m = this.send(dev, input, w?.version ?? 0, null);
        this.ledger.muts.get(m.id)!.seen = s.version; // what the person saw is still the session's start
      });
      return;
    }
    this.send(dev, input, s.version, { version: s.version, widget: s.base });
  }

  /** The tab closes: the note flushes at once on unmount (NoteBody). */
  flushAll(dev: Device): void {
    for (const key of [...this.notes.keys()]) if (key.startsWith(`${dev.name} `)) this.flush(dev, key);
  }

  /** Are notes still being typed (the heal waits for them)? */
  get typing(): number {
    return this.notes.size;
  }

  // ---- Conflicts -------------------------------------------------------------------------------------------

  /** Parked conflicts of the device, by widget. */
  async parked(dev: Device): Promise<Map<WidgetId, Parked>> {
    const out = new Map<WidgetId, Parked>();
    for (const e of await dev.outbox()) {
      if (e.state !== 'conflict' || !e.conflict) continue;
      this.ledger.sawParked(e.mutation.id);
      const w = e.mutation.args.widgetId;
      const cur = out.get(w) ?? { ids: [], serverNull: false, serverVersion: 0, patch: null };
      cur.ids.push(e.mutation.id);
      if (e.mutation.name === 'widget.set') cur.patch ??= e.mutation.args.patch;
      cur.serverNull ||= e.conflict.server === null;
      cur.serverVersion = Math.max(cur.serverVersion, e.conflict.server?.version ?? 0);
      out.set(w, cur);
    }
    return out;
  }

  /**
   * The person opens a conflict card, thinks for `thinkMs`, and answers keep mine (as it is, or edited on
   * the card) / keep theirs / discard (restore when the widget is gone); Keep mine sends the version of
   * theirs the card shows (`seenVersion`), as src/app/conflict-card.tsx does. See `CardModel`.
   */
  async resolve(dev: Device, pick: number, keep: Keep, thinkMs: number): Promise<void> {
    const parked = [...(await this.parked(dev))];
    if (!parked.length) return;
    const [widgetId, c] = parked[Math.floor(pick * parked.length)];
    const opened = await this.theirs(dev, widgetId, c);
    this.world.log(`${dev.name} opens the conflict card of ${widgetId} (theirs v${opened ?? '-'})`);
    this.world.after(thinkMs, `person:resolve ${dev.name} ${keep} ${widgetId}`, () => void this.answer(dev, widgetId, keep, opened));
  }

  /** The version of "theirs" a card shows now: the newer of the parked snapshot and the replica (null: deleted). */
  private async theirs(dev: Device, widgetId: WidgetId, c: Parked): Promise<number | null> {
    if (c.serverNull) return null;
    const replica = await dev.confirmed(this.dashboardId, widgetId);
    return Math.max(c.serverVersion, replica?.version ?? 0);
  }

  private async answer(dev: Device, widgetId: WidgetId, keep: Keep, opened: number | null): Promise<void> {
    const c = (await this.parked(dev)).get(widgetId);
    if (!c) return; // the card is gone (resolved meanwhile)
    const now = await this.theirs(dev, widgetId, c);
    // What goes out and what the person saw (see `CardModel`).
    const sent = this.card === 'frozen' ? opened : now;
    const seen = this.card === 'live' ? now : opened;
    this.ledger.deciding(dev.name, { widgetId, seen: seen ?? 0 });
    this.world.log(`${dev.name} answers ${keep} on ${widgetId} (theirs when opened v${opened ?? '-'}, now v${now ?? '-'})`);
    if (keep === 'discard') {
      for (const id of c.ids) dev.command((requestId) => ({ type: 'discard', requestId, mutationId: id as never }));
      return;
    }
    const seenVersion = sent ?? undefined;
    const resolution: ConflictResolution =
      keep === 'theirs'
        ? { keep: 'theirs' }
        : c.serverNull
          ? { keep: 'restore' }
          : keep === 'edit' && c.patch
            ? { keep: 'mine', patch: edited(c.patch, dev.name), seenVersion }
            : { keep: 'mine', seenVersion };
    dev.command(
      (requestId) => ({ type: 'resolve', requestId, dashboardId: this.dashboardId, widgetId, resolution }),
      (r) => this.world.log(`${dev.name} resolve ${resolution.keep} on ${widgetId}: ${r.ok ? 'ok' : r.error}`),
    );
  }
}
