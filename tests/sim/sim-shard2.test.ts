/** The second half of the simulation's bounded batch (batch.ts), in its own worker so both cores work. */
import { expect, it } from 'vitest';
import { FROM, SEEDS, runBatch } from './batch.ts';

const HALF = Math.ceil(SEEDS / 2);

it(`keeps every invariant over seeds ${FROM + HALF}..${FROM + SEEDS - 1}`, { timeout: 600_000 }, async () => {
  const r = await runBatch(FROM + HALF, SEEDS - HALF);
  console.log(r.summary.join('\n'));
  expect(r.unknown, r.unknown.join('\n\n')).toEqual([]);
});
