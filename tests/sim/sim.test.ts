/**
 * The simulation in `npm test`: the first half of the bounded batch (batch.ts; the second half runs in
 * sim-shard2.test.ts, in parallel), that a seed replays exactly, the scripts of the bugs it found
 * (regressions.ts), and that the checks catch what they claim to (a lost, a doubled mutation and a replica
 * out of date planted in a finished run). A failing seed is shrunk and printed with a
 * one-line replay; the batch fails on any finding that is not a known open bug (known.ts).
 */
import { describe, expect, it } from 'vitest';
import { FROM, SEEDS, runBatch } from './batch.ts';
import { signature } from './known.ts';
import { REGRESSIONS } from './regressions.ts';
import { generate } from './schedule.ts';
import { runSim } from './sim.ts';

const HALF = Math.ceil(SEEDS / 2);

describe('deterministic simulation of the sync loop', () => {
  it('replays a seed exactly', async () => {
    const steps = generate(7);
    const a = await runSim(7, steps, { verbose: true });
    const b = await runSim(7, steps, { verbose: true });
    expect(a.trace.length).toBeGreaterThan(100);
    expect(b.trace).toEqual(a.trace);
  });

  it(`keeps every invariant over seeds ${FROM}..${FROM + HALF - 1}`, { timeout: 600_000 }, async () => {
    const r = await runBatch(FROM, HALF);
    console.log(r.summary.join('\n'));
    expect(r.unknown, r.unknown.join('\n\n')).toEqual([]);
  });
});

describe('the bugs it found (regressions.ts)', () => {
  for (const r of REGRESSIONS) {
    it(r.open ? `still fails while open: ${r.name}` : `stays fixed: ${r.name}`, async () => {
      const o = await runSim(r.seed, r.steps, { card: r.card });
      const found = o.findings.map(signature);
      if (r.open) expect(found, `${r.open} no longer fails: move it to fixed (regressions.ts) and out of known.ts`).toContain(r.open);
      else expect(o.findings).toEqual([]);
    });
  }
});

describe('the checks catch what they claim to', () => {
  const steps = generate(3);
  it('a mutation the server forgot is lost', async () => {
    const o = await runSim(3, steps, {
      tamper: (s) => {
        const row = s.db.prepare(`SELECT mutation_id FROM changes WHERE mutation_id LIKE 'm_A%' ORDER BY seq DESC LIMIT 1`).get() as { mutation_id: string };
        s.db.prepare(`DELETE FROM mutations WHERE id = ?`).run(row.mutation_id);
      },
    });
    expect(o.findings.map((f) => f.kind)).toContain('lost');
  });

  it('a mutation applied twice is found', async () => {
    const o = await runSim(3, steps, {
      tamper: (s) => {
        const c = s.db.prepare(`SELECT * FROM changes WHERE mutation_id LIKE 'm_A%' ORDER BY seq DESC LIMIT 1`).get() as Record<string, unknown>;
        s.db
          .prepare(`INSERT INTO changes (dashboard_id, seq, widget_id, version, widget, mutation_id, client_id, user_id, at) VALUES (?, 100000, ?, 100000, ?, ?, ?, ?, ?)`)
          .run(c.dashboard_id, c.widget_id, c.widget, c.mutation_id, c.client_id, c.user_id, c.at);
      },
    });
    expect(o.findings.map((f) => f.kind)).toContain('twice');
  });

  it('a replica that missed a change is found', async () => {
    const o = await runSim(3, steps, {
      tamper: (s) => {
        s.db.prepare(`UPDATE widgets SET record = json_set(record, '$.widget.title', 'tampered') WHERE widget_id = 'w_note1'`).run();
      },
    });
    expect(o.findings.map((f) => f.kind)).toContain('diverged');
  });
});
