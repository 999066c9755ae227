/**
 * A click survives a worker that stops before answering (docs/service-worker.md): the page's mutation line
 * (src/sync/mutation-line.ts) against the worker's real append with tab numbering (sw/store.ts over
 * fake-indexeddb, sw/tab-order.ts), through a channel that loses posts and answers and a worker that
 * restarts with empty memory. Whatever is lost, every click is answered, taken once, and in click order.
 */
import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Mutation } from '../../../protocol/index.ts';
import type { Answer, OutboxEntry } from '../../../contract/index.ts';
import { DbHandle } from '../../../contract/local-db/index.ts';
import { SwStore } from '../../../sw/store.ts';
import { admit } from '../../../sw/tab-order.ts';
import { MutationLine, type LineEnv } from '../../../src/sync/mutation-line.ts';
import { ALICE, WA, WB, freshDbName, mk } from '../sw/helpers.ts';

type Posted = Parameters<LineEnv['ask']>[0];

/** A virtual clock for the line's timer. */
class Clock {
  now = 0;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  after = (ms: number, fn: () => void) => {
    const t = { at: this.now + ms, fn, live: true };
    this.timers.push(t);
    return () => void (t.live = false);
  };
  /** Moves to the next live timer and runs it; false when none is set. */
  next(): boolean {
    const due = this.timers.filter((t) => t.live).sort((a, b) => a.at - b.at)[0];
    if (!due) return false;
    due.live = false;
    this.now = Math.max(this.now, due.at);
    due.fn();
    return true;
  }
}

/** The worker end: posts arrive in order; the worker may lose one (stopped before reading it) or its answer. */
class Worker {
  readonly inbox: { cmd: Posted; answer: (r: Answer<'mutate'>) => void }[] = [];
  store: SwStore;
  constructor(
    private readonly dbName: string,
    private readonly clock: Clock,
  ) {
    this.store = new SwStore(new DbHandle(dbName));
  }
  ask = (cmd: Posted) => new Promise<Answer<'mutate'>>((answer) => this.inbox.push({ cmd, answer }));
  /** Takes the next post: `lose` drops it unread, `mute` processes it and loses the answer. */
  async step(how: 'deliver' | 'lose' | 'mute'): Promise<void> {
    const next = this.inbox.shift();
    if (!next || how === 'lose') return;
    const r = await this.store.append(ALICE.id, next.cmd.mutation, null, next.cmd.from!, this.clock.now);
    const reply: Answer<'mutate'> =
      r.kind === 'out-of-order'
        ? { ok: false, code: 'out-of-order', error: 'out of order' }
        : { ok: true, data: { entry: r.entry, outboxSeq: 0, swInstance: 'test' } };
    if (how === 'deliver') next.answer(reply);
  }
  /** The browser stops the worker: unread posts are lost with it; a new one starts on the same database. */
  async restart(): Promise<void> {
    this.inbox.length = 0;
    await this.store.handle.close();
    this.store = new SwStore(new DbHandle(this.dbName));
    await this.store.restore();
  }
}

const stores: SwStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.handle.close();
});

const settle = () => new Promise((r) => setTimeout(r, 0));

type Click = { kind: 'add'; delta: number } | { kind: 'title'; title: string };
type Step = { k: 'click'; click: Click } | { k: 'deliver' } | { k: 'lose' } | { k: 'mute' } | { k: 'quiet' } | { k: 'restart' };

const click = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), delta: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ kind: fc.constant('title' as const), title: fc.string({ minLength: 1, maxLength: 6 }) }),
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: click.map((c) => ({ k: 'click' as const, click: c })) },
  { weight: 4, arbitrary: fc.constant({ k: 'deliver' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'lose' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'mute' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'quiet' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'restart' as const }) },
);

const toMutation = (c: Click, clientId: Mutation['clientId']): Mutation =>
  c.kind === 'add' ? mk.add(WA, c.delta, { clientId }) : mk.set(WB, { title: c.title }, { clientId });

async function run(steps: Step[]) {
  const clock = new Clock();
  const worker = new Worker(freshDbName(), clock);
  stores.push(worker.store);
  const clientId = await worker.store.restore().then((r) => r.clientId);
  const line = new MutationLine({ ask: worker.ask, after: clock.after });
  const clicks: Click[] = [];
  const answers: Promise<Answer<'mutate'>>[] = [];
  for (const s of steps) {
    if (s.k === 'click') {
      clicks.push(s.click);
      answers.push(line.send({ type: 'mutate', mutation: toMutation(s.click, clientId) }));
    } else if (s.k === 'quiet') clock.next();
    else if (s.k === 'restart') await worker.restart();
    else await worker.step(s.k);
    await settle();
  }
  // The faults stop: the worker answers everything, and the line's timer runs while anything waits.
  for (let guard = 0; line.size > 0; guard++) {
    if (guard > 10_000) throw new Error('the line never emptied');
    if (worker.inbox.length) await worker.step('deliver');
    else clock.next();
    await settle();
  }
  stores.push(worker.store);
  return { clicks, replies: await Promise.all(answers), outbox: await worker.store.outbox(ALICE.id) };
}

function check({ clicks, replies, outbox }: { clicks: Click[]; replies: Answer<'mutate'>[]; outbox: OutboxEntry[] }) {
  expect(replies.every((r) => r.ok)).toBe(true);
  const adds = clicks.filter((c) => c.kind === 'add').map((c) => c.delta);
  const queuedAdds = outbox.flatMap((e) => (e.mutation.name === 'counter.add' ? [e.mutation.args.delta] : []));
  expect(queuedAdds).toEqual(adds); // each once, in click order
  const titles = clicks.filter((c) => c.kind === 'title').map((c) => c.title);
  const queuedTitles = outbox.flatMap((e) => (e.mutation.name === 'widget.set' ? [e.mutation.args.patch.title] : []));
  expect(queuedTitles.at(-1)).toBe(titles.at(-1)); // the last title typed wins, never an older one posted again
}

describe('the mutation line and the worker', () => {
  it('a post the worker never read is posted again after a quiet spell and taken once', async () => {
    const r = await run([
      { k: 'click', click: { kind: 'add', delta: 1 } },
      { k: 'lose' },
      { k: 'quiet' },
      { k: 'deliver' },
    ]);
    check(r);
    expect(r.outbox).toHaveLength(1);
  });

  it('a lost title posted again never overwrites the title typed after it (coalesced away, then answered duplicate)', async () => {
    const r = await run([
      { k: 'click', click: { kind: 'title', title: 'old' } },
      { k: 'mute' }, // taken, answer lost
      { k: 'click', click: { kind: 'title', title: 'new' } },
      { k: 'deliver' }, // coalesces "old" away
      { k: 'quiet' }, // "old" goes again
      { k: 'deliver' },
    ]);
    check(r);
    expect(r.outbox.map((e) => e.mutation.name === 'widget.set' && e.mutation.args.patch.title)).toEqual(['new']);
  });

  it('a click posted after a lost one is refused until the lost one arrives, so the order holds', async () => {
    const r = await run([
      { k: 'click', click: { kind: 'add', delta: 1 } },
      { k: 'lose' },
      { k: 'click', click: { kind: 'add', delta: 2 } },
      { k: 'deliver' }, // out of order: the line posts 1 and 2 again
      { k: 'deliver' },
      { k: 'deliver' },
    ]);
    check(r);
  });

  it('whatever is lost or restarted, every click is answered, taken once and in order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => check(await run(steps))),
      { numRuns: 150 },
    );
  });
});

describe('tab numbering (admit)', () => {
  const from = (n: number, waiting: number[] = []) => ({ tab: 't1', n, waiting });
  it('takes the next number, answers a number taken before as duplicate, and refuses one ahead of a waiting one', () => {
    const first = admit({}, from(1), 10);
    expect(first.kind).toBe('take');
    const log = first.kind === 'take' ? first.log : {};
    expect(admit(log, from(1), 11)).toEqual({ kind: 'duplicate' });
    expect(admit(log, from(3, [2]), 11)).toEqual({ kind: 'out-of-order', expected: 2 });
    // A number the tab gave up waiting for (its answer came: a refusal) does not hold the next one.
    expect(admit(log, from(3), 11).kind).toBe('take');
  });
  it('forgets tabs not seen for a week, and keeps at most 50', () => {
    let log = {};
    for (let i = 0; i < 60; i++) {
      const a = admit(log, { tab: `t${i}`, n: 1, waiting: [] }, i);
      if (a.kind === 'take') log = a.log;
    }
    expect(Object.keys(log)).toHaveLength(50);
    const later = admit(log, { tab: 'late', n: 1, waiting: [] }, 8 * 86_400_000);
    expect(later.kind === 'take' && Object.keys(later.log)).toEqual(['late']);
  });
});
