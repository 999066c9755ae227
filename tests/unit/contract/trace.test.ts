/** The hop trace's mark writer (contract/trace.ts): silent when off, and a bounded timeline when nobody reads it. */
import { afterEach, describe, expect, it } from 'vitest';
import { HOPS, MAX_MARKS, trace, type TraceDetail } from '../../../contract/trace.ts';

const ours = () => performance.getEntriesByType('mark').filter((e) => e.name.startsWith('fb:'));

afterEach(() => {
  for (const name of Object.values(HOPS)) performance.clearMarks(name);
});

describe('trace marks', () => {
  it('marks nothing while off, then marks each hop with its mutation id', () => {
    trace.mark(HOPS.made, 'm_off');
    expect(ours()).toEqual([]);

    trace.enable();
    trace.mark(HOPS.made, 'm_1');
    trace.mark(HOPS.click, 'm_1', 5);
    const marks = ours().map((e) => ({ name: e.name, m: ((e as PerformanceMark).detail as TraceDetail).m }));
    expect(marks).toEqual(
      expect.arrayContaining([
        { name: HOPS.made, m: 'm_1' },
        { name: HOPS.click, m: 'm_1' },
      ]),
    );
    expect(performance.getEntriesByName(HOPS.click, 'mark')[0].startTime).toBe(5);
  });

  it('clears its marks once they pass MAX_MARKS, so a realm nobody reads stays bounded', () => {
    trace.enable();
    let most = 0;
    for (let i = 0; i < MAX_MARKS * 2; i++) {
      trace.mark(HOPS.wire, `m_${i}`);
      if (i % 500 === 0) most = Math.max(most, ours().length);
    }
    expect(most).toBeLessThanOrEqual(MAX_MARKS + 1_000);
    expect(ours().length).toBeLessThanOrEqual(MAX_MARKS + 1_000);
  });
});
