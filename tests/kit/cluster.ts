/**
 * A real Fieldboard cluster for browser tests: N server nodes (each a kit server process, so SIGKILL is a
 * real crash) on one fresh PostgreSQL database, behind nginx with the balancer config `npm run cluster`
 * uses (deploy/nginx-cluster.conf.template). It has the kit server's shape, so a test written against one
 * server runs against the cluster: `url` is the balancer's, `restart` stops one node at a time (in turn)
 * while the others keep serving, and `dropSockets` cuts every node's sockets.
 *
 * The database is a fresh one on the PostgreSQL in FIELDBOARD_TEST_PG_URL (`npm test` starts one); without
 * it the cluster starts a throwaway PostgreSQL of its own (tests/setup/postgres.sh) and stops it with the
 * cluster. nginx comes from deploy/ensure-nginx.sh, which installs it as root or says what to run.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freshDatabaseUrl } from '../setup/pg.ts';
import { freePort, startKitServer, type KitServer, type KitServerOptions } from './server.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export interface KitClusterOptions extends KitServerOptions {
  /** Server nodes behind the balancer (default 2). */
  nodes?: number;
}

export interface KitCluster extends KitServer {
  /** The nodes themselves, each reachable directly at its own `url`. */
  readonly nodes: readonly KitServer[];
  /** Which node the last `restart` stopped (1-based), for a test's log. */
  readonly lastRestarted: number;
}

/** A throwaway PostgreSQL (tests/setup/postgres.sh), for a cluster started with none given. */
function startPostgres(): { url: string; stop(): void } {
  const script = join(ROOT, 'tests/setup/postgres.sh');
  execFileSync('bash', [script, 'ensure'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const dir = mkdtempSync(join(tmpdir(), 'fieldboard-pg-'));
  chmodSync(dir, 0o755); // the server runs as another user, who must reach its data directory
  const data = join(dir, 'data');
  const url = execFileSync('bash', [script, 'start', data, 'fsync-off'], { encoding: 'utf8' }).trim();
  return {
    url,
    stop() {
      execFileSync('bash', [script, 'stop', data]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForBalancer(url: string, nginx: ChildProcess, prefix: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (nginx.exitCode !== null) break;
    if (await fetch(`${url}/api/health`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  let log = '';
  try {
    log = readFileSync(join(prefix, 'error.log'), 'utf8').slice(-2000);
  } catch {
    /* nginx wrote nothing */
  }
  throw new Error(`nginx did not answer on ${url} (exit ${nginx.exitCode}): ${log}`);
}

export async function startKitCluster(opts: KitClusterOptions = {}): Promise<KitCluster> {
  const count = opts.nodes ?? 2;
  if (!Number.isInteger(count) || count < 1) throw new Error(`nodes must be a positive integer, not ${count}`);
  const nginxBin = execFileSync('bash', [join(ROOT, 'deploy/ensure-nginx.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const ownPostgres = process.env.FIELDBOARD_TEST_PG_URL ? null : startPostgres();
  const databaseUrl = await freshDatabaseUrl('cluster', ownPostgres?.url);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...opts.env,
    DATABASE_URL: databaseUrl,
    FIELDBOARD_ALLOWED_ORIGINS: `${url},http://localhost:${port}`,
  };
  const nodes: KitServer[] = [];
  let nginx: ChildProcess | null = null;
  const prefix = mkdtempSync(join(tmpdir(), 'fieldboard-nginx-'));
  try {
    // The first node migrates the database and seeds the demo user; the others start after it.
    nodes.push(await startKitServer({ ...opts, env }));
    nodes.push(...(await Promise.all(Array.from({ length: count - 1 }, () => startKitServer({ ...opts, env })))));
    const upstreams = nodes.map((n) => `    server 127.0.0.1:${n.port} max_fails=1 fail_timeout=2s;`).join('\n');
    const conf = readFileSync(join(ROOT, 'deploy/nginx-cluster.conf.template'), 'utf8')
      .replaceAll('{{PREFIX}}', prefix)
      .replaceAll('{{PORT}}', String(port))
      .replace('{{UPSTREAMS}}', upstreams);
    writeFileSync(join(prefix, 'nginx.conf'), conf);
    nginx = spawn(nginxBin, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { stdio: 'ignore' });
    await waitForBalancer(url, nginx, prefix);
  } catch (e) {
    nginx?.kill('SIGQUIT');
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(prefix, { recursive: true, force: true });
    ownPostgres?.stop();
    throw e;
  }

  let next = 0;
  let lastRestarted = 0;
  const balancer = nginx;
  return {
    url,
    port,
    databaseUrl,
    databasePath: '',
    nodes,
    get lastRestarted() {
      return lastRestarted;
    },
    get pid() {
      return nodes[0].pid;
    },
    // Each node's lines as it printed them (pino JSON with its pid), so whoever parses one server's logs
    // parses these.
    logs: () => nodes.map((n) => n.logs()).join('\n'),
    async restart(how = 'graceful') {
      lastRestarted = next + 1;
      const node = nodes[next];
      next = (next + 1) % nodes.length;
      await node.restart(how);
    },
    async down(how = 'graceful') {
      await Promise.all(nodes.map((n) => n.down(how)));
    },
    async up() {
      await Promise.all(nodes.map((n) => n.up()));
    },
    async dropSockets() {
      await Promise.all(nodes.map((n) => n.dropSockets()));
    },
    cli: (...args) => nodes[0].cli(...args),
    async stop() {
      const gone = new Promise<void>((r) => (balancer.exitCode !== null ? r() : balancer.once('exit', () => r())));
      balancer.kill('SIGQUIT');
      await gone;
      await Promise.all(nodes.map((n) => n.stop()));
      rmSync(prefix, { recursive: true, force: true });
      ownPostgres?.stop();
    },
  };
}
