import { describe, expect, it } from 'vitest';
import {
  NO_BACKGROUND_SYNC,
  NO_INSTALL_PROMPT,
  NO_PERSISTENT_STORAGE,
  detectCapabilities,
  limitsOf,
  requestPersistence,
} from '../../../src/state/capabilities.ts';

// What each engine exposes, as measured (docs/browser-facts.md "Firefox and WebKit").
const chromium = { SyncManager: class {}, onbeforeinstallprompt: null, navigator: { storage: { persist: async () => false } } };
const firefox = { navigator: { storage: { persist: () => new Promise<boolean>(() => {}) } } };
const webkitGtk = { navigator: {} };

describe('detectCapabilities', () => {
  it('Chromium has everything: nothing to say', () => {
    const c = detectCapabilities(chromium);
    expect(c).toEqual({ backgroundSync: true, persistentStorage: true, installPrompt: true });
    expect(limitsOf(c)).toEqual([]);
  });

  it('Firefox: no Background Sync and no install prompt', () => {
    expect(limitsOf(detectCapabilities(firefox))).toEqual([NO_BACKGROUND_SYNC, NO_INSTALL_PROMPT]);
  });

  it('WebKitGTK: no navigator.storage either', () => {
    expect(limitsOf(detectCapabilities(webkitGtk))).toEqual([NO_BACKGROUND_SYNC, NO_PERSISTENT_STORAGE, NO_INSTALL_PROMPT]);
  });

  it('a scope without navigator at all does not throw', () => {
    expect(detectCapabilities({}).persistentStorage).toBe(false);
  });

  it('the Background Sync sentence says what it means for the person', () => {
    expect(NO_BACKGROUND_SYNC).toMatch(/^This browser syncs while the app is open/);
  });
});

describe('requestPersistence', () => {
  it('is "unavailable" without navigator.storage (WebKitGTK) or without persist', async () => {
    expect(await requestPersistence(undefined)).toBe('unavailable');
    expect(await requestPersistence({})).toBe('unavailable');
    expect(await requestPersistence({ storage: {} })).toBe('unavailable');
  });

  it('gives up with "no-answer" when persist() never settles (headless Firefox)', async () => {
    const t0 = Date.now();
    expect(await requestPersistence(firefox.navigator, 30)).toBe('no-answer');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('reports the answer, a rejection and a throw', async () => {
    expect(await requestPersistence({ storage: { persist: async () => true } })).toBe('persisted');
    expect(await requestPersistence({ storage: { persist: async () => false } })).toBe('not-persisted');
    expect(await requestPersistence({ storage: { persist: () => Promise.reject(new Error('denied')) } })).toBe('failed');
    expect(
      await requestPersistence({
        storage: {
          persist: () => {
            throw new TypeError('Illegal invocation');
          },
        },
      }),
    ).toBe('failed');
  });

  it('calls persist on the storage object (a detached call is an Illegal invocation in browsers)', async () => {
    const storage = {
      granted: true,
      persist(this: { granted: boolean }) {
        return Promise.resolve(this.granted);
      },
    };
    expect(await requestPersistence({ storage })).toBe('persisted');
  });
});
