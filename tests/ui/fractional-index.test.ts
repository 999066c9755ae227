import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIGITS, keyBetween, positionForMove } from '../../src/state/fractional-index.ts';

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

describe('positionForMove', () => {
  const ps = ['a0', 'a1', 'a2'];
  it('moves up between the two items above, and down between the two below', () => {
    expect(positionForMove(ps, 2, -1)).toBe(keyBetween('a0', 'a1'));
    expect(positionForMove(ps, 1, -1)).toBe(keyBetween(null, 'a0'));
    expect(positionForMove(ps, 0, 1)).toBe(keyBetween('a1', 'a2'));
    expect(positionForMove(ps, 1, 1)).toBe(keyBetween('a2', null));
  });
  it('returns null at the ends', () => {
    expect([positionForMove(ps, 0, -1), positionForMove(ps, 2, 1)]).toEqual([null, null]);
  });
  it('lands the item exactly one place further, for every index and direction', () => {
    const list = ['a0', 'a0V', 'a1', 'b', 'c5', 'z'];
    for (let i = 0; i < list.length; i++) {
      for (const d of [-1, 1] as const) {
        const p = positionForMove(list, i, d);
        if (p === null) continue;
        const moved = [...list.filter((_, j) => j !== i), p].sort();
        expect(moved.indexOf(p)).toBe(i + d);
      }
    }
  });
});
