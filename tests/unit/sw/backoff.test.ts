/** Retry delays: exponential growth, full jitter within [0, ceiling), the 60 s cap, and no delay at attempt 0. */
import { describe, expect, it } from 'vitest';
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, backoffDelay } from '../../../sw/backoff.ts';

const almostOne = () => 1 - Number.EPSILON;

describe('backoffDelay', () => {
  it('uses base 0.5 s and cap 60 s as the design says', () => {
    expect(BACKOFF_BASE_MS).toBe(500);
    expect(BACKOFF_CAP_MS).toBe(60_000);
  });

  it('is 0 before the first failure (attempt 0 and below: the reset state)', () => {
    expect(backoffDelay(0, almostOne)).toBe(0);
    expect(backoffDelay(-3, almostOne)).toBe(0);
  });

  it('doubles the ceiling with each attempt until the cap (random just below 1 shows the ceiling)', () => {
    const timeline = Array.from({ length: 10 }, (_, i) => backoffDelay(i + 1, almostOne));
    expect(timeline).toEqual([499, 999, 1999, 3999, 7999, 15999, 31999, 59999, 59999, 59999]);
  });

  it('full jitter: random() scales the whole ceiling, from 0 up to (not including) it', () => {
    expect(backoffDelay(3, () => 0)).toBe(0);
    expect(backoffDelay(3, () => 0.25)).toBe(500);
    expect(backoffDelay(3, () => 0.5)).toBe(1000);
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = Math.min(60_000, 500 * 2 ** (attempt - 1));
      for (let i = 0; i < 200; i++) {
        const d = backoffDelay(attempt);
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling);
      }
    }
  });

  it('stays finite and capped for absurd attempt counts', () => {
    expect(backoffDelay(1_000, almostOne)).toBe(59_999);
    expect(backoffDelay(Number.MAX_SAFE_INTEGER, almostOne)).toBe(59_999);
  });

  it('takes another base and cap', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, almostOne, 100, 250))).toEqual([99, 199, 249, 249]);
  });
});
