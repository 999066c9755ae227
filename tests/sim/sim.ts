/**
 * One simulated run: a server, three devices (A1 and A2 are one person's laptop and phone, B1 is another
 * person; both are members of one dashboard), a script of steps (schedule.ts), then a heal (everything
 * online, every fault over, every parked conflict answered) and the checks (invariants.ts).
 *
 * Same seed and same steps give the same run, event for event (`verbose` keeps the whole trace, and
 * determinism is measured by comparing two traces).
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import type { Mutation } from '../../protocol/index.ts';
import { Device } from './device.ts';
import { Rng, pinRandomness } from './determinism.ts';
import { Faults, heal } from './faults.ts';
import { check, storms, type Finding } from './invariants.ts';
import { Ledger } from './ledger.ts';
import { Net } from './net.ts';
import { People, type CardModel } from './person.ts';
import { DEVICES, describeStep, type DeviceName, type Step } from './schedule.ts';
import { SimServer } from './server.ts';
import { World } from './world.ts';

export interface Outcome {
  findings: Finding[];
  trace: string[];
  stats: { events: number; mutations: number; applied: number; conflicts: number; virtualMs: number };
}

let runN = 0;
const KEEPALIVE_MS = 15_000;

export interface RunOptions {
  verbose?: boolean;
  /** Runs on the server's database after the heal, before the checks (to test the checks themselves). */
  tamper?: (server: SimServer) => void;
  /** How conflict cards behave (person.ts); default SIM_CARD or `frozen`, as the app. */
  card?: CardModel;
}

export async function runSim(seed: number, steps: Step[], opts: RunOptions = {}): Promise<Outcome> {
  const world = new World(opts.verbose ?? false);
  const rng = new Rng(seed ^ 0x5eed5);
  const unpin = pinRandomness(rng.child(1), () => world.now);
  const savedIdb = globalThis.indexedDB;
  globalThis.indexedDB = new IDBFactory();
  const server = new SimServer(() => world.now);
  try {
    return await simulate(steps, world, rng, server, opts);
  } catch (e) {
    return { findings: [{ kind: 'crash', detail: (e as Error).stack ?? String(e) }], trace: world.trace, stats: { events: world.events, mutations: 0, applied: 0, conflicts: 0, virtualMs: 0 } };
  } finally {
    server.close();
    globalThis.indexedDB = savedIdb;
    unpin();
  }
}

async function simulate(steps: Step[], world: World, rng: Rng, server: SimServer, opts: RunOptions): Promise<Outcome> {
  const net = new Net(world, rng.child(2), server);
  const ledger = new Ledger(world);
  const A = await server.addUser('u_ana', 'Ana', 'tok-ana');
  const B = await server.addUser('u_ben', 'Ben', 'tok-ben');
  const D = server.addDashboard('d_site', A, [A, B]);
  const setup = (name: Mutation['name'], args: unknown, n: number) =>
    ({ id: `m_setup${n}`, clientId: 'c_setup', dashboardId: D, baseVersion: 0, createdAt: world.now, name, args }) as Mutation;
  await server.seed(A, 'c_setup', [
    setup('widget.create', { widgetId: 'w_note1', kind: 'note', title: 'Shift notes', position: 'a1', text: 'start' }, 1),
    setup('widget.create', { widgetId: 'w_note2', kind: 'note', title: 'Handover', position: 'a2', text: '' }, 2),
    setup('widget.create', { widgetId: 'w_count1', kind: 'counter', title: 'Pumps', position: 'a3', value: 0 }, 3),
    setup('widget.create', { widgetId: 'w_count2', kind: 'counter', title: 'Valves', position: 'a4', value: 5 }, 4),
    setup('widget.create', { widgetId: 'w_list1', kind: 'checklist', title: 'Checks', position: 'a5', items: [{ id: 'it1', text: 'oil', done: false }, { id: 'it2', text: 'belts', done: true }] }, 5),
  ]);
  const runId = ++runN;
  const devices = new Map<DeviceName, Device>();
  for (const name of DEVICES) {
    const user = name.startsWith('A') ? A : B;
    const backgroundSync = name === 'A1' || rng.chance(0.5);
    const dev = new Device(name, user, name.startsWith('A') ? 'tok-ana' : 'tok-ben', world, net, rng.child(10 + devices.size), ledger, runId, backgroundSync);
    await dev.install();
    devices.set(name, dev);
  }
  const people = new People(world, ledger, D, opts.card ?? ((process.env.SIM_CARD as CardModel | undefined) || 'frozen'));

  // Each device opens its tab: sign-in, watch the board, keep-alive every 15 s (which also wakes a stopped worker).
  for (const dev of devices.values()) {
    await world.step(`person:open ${dev.name}`, () => {
      dev.command(
        (requestId) => ({ type: 'identity', requestId, user: dev.user }),
        () => dev.command({ type: 'watch', dashboardIds: [D] }),
      );
    });
    const tick = () => {
      if (dev.tabOpen) dev.command({ type: 'keepalive' });
      world.after(KEEPALIVE_MS, `tab ${dev.name} keepalive`, tick);
    };
    world.after(KEEPALIVE_MS, `tab ${dev.name} keepalive`, tick);
  }
  await world.run(2000);

  const faults = new Faults(world, server, devices, people, D);
  for (const [i, step] of steps.entries()) {
    if (world.stopped) break;
    if (step.k === 'wait') {
      await world.run(step.ms);
      continue;
    }
    const label = `${isFault(step) && step.k !== 'close-tab' ? 'fault:' : 'person:act'} #${i} ${describeStep(step)}`;
    await world.step(label, () => (isFault(step) ? faults.apply(step) : act(people, devices.get((step as { d: DeviceName }).d)!, step)));
  }

  const following = await heal(world, rng.child(3), faults, people, devices, server, D);
  opts.tamper?.(server);
  if (world.verbose) world.log(`end: server log ${JSON.stringify(server.changes(D))}`);
  const findings = world.stopped ? [{ kind: 'stopped', detail: world.stopped }] : [...following, ...(await check({ server, devices, ledger, dashboardId: D })), ...storms(net.futile)];
  const results = server.results();
  const statuses = [...results.values()].map((r) => r.status);
  return {
    findings,
    trace: world.trace,
    stats: {
      events: world.events,
      mutations: ledger.muts.size,
      applied: statuses.filter((s) => s === 'applied').length,
      conflicts: statuses.filter((s) => s === 'conflict').length,
      virtualMs: world.now,
    },
  };
}

const FAULTS = new Set<Step['k']>(['offline', 'stop-sw', 'crash-sw', 'cut', 'no-sockets', 'kill-server', 'restart-server', 'close-tab']);
const isFault = (s: Step) => FAULTS.has(s.k);


async function act(p: People, dev: Device, s: Step): Promise<void> {
  if (!dev.tabOpen) return; // no window: nobody can touch this device's board
  switch (s.k) {
    case 'policy':
      return dev.command((requestId) => ({ type: 'set-policy', requestId, policy: s.policy }));
    case 'add':
      return p.counterAdd(dev, s.pick, s.delta);
    case 'type':
      return p.type(dev, s.pick, s.gaps, s.where);
    case 'edit':
      return p.shortEdit(dev, s.what, s.pick, s.pick2, s.think, s.text);
    case 'item-add':
      return p.itemAdd(dev, s.pick, s.text);
    case 'item-toggle':
      return p.itemToggle(dev, s.pick, s.pick2);
    case 'item-remove':
      return p.itemRemove(dev, s.pick, s.pick2);
    case 'create':
      return p.create(dev, s.kind, `New ${s.kind}`);
    case 'delete':
      return p.remove(dev, s.pick);
    case 'move':
      return p.move(dev, s.pick, s.position);
    case 'resolve':
      return p.resolve(dev, s.pick, s.keep, s.think);
    default:
      throw new Error(`not a person's step: ${s.k}`);
  }
}
