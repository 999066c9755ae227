/**
 * A real Fieldboard server in a child process, on a free port with a temp SQLite file: what a tester's
 * Playwright project starts. A child process (not in-process) so that restarts, SIGKILL and the server's
 * own signal handling are the real thing.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '../..');

export interface KitServerOptions {
  /** Extra environment for the server (e.g. FIELDBOARD_HEARTBEAT_MS). */
  env?: Record<string, string>;
  /** Directory of the built PWA; default dist/ of this repo. */
  staticDir?: string;
}

export interface KitServer {
  readonly url: string;
  readonly port: number;
  /** The SQLite file (empty for a cluster, whose database is PostgreSQL). */
  readonly databasePath: string;
  /** DATABASE_URL of the server: `sqlite:<databasePath>` unless `env` set another. */
  readonly databaseUrl: string;
  /** The server process's pid (changes on restart). */
  readonly pid: number;
  /** Everything the server printed, for assertions such as "no error was logged". */
  logs(): string;
  /** Stops (SIGTERM, graceful) or kills (SIGKILL) the process and starts it again on the same port and file. */
  restart(how?: 'graceful' | 'kill'): Promise<void>;
  /** Stops the server (SIGTERM or SIGKILL) and leaves it down: the network is back but the server is not,
   * or, without touching the browser's network emulation, the server is unreachable. `up()` starts it again. */
  down(how?: 'graceful' | 'kill'): Promise<void>;
  /** Starts a server that `down()` stopped, on the same port and database. */
  up(): Promise<void>;
  /** Server-side termination of every WebSocket (SIGUSR2): a network cut that really closes sockets. */
  dropSockets(): Promise<void>;
  /** Runs the server CLI against this server's database (`npm run cli -- ...`). */
  cli(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

export async function startKitServer(opts: KitServerOptions = {}): Promise<KitServer> {
  const dir = mkdtempSync(join(tmpdir(), 'fieldboard-kit-'));
  const databasePath = join(dir, 'fieldboard.db');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  let child: ChildProcess | null = null;
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: `sqlite:${databasePath}`,
    FIELDBOARD_STATIC_DIR: opts.staticDir ?? process.env.FIELDBOARD_STATIC_DIR ?? join(ROOT, 'dist'),
    FIELDBOARD_DEMO_PASSWORD: 'demo',
    LOG_LEVEL: process.env.FIELDBOARD_KIT_LOG_LEVEL ?? 'info',
    ...opts.env,
  };

  async function launch(): Promise<void> {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout!.on('data', (d) => (output += d));
    proc.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<never>((_, rej) =>
      proc.once('exit', (code) => rej(new Error(`server exited with ${code} before it was healthy:\n${output.slice(-2000)}`))),
    );
    const deadline = Date.now() + 20_000;
    const healthy = (async () => {
      while (Date.now() < deadline) {
        try {
          const r = await fetch(`${url}/api/health`);
          if (r.ok) return;
        } catch {
          /* not listening yet */
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`server not healthy within 20 s:\n${output.slice(-2000)}`);
    })();
    await Promise.race([healthy, exited]);
    exited.catch(() => {}); // later exits are expected (restart, stop)
  }

  async function halt(signal: NodeJS.Signals): Promise<void> {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill(signal);
    await gone;
  }

  await launch();
  return {
    url,
    port,
    databasePath,
    databaseUrl: env.DATABASE_URL,
    get pid() {
      return child?.pid ?? -1;
    },
    logs: () => output,
    async restart(how = 'graceful') {
      await halt(how === 'kill' ? 'SIGKILL' : 'SIGTERM');
      await launch();
    },
    async down(how = 'graceful') {
      await halt(how === 'kill' ? 'SIGKILL' : 'SIGTERM');
    },
    async up() {
      await launch();
    },
    async dropSockets() {
      child?.kill('SIGUSR2');
    },
    async cli(...args) {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], {
        cwd: ROOT,
        env,
      });
      return stdout;
    },
    async stop() {
      await halt('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
