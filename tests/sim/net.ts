/**
 * The seeded network between the devices and the server, on the world's clock.
 *
 * - A socket is two ordered pipes: a frame is delivered after a random delay but never before the frame
 *   sent ahead of it on the same pipe (a WebSocket is ordered); frames of different sockets and requests
 *   interleave freely, so they reorder across connections.
 * - A cut kills both pipes (frames on the wire are lost); the client hears `close 1006` later, or never
 *   (`silent`: a half-open TCP connection, found only by the heartbeat or the push timeout).
 * - A request goes, is handled by the server, and its answer comes back, each leg delayed; it fails (a
 *   rejected fetch) when the device is offline, the server is down, or the server died while it was out.
 *   A request may be delivered twice (a retried POST): the server handles both, the client gets one answer.
 * - Everything a device's service worker instance gets (socket events, answers) is dropped once that
 *   instance is stopped (`Instance.dead`): a stopped worker runs nothing more.
 */
import type { SocketLike } from '../../sw/connection.ts';
import type { Rng } from './determinism.ts';
import type { ServerWs, SimResponse, SimServer } from './server.ts';
import type { World } from './world.ts';

/** One running service worker of a device. */
export interface Instance {
  dead: boolean;
  name: string;
}

export interface Link {
  /** The device's network (navigator.onLine and reality: the sim keeps them equal). */
  online: boolean;
  /** Socket upgrades fail (a proxy that eats WebSockets) while plain requests work. */
  socketsBroken: boolean;
  token: string;
  sockets: Set<SimSocket>;
}

export class Net {
  private sockets = 0;
  /** Per device: when it pushed to a server that was down or shutting down (what a backoff should space out). */
  readonly futile = new Map<string, number[]>();

  /** A push (socket frame or POST) leaves the device: noted when the server cannot take it. */
  pushed(inst: Instance): void {
    if (this.server.up && !this.server.closing) return;
    const dev = inst.name.split('#')[0];
    if (!this.futile.has(dev)) this.futile.set(dev, []);
    this.futile.get(dev)!.push(this.world.now);
  }

  constructor(
    private readonly world: World,
    private readonly rng: Rng,
    readonly server: SimServer,
  ) {}

  /** One leg's delay: mostly a LAN/WAN few ms, sometimes a slow path. */
  delay(): number {
    const r = this.rng.next();
    if (r < 0.8) return 1 + this.rng.int(30);
    if (r < 0.97) return 30 + this.rng.int(300);
    return 300 + this.rng.int(3000);
  }

  chance(p: number): boolean {
    return this.rng.chance(p);
  }

  socket(inst: Instance, link: Link): SocketLike {
    const s = new SimSocket(this, this.world, inst, link, ++this.sockets);
    link.sockets.add(s);
    s.connect();
    return s;
  }

  fetch(inst: Instance, link: Link, path: string, init?: RequestInit): Promise<Response> {
    const label = `${inst.name} ${init?.method ?? 'GET'} ${path.split('?')[0]}`;
    return new Promise<Response>((resolve, reject) => {
      const fail = (why: string) =>
        this.world.after(this.delay(), `${label} failed`, () => {
          if (!inst.dead) reject(new TypeError(`Failed to fetch (${why})`));
        });
      if (!link.online) return void fail('offline');
      if (path.startsWith('/api/push')) this.pushed(inst);
      const gen = this.server.generation;
      const body = typeof init?.body === 'string' ? init.body : undefined;
      const handle = (answer: boolean) => {
        if (!this.server.up || this.server.generation !== gen) {
          if (answer) fail('server down');
          return;
        }
        void this.server.http(link.token, path, { method: init?.method, body }).then(
          (r) => answer && this.reply(inst, link, label, gen, r, resolve, () => fail('server died')),
          () => answer && fail('server error'),
        );
      };
      this.world.after(this.delay(), `${label} arrives`, () => handle(true));
      if (init?.method === 'POST' && this.rng.chance(0.1)) {
        this.world.after(this.delay() + this.delay(), `${label} duplicate arrives`, () => handle(false));
      }
    });
  }

  private reply(inst: Instance, link: Link, label: string, gen: number, r: SimResponse, resolve: (r: Response) => void, fail: () => void) {
    this.world.after(this.delay(), `${label} answer ${r.status}`, () => {
      if (inst.dead) return;
      if (this.server.generation !== gen || !link.online) return fail();
      resolve(r as unknown as Response);
    });
  }
}

/** The client side of a socket, as the engine's Connection sees it (SocketLike). */
export class SimSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  private server: ServerWs | null = null;
  private gen = 0;
  /** Both pipes carry frames while true; a cut or close ends it. */
  private alive = true;
  private clientClosed = false;
  private upAt = 0;
  private downAt = 0;

  constructor(
    private readonly net: Net,
    private readonly world: World,
    private readonly inst: Instance,
    private readonly link: Link,
    readonly id: number,
  ) {}

  private get label() {
    return `${this.inst.name} socket${this.id}`;
  }

  connect(): void {
    this.world.after(this.net.delay(), `${this.label} upgrade`, () => {
      const srv = this.net.server;
      const ok = this.alive && this.link.online && !this.link.socketsBroken && srv.up;
      const ws = ok
        ? srv.accept(
            this.link.token,
            (text) => this.down(() => this.onmessage?.({ data: text })),
            (code, reason) => this.down(() => this.closedByServer(code, reason)),
          )
        : null;
      if (!ws) {
        this.alive = false;
        this.world.after(this.net.delay(), `${this.label} refused`, () => this.fireClose(1006, ''));
        return;
      }
      this.server = ws;
      this.gen = srv.generation;
      this.down(() => this.onopen?.({}));
    });
  }

  /** Server -> client, in order. */
  private down(fn: () => void): void {
    if (!this.alive) return;
    this.downAt = Math.max(this.world.now + this.net.delay(), this.downAt);
    this.world.after(this.downAt - this.world.now, `${this.label} down`, () => {
      if (this.alive && !this.inst.dead && !this.clientClosed) fn();
    });
  }

  send(data: string): void {
    if (this.clientClosed) throw new Error('WebSocket is already in CLOSING or CLOSED state');
    if (!this.alive) return; // on a dead connection a send vanishes
    if (data.startsWith('{"type":"push"')) this.net.pushed(this.inst);
    this.upAt = Math.max(this.world.now + this.net.delay(), this.upAt);
    this.world.after(this.upAt - this.world.now, `${this.label} up`, () => {
      const ws = this.server;
      if (!this.alive || !ws || this.net.server.generation !== this.gen) return;
      ws.emit('message', Buffer.from(data), false);
    });
  }

  close(): void {
    if (this.clientClosed) return;
    this.clientClosed = true;
    this.link.sockets.delete(this);
    if (!this.alive) return;
    // The close frame follows the frames already sent.
    this.upAt = Math.max(this.world.now + this.net.delay(), this.upAt);
    this.world.after(this.upAt - this.world.now, `${this.label} close reaches server`, () => this.server?.gone());
  }

  private closedByServer(code: number, reason: string): void {
    this.alive = false;
    this.fireClose(code, reason);
  }

  private fireClose(code: number, reason: string): void {
    this.link.sockets.delete(this);
    if (this.inst.dead || this.clientClosed) return;
    this.clientClosed = true;
    this.onclose?.({ code, reason });
  }

  /** The network under it fails: frames on the wire are lost; both ends find out (or the client never does). */
  cut(silent: boolean): void {
    if (!this.alive) return;
    this.alive = false;
    this.world.after(this.net.delay(), `${this.label} cut reaches server`, () => this.server?.gone());
    if (!silent) this.world.after(this.net.delay() + 50, `${this.label} cut`, () => this.fireClose(1006, ''));
  }

  /** The server process died under it. */
  serverDied(): void {
    if (!this.alive) return;
    this.alive = false;
    this.world.after(this.net.delay(), `${this.label} server died`, () => this.fireClose(1006, ''));
  }
}
