export * from './server.ts';
export * from './cluster.ts';
export * from './browser.ts';
export * from './api.ts';
export * from './app.ts';
export { test, expect } from './fixtures.ts';
export * from './profiles.ts';
export * from './trace.ts';
