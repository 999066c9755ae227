/** The reorder state machine (src/state/reorder.ts): where a drop lands, what each key does and says. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WidgetId } from '../../../protocol/index.ts';
import { dropIndex, IDLE, keyOnHandle, previewOrder, sideOf, targetIndex, type Reorder } from '../../../src/state/reorder.ts';

const W = 'w_a' as WidgetId;

describe('dropIndex', () => {
  it('is where the card ends up in the list, for every card, target and side', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.nat(), fc.nat(), fc.boolean(), (n, f, o, before) => {
        const from = f % n;
        const over = o % n;
        const list = Array.from({ length: n }, (_, i) => i);
        // Insert `from` into the gap before/after `over`, as the indicator shows it.
        const gap = before ? over : over + 1;
        const moved = [...list.slice(0, gap).filter((x) => x !== from), from, ...list.slice(gap).filter((x) => x !== from)];
        expect(moved.indexOf(from)).toBe(dropIndex(from, over, before ? 'before' : 'after'));
      }),
    );
  });
});

describe('keyOnHandle', () => {
  const held = (from: number, to: number): Reorder => ({ kind: 'keyboard', widgetId: W, title: 'Pumps', from, to });

  it('Space or Enter picks up; other keys on a card at rest are left alone (Tab goes on)', () => {
    expect(keyOnHandle(IDLE, ' ', W, 'Pumps', 1, 4)).toEqual({ next: held(1, 1), say: expect.stringMatching(/^Picked up Pumps, position 2 of 4\./), drop: false });
    expect(keyOnHandle(IDLE, 'Enter', W, 'Pumps', 1, 4)?.next).toEqual(held(1, 1));
    expect(keyOnHandle(IDLE, 'ArrowDown', W, 'Pumps', 1, 4)).toBeNull();
    expect(keyOnHandle(IDLE, 'Tab', W, 'Pumps', 1, 4)).toBeNull();
  });

  it('arrows move one place, Home and End to the ends, and stop there saying so', () => {
    expect(keyOnHandle(held(1, 1), 'ArrowDown', W, 'Pumps', 1, 4)).toEqual({ next: held(1, 2), say: 'Pumps, position 3 of 4.', drop: false });
    expect(keyOnHandle(held(1, 1), 'ArrowLeft', W, 'Pumps', 1, 4)?.next).toEqual(held(1, 0));
    expect(keyOnHandle(held(1, 1), 'End', W, 'Pumps', 1, 4)?.next).toEqual(held(1, 3));
    expect(keyOnHandle(held(1, 3), 'ArrowRight', W, 'Pumps', 1, 4)).toEqual({ next: held(1, 3), say: 'Pumps is already at position 4 of 4.', drop: false });
    expect(keyOnHandle(held(1, 0), 'ArrowUp', W, 'Pumps', 1, 4)?.next).toEqual(held(1, 0));
  });

  it('Space or Enter drops, Escape cancels, each with its sentence', () => {
    expect(keyOnHandle(held(1, 3), ' ', W, 'Pumps', 1, 4)).toEqual({ next: IDLE, say: 'Pumps dropped at position 4 of 4.', drop: true });
    expect(keyOnHandle(held(1, 1), 'Enter', W, 'Pumps', 1, 4)?.say).toBe('Pumps dropped where it was, position 2 of 4.');
    expect(keyOnHandle(held(1, 3), 'Escape', W, 'Pumps', 1, 4)).toEqual({ next: IDLE, say: 'Reorder cancelled. Pumps is back at position 2 of 4.', drop: false });
  });

  it('a key on another card\'s handle while one is held picks that one up instead', () => {
    const other = 'w_b' as WidgetId;
    expect(keyOnHandle(held(1, 2), ' ', other, 'Notes', 0, 4)?.next).toEqual({ kind: 'keyboard', widgetId: other, title: 'Notes', from: 0, to: 0 });
  });
});

describe('previewOrder and targetIndex', () => {
  const items = ['w_a', 'w_b', 'w_c', 'w_d'] as WidgetId[];
  const id = (w: WidgetId) => w;
  it('shows the held card at its target, found by id even after the list changed', () => {
    expect(previewOrder(items, { kind: 'keyboard', widgetId: W, title: 'A', from: 0, to: 2 }, id)).toEqual(['w_b', 'w_c', 'w_a', 'w_d']);
    // Another device deleted w_b meanwhile: w_a still moves, to the end at most.
    expect(previewOrder(['w_a', 'w_c'] as WidgetId[], { kind: 'keyboard', widgetId: W, title: 'A', from: 0, to: 3 }, id)).toEqual(['w_c', 'w_a']);
    expect(previewOrder(items, IDLE, id)).toBe(items);
  });
  it('a pointer over no card drops where it was', () => {
    expect(targetIndex({ kind: 'pointer', widgetId: W, title: 'A', from: 2, over: null })).toBe(2);
    expect(targetIndex({ kind: 'pointer', widgetId: W, title: 'A', from: 0, over: { index: 3, side: 'after' } })).toBe(3);
  });
});

describe('sideOf', () => {
  const box = { left: 0, top: 0, width: 200, height: 100 };
  it('reads left/right halves on a board of several columns, top/bottom halves on one column', () => {
    expect([sideOf(box, 50, 90, 3), sideOf(box, 150, 10, 3)]).toEqual(['before', 'after']);
    expect([sideOf(box, 190, 20, 1), sideOf(box, 10, 80, 1)]).toEqual(['before', 'after']);
  });
});
