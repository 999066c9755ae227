/**
 * The storage conformance suite: what every Store backend must do, through the Store interface only.
 * A backend's test file calls `describeStoreConformance('postgres', () => openPostgresStore(...))`; each test
 * gets a fresh, empty store from `makeStore` and closes it afterwards, so tests share nothing.
 */
import { describe } from 'vitest';
import type { Store } from '../../server/store/store.ts';
import { accountsConformance } from './conformance-accounts.ts';
import { applyConformance } from './conformance-apply.ts';
import { feedConformance } from './conformance-feed.ts';
import { groupConformance } from './conformance-group.ts';
import { securityConformance } from './conformance-security.ts';

export function describeStoreConformance(name: string, makeStore: () => Promise<Store>): void {
  const withStore = (fn: (store: Store) => Promise<void>) => async () => {
    const store = await makeStore();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };
  describe(`Store conformance: ${name}`, () => {
    accountsConformance(withStore);
    applyConformance(withStore);
    feedConformance(withStore);
    groupConformance(withStore);
    securityConformance(withStore);
  });
}
