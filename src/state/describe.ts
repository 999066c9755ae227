/**
 * Changes of the feed in words, for the Activity list. Mutations in words are the client contract's
 * (contract/describe.ts), shared with the worker's activity messages; re-exported here for the views.
 */
import type { Change, UserId, Widget } from '../../protocol/index.ts';
export { describeMutation } from '../../contract/describe.ts';

const q = (s: string) => `'${s}'`;

/** Who made a change, as the Activity list says it (the feed carries user ids, not names). */
export function who(userId: UserId | null, me: UserId | null): string {
  if (userId === null) return 'A sensor';
  return userId === me ? 'You' : 'Someone else';
}

/**
 * One change of the feed in words, given the same widget's previous state (null when it was just created
 * or when the previous change is older than the feed window: then `known` is false).
 */
export function describeChange(prev: Widget | null, known: boolean, c: Change, me: UserId | null): string {
  const by = who(c.userId, me);
  const next = c.widget;
  if (!next) return `${by} deleted ${q(prev?.title ?? 'a widget')}`;
  if (!known) return `${by} changed ${q(next.title)}`;
  if (!prev) return `${by} added ${next.kind} ${q(next.title)}`;
  if (prev.title !== next.title) return `${by} renamed ${q(prev.title)} to ${q(next.title)}`;
  if (prev.kind === 'checklist' && next.kind === 'checklist') {
    for (const item of next.items) {
      const old = prev.items.find((i) => i.id === item.id);
      if (!old) return `${by} added ${q(item.text)} to ${q(next.title)}`;
      if (old.done !== item.done) return `${by} ${item.done ? 'ticked' : 'unticked'} ${q(item.text)}`;
      if (old.text !== item.text) return `${by} renamed ${q(old.text)} to ${q(item.text)}`;
    }
    const gone = prev.items.find((i) => !next.items.some((n) => n.id === i.id));
    if (gone) return `${by} removed ${q(gone.text)} from ${q(next.title)}`;
  }
  if (prev.kind === 'counter' && next.kind === 'counter' && prev.value !== next.value) {
    return `${by} changed ${q(next.title)} from ${prev.value} to ${next.value}`;
  }
  if (prev.kind === 'note' && next.kind === 'note' && prev.text !== next.text) return `${by} edited ${q(next.title)}`;
  if (prev.position !== next.position) return `${by} moved ${q(next.title)}`;
  return `${by} changed ${q(next.title)}`;
}

/**
 * The feed (newest first) in words: each change is compared with the next older change of the same widget
 * in the feed. Server-made changes (metric ingest) are left out: they arrive several times a second.
 */
export function describeFeed(changes: Change[], me: UserId | null): { key: string; at: number; text: string }[] {
  const out: { key: string; at: number; text: string }[] = [];
  changes.forEach((c, i) => {
    if (c.userId === null) return;
    const older = changes.slice(i + 1).find((o) => o.widgetId === c.widgetId);
    const created = older === undefined && c.version === 1;
    out.push({
      key: `${c.dashboardId}:${c.seq}`,
      at: c.at,
      text: describeChange(older?.widget ?? null, older !== undefined || created, c, me),
    });
  });
  return out;
}
