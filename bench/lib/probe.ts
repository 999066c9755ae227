/**
 * The in-page half of the browser benchmarks, installed by `page.addInitScript(installProbe, options)` in
 * Fieldboard's pages and the peers' alike, so both are measured by the same code.
 *
 * Times are epoch milliseconds (`performance.timeOrigin + performance.now()`), comparable across the pages
 * of one browser; `paint` is taken after the next frame: in a requestAnimationFrame callback (which runs
 * before that frame's style, layout and paint) a message is posted, and its task runs once the frame's
 * rendering is done. Input time is the trusted event's own timestamp, when the browser received the input.
 */
import type { Page } from '@playwright/test';

export interface ProbeOptions {
  /** Cold start: record when at least this many widget cards are in the grid, and the frame after. */
  coldStartWidgets?: number;
}

export interface PaintTimes {
  /** The DOM showed the expected value. */
  dom: number;
  /** The frame showing it was painted. */
  paint: number;
}

export interface Probe {
  /** Centre of the card's Increment button, in viewport pixels (scrolled into view). */
  target(card: string): { x: number; y: number };
  /** The counter value the card shows. */
  value(card: string): string | null;
  /** Resolves when the card's counter shows `expected` (at once if it already does). */
  watch(card: string, expected: string, timeoutMs: number): Promise<PaintTimes>;
  /** `watch` started now and kept for `result`; answers `target(card)`, so arming and aiming are one call
   * (an evaluate and a CDP input event are not ordered with each other; two evaluates are). */
  arm(card: string, expected: string, timeoutMs: number): { x: number; y: number };
  result(): Promise<PaintTimes>;
  /** Resolves when the card shows `expected` and carries no sync mark (nothing of it pending). */
  settled(card: string, expected: string, timeoutMs: number): Promise<void>;
  /** Time of the last trusted click (its event timestamp). */
  lastInput(): number;
  /** Cold start: milliseconds from navigation start (this page's own timeline, not epoch). */
  cold: PaintTimes | null;
}

export function installProbe(options: ProbeOptions = {}): void {
  const epoch = (t: number) => performance.timeOrigin + t;
  const afterPaint = (then: (t: number) => void) =>
    requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => then(performance.now());
      ch.port2.postMessage(null);
    });
  const card = (name: string) => document.querySelector<HTMLElement>(`article[aria-label="${CSS.escape(name)}"]`);
  const valueOf = (name: string) => card(name)?.querySelector('.counter-value')?.textContent ?? null;
  let input = NaN;
  addEventListener('click', (e) => void (e.isTrusted && (input = e.timeStamp)), true);

  let armed: Promise<PaintTimes> | null = null;
  const probe: Probe = {
    cold: null,
    arm(name, expected, timeoutMs) {
      armed = probe.watch(name, expected, timeoutMs);
      armed.catch(() => {}); // reported by result()
      return probe.target(name);
    },
    result() {
      if (!armed) return Promise.reject(new Error('nothing armed'));
      return armed;
    },
    settled(name, expected, timeoutMs) {
      const done = () => valueOf(name) === expected && !card(name)?.querySelector('.marks');
      if (done()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const observer = new MutationObserver(() => {
          if (!done()) return;
          observer.disconnect();
          clearTimeout(timer);
          resolve();
        });
        const timer = setTimeout(() => {
          observer.disconnect();
          reject(new Error(`"${name}" did not settle on ${expected} within ${timeoutMs} ms (shows ${valueOf(name)})`));
        }, timeoutMs);
        observer.observe(card(name) ?? document, { subtree: true, childList: true, characterData: true });
      });
    },
    target(name) {
      const button = card(name)?.querySelector<HTMLElement>('button[aria-label="Increment"]');
      if (!button) throw new Error(`no Increment button in "${name}"`);
      button.scrollIntoView({ block: 'nearest' });
      const r = button.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    },
    value: valueOf,
    lastInput: () => epoch(input),
    watch(name, expected, timeoutMs) {
      return new Promise((resolve, reject) => {
        let observer: MutationObserver | null = null;
        const timer = setTimeout(() => {
          observer?.disconnect();
          reject(new Error(`"${name}" did not show ${expected} within ${timeoutMs} ms (shows ${valueOf(name)})`));
        }, timeoutMs);
        const check = () => {
          if (valueOf(name) !== expected) return false;
          const dom = performance.now();
          observer?.disconnect();
          clearTimeout(timer);
          afterPaint((paint) => resolve({ dom: epoch(dom), paint: epoch(paint) }));
          return true;
        };
        if (check()) return;
        observer = new MutationObserver(() => void check());
        observer.observe(card(name) ?? document, { subtree: true, childList: true, characterData: true });
      });
    },
  };
  (window as unknown as { __probe: Probe }).__probe = probe;

  const n = options.coldStartWidgets;
  if (n) {
    const observer = new MutationObserver(() => {
      if (document.querySelectorAll('section.grid > article').length < n) return;
      observer.disconnect();
      const dom = performance.now();
      // Relative to navigation start (timeOrigin), not epoch: one page's own timeline.
      afterPaint((paint) => (probe.cold = { dom, paint }));
    });
    observer.observe(document, { subtree: true, childList: true });
  }
}

/**
 * The init script: the probe as source text, with the `__name` helper that tsx's esbuild (keepNames)
 * writes into compiled functions defined in the page too, so functions from this repo can run there.
 */
export function probeScript(options: ProbeOptions = {}): { content: string } {
  return {
    content: `globalThis.__name ??= (f) => f;\n(${installProbe.toString()})(${JSON.stringify(options)});`,
  };
}

/** The probe of a page, from Node. */
export const probeOf = {
  value: (page: Page, card: string) =>
    page.evaluate((c) => (window as unknown as { __probe: Probe }).__probe.value(c), card),
  arm: (page: Page, card: string, expected: string, timeoutMs: number) =>
    page.evaluate(([c, e, t]) => (window as unknown as { __probe: Probe }).__probe.arm(c, e, t), [card, expected, timeoutMs] as const),
  result: (page: Page) => page.evaluate(() => (window as unknown as { __probe: Probe }).__probe.result()),
  settled: (page: Page, card: string, expected: string, timeoutMs: number) =>
    page.evaluate(([c, e, t]) => (window as unknown as { __probe: Probe }).__probe.settled(c, e, t), [card, expected, timeoutMs] as const),
  lastInput: (page: Page) => page.evaluate(() => (window as unknown as { __probe: Probe }).__probe.lastInput()),
  cold: (page: Page) => page.evaluate(() => (window as unknown as { __probe: Probe }).__probe.cold),
};
