/** The server as a process (`node --import tsx server/main.ts`): configuration errors, signals, exit codes. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
let dir: string;
let child: ChildProcessWithoutNullStreams | null = null;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'fieldboard-proc-'));
});
afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = null;
  await rm(dir, { recursive: true, force: true });
});

function startProcess(env: Record<string, string>) {
  child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`, PORT: '0', FIELDBOARD_STATIC_DIR: dir, ...env },
  });
  const proc = child;
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    proc.stdout.on('data', () => {
      const m = /Fieldboard listening on (http:\/\/[^"\s]+)/.exec(out);
      if (m) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
  // A test that expects the process to fail never awaits `listening`.
  listening.catch(() => undefined);
  return { proc, exited, listening, output: () => out };
}

describe('config', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({})).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: 'sqlite:data/fieldboard.db',
      demoPassword: 'demo',
      allowedOrigins: null,
      staticDir: 'dist',
      ingestToken: null,
      heartbeatMs: 25_000,
      logLevel: 'info',
      sessionTtlDays: 30,
      hstsMaxAgeS: 31_536_000,
      loginMaxFailures: 10,
      loginLockoutS: 900,
      loginMaxFailuresPerAddressDay: 100,
      trustProxy: false,
      sessionCheckMs: 60_000,
      purgeIntervalMs: 3_600_000,
      metricsToken: null,
      metricsListen: null,
    });
    expect(loadConfig({ FIELDBOARD_METRICS_LISTEN: '10.0.0.5:9464' }).metricsListen).toEqual({ host: '10.0.0.5', port: 9464 });
    expect(loadConfig({ FIELDBOARD_METRICS_LISTEN: '[::1]:9464' }).metricsListen).toEqual({ host: '::1', port: 9464 });
    expect(loadConfig({ FIELDBOARD_TRUST_PROXY: 'true', FIELDBOARD_LOGIN_MAX_FAILURES: '5' })).toMatchObject({
      trustProxy: true,
      loginMaxFailures: 5,
    });
    expect(loadConfig({ FIELDBOARD_ALLOWED_ORIGINS: 'https://a.example, http://b.example:8080' }).allowedOrigins).toEqual([
      'https://a.example',
      'http://b.example:8080',
    ]);
  });

  it('refuses malformed values naming the variable', () => {
    const bad: Record<string, string>[] = [
      { PORT: 'eighty' },
      { PORT: '70000' },
      { DATABASE_URL: 'mysql://x' },
      { FIELDBOARD_ALLOWED_ORIGINS: 'https://a.example/path' },
      { FIELDBOARD_HEARTBEAT_MS: '5' },
      { LOG_LEVEL: 'loud' },
      { FIELDBOARD_INGEST_TOKEN: 'short' },
      { FIELDBOARD_SESSION_TTL_DAYS: '0' },
      { FIELDBOARD_RESYNC_MS: '10' },
      { FIELDBOARD_HSTS_MAX_AGE_S: '-1' },
      { FIELDBOARD_LOGIN_MAX_FAILURES: '0' },
      { FIELDBOARD_LOGIN_LOCKOUT_S: 'soon' },
      { FIELDBOARD_LOGIN_MAX_FAILURES_PER_ADDRESS_DAY: '0' },
      { FIELDBOARD_TRUST_PROXY: 'maybe' },
      { FIELDBOARD_SESSION_CHECK_MS: '5' },
      { FIELDBOARD_PURGE_INTERVAL_MS: 'hourly' },
      { FIELDBOARD_METRICS_TOKEN: 'short' },
      { FIELDBOARD_METRICS_LISTEN: '9464' },
      { FIELDBOARD_METRICS_LISTEN: 'host:99999' },
    ];
    for (const env of bad) {
      const name = Object.keys(env)[0];
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(name);
    }
  });
});

describe('DATABASE_URL', () => {
  it('takes PostgreSQL URLs, and never echoes a refused URL beyond its scheme', () => {
    for (const url of ['postgres://fb:pw@127.0.0.1:5432/fb', 'postgresql://fb@db/fb?host=/run/postgresql']) {
      expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
    }
    expect(loadConfig({}).resyncMs).toBe(10_000);
    expect(loadConfig({ FIELDBOARD_RESYNC_MS: '250' }).resyncMs).toBe(250);
    const err = (() => {
      try {
        loadConfig({ DATABASE_URL: 'mysql://fb:hunter2secret@db/fb' });
      } catch (e) {
        return String(e);
      }
      return '';
    })();
    expect(err).toContain('scheme "mysql"');
    expect(err).not.toMatch(/hunter|secret/);
  });
});

describe('server process', () => {
  it('ends its start-up with a plain line a person reads: the URL, and the demo sign-in when the password is the default', async () => {
    const p = startProcess({});
    const url = await p.listening;
    await expect.poll(() => p.output()).toMatch(/^Fieldboard is running at http:\/\/\S+ {2}\(sign in as demo \/ demo\)$/m);
    // The last line of start-up, after every log record.
    expect(p.output().trimEnd().split('\n').at(-1)).toMatch(/^Fieldboard is running at /);
    expect(p.output()).toContain(`Fieldboard is running at ${url}`);
    p.proc.kill('SIGTERM');
    await p.exited;
  });

  it('never prints a demo password that is not the default, in the plain line either', async () => {
    const p = startProcess({ FIELDBOARD_DEMO_PASSWORD: 'proc-pw' });
    const url = await p.listening;
    await expect.poll(() => p.output()).toContain(`Fieldboard is running at ${url}  (sign in as demo with the password in FIELDBOARD_DEMO_PASSWORD)`);
    expect(p.output()).not.toContain('proc-pw');
    p.proc.kill('SIGTERM');
    await p.exited;
  });

  it('logs its URL and the demo seed but never the demo password, and on SIGTERM closes sockets with 1001 and exits 0', async () => {
    const p = startProcess({ FIELDBOARD_DEMO_PASSWORD: 'proc-pw' });
    const url = await p.listening;
    expect(p.output()).toContain('Demo data created');
    expect(p.output()).toContain('FIELDBOARD_DEMO_PASSWORD');
    expect(p.output()).not.toContain('proc-pw');
    const login = await fetch(`${url}/api/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: url },
      body: JSON.stringify({ username: 'demo', password: 'proc-pw' }),
    });
    expect(login.status).toBe(204);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/ws`, { headers: { Cookie: cookie, Origin: url } });
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    p.proc.kill('SIGTERM');
    expect(await closed).toBe(1001);
    expect(await p.exited).toBe(0);
  });

  it('stops with exit code 2 and a clear message on a bad variable', async () => {
    const p = startProcess({ PORT: 'eighty' });
    expect(await p.exited).toBe(2);
    expect(p.output()).toContain('PORT must be a whole number');
  });
});
