/** Conformance: login failure counters, session revocation and the purge of what expired. */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../server/store/store.ts';
import { createNote, makeWorld, mut, push, wid } from './fixtures.ts';

export function securityConformance(withStore: (fn: (store: Store) => Promise<void>) => () => Promise<void>) {
  describe('login failure counters', () => {
    it('count from 1, keep a fixed end unless extended, and read as nothing once lapsed', withStore(async (store) => {
      expect(await store.failures('k', 1_000)).toBeNull();
      expect(await store.countFailure('k', 1_000, 500, false)).toEqual({ count: 1, expiresAt: 1_500 });
      expect(await store.countFailure('k', 1_200, 500, false)).toEqual({ count: 2, expiresAt: 1_500 });
      expect(await store.countFailure('k', 1_300, 500, true)).toEqual({ count: 3, expiresAt: 1_800 });
      expect(await store.failures('k', 1_799)).toEqual({ count: 3, expiresAt: 1_800 });
      expect(await store.failures('k', 1_800)).toBeNull();
      // A lapsed counter starts again.
      expect(await store.countFailure('k', 1_800, 500, false)).toEqual({ count: 1, expiresAt: 2_300 });
      expect(await store.failures('other', 1_900)).toBeNull();
    }));

    it('are cleared by key, and count every one of many concurrent failures', withStore(async (store) => {
      await Promise.all(Array.from({ length: 20 }, () => store.countFailure('k', 1_000, 60_000, true)));
      expect((await store.failures('k', 1_000))?.count).toBe(20);
      await store.countFailure('j', 1_000, 60_000, true);
      await store.clearFailures('k');
      expect(await store.failures('k', 1_000)).toBeNull();
      expect((await store.failures('j', 1_000))?.count).toBe(1);
    }));
  });

  describe('revocation and purge', () => {
    it("deletes a user's sessions but the one kept, and no one else's", withStore(async (store) => {
      const alice = await store.createUser('alice', 'h');
      const bob = await store.createUser('bob', 'h');
      for (const t of ['a1', 'a2', 'a3']) await store.createSession(t, alice.id, 10_000);
      await store.createSession('b1', bob.id, 10_000);
      expect(await store.deleteUserSessions(alice.id, 'a2')).toBe(2);
      expect(await store.getSession('a1', 0)).toBeNull();
      expect(await store.getSession('a2', 0)).toEqual({ userId: alice.id, expiresAt: 10_000 });
      expect(await store.getSession('a3', 0)).toBeNull();
      expect(await store.getSession('b1', 0)).not.toBeNull();
      expect(await store.deleteUserSessions(alice.id)).toBe(1);
      expect(await store.getSession('a2', 0)).toBeNull();
    }));

    it('purges expired sessions and lapsed failure counters only', withStore(async (store) => {
      const alice = await store.createUser('alice', 'h');
      await store.createSession('old', alice.id, 1_000);
      await store.createSession('new', alice.id, 3_000);
      await store.countFailure('lapsed', 0, 1_000, false);
      await store.countFailure('live', 0, 5_000, false);
      expect(await store.purgeExpired(2_000)).toEqual({ sessions: 1, failures: 1 });
      expect(await store.getSession('new', 2_000)).not.toBeNull();
      expect(await store.failures('live', 2_000)).toEqual({ count: 1, expiresAt: 5_000 });
      // Nothing left to purge; a session past its end is gone for good, not merely hidden.
      expect(await store.purgeExpired(2_000)).toEqual({ sessions: 0, failures: 0 });
      expect(await store.getSession('old', 0)).toBeNull();
    }));
  });

  describe('writers', () => {
    it("count another user presenting someone's clientId as another writer: a conflict, not an overwrite", withStore(async (store) => {
      const w = await makeWorld(store);
      const setText = (text: string) => mut(w, w.ca, { name: 'widget.set', args: { widgetId: wid('n'), patch: { text } } } as never, { baseVersion: 1 });
      await push(w, w.alice, w.ca, [mut(w, w.ca, createNote(wid('n')))]);
      expect((await push(w, w.alice, w.ca, [setText('alice')])).results[0].status).toBe('applied');
      expect((await push(w, w.alice, w.ca, [setText('alice again')])).results[0].status).toBe('applied');
      const reused = await push(w, w.bob, w.ca, [setText('bob')]);
      expect(reused.results[0]).toMatchObject({ status: 'conflict', fields: ['text'] });
      expect(reused.changes).toEqual([]);
    }));
  });
}
