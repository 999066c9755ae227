/**
 * Fails an end-to-end test on any Content-Security-Policy violation, in any page or service worker of any
 * context the test opens, so the whole e2e suite runs with the server's strict CSP on and proves the built app
 * needs no inline script, inline style or eval (server/http/security-headers.ts).
 *
 * Chromium reports a violation twice: as a `securitypolicyviolation` event in the document (turned into a
 * console error here by an init script) and as a console error of its own ("Refused to … because it
 * violates the following Content Security Policy directive"); a worker only by the console. Either is caught.
 */
import type { Browser, BrowserContext, BrowserType, ConsoleMessage } from '@playwright/test';

const CSP_TEXT = /Content Security Policy/i;

/** Collects the CSP violations of one context into `found`. */
export function watchCsp(context: BrowserContext, found: string[]): void {
  const onConsole = (where: string) => (msg: ConsoleMessage) => {
    if (CSP_TEXT.test(msg.text())) found.push(`${where}: ${msg.text()}`);
  };
  void context
    .addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e: SecurityPolicyViolationEvent) => {
        console.error(`Content Security Policy violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} in ${e.sourceFile}:${e.lineNumber}`);
      });
    })
    .catch(() => undefined);
  context.on('console', onConsole('page'));
  const watchWorker = (w: { url(): string; on(event: 'console', fn: (m: ConsoleMessage) => void): unknown }) =>
    w.on('console', onConsole(`worker ${w.url()}`));
  for (const w of context.serviceWorkers()) watchWorker(w);
  context.on('serviceworker', watchWorker);
}

/**
 * Watches every context made through `browser.newContext` and `browserType.launchPersistentContext` until
 * the returned function restores them (tests open their own contexts for several devices and for an
 * installed-app profile, not only the fixture's).
 */
export function watchNewContexts(browser: Browser, browserType: BrowserType, found: string[]): () => void {
  const newContext = browser.newContext.bind(browser);
  const launchPersistent = browserType.launchPersistentContext.bind(browserType);
  browser.newContext = async (...args: Parameters<Browser['newContext']>) => {
    const context = await newContext(...args);
    watchCsp(context, found);
    return context;
  };
  browserType.launchPersistentContext = async (...args: Parameters<BrowserType['launchPersistentContext']>) => {
    const context = await launchPersistent(...args);
    watchCsp(context, found);
    return context;
  };
  return () => {
    browser.newContext = newContext;
    browserType.launchPersistentContext = launchPersistent;
  };
}
