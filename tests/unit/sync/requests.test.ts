/**
 * Requests that may be asked again (src/sync/requests.ts `sendUntilAnswered`): a page's first `get-state`
 * can reach a worker that is starting or stopping and get lost; the page must not wait for the next
 * keepalive (15 s) to learn the worker's state. A CI run showed "Connecting" for 15 s exactly so.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TabCommand } from '../../../contract/index.ts';
import { Requests } from '../../../src/sync/requests.ts';

afterEach(() => vi.useRealTimers());

const STATE = { connection: { kind: 'idle' }, clientId: 'c_x', user: null, swInstance: 'i1', seq: 0 };

/** A worker that loses the first `lose` posts and answers the rest at once. */
function worker(lose: number) {
  const posted: TabCommand[] = [];
  const requests: Requests = new Requests({
    async post(m) {
      posted.push(m);
      if (posted.length <= lose) return;
      const requestId = (m as { requestId: string }).requestId;
      queueMicrotask(() => requests.receive({ type: 'reply', requestId, ok: true, data: STATE }));
    },
  });
  return { requests, posted };
}

describe('sendUntilAnswered', () => {
  it('asks again when the first ask is lost, and answers the first reply', async () => {
    vi.useFakeTimers();
    const { requests, posted } = worker(1);
    const answer = requests.sendUntilAnswered({ type: 'get-state' }, 2_000, 5);
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(answer).resolves.toMatchObject({ ok: true, data: { swInstance: 'i1' } });
    expect(posted.map((m) => m.type)).toEqual(['get-state', 'get-state']);
  });

  it('asks once when the worker answers', async () => {
    vi.useFakeTimers();
    const { requests, posted } = worker(0);
    await expect(requests.sendUntilAnswered({ type: 'get-state' }, 2_000, 5)).resolves.toMatchObject({ ok: true });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(posted).toHaveLength(1);
  });

  it('fails after every ask went unanswered', async () => {
    vi.useFakeTimers();
    const { requests, posted } = worker(Infinity);
    const answer = requests.sendUntilAnswered({ type: 'get-state' }, 2_000, 3);
    const failed = expect(answer).rejects.toThrow(/did not answer "get-state"/);
    await vi.advanceTimersByTimeAsync(20_000);
    await failed;
    expect(posted).toHaveLength(3);
  });
});
