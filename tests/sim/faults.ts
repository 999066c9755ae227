/**
 * The faults of a run and their end. Faults with a duration nest (a device is online again when its last
 * `offline` is over; the server restarts when its last outage is over); once the heal began, the ends still
 * scheduled change nothing.
 *
 * The heal: faults end, typing ends, and after 45 s the mid-heal checks run (`checkFollowing`: every
 * replica already follows the server though conflicts are still parked); then each person answers every
 * conflict they have (keep mine at first, keep theirs after a few rounds, so the board settles) and the
 * world runs until quiet.
 */
import type { DashboardId } from '../../protocol/index.ts';
import type { Device } from './device.ts';
import { settle, type Rng } from './determinism.ts';
import { checkFollowing, type Finding } from './invariants.ts';
import type { People } from './person.ts';
import type { DeviceName, Step } from './schedule.ts';
import type { SimServer } from './server.ts';
import type { World } from './world.ts';

export class Faults {
  private offline = new Map<string, number>();
  private broken = new Map<string, number>();
  private down = 0;
  private healed = false;

  constructor(
    private readonly world: World,
    private readonly server: SimServer,
    private readonly devices: Map<DeviceName, Device>,
    private readonly people: People,
    private readonly dashboardId: DashboardId,
  ) {}

  apply(s: Step): void {
    const dev = 'd' in s ? this.devices.get(s.d)! : null;
    switch (s.k) {
      case 'offline':
        this.setOffline(dev!, +1);
        this.world.after(s.ms, `fault:end offline ${dev!.name}`, () => this.healed || this.setOffline(dev!, -1));
        return;
      case 'stop-sw':
        dev!.stop();
        this.world.after(s.ms, `browser starts ${dev!.name}'s worker`, () => dev!.running || (dev!.boot(), undefined));
        return;
      case 'crash-sw':
        dev!.crash = { calls: s.calls, restartMs: s.ms };
        return;
      case 'cut':
        for (const sock of [...dev!.link.sockets]) sock.cut(s.silent);
        return;
      case 'no-sockets':
        this.broken.set(dev!.name, (this.broken.get(dev!.name) ?? 0) + 1);
        dev!.link.socketsBroken = true;
        for (const sock of [...dev!.link.sockets]) sock.cut(false);
        this.world.after(s.ms, `fault:end no-sockets ${dev!.name}`, () => {
          if (this.healed) return;
          const n = (this.broken.get(dev!.name) ?? 1) - 1;
          this.broken.set(dev!.name, n);
          dev!.link.socketsBroken = n > 0;
        });
        return;
      case 'close-tab':
        return this.closeTab(dev!, s.ms);
      case 'restart-server':
        // Graceful: pushes refused while in-flight work finishes (`stopping` ms), then 1001 closes, then down for `ms`.
        this.down++;
        this.server.beginShutdown();
        const stopping = s.stopping;
        this.world.after(stopping, 'fault: graceful stop ends', () => this.healed || this.server.finishShutdown());
        this.world.after(stopping + s.ms, 'fault:end restart-server', () => {
          if (!this.healed && --this.down === 0) this.server.restart();
        });
        return;
      case 'kill-server':
        this.down++;
        this.server.kill();
        for (const d of this.devices.values()) for (const sock of [...d.link.sockets]) sock.serverDied();
        this.world.after(s.ms, 'fault:end kill-server (restart)', () => {
          if (!this.healed && --this.down === 0) this.server.restart();
        });
        return;
    }
  }

  /** The last window closes: its note flushes, the browser stops the idle worker after 30 s. */
  private closeTab(dev: Device, ms: number): void {
    if (!dev.tabOpen) return;
    this.people.flushAll(dev);
    dev.tabOpen = false;
    dev.closeLine();
    this.world.after(30_000, `browser stops ${dev.name}'s idle worker`, () => dev.tabOpen || dev.stop());
    this.world.after(ms, `person:open ${dev.name} tab again`, () => this.openTab(dev));
  }

  private openTab(dev: Device): void {
    if (dev.tabOpen) return;
    dev.tabOpen = true;
    dev.line = dev.newLine();
    dev.command({ type: 'watch', dashboardIds: [this.dashboardId] });
    dev.command({ type: 'network', online: dev.link.online });
    dev.command({ type: 'visible' });
  }

  private setOffline(dev: Device, delta: number): void {
    const n = (this.offline.get(dev.name) ?? 0) + delta;
    this.offline.set(dev.name, n);
    const online = n <= 0;
    if (online === dev.link.online) return;
    dev.link.online = online;
    if (!online) for (const sock of [...dev.link.sockets]) sock.cut(true);
    this.world.log(`${dev.name} goes ${online ? 'online' : 'offline'}`);
    if (dev.tabOpen) dev.command({ type: 'network', online }); // the tab relays the browser's event
    if (online) dev.maybeSync();
  }

  /** Every fault ends now (and the ends still scheduled change nothing). */
  clear(): void {
    this.healed = true;
    this.down = 0;
    this.server.restart();
    for (const dev of this.devices.values()) {
      dev.crash = null;
      this.openTab(dev);
      this.broken.set(dev.name, 0);
      dev.link.socketsBroken = false;
      this.offline.set(dev.name, 1);
      this.setOffline(dev, -1);
    }
  }
}

/** Each person answers every conflict they have; answers how many there were. */
async function answerConflicts(world: World, people: People, devices: Map<DeviceName, Device>, keep: 'mine' | 'theirs'): Promise<number> {
  let parked = 0;
  for (const dev of devices.values()) {
    const n = (await people.parked(dev)).size;
    parked += n;
    for (let k = 0; k < n; k++) {
      await world.step(`person:act ${dev.name} heal`, () => people.resolve(dev, 0, keep, 50));
      await world.run(200);
    }
  }
  await world.step('heal: retry', () => {
    for (const dev of devices.values()) dev.command((requestId) => ({ type: 'retry', requestId }));
  });
  return parked;
}

/**
 * Everything comes back: faults end, typing ends, each person answers every conflict they have (keep mine
 * at first, keep theirs after a few rounds so the board settles), and the world runs until quiet.
 */
export async function heal(
  world: World,
  rng: Rng,
  faults: Faults,
  people: People,
  devices: Map<DeviceName, Device>,
  server: SimServer,
  dashboardId: DashboardId,
): Promise<Finding[]> {
  for (let i = 0; i < 20 && people.typing > 0; i++) await world.run(1000);
  await world.step('heal: faults end', () => {
    faults.clear();
    for (const dev of devices.values()) dev.command((requestId) => ({ type: 'retry', requestId }));
  });
  await world.run(45_000);
  const following = await checkFollowing({ server, devices, dashboardId });
  for (let round = 0; round < 8; round++) {
    if (round > 0) await world.run(30_000);
    const parked = await answerConflicts(world, people, devices, round < 3 && rng.chance(0.6) ? 'mine' : 'theirs');
    if (parked === 0) break;
  }
  // Long enough for a half-open socket to be found dead (ping silence 20 s, push timeout 30 s).
  await world.run(45_000);
  if ((await answerConflicts(world, people, devices, 'theirs')) > 0) await world.run(45_000);
  await settle();
  return following;
}

