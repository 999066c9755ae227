/** Conformance: users, sessions, dashboards and members, ingest tokens, epoch and ping. */
import { describe, expect, it } from 'vitest';
import type { DashboardId, UserId } from '../../protocol/index.ts';
import type { Store } from '../../server/store/store.ts';
import { UserIdSchema } from '../../protocol/index.ts';
import * as v from 'valibot';

export function accountsConformance(withStore: (fn: (store: Store) => Promise<void>) => () => Promise<void>) {
  describe('users', () => {
    it('creates users with protocol ids and finds them by name and id, with the password hash', withStore(async (store) => {
      const alice = await store.createUser('alice', 'hash-1');
      expect(v.is(UserIdSchema, alice.id)).toBe(true);
      expect(alice.name).toBe('alice');
      expect(await store.findUserByName('alice')).toEqual({ id: alice.id, name: 'alice', passwordHash: 'hash-1' });
      expect(await store.getUser(alice.id)).toEqual({ id: alice.id, name: 'alice' });
      expect(await store.findUserByName('nobody')).toBeNull();
      expect(await store.getUser('u_nobody' as UserId)).toBeNull();
    }));

    it('refuses a second user with the same name', withStore(async (store) => {
      await store.createUser('alice', 'h');
      await expect(store.createUser('alice', 'h2')).rejects.toThrow();
      expect((await store.findUserByName('alice'))?.passwordHash).toBe('h');
    }));

    it('counts and lists users, and lists every dashboard with its members (for the seed and the CLI)', withStore(async (store) => {
      expect(await store.countUsers()).toBe(0);
      const bob = await store.createUser('bob', 'h');
      const alice = await store.createUser('alice', 'h');
      expect(await store.countUsers()).toBe(2);
      expect(await store.listUsers()).toEqual([{ id: alice.id, name: 'alice' }, { id: bob.id, name: 'bob' }]);
      const d = await store.createDashboard('Site A', alice.id);
      await store.addMember(d.id, bob.id);
      const all = await store.listAllDashboards();
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ id: d.id, name: 'Site A' });
      expect(all[0].members.slice().sort()).toEqual(['alice', 'bob']);
    }));

    it('changes a password hash', withStore(async (store) => {
      const alice = await store.createUser('alice', 'old');
      await store.setPassword(alice.id, 'new');
      expect((await store.findUserByName('alice'))?.passwordHash).toBe('new');
    }));
  });

  describe('sessions', () => {
    it('finds a session by its token hash until it expires, and not after deletion', withStore(async (store) => {
      const alice = await store.createUser('alice', 'h');
      await store.createSession('th-1', alice.id, 2_000);
      expect(await store.getSession('th-1', 1_999)).toEqual({ userId: alice.id, expiresAt: 2_000 });
      expect(await store.getSession('th-1', 2_000)).toBeNull();
      expect(await store.getSession('th-other', 1_000)).toBeNull();
      await store.deleteSession('th-1');
      expect(await store.getSession('th-1', 1_000)).toBeNull();
      await expect(store.deleteSession('th-1')).resolves.toBeUndefined();
    }));
  });

  describe('dashboards and members', () => {
    it('makes the owner a member and lists only the dashboards a user belongs to, in creation order', withStore(async (store) => {
      const alice = await store.createUser('alice', 'h');
      const bob = await store.createUser('bob', 'h');
      const d1 = await store.createDashboard('Plant A', alice.id);
      const d2 = await store.createDashboard('Plant B', alice.id);
      const d3 = await store.createDashboard('Bob only', bob.id);
      expect(await store.listDashboards(alice.id)).toEqual([d1, d2]);
      expect(await store.listDashboards(bob.id)).toEqual([d3]);
      expect(await store.isMember(d1.id, alice.id)).toBe(true);
      expect(await store.isMember(d1.id, bob.id)).toBe(false);
      expect(await store.isMember('d_missing' as DashboardId, alice.id)).toBe(false);
    }));

    it('adds members once, however often asked', withStore(async (store) => {
      const alice = await store.createUser('alice', 'h');
      const bob = await store.createUser('bob', 'h');
      const d = await store.createDashboard('Plant', alice.id);
      await store.addMember(d.id, bob.id);
      await store.addMember(d.id, bob.id);
      expect(await store.isMember(d.id, bob.id)).toBe(true);
      expect((await store.members(d.id)).slice().sort()).toEqual([alice.id, bob.id].sort());
      expect(await store.listDashboards(bob.id)).toEqual([d]);
    }));

    it('refuses a member of a dashboard that does not exist', withStore(async (store) => {
      const alice = await store.createUser('alice', 'h');
      await expect(store.addMember('d_missing' as DashboardId, alice.id)).rejects.toThrow();
      expect(await store.isMember('d_missing' as DashboardId, alice.id)).toBe(false);
    }));

    it('starts a dashboard empty at seq 0', withStore(async (store) => {
      const alice = await store.createUser('alice', 'h');
      const d = await store.createDashboard('Plant', alice.id);
      expect(await store.snapshot(d.id)).toEqual({ seq: 0, widgets: [] });
      expect(await store.recentChanges(d.id, 10)).toEqual([]);
    }));
  });

  describe('ingest tokens, epoch, ping', () => {
    it('knows ingest tokens by hash only, with the dashboards they may write', withStore(async (store) => {
      const alice = await store.createUser('alice', 'h');
      const a = await store.createDashboard('A', alice.id);
      const b = await store.createDashboard('B', alice.id);
      await store.createIngestToken('hash-of-token', 'plc-1', 'all');
      await store.createIngestToken('hash-scoped', 'plc-2', [a.id, b.id]);
      expect(await store.ingestTokenScope('hash-of-token')).toBe('all');
      expect((await store.ingestTokenScope('hash-scoped')) as string[]).toEqual([a.id, b.id].sort());
      expect(await store.ingestTokenScope('another')).toBeNull();
      await expect(store.createIngestToken('hash-bad', 'x', ['d_nope' as DashboardId])).rejects.toThrow();
      expect(await store.ingestTokenScope('hash-bad')).toBeNull();
    }));

    it('has a non-empty epoch that fits the wire (at most 100 characters) and answers ping', withStore(async (store) => {
      expect(typeof store.epoch).toBe('string');
      expect(store.epoch.length).toBeGreaterThan(0);
      expect(store.epoch.length).toBeLessThanOrEqual(100);
      expect(await store.ping()).toBe(true);
    }));
  });
}
