/**
 * Login throttling: consecutive failures per (user name, address) and failures per address per day end in
 * 429 with Retry-After; another name from the same address still signs in; a success resets the count;
 * every failure is logged at warn with name, address and count, never the password; the counts live in the
 * store, so a second node on the same database sees them.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startServer } from '../../server/app.ts';
import { DEFAULT_CONFIG } from '../../server/config.ts';
import { createUser, DEMO_PASSWORD, startWorld, type Target, type TestWorld } from './helpers.ts';

let world: TestWorld;

beforeEach(async () => {
  world = await startWorld({ loginMaxFailures: 3, loginLockoutS: 600, loginMaxFailuresPerAddressDay: 8 });
  await createUser(world, 'alice', 'alice-pw');
});
afterEach(async () => {
  await world.cleanup();
});

function attempt(target: Target, username: string, password: string) {
  return fetch(`${target.server.url}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: target.origin },
    body: JSON.stringify({ username, password }),
  });
}

async function fail(target: Target, username: string, times: number) {
  for (let i = 0; i < times; i++) expect((await attempt(target, username, `wrong-${i}`)).status).toBe(401);
}

describe('consecutive failures of one name from one address', () => {
  it('answer 429 with Retry-After and a message once over the limit, even for the right password', async () => {
    await fail(world, 'demo', 3);
    const locked = await attempt(world, 'demo', DEMO_PASSWORD);
    expect(locked.status).toBe(429);
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    const body = (await locked.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('too-many-attempts');
    expect(body.error.message).toMatch(/too many failed sign-ins/i);
    expect(body.error.message).toMatch(/minute/);
  });

  it('do not lock out another user name from the same address', async () => {
    await fail(world, 'demo', 3);
    expect((await attempt(world, 'demo', DEMO_PASSWORD)).status).toBe(429);
    expect((await attempt(world, 'alice', 'alice-pw')).status).toBe(204);
  });

  it('are reset by a success', async () => {
    await fail(world, 'demo', 2);
    expect((await attempt(world, 'demo', DEMO_PASSWORD)).status).toBe(204);
    await fail(world, 'demo', 2);
    expect((await attempt(world, 'demo', DEMO_PASSWORD)).status).toBe(204);
  });

  it('count unknown names too, without telling them apart', async () => {
    await fail(world, 'nobody', 3);
    const locked = await attempt(world, 'nobody', 'x');
    expect(locked.status).toBe(429);
  });

  it('are logged at warn with name, address and count, never the password', async () => {
    const warn = vi.spyOn(world.server.log, 'warn');
    await attempt(world, 'demo', 'hunter2-secret');
    await attempt(world, 'demo', 'hunter3-secret');
    const failures = warn.mock.calls.filter((c) => String(c[1]).includes('sign-in failed'));
    expect(failures).toHaveLength(2);
    expect(failures[1][0]).toMatchObject({ user: 'demo', address: expect.stringMatching(/127\.0\.0\.1/), failures: 2 });
    expect(JSON.stringify(warn.mock.calls)).not.toContain('hunter');
  });
});

describe('failures per address per day', () => {
  it('lock the address out for every name once over the daily limit', async () => {
    // Under the per-name limit each time, spread over names (password spraying).
    for (const name of ['a1', 'a2', 'a3', 'a4']) await fail(world, name, 2);
    const locked = await attempt(world, 'alice', 'alice-pw');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(600);
  });
});

describe('several nodes', () => {
  it('share the counts through the store', async () => {
    const second = await startServer({
      ...DEFAULT_CONFIG,
      port: 0,
      databaseUrl: `sqlite:${world.dbFile}`,
      demoPassword: DEMO_PASSWORD,
      staticDir: world.dir,
      logLevel: 'silent',
      loginMaxFailures: 3,
      loginLockoutS: 600,
      loginMaxFailuresPerAddressDay: 8,
    });
    try {
      const other: Target = { server: second, origin: `http://127.0.0.1:${second.port}` };
      await fail(world, 'demo', 2);
      await fail(other, 'demo', 1);
      expect((await attempt(world, 'demo', DEMO_PASSWORD)).status).toBe(429);
      expect((await attempt(other, 'demo', DEMO_PASSWORD)).status).toBe(429);
    } finally {
      await second.close();
    }
  });
});

describe('the proxy address', () => {
  it('is the last X-Forwarded-For entry only when FIELDBOARD_TRUST_PROXY is on', async () => {
    const proxied = await startWorld({ loginMaxFailures: 2, trustProxy: true });
    try {
      const from = (addr: string, password: string) =>
        fetch(`${proxied.server.url}/api/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Origin: proxied.origin, 'X-Forwarded-For': `6.6.6.6, ${addr}` },
          body: JSON.stringify({ username: 'demo', password }),
        });
      expect((await from('10.0.0.1', 'x')).status).toBe(401);
      expect((await from('10.0.0.1', 'y')).status).toBe(401);
      expect((await from('10.0.0.1', DEMO_PASSWORD)).status).toBe(429);
      // Another client behind the same proxy is not locked out.
      expect((await from('10.0.0.2', DEMO_PASSWORD)).status).toBe(204);
    } finally {
      await proxied.cleanup();
    }
    // Without trust, a forged header changes nothing: all three count against the socket address.
    for (const addr of ['1.1.1.1', '2.2.2.2', '3.3.3.3']) {
      const res = await fetch(`${world.server.url}/api/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: world.origin, 'X-Forwarded-For': addr },
        body: JSON.stringify({ username: 'demo', password: 'nope' }),
      });
      expect(res.status).toBe(401);
    }
    expect((await attempt(world, 'demo', DEMO_PASSWORD)).status).toBe(429);
  });
});
