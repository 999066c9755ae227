/**
 * What this browser lacks of what Fieldboard would use, and what that means for the person.
 *
 * Firefox and Safari/WebKit have no Background Sync, WebKitGTK has no `navigator.storage`, headless Firefox
 * never answers `navigator.storage.persist()`, and only Chromium offers an install prompt
 * (docs/browser-facts.md "Firefox and WebKit"). The app feature-detects each, never waits on one of them
 * before it can work, and says in plain words what the missing piece changes.
 */

export interface BrowserCapabilities {
  /** `SyncManager`: the worker can send the outbox after every tab closed. */
  backgroundSync: boolean;
  /** `navigator.storage.persist`: the page can ask the browser to keep its data under storage pressure. */
  persistentStorage: boolean;
  /** `beforeinstallprompt`: the app can offer its own "Install app" button. */
  installPrompt: boolean;
}

/** The parts of `window` read here (a test passes a plain object). */
export interface CapabilityScope {
  navigator?: { storage?: { persist?: unknown } };
  [key: string]: unknown;
}

export function detectCapabilities(scope: CapabilityScope): BrowserCapabilities {
  return {
    backgroundSync: 'SyncManager' in scope,
    persistentStorage: typeof scope.navigator?.storage?.persist === 'function',
    installPrompt: 'onbeforeinstallprompt' in scope,
  };
}

export const NO_BACKGROUND_SYNC =
  'This browser syncs while the app is open: changes made offline are sent the next time Fieldboard is open and online, so open it once you have a connection.';
export const NO_PERSISTENT_STORAGE =
  'This browser cannot be asked to keep Fieldboard’s data: if it clears site data to free space, changes not yet synced are lost. Sync before you leave it for long.';
export const NO_INSTALL_PROMPT =
  'This browser offers no install prompt: to install Fieldboard, use the browser’s menu (⋮ or Share) and choose “Add to Home Screen” or “Install”, or keep it in a tab.';

/** The sentences to show, most important first; empty where everything is there. */
export function limitsOf(c: BrowserCapabilities): string[] {
  return [
    ...(c.backgroundSync ? [] : [NO_BACKGROUND_SYNC]),
    ...(c.persistentStorage ? [] : [NO_PERSISTENT_STORAGE]),
    ...(c.installPrompt ? [] : [NO_INSTALL_PROMPT]),
  ];
}

export type PersistOutcome = 'persisted' | 'not-persisted' | 'unavailable' | 'no-answer' | 'failed';

/**
 * Asks the browser to keep this origin's data. Never awaited on a path the app needs to start: headless
 * Firefox never settles `persist()`, so the answer is 'no-answer' after `timeoutMs`.
 */
export async function requestPersistence(
  nav: { storage?: { persist?: () => Promise<boolean> } } | undefined,
  timeoutMs = 5000,
): Promise<PersistOutcome> {
  const persist = nav?.storage?.persist;
  if (typeof persist !== 'function') return 'unavailable';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<PersistOutcome>((r) => (timer = setTimeout(() => r('no-answer'), timeoutMs)));
  try {
    const answer = persist
      .call(nav!.storage)
      .then((granted): PersistOutcome => (granted ? 'persisted' : 'not-persisted'))
      .catch((): PersistOutcome => 'failed');
    return await Promise.race([answer, late]);
  } catch {
    return 'failed'; // persist threw synchronously
  } finally {
    clearTimeout(timer);
  }
}
