/**
 * The SQLite backend: the conformance suite against a real file and against memory, then what only a file
 * can show (persistence across close and reopen, WAL, migrations) and how DATABASE_URL is read.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../server/store/open-store.ts';
import { SCHEMA_VERSION } from '../../server/store/migrations.ts';
import { prepareStatements } from '../../server/store/sqlite-statements.ts';
import { describeStoreConformance } from './conformance.ts';
import { createCounter, createNote, makeWorld, mut, one, push, wid } from './fixtures.ts';

let dir: string;
let files = 0;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'fieldboard-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});
const freshFile = () => path.join(dir, `store-${++files}.db`);

describeStoreConformance('sqlite file', () => openStore(`sqlite:${freshFile()}`));
describeStoreConformance('sqlite memory', () => openStore('sqlite::memory:'));

describe('sqlite file', () => {
  it('keeps epoch, widgets, sessions and idempotency records across close and reopen', async () => {
    const file = freshFile();
    const first = await openStore(`sqlite:${file}`);
    const w = await makeWorld(first);
    const create = mut(w, w.ca, createCounter(wid('a')));
    const addOne = mut(w, w.ca, { name: 'counter.add', args: { widgetId: wid('a'), delta: 1 } });
    const out = await push(w, w.alice, w.ca, [create, addOne]);
    await first.createSession('th', w.alice.id, Number.MAX_SAFE_INTEGER);
    const epoch = first.epoch;
    const before = await first.snapshot(w.dashboardId);
    await first.close();

    const second = await openStore(`sqlite:${file}`);
    try {
      const again = { ...w, store: second };
      expect(second.epoch).toBe(epoch);
      expect(await second.snapshot(w.dashboardId)).toEqual(before);
      expect(await push(again, w.alice, w.ca, [create, addOne])).toEqual({ results: out.results, changes: [] });
      expect(await second.getSession('th', 0)).toEqual({ userId: w.alice.id, expiresAt: Number.MAX_SAFE_INTEGER });
      expect(await one(again, mut(w, w.ca, createNote(wid('n'))))).toMatchObject({ status: 'applied', seq: 3 });
    } finally {
      await second.close();
    }
  });

  it('keeps seq gap-free when two connections (server and CLI) write the same file', async () => {
    const file = freshFile();
    const first = await openStore(`sqlite:${file}`);
    const second = await openStore(`sqlite:${file}`);
    try {
      const w = await makeWorld(first);
      const via = [w, { ...w, store: second }];
      await one(w, mut(w, w.ca, createCounter(wid('a'))));
      const seqs: number[] = [];
      for (let i = 0; i < 6; i++) {
        const out = await Promise.all(via.map((x) => push(x, w.alice, w.ca, [mut(w, w.ca, { name: 'counter.add', args: { widgetId: wid('a'), delta: 1 } })])));
        seqs.push(...out.flatMap((o) => o.changes.map((c) => c.seq)));
      }
      expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 2));
      expect(second.epoch).toBe(first.epoch);
      expect((await second.snapshot(w.dashboardId)).widgets[0]).toMatchObject({ value: 12, version: 13 });
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('gives every new database its own epoch', async () => {
    const a = await openStore(`sqlite:${freshFile()}`);
    const b = await openStore(`sqlite:${freshFile()}`);
    expect(a.epoch).not.toBe(b.epoch);
    await a.close();
    await b.close();
  });

  it('runs in WAL mode at the current schema version', async () => {
    const file = freshFile();
    const store = await openStore(`sqlite:${file}`);
    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    } finally {
      raw.close();
      await store.close();
    }
  });

  it('reads catch-up through the widgets_feed index, not the change log', async () => {
    const file = freshFile();
    const store = await openStore(`sqlite:${file}`);
    await store.close();
    const raw = new Database(file);
    try {
      const plan = raw.prepare(`EXPLAIN QUERY PLAN ${prepareStatements(raw).feed.source}`).all('d_x', 0, 10) as { detail: string }[];
      const details = plan.map((p) => p.detail).join('\n');
      expect(details).toMatch(/SEARCH w USING (COVERING )?INDEX widgets_feed/);
      expect(details).toMatch(/SEARCH c USING PRIMARY KEY|SEARCH c USING INDEX sqlite_autoindex_changes/);
      expect(details).not.toMatch(/SCAN c/);
    } finally {
      raw.close();
    }
  });

  it('refuses a database written by a newer schema', async () => {
    const file = freshFile();
    await (await openStore(`sqlite:${file}`)).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    await expect(openStore(`sqlite:${file}`)).rejects.toThrow(/newer than this server knows/);
  });

  it('answers ping false once closed, and closes twice without error', async () => {
    const store = await openStore(`sqlite:${freshFile()}`);
    await store.close();
    expect(await store.ping()).toBe(false);
    await expect(store.close()).resolves.toBeUndefined();
  });
});

describe('openStore', () => {
  it('creates the parent folders of a sqlite file', async () => {
    const file = path.join(dir, 'deep', 'er', 'fieldboard.db');
    const store = await openStore(`sqlite:${file}`);
    expect(existsSync(file)).toBe(true);
    await store.close();
  });

  it('opens private in-memory databases', async () => {
    const a = await openStore('sqlite::memory:');
    const b = await openStore('sqlite::memory:');
    await a.createUser('alice', 'h');
    expect(await b.findUserByName('alice')).toBeNull();
    await a.close();
    await b.close();
  });

  it('says clearly what it cannot open, without echoing credentials', async () => {
    const pgErr = await openStore('postgres://u:secret@127.0.0.1:1/fb').catch((e: Error) => e);
    expect(pgErr).toBeInstanceOf(Error);
    expect(String(pgErr)).not.toContain('secret');
    await expect(openStore('sqlite:')).rejects.toThrow(/needs a path/);
    const err = await openStore('mysql://u:secret@db/fb').catch((e: Error) => e);
    expect(String(err)).toMatch(/unsupported DATABASE_URL scheme "mysql"/);
    expect(String(err)).not.toContain('secret');
    await expect(openStore('data/fieldboard.db')).rejects.toThrow(/unsupported DATABASE_URL/);
  });
});
