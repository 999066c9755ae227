/**
 * Test kit for several server nodes on one PostgreSQL: each node is a real `node server/main.ts` process
 * (so SIGKILL is a real crash), and a `Device` is what a client does across them: an outbox of mutations
 * resent until answered, a cursor and epoch to resume from on any node, and every change it received.
 * Everything waits for a condition; nothing sleeps for a fixed time.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  newClientId,
  type Change,
  type ClientId,
  type DashboardId,
  type MutationInput,
  type MutationResult,
} from '../../protocol/index.ts';
import { mutation, openSocket, type Target, type TestSocket } from './helpers.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const CLUSTER_PASSWORD = 'cluster-test-password';

export interface Node extends Target {
  proc: ChildProcessWithoutNullStreams;
  port: number;
  output(): string;
  exited: Promise<number | null>;
  /** SIGTERM (graceful) and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: a crash, nothing flushed or answered. */
  kill(): Promise<void>;
}

export interface NodeOptions {
  env?: Record<string, string>;
  /** A fixed port (a restarted node keeps its address); 0 by default. */
  port?: number;
}

/** Starts one node process on `databaseUrl` and waits for its "listening" line. */
export async function startNode(databaseUrl: string, opts: NodeOptions = {}): Promise<Node> {
  const dir = await mkdtemp(path.join(tmpdir(), 'fieldboard-node-'));
  const proc = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(opts.port ?? 0),
      FIELDBOARD_STATIC_DIR: dir,
      FIELDBOARD_DEMO_PASSWORD: CLUSTER_PASSWORD,
      LOG_LEVEL: 'info',
      ...opts.env,
    },
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const cleaned = exited.then(() => rm(dir, { recursive: true, force: true }));
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout.on('data', () => {
      const m = /Fieldboard listening on (http:\/\/[^"\s]+)/.exec(out);
      if (m) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`node exited with ${code}: ${out}`)));
  });
  const port = Number(new URL(url).port);
  const node: Node = {
    proc,
    port,
    server: { url },
    origin: `http://127.0.0.1:${port}`,
    output: () => out,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await cleaned;
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await cleaned;
    },
  };
  return node;
}

export async function health(node: Target): Promise<{ status: number; body: Record<string, unknown> | null }> {
  try {
    const res = await fetch(`${node.server.url}/api/health`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } catch {
    return { status: 0, body: null };
  }
}

export async function metricsText(node: Target): Promise<string> {
  return (await fetch(`${node.server.url}/metrics`)).text();
}

/**
 * One client device: it keeps its outbox until each mutation is answered, resumes from (epoch, cursor) on
 * whichever node it connects to, and records every change it receives (catch-up and live).
 */
export class Device {
  readonly clientId: ClientId = newClientId();
  readonly received: Change[] = [];
  readonly results = new Map<string, MutationResult>();
  outbox: (Record<string, unknown> & { id: string })[] = [];
  cursor = 0;
  epoch: string | null = null;
  socket: TestSocket | null = null;

  constructor(
    readonly cookie: string,
    readonly dashboardId: DashboardId,
  ) {}

  queue(input: MutationInput, baseVersion = 0): string {
    const m = mutation(this.clientId, this.dashboardId, input, baseVersion);
    this.outbox.push(m);
    return m.id;
  }

  /** Whether the device's socket is open (false before the first connect and after its node dropped it). */
  get online(): boolean {
    return this.socket !== null && this.socket.ws.readyState === this.socket.ws.OPEN;
  }

  /** Opens a socket to `node`, says hello and subscribes from the cursor; live changes are recorded. */
  async connect(node: Target): Promise<void> {
    if (this.online) this.socket!.close();
    const s = await openSocket(node, this.cookie, { clientId: this.clientId });
    this.socket = s;
    s.ws.on('message', (data) => {
      // A replaced socket's late frames are not this device's view any more.
      if (this.socket !== s) return;
      const f = JSON.parse(data.toString()) as { type: string; dashboardId?: string; changes?: Change[]; seq?: number };
      if (f.dashboardId !== this.dashboardId) return;
      if (f.type === 'changes') this.take(f.changes!);
      if (f.type === 'caught-up') this.cursor = Math.max(this.cursor, f.seq!);
      if (f.type === 'reset') throw new Error('unexpected reset: the epoch belongs to the database');
    });
    const welcome = await s.hello();
    this.epoch = welcome.epoch;
    await s.subscribe(this.dashboardId, this.cursor, this.epoch);
  }

  /** Sends the whole outbox in one push frame without waiting (what a client does right after a burst). */
  sendOutbox(): void {
    if (this.outbox.length > 0) this.socket!.send({ type: 'push', requestId: `r${Math.random()}`, mutations: this.outbox });
  }

  /**
   * Pushes the outbox until it is empty, dropping each mutation once it has an answer. A batch answered
   * `unavailable` (nothing committed, e.g. the database is down) is sent again, as the app's outbox does.
   */
  async flush(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.outbox.length > 0) {
      if (Date.now() > deadline) throw new Error(`outbox not drained: ${this.outbox.length} left`);
      const batch = this.outbox.slice(0, 50);
      const requestId = `r${Math.random()}`;
      const socket = this.socket!;
      socket.send({ type: 'push', requestId, mutations: batch });
      const answered = socket.nextOf(['push-result', 'error'], (f) => 'requestId' in f && f.requestId === requestId, 10_000);
      // A socket that closes (its node died) never answers: fail at once, the caller reconnects elsewhere.
      const gone = socket.closed.then(() => {
        throw new Error('socket closed before the push was answered');
      });
      answered.catch(() => undefined);
      gone.catch(() => undefined);
      const answer = await Promise.race([answered, gone]);
      if (answer.type === 'error') {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (answer.type !== 'push-result') continue;
      for (const r of answer.results) {
        this.results.set(r.id, r);
        this.outbox = this.outbox.filter((m) => m.id !== r.id);
      }
    }
  }

  private take(changes: Change[]): void {
    for (const c of changes) {
      this.received.push(c);
      this.cursor = Math.max(this.cursor, c.seq);
    }
  }
}

export { ROOT };
