/**
 * Security headers on every answer: a strict Content-Security-Policy and framing refusal on the app shell and
 * static files, nosniff everywhere (API JSON and errors included), no-store on the API, HSTS only when the
 * request came over TLS (directly or as the trusted `X-Forwarded-Proto` says).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { api, login, startWorld, type TestWorld } from './helpers.ts';

let world: TestWorld;

beforeEach(async () => {
  world = await startWorld();
  const dist = path.join(world.dir, 'dist');
  await mkdir(path.join(dist, 'assets'), { recursive: true });
  await writeFile(path.join(dist, 'index.html'), '<!doctype html><title>t</title><script type="module" src="/assets/a-12345678.js"></script>');
  await writeFile(path.join(dist, 'assets', 'a-12345678.js'), 'console.log(1)');
  await writeFile(path.join(dist, 'sw.js'), 'self.addEventListener("fetch", () => {})');
});
afterEach(async () => {
  await world.cleanup();
});

/** The CSP's directives by name. */
function directives(csp: string | null): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of (csp ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) out.set(name, values);
  }
  return out;
}

function expectAppHeaders(res: Response, host: string) {
  const csp = directives(res.headers.get('content-security-policy'));
  expect(csp.get('default-src')).toEqual(["'self'"]);
  expect(csp.get('script-src')).toEqual(["'self'"]);
  expect(csp.get('worker-src')).toEqual(["'self'"]);
  expect(csp.get('style-src')).toEqual(["'self'"]);
  expect(csp.get('connect-src')).toEqual(["'self'", `ws://${host}`, `wss://${host}`]);
  expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  expect(csp.get('object-src')).toEqual(["'none'"]);
  expect(csp.get('base-uri')).toEqual(["'self'"]);
  expect(csp.get('manifest-src')).toEqual(["'self'"]);
  // Nothing that would let an injected script run.
  for (const values of csp.values()) {
    expect(values).not.toContain("'unsafe-inline'");
    expect(values).not.toContain("'unsafe-eval'");
  }
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(res.headers.get('permissions-policy')).toMatch(/camera=\(\)/);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
}

describe('the app shell and static files', () => {
  it('carry a strict CSP naming this host socket, frame refusal, referrer and permissions policies', async () => {
    const host = new URL(world.server.url).host;
    for (const p of ['/', '/index.html', '/some/client/route', '/sw.js', '/assets/a-12345678.js']) {
      const res = await fetch(`${world.server.url}${p}`);
      expect(res.status, p).toBe(200);
      expectAppHeaders(res, host);
    }
    const missing = await fetch(`${world.server.url}/nothing.png`);
    expect(missing.status).toBe(404);
    expectAppHeaders(missing, host);
  });

  it('names no socket host in the CSP when the Host header is not a plain host', async () => {
    // fetch sets Host itself; node:http sends what it is given.
    const header = await new Promise<string | undefined>((resolve, reject) => {
      get(`${world.server.url}/`, { headers: { Host: 'evil.example; script-src *' } }, (res) => {
        res.resume();
        resolve(res.headers['content-security-policy'] as string | undefined);
      }).on('error', reject);
    });
    const csp = directives(header ?? null);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
  });
});

describe('API answers', () => {
  it('are nosniff and no-store, errors and 404s included', async () => {
    const cookie = await login(world);
    const answers = [
      await api(world, cookie, '/api/me'),
      await api(world, cookie, '/api/dashboards'),
      await fetch(`${world.server.url}/api/me`),
      await fetch(`${world.server.url}/api/nothing`),
      await fetch(`${world.server.url}/api/health`),
      await api(world, cookie, '/api/dashboards', { method: 'POST', body: '{bad' }),
      await fetch(`${world.server.url}/api/logout`, { method: 'POST' }),
    ];
    for (const res of answers) {
      expect(res.headers.get('x-content-type-options'), res.url).toBe('nosniff');
      expect(res.headers.get('cache-control'), res.url).toBe('no-store');
      expect(res.headers.get('x-frame-options'), res.url).toBe('DENY');
    }
    const metrics = await fetch(`${world.server.url}/metrics`);
    expect(metrics.headers.get('x-content-type-options')).toBe('nosniff');
    const wrongMethod = await fetch(`${world.server.url}/`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('HSTS', () => {
  it('is sent only when the request came over TLS, as the trusted proxy header says', async () => {
    const plain = await fetch(`${world.server.url}/`);
    expect(plain.headers.get('strict-transport-security')).toBeNull();
    const proxied = await fetch(`${world.server.url}/`, { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(proxied.headers.get('strict-transport-security')).toBe('max-age=31536000');
    const api = await fetch(`${world.server.url}/api/health`, { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(api.headers.get('strict-transport-security')).toBe('max-age=31536000');
  });

  it('follows FIELDBOARD_HSTS_MAX_AGE_S, and 0 turns it off', async () => {
    const other = await startWorld({ hstsMaxAgeS: 0 });
    try {
      const res = await fetch(`${other.server.url}/`, { headers: { 'X-Forwarded-Proto': 'https' } });
      expect(res.headers.get('strict-transport-security')).toBeNull();
    } finally {
      await other.cleanup();
    }
  });
});
