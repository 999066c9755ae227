/**
 * The benchmarks' time limit (bench/lib/deadline.ts): a side that finishes is measured, one that never
 * does is stopped and reported with the phase it had reached (its stop hook run, its polling ended), and
 * one that throws is reported as failed without ending the run.
 */
import { describe, expect, it } from 'vitest';
import { whyMissing, withinLimit } from '../../../bench/lib/deadline.ts';

describe('withinLimit', () => {
  it('answers the value of work that finishes', async () => {
    const out = await withinLimit(60_000, async (p) => ((p.phase = 'measuring'), 42), async () => {});
    expect(out).toEqual({ kind: 'done', value: 42 });
  });

  it('stops work that never finishes: runs the stop hook, ends its polling and says where it stood', async () => {
    let stopped = 0;
    let polls = 0;
    let ended: unknown = null;
    const out = await withinLimit(
      30,
      async (p) => {
        p.phase = 'draining: 5 of 10 applied';
        try {
          for (;;) {
            p.check();
            polls++;
            await new Promise((r) => setTimeout(r, 1));
          }
        } catch (err) {
          ended = err;
          throw err;
        }
      },
      async () => void stopped++,
    );
    expect(out).toEqual({ kind: 'unfinished', limitS: 0, phase: 'draining: 5 of 10 applied' });
    expect(stopped).toBe(1);
    expect(polls).toBeGreaterThan(0);
    expect(String(ended)).toMatch(/time limit/);
    expect(whyMissing(out, 'Fieldboard')).toBe('Fieldboard did not finish in 0 s (draining: 5 of 10 applied)');
  });

  it('reports work that throws as failed, with its phase and first line', async () => {
    const out = await withinLimit(
      60_000,
      async (p) => {
        p.phase = 'seeding';
        throw new Error('Target crashed\nstack...');
      },
      async () => {},
    );
    expect(out).toEqual({ kind: 'failed', phase: 'seeding', message: 'Target crashed' });
    expect(whyMissing(out, 'Fieldboard')).toBe('Fieldboard failed while seeding: Target crashed');
    expect(whyMissing({ kind: 'not-run', why: '--full' }, 'Queue')).toBe('Queue not run (--full)');
  });
});
