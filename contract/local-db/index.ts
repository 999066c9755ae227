/**
 * The local database (IndexedDB) the service worker and the page share: schema and migrations, validated
 * reads, the outbox reader and entry constructor, the replica-forward rule. See schema.ts for why it is part
 * of the client contract. Not re-exported from contract/index.ts, so importing the messages does not bring
 * IndexedDB code along.
 */
export * from './schema.ts';
export * from './records.ts';
export * from './outbox.ts';
export * from './replica.ts';
