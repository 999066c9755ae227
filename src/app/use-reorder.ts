/**
 * The board's side of reordering (src/state/reorder.ts has the rules): key and pointer events on the cards'
 * handles, the sentence for the live region, and the one `widget.move` a drop writes.
 *
 * Pointer Events, not HTML5 drag and drop, which touch screens do not fire: the handle captures the pointer
 * (`touch-action: none` in the CSS keeps the browser from scrolling instead), the card follows it with a
 * transform that leaves the board's layout still, and near the top or bottom edge the page scrolls.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { WidgetId } from '../../protocol/index.ts';
import { positionForReorder } from '../state/fractional-index.ts';
import { cancelled, dropIndex, dropped, IDLE, keyOnHandle, pickedUp, sideOf, targetIndex, wouldLand, type Reorder } from '../state/reorder.ts';
import type { ViewWidget } from '../state/optimistic.ts';
import { useUi } from './contexts.ts';
import { useMutate } from './use-mutate.ts';

/** Moves a widget to index `to` of the board as it stands now: one `widget.move`, nothing if it is there. */
export function useMoveWidget(): (widgetId: WidgetId, to: number) => void {
  const ui = useUi();
  const mutate = useMutate();
  return (widgetId, to) => {
    const view = ui.view.peek();
    const from = view.findIndex((v) => v.widget.id === widgetId);
    if (from < 0) return; // deleted meanwhile, here or elsewhere
    try {
      const position = positionForReorder(view.map((v) => v.widget.position), from, Math.min(to, view.length - 1));
      if (position) mutate({ name: 'widget.move', args: { widgetId, position } }, view[from].confirmedVersion);
    } catch (e) {
      ui.uiError.value = `Could not move ${view[from].widget.title}: ${e instanceof Error ? e.message : String(e)}`;
    }
  };
}

export interface ReorderState {
  state: Reorder;
  /** The latest sentence for the live region. */
  announcement: string;
  /** The same object for the board's whole life, so passing it down re-renders no card. */
  control: ReorderControl;
}

export interface ReorderControl {
  onHandleKeyDown(e: KeyboardEvent, item: ViewWidget): void;
  onHandlePointerDown(e: PointerEvent, item: ViewWidget): void;
  /** Puts a held card back (Escape outside the handle, focus leaving it, edit mode ending). */
  cancel(): void;
}

interface PointerDrag {
  pointerId: number;
  handle: HTMLElement;
  card: HTMLElement;
  grid: HTMLElement;
  /** The pointer at pick-up, in page coordinates (so scrolling while dragging keeps the card under it). */
  startX: number;
  startY: number;
  x: number;
  y: number;
  scrolling: number;
  /** How far the page could scroll at pick-up. */
  maxScrollY: number;
  stop(): void;
}

/** The id of the board's sentence that tells how to reorder by keyboard (each handle's description). */
export const REORDER_HELP_ID = 'reorder-help';

/** How close to the window's top or bottom edge (px) the page starts scrolling under a dragged card. */
const EDGE = 72;

export function useReorder(): ReorderState {
  const ui = useUi();
  const moveWidget = useMoveWidget();
  const [state, setState] = useState<Reorder>(IDLE);
  const [announcement, setAnnouncement] = useState('');
  const current = useRef<Reorder>(IDLE);
  const drag = useRef<PointerDrag | null>(null);
  const set = (next: Reorder, say?: string) => {
    current.current = next;
    setState(next);
    if (say !== undefined) setAnnouncement(say);
  };
  const indexOf = (id: WidgetId) => ui.view.peek().findIndex((v) => v.widget.id === id);

  const control = useMemo(() => {
    const endPointer = (drop: boolean) => {
      const d = drag.current;
      const r = current.current;
      drag.current = null;
      d?.stop();
      if (r.kind !== 'pointer') return;
      const count = ui.view.peek().length;
      if (drop && r.over) {
        const to = targetIndex(r);
        moveWidget(r.widgetId, to);
        set(IDLE, dropped(r.title, r.from, to, count));
      } else {
        set(IDLE, cancelled(r.title, r.from, count));
      }
    };

    /** Moves the card under the pointer and finds the card it is over. */
    const track = (d: PointerDrag) => {
      const columns = getComputedStyle(d.grid).gridTemplateColumns.split(' ').filter(Boolean).length;
      // In one column a card can only go up or down, so it does not slide sideways off a phone's screen.
      const dx = columns > 1 ? d.x + window.scrollX - d.startX : 0;
      d.card.style.transform = `translate(${dx}px, ${d.y + window.scrollY - d.startY}px)`;
      const r = current.current;
      if (r.kind !== 'pointer') return;
      for (const el of d.grid.querySelectorAll<HTMLElement>(':scope > [data-widget-id]')) {
        if (el === d.card) continue;
        const box = el.getBoundingClientRect();
        if (d.x < box.left || d.x > box.right || d.y < box.top || d.y > box.bottom) continue;
        const index = indexOf(el.dataset.widgetId as WidgetId);
        const side = sideOf(box, d.x, d.y, columns);
        if (index >= 0 && (r.over?.index !== index || r.over.side !== side)) {
          const next = { ...r, over: { index, side } };
          const to = dropIndex(r.from, index, side);
          set(next, wouldLand(r.title, to, ui.view.peek().length));
        }
        return;
      }
    };

    /** Pixels a frame to scroll: faster the closer to the edge; 0 away from the edges and at the page's ends
     * as they were at pick-up (the moved card itself makes the page longer, which must not scroll on forever). */
    const scrollSpeed = (d: PointerDrag) => {
      if (d.y < EDGE) return window.scrollY > 0 ? -(EDGE - d.y) / 4 : 0;
      if (d.y > window.innerHeight - EDGE) return window.scrollY < d.maxScrollY ? (d.y - window.innerHeight + EDGE) / 4 : 0;
      return 0;
    };

    const autoscroll = (d: PointerDrag) => {
      if (scrollSpeed(d) === 0 || d.scrolling) return;
      const step = () => {
        if (drag.current !== d) return;
        const s = scrollSpeed(d);
        if (s === 0) {
          d.scrolling = 0;
          return;
        }
        window.scrollBy(0, s < 0 ? Math.floor(s) : Math.ceil(s));
        track(d);
        d.scrolling = requestAnimationFrame(step);
      };
      d.scrolling = requestAnimationFrame(step);
    };

    const cancel = () => {
      const r = current.current;
      if (r.kind === 'pointer') return endPointer(false);
      if (r.kind === 'keyboard') set(IDLE, cancelled(r.title, r.from, ui.view.peek().length));
    };

    return {
      cancel,
      onHandleKeyDown(e: KeyboardEvent, item: ViewWidget) {
        const r = current.current;
        if (r.kind === 'pointer') {
          if (e.key === 'Escape') {
            e.preventDefault();
            endPointer(false);
          }
          return;
        }
        const view = ui.view.peek();
        const step = keyOnHandle(r, e.key, item.widget.id, item.widget.title, indexOf(item.widget.id), view.length);
        if (!step) return;
        e.preventDefault();
        if (step.drop && r.kind === 'keyboard') moveWidget(r.widgetId, targetIndex(r));
        set(step.next, step.say);
      },
      onHandlePointerDown(e: PointerEvent, item: ViewWidget) {
        if (e.button !== 0 || current.current.kind !== 'idle') return;
        const handle = e.currentTarget as HTMLElement;
        const card = handle.closest<HTMLElement>('[data-widget-id]');
        const grid = card?.parentElement;
        if (!card || !grid) return;
        e.preventDefault();
        handle.focus();
        handle.setPointerCapture(e.pointerId);
        const from = indexOf(item.widget.id);
        const move = (ev: PointerEvent) => {
          if (ev.pointerId !== d.pointerId) return;
          d.x = ev.clientX;
          d.y = ev.clientY;
          track(d);
          autoscroll(d);
        };
        const up = (ev: PointerEvent) => ev.pointerId === d.pointerId && endPointer(true);
        const lost = (ev: PointerEvent) => ev.pointerId === d.pointerId && endPointer(false);
        const d: PointerDrag = {
          pointerId: e.pointerId,
          handle,
          card,
          grid,
          startX: e.clientX + window.scrollX,
          startY: e.clientY + window.scrollY,
          x: e.clientX,
          y: e.clientY,
          scrolling: 0,
          maxScrollY: document.documentElement.scrollHeight - window.innerHeight,
          stop() {
            handle.removeEventListener('pointermove', move);
            handle.removeEventListener('pointerup', up);
            handle.removeEventListener('pointercancel', lost);
            if (d.scrolling) cancelAnimationFrame(d.scrolling);
            card.style.transform = '';
            if (handle.hasPointerCapture(d.pointerId)) handle.releasePointerCapture(d.pointerId);
          },
        };
        handle.addEventListener('pointermove', move);
        handle.addEventListener('pointerup', up);
        handle.addEventListener('pointercancel', lost);
        drag.current = d;
        set({ kind: 'pointer', widgetId: item.widget.id, title: item.widget.title, from, over: null }, pickedUp(item.widget.title, from, ui.view.peek().length, false));
      },
    };
  }, [ui]);

  // A drag in progress when the board goes away (another screen, sign-out) ends without moving anything.
  useEffect(() => () => drag.current?.stop(), []);

  return { state, announcement, control };
}
