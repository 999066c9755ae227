/**
 * The two stock drivers that can drive Debian's Firefox ESR and WebKitGTK (docs/browser-facts.md
 * "Firefox and WebKit": Playwright cannot), behind the few calls the field story needs. One browser per
 * engine for the whole run; tabs share its profile, so they share one service worker.
 *
 * - Firefox: puppeteer-core over WebDriver BiDi, headless.
 * - WebKit: selenium-webdriver against WebKitWebDriver driving MiniBrowser, under an Xvfb started here
 *   (WebKitGTK has no headless mode). One WebKitWebDriver process per browser session.
 *
 * Neither driver can evaluate inside the service worker: the story observes it through the page and the
 * server only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { freePort } from '../kit/server.ts';

export type EngineName = 'firefox' | 'webkit';

export interface Tab {
  /** Runs `body` (a function body that `return`s a JSON value) in the page with `args`. */
  run<T>(body: string, ...args: unknown[]): Promise<T>;
  /** A real click by the driver on the element matching `css`. */
  click(css: string): Promise<void>;
  /** Real key presses by the driver into the element matching `css`. */
  type(css: string, text: string): Promise<void>;
  reload(): Promise<void>;
  goto(url: string): Promise<void>;
  close(): Promise<void>;
}

export interface EngineBrowser {
  readonly name: EngineName;
  readonly version: string;
  newTab(url: string): Promise<Tab>;
  close(): Promise<void>;
}

const wrap = (body: string, args: unknown[]) => `(function(){${body}}).apply(null, ${JSON.stringify(args)})`;

export const FIREFOX_PATH = process.env.FIELDBOARD_FIREFOX ?? '/usr/bin/firefox-esr';
export const WEBKIT_DRIVER_PATH = process.env.FIELDBOARD_WEBKIT_DRIVER ?? '/usr/bin/WebKitWebDriver';

export async function launchFirefox(): Promise<EngineBrowser> {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    extraPrefsFirefox: {
      // Stops an idle worker after 20 s instead of 30 s, so "the next start drains the outbox" is quicker to
      // see. Still above the tabs' 15 s keep-alive: while a tab is open the worker lives as it would for a
      // person (at 3 s it was stopped between keep-alives and the story slowed to a crawl under load).
      'dom.serviceWorkers.idle_timeout': 20_000,
    },
  });
  const version = await browser.version();
  return {
    name: 'firefox',
    version,
    async newTab(url) {
      const page = await browser.newPage();
      await page.goto(url, { waitUntil: 'load' });
      return {
        run: async <T,>(body: string, ...args: unknown[]) => (await page.evaluate(wrap(body, args))) as T,
        // A tab in the background gets its frames throttled, and a BiDi click waited up to 16 s for one:
        // act on the tab in front, as a person would.
        async click(css) {
          await page.bringToFront();
          const el = await page.$(css);
          if (!el) throw new Error(`no element ${css}`);
          await el.click();
        },
        async type(css, text) {
          await page.bringToFront();
          const el = await page.$(css);
          if (!el) throw new Error(`no element ${css}`);
          await el.type(text);
        },
        async reload() {
          await page.reload({ waitUntil: 'load' });
        },
        async goto(to) {
          await page.goto(to, { waitUntil: 'load' });
        },
        async close() {
          await page.close();
        },
      };
    },
    async close() {
      await browser.close();
    },
  };
}

/** MiniBrowser of the installed WebKitGTK (4.1 or 4.0 API), or FIELDBOARD_MINIBROWSER. */
export function miniBrowserPath(): string {
  const found =
    process.env.FIELDBOARD_MINIBROWSER ??
    readdirSync('/usr/lib', { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => ['4.1', '4.0'].map((api) => `/usr/lib/${d.name}/webkit2gtk-${api}/MiniBrowser`))
      .find((p) => existsSync(p));
  if (!found || !existsSync(found)) throw new Error('MiniBrowser not found (Debian package libwebkit2gtk-4.1-0; run tests/setup/ensure-engines.sh)');
  return found;
}

/** An X server of our own on a free display (Xvfb picks it and writes the number to the fd). */
async function startXvfb(): Promise<{ display: string; proc: ChildProcess }> {
  const proc = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const display = await new Promise<string>((res, rej) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => rej(new Error(`Xvfb gave no display within 10 s: ${err}`)), 10_000);
    proc.stderr!.on('data', (d) => (err += d));
    (proc.stdio[3] as NodeJS.ReadableStream).on('data', (d) => {
      out += d;
      if (out.includes('\n')) {
        clearTimeout(timer);
        res(`:${out.trim()}`);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`Xvfb exited with ${code}: ${err}`));
    });
  });
  return { display, proc };
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}

export async function launchWebKit(): Promise<EngineBrowser> {
  const { Builder, By } = await import('selenium-webdriver');
  const binary = miniBrowserPath();
  const xvfb = await startXvfb();
  const port = await freePort();
  let driverLog = '';
  const driverProc = spawn(WEBKIT_DRIVER_PATH, [`--port=${port}`, '--host=127.0.0.1'], {
    env: { ...process.env, DISPLAY: xvfb.display },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  driverProc.stdout!.on('data', (d) => (driverLog += d));
  driverProc.stderr!.on('data', (d) => (driverLog += d));
  const cleanup = async () => {
    await stopProcess(driverProc);
    await stopProcess(xvfb.proc);
  };
  try {
    // WebKitWebDriver listens a moment after it starts.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/status`)).ok) break;
      } catch {
        /* not yet */
      }
      if (Date.now() > deadline) throw new Error(`WebKitWebDriver not answering on ${port}: ${driverLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const driver = await new Builder()
      .usingServer(`http://127.0.0.1:${port}`)
      .withCapabilities({
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': { binary, args: ['--automation'] },
      })
      .build();
    const caps = await driver.getCapabilities();
    const version = `${caps.getBrowserName()} ${caps.getBrowserVersion()}`;
    let first = true;
    return {
      name: 'webkit',
      version,
      async newTab(url) {
        // The session starts with one window: the first tab uses it, later ones open beside it.
        if (first) first = false;
        else await driver.switchTo().newWindow('tab');
        const handle = await driver.getWindowHandle();
        await driver.get(url);
        const focus = () => driver.switchTo().window(handle);
        return {
          async run<T>(body: string, ...args: unknown[]) {
            await focus();
            return (await driver.executeScript(`return ${wrap(body, args)};`)) as T;
          },
          async click(css) {
            await focus();
            await driver.findElement(By.css(css)).click();
          },
          async type(css, text) {
            await focus();
            await driver.findElement(By.css(css)).sendKeys(text);
          },
          async reload() {
            await focus();
            await driver.navigate().refresh();
          },
          async goto(to) {
            await focus();
            await driver.get(to);
          },
          async close() {
            await focus();
            await driver.close();
            const rest = await driver.getAllWindowHandles();
            if (rest[0]) await driver.switchTo().window(rest[0]);
          },
        };
      },
      async close() {
        await driver.quit().catch(() => {});
        await cleanup();
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

export async function launchEngine(name: EngineName): Promise<EngineBrowser> {
  return name === 'firefox' ? launchFirefox() : launchWebKit();
}
