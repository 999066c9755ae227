/**
 * A time limit for one side of a benchmark that may not finish: a curve's largest size can be quadratic
 * somewhere (the drain at 100,000 before delta broadcasts, issue 13) and must then say "did not finish in
 * N s, while <phase>" instead of hanging the whole `npm run bench`.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** What one side of a measurement came to: measured, stopped at its limit, or deliberately not run. */
export type Outcome<T> =
  | { kind: 'done'; value: T }
  | { kind: 'unfinished'; limitS: number; phase: string }
  | { kind: 'failed'; phase: string; message: string }
  | { kind: 'not-run'; why: string };

/** Handed to the measured code: it names its phase as it goes and checks for the limit while it polls. */
export interface Progress {
  phase: string;
  readonly signal: AbortSignal;
  /** Throws once the limit has passed, so a polling loop ends instead of outliving its side. */
  check(): void;
}

/** How long a stopped side may take to unwind (close its pages) before the benchmark moves on regardless. */
const UNWIND_MS = 30_000;

/**
 * Runs `work` with a limit of `limitMs`. Past it, the signal aborts, `stop` releases what `work` waits on
 * (closing a browser context makes every pending page call reject), and the answer is `unfinished` with the
 * phase `work` had reached. An error before the limit (a renderer out of memory at 100,000, say) is
 * `failed`, with its phase and message, so that the other sizes and benchmarks still run and report.
 */
export async function withinLimit<T>(limitMs: number, work: (p: Progress) => Promise<T>, stop: () => Promise<void>): Promise<Outcome<T>> {
  const controller = new AbortController();
  const progress: Progress = {
    phase: 'starting',
    signal: controller.signal,
    check: () => controller.signal.throwIfAborted(),
  };
  const running = work(progress);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((res) => (timer = setTimeout(() => res('late'), limitMs)));
  try {
    const first = await Promise.race([running.then((value) => ({ value })), late]);
    if (first !== 'late') return { kind: 'done', value: first.value };
  } catch (err) {
    return { kind: 'failed', phase: progress.phase, message: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  } finally {
    clearTimeout(timer);
  }
  const phase = progress.phase;
  controller.abort(new Error(`time limit of ${Math.round(limitMs / 1000)} s`));
  await stop().catch(() => {});
  await Promise.race([running.catch(() => {}), sleep(UNWIND_MS)]);
  return { kind: 'unfinished', limitS: Math.round(limitMs / 1000), phase };
}

/** The value when measured, otherwise NaN (printed as n/a). */
export function valueOr<T>(o: Outcome<T>, pick: (v: T) => number): number {
  return o.kind === 'done' ? pick(o.value) : NaN;
}

/** Why a side has no figure, for a row's target column; empty when it has one. */
export function whyMissing(o: Outcome<unknown>, who: string): string {
  if (o.kind === 'unfinished') return `${who} did not finish in ${o.limitS} s (${o.phase})`;
  if (o.kind === 'not-run') return `${who} not run (${o.why})`;
  if (o.kind === 'failed') return `${who} failed while ${o.phase}: ${o.message.slice(0, 120)}`;
  return '';
}
