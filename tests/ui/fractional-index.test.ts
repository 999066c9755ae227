import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIGITS, jitteredKeyBetween, keyBetween, positionForReorder } from '../../src/state/fractional-index.ts';

const key = fc
  .array(fc.constantFrom(...DIGITS), { minLength: 1, maxLength: 6 })
  .map((d) => d.join(''))
  .filter((k) => !k.endsWith('0')); // "a" and "a0" are the same fraction: keys never end in a zero digit

describe('keyBetween', () => {
  it('gives short keys for the common cases', () => {
    expect([keyBetween(null, null), keyBetween('a0', 'a1'), keyBetween(null, 'a0'), keyBetween('a3', null)]).toEqual(['V', 'a0V', 'I', 'n']);
  });

  it('always returns a key strictly between its bounds, never ending in zero', () => {
    fc.assert(
      fc.property(key, key, (x, y) => {
        fc.pre(x !== y);
        const [a, b] = x < y ? [x, y] : [y, x];
        for (const k of [keyBetween(a, b), keyBetween(null, a), keyBetween(b, null)]) {
          expect(k.endsWith('0')).toBe(false);
        }
        const k = keyBetween(a, b);
        expect(a < k && k < b).toBe(true);
        expect(keyBetween(null, a) < a).toBe(true);
        expect(keyBetween(b, null) > b).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  // Without an integer part, keys grow about one character per log2(62) ≈ 6 moves to the same end; the
  // protocol allows 100 characters, i.e. several hundred consecutive moves to the top.
  it('keeps working when one end is hit again and again (keys grow slowly)', () => {
    let first = 'a0';
    let last = 'a0';
    for (let i = 0; i < 200; i++) {
      const before = keyBetween(null, first);
      expect(before < first).toBe(true);
      first = before;
      const after = keyBetween(last, null);
      expect(after > last).toBe(true);
      last = after;
    }
    expect(first.length).toBeLessThanOrEqual(2 + 200 / 5);
    expect(last.length).toBeLessThanOrEqual(2 + 200 / 5);
  });

  it('refuses bounds with nothing between them', () => {
    expect(() => keyBetween('b', 'a')).toThrow(/no key between/);
    expect(() => keyBetween('a', 'a')).toThrow(/no key between/);
    expect(() => keyBetween('a', 'a0')).toThrow(/no key/);
    expect(() => keyBetween('a-', 'b')).toThrow(/outside base 62/);
  });
});

describe('jitteredKeyBetween', () => {
  it('stays strictly between its bounds, never ends in zero, and two calls almost never agree', () => {
    fc.assert(
      fc.property(key, key, (x, y) => {
        fc.pre(x !== y);
        const [a, b] = x < y ? [x, y] : [y, x];
        for (const k of [jitteredKeyBetween(a, b), jitteredKeyBetween(null, a), jitteredKeyBetween(b, null)]) {
          expect(k.endsWith('0')).toBe(false);
        }
        const k = jitteredKeyBetween(a, b);
        expect(k > a && k < b).toBe(true);
      }),
    );
    const keys = new Set(Array.from({ length: 200 }, () => jitteredKeyBetween('zzx', null)));
    expect(keys.size).toBeGreaterThan(195);
  });
});

describe('positionForReorder one place up or down (Move up / Move down)', () => {
  const ps = ['a0', 'a1', 'a2'];
  const zeroTail = () => 0; // the smallest tail, "111"
  it('moves up between the two items above, and down between the two below', () => {
    expect(positionForReorder(ps, 2, 1, zeroTail)).toBe(keyBetween('a0', 'a1') + '111');
    expect(positionForReorder(ps, 1, 0, zeroTail)).toBe(keyBetween(null, 'a0') + '111');
    expect(positionForReorder(ps, 0, 1, zeroTail)).toBe(keyBetween('a1', 'a2') + '111');
    expect(positionForReorder(ps, 1, 2, zeroTail)).toBe(keyBetween('a2', null) + '111');
  });
  it('passes the whole tie when the neighbour it passes shares its key with the next one (no error)', () => {
    // Two devices once moved widgets to the end at the same time: "zzx" twice (seen in the chaos run).
    const tied = ['a', 'm', 'zzx', 'zzx', 'zzz'];
    const down = positionForReorder(tied, 1, 2)!;
    expect(down > 'zzx' && down < 'zzz').toBe(true);
    const up = positionForReorder(tied, 4, 3)!;
    expect(up > 'm' && up < 'zzx').toBe(true);
    expect(positionForReorder(['a', 'b', 'b'], 0, 1)! > 'b').toBe(true);
    expect(positionForReorder(['b', 'b', 'c'], 2, 1)! < 'b').toBe(true);
  });
  it('returns null at the ends', () => {
    expect([positionForReorder(ps, 0, -1), positionForReorder(ps, 2, 3)]).toEqual([null, null]);
  });
  it('lands the item exactly one place further, for every index and direction', () => {
    const list = ['a0', 'a0V', 'a1', 'b', 'c5', 'z'];
    for (let i = 0; i < list.length; i++) {
      for (const d of [-1, 1] as const) {
        const p = positionForReorder(list, i, i + d);
        if (p === null) continue;
        const moved = [...list.filter((_, j) => j !== i), p].sort();
        expect(moved.indexOf(p)).toBe(i + d);
      }
    }
  });
});

describe('positionForReorder (a drop, or the keyboard moving a picked-up card several places)', () => {
  const sortedDistinct = fc
    .uniqueArray(fc.stringMatching(/^[0-9A-Za-z]{1,4}$/), { minLength: 1, maxLength: 12 })
    .map((a) => a.filter((k) => !k.endsWith('0')).sort());
  it('lands the item exactly at the index asked for, from anywhere to anywhere', () => {
    fc.assert(
      fc.property(sortedDistinct.filter((a) => a.length > 0), fc.nat(), fc.nat(), (list, f, t) => {
        const from = f % list.length;
        const to = t % list.length;
        const p = positionForReorder(list, from, to);
        if (to === from) {
          expect(p).toBeNull();
        } else {
          const after = [...list.filter((_, i) => i !== from), p!].sort();
          expect(after.indexOf(p!)).toBe(to);
        }
      }),
    );
  });
  it('passes a tie at the target instead of failing, in the direction of the move', () => {
    const tied = ['a', 'b', 'c', 'c', 'd'];
    const down = positionForReorder(tied, 0, 2)!;
    expect(down > 'c' && down < 'd').toBe(true);
    const up = positionForReorder(tied, 4, 3)!;
    expect(up > 'b' && up < 'c').toBe(true);
  });
  it('is null off the list and throws for an item that is not there', () => {
    expect([positionForReorder(['a', 'b'], 0, 2), positionForReorder(['a', 'b'], 1, -1)]).toEqual([null, null]);
    expect(() => positionForReorder(['a'], 3, 0)).toThrow(/no item/);
  });
});
