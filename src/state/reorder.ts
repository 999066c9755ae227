/**
 * Reordering cards in "Edit layout" mode (issue 15), as a state machine with no DOM in it.
 *
 * By keyboard (the accessible drag pattern): on a card's handle Space or Enter picks it up, the arrow keys
 * (Home, End) move it, and the board shows it in its new place at once; Space or Enter drops it, Escape puts
 * it back. By pointer (mouse, pen, touch): the card follows the finger over a board that stays still, and the
 * card under the finger shows where it would go, in front of it or after it.
 *
 * Either way the drop is one `widget.move` whose position comes from `positionForReorder`
 * (src/state/fractional-index.ts), as for Move up / Move down. Every step has a sentence for the live
 * region, so a screen reader hears what a sighted person sees.
 */
import type { WidgetId } from '../../protocol/index.ts';

export type DropSide = 'before' | 'after';

export type Reorder =
  | { kind: 'idle' }
  /** Shown at `to` while held; `from` is where it was picked up. */
  | { kind: 'keyboard'; widgetId: WidgetId; title: string; from: number; to: number }
  /** `over`: the card under the pointer and which side of it the card would land on; null over no card. */
  | { kind: 'pointer'; widgetId: WidgetId; title: string; from: number; over: { index: number; side: DropSide } | null };

export const IDLE: Reorder = { kind: 'idle' };

/** Where the card picked up at `from` ends up when dropped on `side` of the card at `over` (indexes of the
 * board as it stands). */
export function dropIndex(from: number, over: number, side: DropSide): number {
  const gap = side === 'before' ? over : over + 1;
  return gap > from ? gap - 1 : gap;
}

/** The index a held card will have when dropped now (for a pointer over no card: where it was). */
export function targetIndex(r: Exclude<Reorder, { kind: 'idle' }>): number {
  if (r.kind === 'keyboard') return r.to;
  return r.over ? dropIndex(r.from, r.over.index, r.over.side) : r.from;
}

/**
 * The board's order while a card is held by keyboard: the card moved to where it would land. Found by id,
 * so a change from elsewhere that lands meanwhile (a widget added, deleted or moved) cannot swap cards.
 */
export function previewOrder<T>(items: readonly T[], r: Reorder, idOf: (t: T) => WidgetId): readonly T[] {
  if (r.kind !== 'keyboard') return items;
  const from = items.findIndex((t) => idOf(t) === r.widgetId);
  if (from < 0 || from === r.to) return items;
  const rest = items.filter((_, i) => i !== from);
  const to = Math.min(r.to, rest.length);
  return [...rest.slice(0, to), items[from], ...rest.slice(to)];
}

export type KeyStep = { next: Reorder; say: string; drop: boolean } | null;

/**
 * What a key pressed on the handle of the card at `index` (of `count`) does; null for keys it leaves
 * alone. `drop` says the caller should move the card to `targetIndex` of the state before the key (a drop
 * where it was writes nothing).
 */
export function keyOnHandle(r: Reorder, key: string, widgetId: WidgetId, title: string, index: number, count: number): KeyStep {
  const pickKey = key === ' ' || key === 'Enter';
  if (r.kind !== 'keyboard' || r.widgetId !== widgetId) {
    if (!pickKey) return null;
    const next: Reorder = { kind: 'keyboard', widgetId, title, from: index, to: index };
    return { next, say: pickedUp(title, index, count), drop: false };
  }
  if (pickKey) return { next: IDLE, say: dropped(title, r.from, r.to, count), drop: true };
  if (key === 'Escape') return { next: IDLE, say: cancelled(title, r.from, count), drop: false };
  const to = { ArrowUp: r.to - 1, ArrowLeft: r.to - 1, ArrowDown: r.to + 1, ArrowRight: r.to + 1, Home: 0, End: count - 1 }[key];
  if (to === undefined) return null;
  const clamped = Math.max(0, Math.min(count - 1, to));
  return { next: { ...r, to: clamped }, say: movedTo(title, clamped, count, clamped === r.to), drop: false };
}

const place = (i: number, count: number) => `position ${i + 1} of ${count}`;

/** `keys`: the picking up was by keyboard, so the sentence says which keys go on. */
export const pickedUp = (title: string, i: number, count: number, keys = true) =>
  `Picked up ${title}, ${place(i, count)}.${keys ? ' Arrow keys move it, Space or Enter drops it, Escape cancels.' : ''}`;

export const wouldLand = (title: string, i: number, count: number) => `${title} would land at ${place(i, count)}.`;

export const movedTo = (title: string, i: number, count: number, stuck: boolean) =>
  stuck ? `${title} is already at ${place(i, count)}.` : `${title}, ${place(i, count)}.`;

export const dropped = (title: string, from: number, to: number, count: number) =>
  to === from ? `${title} dropped where it was, ${place(to, count)}.` : `${title} dropped at ${place(to, count)}.`;

export const cancelled = (title: string, from: number, count: number) => `Reorder cancelled. ${title} is back at ${place(from, count)}.`;

/** Which side of a card's box a point falls on: left/right halves where the board has several columns,
 * top/bottom halves where it has one. */
export function sideOf(box: { left: number; top: number; width: number; height: number }, x: number, y: number, columns: number): DropSide {
  return columns > 1 ? (x < box.left + box.width / 2 ? 'before' : 'after') : y < box.top + box.height / 2 ? 'before' : 'after';
}
