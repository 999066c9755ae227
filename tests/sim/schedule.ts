/**
 * A run's script: a list of steps drawn from the seed. Each step carries all its own choices (which
 * widget as a fraction of what the person sees, how long, what text), so a step still means something when
 * shrinking removes others. Steps run one after another; `wait` lets virtual time pass, and the other steps
 * take no time themselves (a typing session or a fault's end goes on in the background).
 */
import { Rng } from './determinism.ts';

export const DEVICES = ['A1', 'A2', 'B1'] as const;
export type DeviceName = (typeof DEVICES)[number];

/** A person's answer to a conflict; `edit`: keep mine with the text edited on the card. */
export type Keep = 'mine' | 'edit' | 'theirs' | 'discard';

export type Step =
  | { k: 'wait'; ms: number }
  | { k: 'add'; d: DeviceName; pick: number; delta: number }
  | { k: 'type'; d: DeviceName; pick: number; gaps: number[]; where: 'end' | 'start' }
  | { k: 'edit'; d: DeviceName; what: 'title' | 'value' | 'item'; pick: number; pick2: number; think: number; text: string }
  | { k: 'item-add'; d: DeviceName; pick: number; text: string }
  | { k: 'item-toggle'; d: DeviceName; pick: number; pick2: number }
  | { k: 'item-remove'; d: DeviceName; pick: number; pick2: number }
  | { k: 'create'; d: DeviceName; kind: 'counter' | 'note' | 'checklist' }
  | { k: 'delete'; d: DeviceName; pick: number }
  | { k: 'move'; d: DeviceName; pick: number; position: string }
  | { k: 'resolve'; d: DeviceName; pick: number; keep: Keep; think: number }
  | { k: 'offline'; d: DeviceName; ms: number }
  | { k: 'stop-sw'; d: DeviceName; ms: number }
  | { k: 'crash-sw'; d: DeviceName; calls: number; ms: number }
  | { k: 'cut'; d: DeviceName; silent: boolean }
  | { k: 'no-sockets'; d: DeviceName; ms: number }
  | { k: 'kill-server'; ms: number }
  | { k: 'restart-server'; stopping: number; ms: number }
  | { k: 'close-tab'; d: DeviceName; ms: number }
  | { k: 'policy'; d: DeviceName; policy: 'manual' | 'remote-wins' | 'local-wins' };

const WEIGHTS = {
  wait: 30,
  add: 8,
  type: 14,
  edit: 10,
  'item-add': 3,
  'item-toggle': 3,
  'item-remove': 1,
  create: 1,
  delete: 0.6,
  move: 1,
  resolve: 8,
  offline: 3,
  'stop-sw': 2,
  'crash-sw': 2,
  cut: 3,
  'no-sockets': 1.5,
  'kill-server': 1.5,
  'restart-server': 1,
  'close-tab': 1.5,
  policy: 0.7,
} satisfies Record<Step['k'], number>;

const WORDS = ['pump', 'valve', 'north', 'tank', 'check', 'fix', 'ok', 'crew', 'red', 'gauge'];

function waitMs(r: Rng): number {
  const x = r.next();
  if (x < 0.6) return r.range(0, 400); // two people within a second
  if (x < 0.9) return r.range(400, 3000);
  if (x < 0.98) return r.range(3000, 20_000);
  return r.range(20_000, 70_000); // past the push timeout and the heartbeat
}

function gaps(r: Rng): number[] {
  const n = r.range(1, 8);
  return Array.from({ length: n }, () => (r.chance(0.15) ? r.range(350, 1500) : r.range(40, 250)));
}

export function generate(seed: number, n?: number): Step[] {
  const r = new Rng(seed);
  const count = n ?? r.range(15, 45);
  const steps: Step[] = [];
  for (let i = 0; i < count; i++) {
    const k = r.weighted(WEIGHTS);
    const d = r.pick(DEVICES);
    const pick = r.next();
    switch (k) {
      case 'wait':
        steps.push({ k, ms: waitMs(r) });
        break;
      case 'add':
        steps.push({ k, d, pick, delta: r.pick([1, 1, 1, -1, 5, 10]) });
        break;
      case 'type':
        steps.push({ k, d, pick, gaps: gaps(r), where: r.chance(0.8) ? 'end' : 'start' });
        break;
      case 'edit':
        steps.push({ k, d, what: r.pick(['title', 'title', 'value', 'item'] as const), pick, pick2: r.next(), think: r.range(50, 2500), text: `${r.pick(WORDS)} ${d}${i}` });
        break;
      case 'item-add':
        steps.push({ k, d, pick, text: `${r.pick(WORDS)} ${i}` });
        break;
      case 'item-toggle':
      case 'item-remove':
        steps.push({ k, d, pick, pick2: r.next() });
        break;
      case 'create':
        steps.push({ k, d, kind: r.pick(['counter', 'note', 'checklist'] as const) });
        break;
      case 'delete':
        steps.push({ k, d, pick });
        break;
      case 'move':
        steps.push({ k, d, pick, position: `a${r.int(10)}${r.pick(WORDS).slice(0, 2)}` });
        break;
      case 'resolve':
        steps.push({ k, d, pick, keep: r.weighted({ mine: 3, edit: 1, theirs: 3, discard: 1 }), think: r.range(100, 4000) });
        break;
      case 'offline':
        steps.push({ k, d, ms: r.chance(0.7) ? r.range(200, 5000) : r.range(5000, 90_000) });
        break;
      case 'stop-sw':
        steps.push({ k, d, ms: r.range(0, 5000) });
        break;
      case 'crash-sw':
        steps.push({ k, d, calls: r.range(1, 12), ms: r.range(0, 3000) });
        break;
      case 'cut':
        steps.push({ k, d, silent: r.chance(0.4) });
        break;
      case 'no-sockets':
        steps.push({ k, d, ms: r.range(1000, 60_000) });
        break;
      case 'kill-server':
        steps.push({ k, ms: r.range(0, 15_000) });
        break;
      case 'restart-server':
        steps.push({ k, stopping: r.chance(0.15) ? r.range(10_000, 30_000) : r.range(50, 5000), ms: r.range(0, 8000) });
        break;
      case 'close-tab':
        steps.push({ k, d, ms: r.range(500, 120_000) });
        break;
      case 'policy':
        steps.push({ k, d, policy: r.weighted({ manual: 2, 'remote-wins': 1, 'local-wins': 1 }) });
        break;
    }
  }
  return steps;
}

/** One line per step, for traces. */
export function describeStep(s: Step): string {
  const { k, ...rest } = s;
  return `${k} ${JSON.stringify(rest)}`;
}
