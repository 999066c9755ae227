import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIGITS, jitteredKeyBetween, keyBetween, positionForMove } from '../../src/state/fractional-index.ts';

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

describe('positionForMove', () => {
  const ps = ['a0', 'a1', 'a2'];
  const zeroTail = () => 0; // the smallest tail, "111"
  it('moves up between the two items above, and down between the two below', () => {
    expect(positionForMove(ps, 2, -1, zeroTail)).toBe(keyBetween('a0', 'a1') + '111');
    expect(positionForMove(ps, 1, -1, zeroTail)).toBe(keyBetween(null, 'a0') + '111');
    expect(positionForMove(ps, 0, 1, zeroTail)).toBe(keyBetween('a1', 'a2') + '111');
    expect(positionForMove(ps, 1, 1, zeroTail)).toBe(keyBetween('a2', null) + '111');
  });
  it('passes the whole tie when the neighbour it passes shares its key with the next one (no error)', () => {
    // Two devices once moved widgets to the end at the same time: "zzx" twice (seen in the chaos run).
    const tied = ['a', 'm', 'zzx', 'zzx', 'zzz'];
    const down = positionForMove(tied, 1, 1)!;
    expect(down > 'zzx' && down < 'zzz').toBe(true);
    const up = positionForMove(tied, 4, -1)!;
    expect(up > 'm' && up < 'zzx').toBe(true);
    expect(positionForMove(['a', 'b', 'b'], 0, 1)! > 'b').toBe(true);
    expect(positionForMove(['b', 'b', 'c'], 2, -1)! < 'b').toBe(true);
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
