/**
 * `npm run cluster -- --nodes 3 [--port 8090] [--data data/cluster]`: a whole deployment on one machine, to
 * try with one command (docs/server.md, "Trying a cluster locally"): a throwaway PostgreSQL under the data
 * folder (run as a non-root user by tests/setup/postgres.sh), N server nodes on it, and nginx in front
 * (deploy/nginx-cluster.conf.template), printing the balancer's URL. Ctrl-C stops everything, PostgreSQL
 * last; the data folder stays, so the next start finds the same users and dashboards.
 *
 * Installs PostgreSQL and nginx from Debian's packages when missing and run as root; otherwise says what to
 * install and stops.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import pg from 'pg';

const ROOT = path.resolve(import.meta.dirname, '..');
const PG_SCRIPT = path.join(ROOT, 'tests/setup/postgres.sh');

interface Options {
  nodes: number;
  port: number;
  data: string;
}

function usage(message: string): never {
  console.error(`cluster: ${message}\nusage: npm run cluster -- [--nodes 1-9] [--port PORT] [--data DIR]`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { nodes: 3, port: 8090, data: 'data/cluster' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) usage(`${flag} needs a value`);
    i++;
    if (flag === '--nodes' || flag === '--port') {
      if (!/^\d+$/.test(value)) usage(`${flag} must be a whole number, got "${value}"`);
      const n = Number(value);
      if (flag === '--nodes' && (n < 1 || n > 9)) usage('--nodes must be between 1 and 9');
      if (flag === '--port' && n > 65535) usage('--port must be at most 65535 (0 picks a free one)');
      if (flag === '--nodes') opts.nodes = n;
      else opts.port = n;
    } else if (flag === '--data') {
      opts.data = value;
    } else {
      usage(`unknown option ${flag}`);
    }
  }
  return opts;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function ensureNginx(): string {
  try {
    return execFileSync('bash', [path.join(ROOT, 'deploy/ensure-nginx.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch {
    process.exit(1);
  }
}

async function ensureDatabase(adminUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'fieldboard'`);
    if (!rowCount) await client.query('CREATE DATABASE fieldboard');
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = '/fieldboard';
  return url.toString();
}

/** Starts one node and resolves with its URL once it logs that it listens. */
function startNode(env: NodeJS.ProcessEnv, index: number, children: ChildProcess[]): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /Fieldboard listening on (http:\/\/[^"\s]+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[node ${index}] ${d.toString()}`));
    child.on('exit', (code, signal) => {
      if (!out.includes('Fieldboard listening')) reject(new Error(`node ${index} exited (${code ?? signal}): ${out}`));
      else if (!stopping) console.error(`[node ${index}] exited (${code ?? signal})`);
    });
  });
}

let stopping = false;

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const data = path.resolve(opts.data);
  mkdirSync(data, { recursive: true });
  const nginxBin = ensureNginx();
  execFileSync('bash', [PG_SCRIPT, 'ensure'], { stdio: 'inherit' });
  const pgDir = path.join(data, 'pg');
  const adminUrl = execFileSync('bash', [PG_SCRIPT, 'start', pgDir], { encoding: 'utf8' }).trim();
  const children: ChildProcess[] = [];
  let nginx: ChildProcess | null = null;

  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    nginx?.kill('SIGQUIT');
    await Promise.all(
      children.map((c) => new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : (c.once('exit', () => resolve()), c.kill('SIGTERM'))))),
    );
    execFileSync('bash', [PG_SCRIPT, 'stop', pgDir]);
    console.log('cluster stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    const databaseUrl = await ensureDatabase(adminUrl);
    const port = opts.port === 0 ? await freePort() : opts.port;
    const env = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      FIELDBOARD_ALLOWED_ORIGINS: `http://127.0.0.1:${port},http://localhost:${port}`,
    };
    // The first node migrates and seeds the demo user; the others start together after it.
    const first = await startNode(env, 1, children);
    const rest = await Promise.all(Array.from({ length: opts.nodes - 1 }, (_, i) => startNode(env, i + 2, children)));
    const nodes = [first, ...rest];

    const prefix = path.join(data, 'nginx');
    mkdirSync(prefix, { recursive: true });
    const template = readFileSync(path.join(ROOT, 'deploy/nginx-cluster.conf.template'), 'utf8');
    const upstreams = nodes.map((u) => `    server ${new URL(u).host} max_fails=1 fail_timeout=5s;`).join('\n');
    const conf = template.replaceAll('{{PREFIX}}', prefix).replaceAll('{{PORT}}', String(port)).replace('{{UPSTREAMS}}', upstreams);
    writeFileSync(path.join(prefix, 'nginx.conf'), conf);
    nginx = spawn(nginxBin, ['-p', prefix, '-c', path.join(prefix, 'nginx.conf')], { stdio: 'inherit' });
    nginx.on('exit', (code) => {
      if (!stopping) {
        console.error(`cluster: nginx exited (${code}); see ${path.join(prefix, 'error.log')}`);
        void stop(1);
      }
    });
    const url = `http://127.0.0.1:${port}`;
    // Wait until the balancer answers, so whoever reads the URL line can use it at once.
    for (let i = 0; ; i++) {
      const ok = await fetch(`${url}/api/health`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 100) throw new Error('nginx did not answer on its port');
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const [i, u] of nodes.entries()) console.log(`node ${i + 1}: ${u} (pid ${children[i].pid})`);
    console.log(`PostgreSQL: ${databaseUrl} (data in ${pgDir})`);
    console.log(`Fieldboard cluster of ${opts.nodes} node${opts.nodes > 1 ? 's' : ''} behind nginx: ${url}`);
  } catch (err) {
    console.error('cluster: failed to start:', err instanceof Error ? err.message : err);
    await stop(1);
  }
}

void main();
