/** The operator CLI, spawned as `node --import tsx server/cli.ts` against a temp database file. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../server/store/open-store.ts';
import { verifyPassword } from '../../server/auth/password.ts';
import { hashToken } from '../../server/auth/sessions.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
let dir: string;
let databaseUrl: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'fieldboard-cli-'));
  databaseUrl = `sqlite:${path.join(dir, 'cli.db')}`;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, FIELDBOARD_PASSWORD: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function withStore<T>(fn: (store: Awaited<ReturnType<typeof openStore>>) => Promise<T>): Promise<T> {
  const store = await openStore(databaseUrl);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

// Every command is a fresh `node --import tsx` process: seconds each on a loaded machine.
describe('cli', { timeout: 90_000 }, () => {
  it('adds users with a password from the flag or the environment, and refuses duplicates', async () => {
    expect((await cli(['add-user', 'alice', '--password', 'alice-pw'])).code).toBe(0);
    expect((await cli(['add-user', 'bob'], { FIELDBOARD_PASSWORD: 'bob-pw' })).code).toBe(0);
    const dup = await cli(['add-user', 'alice', '--password', 'x-pw-x']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('already exists');
    const noPassword = await cli(['add-user', 'carol']);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('--password');
    await withStore(async (store) => {
      const alice = await store.findUserByName('alice');
      expect(alice && (await verifyPassword('alice-pw', alice.passwordHash))).toBe(true);
      const bob = await store.findUserByName('bob');
      expect(bob && (await verifyPassword('bob-pw', bob.passwordHash))).toBe(true);
    });
  });

  it('changes passwords, creates dashboards, adds members and lists them', async () => {
    await cli(['add-user', 'alice', '--password', 'alice-pw']);
    await cli(['add-user', 'bob', '--password', 'bob-pw']);
    expect((await cli(['set-password', 'alice', '--password', 'new-pw'])).code).toBe(0);
    expect((await cli(['set-password', 'nobody', '--password', 'new-pw'])).code).toBe(1);
    const made = await cli(['add-dashboard', 'Plant A', '--owner', 'alice']);
    expect(made.code).toBe(0);
    const dashboardId = /\((d_[^)]+)\)/.exec(made.stdout)?.[1];
    expect(dashboardId).toMatch(/^d_/);
    expect((await cli(['add-member', dashboardId!, 'bob'])).code).toBe(0);
    expect((await cli(['add-member', 'not-an-id', 'bob'])).code).toBe(2);
    await withStore(async (store) => {
      const alice = await store.findUserByName('alice');
      expect(alice && (await verifyPassword('new-pw', alice.passwordHash))).toBe(true);
      const bob = await store.findUserByName('bob');
      expect(await store.isMember(dashboardId as never, bob!.id)).toBe(true);
    });
    const users = await cli(['list-users']);
    expect(users.code).toBe(0);
    expect(users.stdout).toMatch(/alice/);
    expect(users.stdout).toMatch(/bob/);
    const dashboards = await cli(['list-dashboards']);
    expect(dashboards.code).toBe(0);
    expect(dashboards.stdout).toContain('Plant A');
  });

  it('prints an ingest token once and stores only its hash, scoped to the dashboards named or to all', async () => {
    await cli(['add-user', 'alice', '--password', 'alice-pw']);
    const d1 = /\((d_[^)]+)\)/.exec((await cli(['add-dashboard', 'Plant A', '--owner', 'alice'])).stdout)![1];
    const d2 = /\((d_[^)]+)\)/.exec((await cli(['add-dashboard', 'Plant B', '--owner', 'alice'])).stdout)![1];
    const all = await cli(['add-ingest-token', '--label', 'plc-1', '--all-dashboards']);
    expect(all.code).toBe(0);
    const token = all.stdout.trim();
    expect(token.length).toBeGreaterThan(20);
    const scoped = await cli(['add-ingest-token', '--dashboards', `${d1},${d2}`]);
    expect(scoped.code).toBe(0);
    // A choice must be made; an unknown dashboard is refused and makes no token.
    expect((await cli(['add-ingest-token', '--label', 'x'])).code).toBe(2);
    expect((await cli(['add-ingest-token', '--dashboards', 'd_unknown'])).code).toBe(1);
    await withStore(async (store) => {
      expect(await store.ingestTokenScope(hashToken(token))).toBe('all');
      expect(await store.ingestTokenScope(token)).toBeNull();
      expect(await store.ingestTokenScope(hashToken(scoped.stdout.trim()))).toEqual([d1, d2].sort());
    });
  });

  it('explains usage errors with exit code 2', async () => {
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command');
    const bad = await cli(['add-user', 'x', '--password', 'pw-pw'], { PORT: 'eighty' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('PORT');
  });
});
