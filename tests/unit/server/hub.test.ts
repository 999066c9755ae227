/**
 * The hub counts each user's and each session's open sockets as they come and go (the upgrade caps read the
 * counts: docs/server.md "Limits"); counting replaced a scan of the user's sockets at every upgrade.
 */
import { describe, expect, it } from 'vitest';
import type { UserId } from '../../../protocol/index.ts';
import { Hub, type Subscriber } from '../../../server/ws/hub.ts';

function socket(userId: string, tokenHash: string): Subscriber {
  return {
    userId: userId as UserId,
    tokenHash,
    dropped: false,
    dashboards: () => [],
    deliver: () => undefined,
    notice: () => undefined,
    close: () => undefined,
    bufferedAmount: () => 0,
    dropSlow: () => undefined,
  };
}

describe('hub socket counts', () => {
  it('counts sockets per user over sessions and per session, and gives places back as sockets close', () => {
    const hub = new Hub();
    const a1 = socket('u_a', 'ta1');
    const a2 = socket('u_a', 'ta1');
    const a3 = socket('u_a', 'ta2');
    const b = socket('u_b', 'tb');
    for (const s of [a1, a2, a3, b]) hub.add(s);
    expect(hub.socketsOf('u_a' as UserId, 'ta1')).toEqual({ user: 3, session: 2 });
    expect(hub.socketsOf('u_a' as UserId, 'ta2')).toEqual({ user: 3, session: 1 });
    expect(hub.socketsOf('u_b' as UserId, 'tb')).toEqual({ user: 1, session: 1 });
    expect(hub.socketsOf('u_c' as UserId, 'tc')).toEqual({ user: 0, session: 0 });

    hub.remove(a1);
    expect(hub.socketsOf('u_a' as UserId, 'ta1')).toEqual({ user: 2, session: 1 });
    // A socket added or removed twice counts once.
    hub.add(a2);
    hub.remove(a1);
    expect(hub.socketsOf('u_a' as UserId, 'ta1')).toEqual({ user: 2, session: 1 });
    hub.remove(a2);
    hub.remove(a3);
    expect(hub.socketsOf('u_a' as UserId, 'ta1')).toEqual({ user: 0, session: 0 });
    expect(hub.size).toBe(1);
  });
});
