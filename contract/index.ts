/**
 * The client contract: what the service worker and the page share and the server never sees. Messages
 * between tabs and the worker (commands, typed replies, broadcasts), the outbox entry and the edit-base
 * rule over it, sync tags, a mutation in words. Versioned with the app, not with the wire protocol
 * (docs/protocol.md). The local database both open is `./local-db/` (imported on its own).
 * It builds on `protocol/` (the server wire) and nothing builds on it from there.
 */
export * from './tab-messages.ts';
export * from './replies.ts';
export * from './edit-base.ts';
export * from './describe.ts';
export * from './outbox-copy.ts';
