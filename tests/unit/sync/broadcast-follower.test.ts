/**
 * The page's follower of the worker's broadcasts (src/sync/broadcast-follower.ts): the worker's state reply
 * against status broadcasts. A CI run showed "Connecting" for 15 s with the socket up: the status
 * broadcasts (connecting, open, caught-up) went out before the page listened, later broadcasts of other
 * kinds arrived before the reply, and the reply, older than those, was dropped as stale; nothing else says
 * the connection's state again until it changes.
 */
import { describe, expect, it } from 'vitest';
import { BroadcastFollower } from '../../../src/sync/broadcast-follower.ts';

function follower() {
  const statuses: string[] = [];
  const f = new BroadcastFollower({
    status: (c) => statuses.push(c.kind),
    replica: () => {},
    outbox: () => {},
    activity: () => {},
    identity: () => {},
    missed: () => {},
  });
  return { f, statuses };
}

const outbox = (seq: number) => ({ type: 'outbox', from: seq - 1, gen: seq, upserted: [], removed: [], seq, swInstance: 'w1' });
const status = (seq: number, kind: 'open' | 'caught-up') =>
  ({ type: 'status', connection: kind === 'open' ? { kind, since: 1 } : { kind, since: 1, lastSyncedAt: 2 }, clientId: 'c_x', seq, swInstance: 'w1' });

describe('the state reply against broadcasts', () => {
  it('is current when no status broadcast newer than it was heard, even if other broadcasts were', () => {
    const { f } = follower();
    for (const seq of [7, 8, 9]) f.receive(outbox(seq));
    expect(f.adopt({ swInstance: 'w1', seq: 6 })).toBe(true);
  });

  it('is stale when a newer status broadcast was heard', () => {
    const { f, statuses } = follower();
    f.receive(status(7, 'caught-up'));
    expect(statuses).toEqual(['caught-up']);
    expect(f.adopt({ swInstance: 'w1', seq: 6 })).toBe(false);
    expect(f.adopt({ swInstance: 'w1', seq: 7 })).toBe(true);
  });

  it('is current for another worker instance than the one heard', () => {
    const { f } = follower();
    f.receive(status(9, 'open'));
    expect(f.adopt({ swInstance: 'w2', seq: 1 })).toBe(true);
  });
});
