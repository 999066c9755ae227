/**
/**
 * Changes of the feed in words, for the Activity list. Mutations in words are the client contract's
 * (contract/describe.ts), shared with the worker's activity messages; re-exported here for the views.
 * Every name a person gave (titles, items) is quoted the same way everywhere: ‘like this’ (`quote`).
 */
import { assertNever, quote as q, type ClientId, type Change, type UserId, type Widget } from '../../protocol/index.ts';
import { signed } from '../../contract/describe.ts';
export { describeMutation, signed } from '../../contract/describe.ts';

/** Who is who on this page: the signed-in user, this browser's client id, and names the server told. */
export interface Audience {
  me: UserId | null;
  myClient?: ClientId | null;
  names?: ReadonlyMap<UserId, string>;
}

/** Who made a change: "You", the person's name, "Someone else" when the name is unknown, or a sensor. */
export function who(userId: UserId | null, a: Audience): string {
  if (userId === null) return 'A sensor';
  if (userId === a.me) return 'You';
  return a.names?.get(userId) ?? 'Someone else';
}

/** Where: "on this device", "on another device", or nothing for changes the server made itself. */
export function where(clientId: ClientId | null, a: Audience): string {
  if (clientId === null || !a.myClient) return '';
  return clientId === a.myClient ? 'on this device' : 'on another device';
}

/** What one change did, without who: "changed ‘Pumps’ from 1 to 2". */
function whatChanged(prev: Widget | null, known: boolean, next: Widget | null): string {
  if (!next) return `deleted ${q(prev?.title ?? 'a widget')}`;
  if (!known) return `changed ${q(next.title)}`;
  if (!prev) return `added ${next.kind} ${q(next.title)}`;
  if (prev.title !== next.title) return `renamed ${q(prev.title)} to ${q(next.title)}`;
  if (prev.kind === 'checklist' && next.kind === 'checklist') {
    for (const item of next.items) {
      const old = prev.items.find((i) => i.id === item.id);
      if (!old) return `added ${q(item.text)} to ${q(next.title)}`;
      if (old.done !== item.done) return `${item.done ? 'ticked' : 'unticked'} ${q(item.text)}`;
      if (old.text !== item.text) return `renamed ${q(old.text)} to ${q(item.text)}`;
    }
    const gone = prev.items.find((i) => !next.items.some((n) => n.id === i.id));
    if (gone) return `removed ${q(gone.text)} from ${q(next.title)}`;
  }
  if (prev.kind === 'counter' && next.kind === 'counter' && prev.value !== next.value) {
    return `changed ${q(next.title)} from ${prev.value} to ${next.value}`;
  }
  if (prev.kind === 'note' && next.kind === 'note' && prev.text !== next.text) return `edited ${q(next.title)}`;
  if (prev.position !== next.position) return `moved ${q(next.title)}`;
  return `changed ${q(next.title)}`;
}

/**
 * One change of the feed in words, given the same widget's previous state (null when it was just created
 * or when the previous change is older than the feed window: then `known` is false).
 */
export function describeChange(prev: Widget | null, known: boolean, c: Change, a: Audience): string {
  return `${who(c.userId, a)} ${whatChanged(prev, known, c.widget)}`;
}

/** A line of the Activity list: one change, or a run of them by one person on one device to one widget. */
export interface FeedLine {
  key: string;
  /** The newest change's time, and the oldest's (equal for one change). */
  at: number;
  firstAt: number;
  text: string;
  /** "on another device" or "". */
  device: string;
  count: number;
}

interface Described {
  change: Change;
  what: string;
  /** For a counter: the values before and after, so a run reads "+3". */
  counter: { from: number; to: number; title: string } | null;
}

/**
 * The feed (newest first) in words: each change is compared with the next older change of the same widget
 * in the feed, then runs are grouped: consecutive changes of one widget by one person on one device that
 * say the same thing (a note edited 5 times) become one line with a count, and counter steps add up
 * ("changed ‘Pumps’ from 0 to 3 (+3)"). Server-made changes (metric ingest) are left out: they arrive several
 * times a second.
 */
export function describeFeed(changes: Change[], a: Audience): FeedLine[] {
  const described: Described[] = [];
  changes.forEach((c, i) => {
    if (c.userId === null) return;
    const older = changes.slice(i + 1).find((o) => o.widgetId === c.widgetId);
    const created = older === undefined && c.version === 1;
    const prev = older?.widget ?? null;
    const known = older !== undefined || created;
    const next = c.widget;
    const counter =
      known && prev?.kind === 'counter' && next?.kind === 'counter' && prev.title === next.title && prev.value !== next.value
        ? { from: prev.value, to: next.value, title: next.title }
        : null;
    described.push({ change: c, what: whatChanged(prev, known, next), counter });
  });
  type Run = FeedLine & { last: Described; counterTo: number | null };
  const runs: Run[] = [];
  const counterText = (c: Change, title: string, from: number, to: number) =>
    `${who(c.userId, a)} changed ${q(title)} from ${from} to ${to} (${signed(to - from)})`;
  for (const d of described) {
    const run = runs.at(-1);
    const c = d.change;
    const same = run && run.last.change.widgetId === c.widgetId && run.last.change.userId === c.userId && run.last.change.clientId === c.clientId;
    if (run && same && ((run.counterTo !== null && d.counter) || (run.counterTo === null && !d.counter && run.last.what === d.what))) {
      // Newest first: this change is older, so the run now starts here.
      run.count += 1;
      run.firstAt = c.at;
      run.last = d;
      if (run.counterTo !== null && d.counter) run.text = counterText(c, d.counter.title, d.counter.from, run.counterTo);
      continue;
    }
    runs.push({
      key: `${c.dashboardId}:${c.seq}`,
      at: c.at,
      firstAt: c.at,
      text: d.counter ? counterText(c, d.counter.title, d.counter.from, d.counter.to) : `${who(c.userId, a)} ${d.what}`,
      device: where(c.clientId, a),
      count: 1,
      last: d,
      counterTo: d.counter?.to ?? null,
    });
  }
  return runs.map(({ last: _l, counterTo: _c, ...line }) => line);
}
