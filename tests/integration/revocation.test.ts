/**
 * Revocation: a password change ends the user's other sessions and closes their sockets at once on this
 * node with 1008 (the code the worker answers by asking to sign in again, keeping its outbox); sockets on
 * other nodes, or whose session an operator revoked with the CLI, close at the next periodic re-check;
 * expired session rows are purged.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/app.ts';
import { DEFAULT_CONFIG, type ServerConfig } from '../../server/config.ts';
import { api, DEMO_PASSWORD, login, openSocket, startWorld, waitUntil, type Target, type TestWorld } from './helpers.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHECK = { sessionCheckMs: 100 } satisfies Partial<ServerConfig>;

let world: TestWorld;

beforeEach(async () => {
  world = await startWorld(CHECK);
});
afterEach(async () => {
  await world.cleanup();
});

function changePassword(target: Target, cookie: string, body: unknown, origin = target.origin) {
  return fetch(`${target.server.url}/api/password`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Cookie: cookie, Origin: origin },
    body: JSON.stringify(body),
  });
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: `sqlite:${world.dbFile}` },
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('a password change', () => {
  it("revokes the user's other sessions and closes their sockets with 1008, keeping the one that changed it", async () => {
    const mine = await login(world);
    const other = await login(world);
    const mySocket = await openSocket(world, mine);
    const otherSocket = await openSocket(world, other);
    await mySocket.hello();
    await otherSocket.hello();

    const res = await changePassword(world, mine, { currentPassword: DEMO_PASSWORD, newPassword: 'a-new-password' });
    expect(res.status).toBe(204);
    expect((await otherSocket.closed).code).toBe(1008);
    await mySocket.barrier();
    expect((await api(world, other, '/api/me')).status).toBe(401);
    expect((await api(world, mine, '/api/me')).status).toBe(200);
    await expect(login(world, 'demo', DEMO_PASSWORD)).rejects.toThrow(/401/);
    await expect(login(world, 'demo', 'a-new-password')).resolves.toMatch(/^fb_session=/);
    mySocket.close();
  });

  it('needs the current password, a session, an allowed Origin and a long enough new password', async () => {
    const cookie = await login(world);
    const wrong = await changePassword(world, cookie, { currentPassword: 'nope', newPassword: 'a-new-password' });
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('bad-credentials');
    expect((await changePassword(world, cookie, { currentPassword: DEMO_PASSWORD, newPassword: 'abc' })).status).toBe(400);
    expect((await changePassword(world, 'fb_session=forged', { currentPassword: DEMO_PASSWORD, newPassword: 'a-new-password' })).status).toBe(401);
    const foreign = await changePassword(world, cookie, { currentPassword: DEMO_PASSWORD, newPassword: 'a-new-password' }, 'http://evil.example');
    expect(foreign.status).toBe(403);
    // Nothing changed.
    await expect(login(world, 'demo', DEMO_PASSWORD)).resolves.toMatch(/^fb_session=/);
  });

  it('closes the sockets of those sessions on another node at its next session check', async () => {
    const second: RunningServer = await startServer({
      ...DEFAULT_CONFIG,
      ...CHECK,
      port: 0,
      databaseUrl: `sqlite:${world.dbFile}`,
      demoPassword: DEMO_PASSWORD,
      staticDir: world.dir,
      logLevel: 'silent',
    });
    try {
      const node2: Target = { server: second, origin: `http://127.0.0.1:${second.port}` };
      const elsewhere = await login(node2);
      const socket = await openSocket(node2, elsewhere);
      await socket.hello();
      const here = await login(world);
      expect((await changePassword(world, here, { currentPassword: DEMO_PASSWORD, newPassword: 'a-new-password' })).status).toBe(204);
      expect((await socket.closed).code).toBe(1008);
    } finally {
      await second.close();
    }
  });
});

describe('the CLI', { timeout: 60_000 }, () => {
  it('revoke-sessions ends every session of the user; open sockets close with 1008', async () => {
    const cookie = await login(world);
    const socket = await openSocket(world, cookie);
    await socket.hello();
    const out = await cli(['revoke-sessions', 'demo']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/revoked 1 session/);
    expect((await socket.closed).code).toBe(1008);
    expect((await api(world, cookie, '/api/me')).status).toBe(401);
    expect((await cli(['revoke-sessions', 'nobody'])).code).toBe(1);
  });

  it('set-password revokes every session of the user', async () => {
    const cookie = await login(world);
    const socket = await openSocket(world, cookie);
    await socket.hello();
    expect((await cli(['set-password', 'demo', '--password', 'cli-new-pw'])).code).toBe(0);
    expect((await socket.closed).code).toBe(1008);
    expect((await api(world, cookie, '/api/me')).status).toBe(401);
  });
});

describe('expired sessions', () => {
  it('are purged from the database periodically', async () => {
    const purging = await startWorld({ purgeIntervalMs: 100 });
    try {
      const user = (await purging.server.store.findUserByName('demo'))!;
      await purging.server.store.createSession('expired-hash', user.id, Date.now() - 1000);
      await purging.server.store.createSession('live-hash', user.id, Date.now() + 3_600_000);
      const raw = new Database(purging.dbFile, { readonly: true });
      try {
        const has = (hash: string) => raw.prepare('SELECT 1 FROM sessions WHERE token_hash = ?').get(hash) !== undefined;
        await waitUntil(() => !has('expired-hash'), 5000, 'the expired session row to be purged');
        expect(has('live-hash')).toBe(true);
      } finally {
        raw.close();
      }
    } finally {
      await purging.cleanup();
    }
  });
});
