/** Baked in by vite.config.ts `define` (build/release-notes.ts); absent in Vitest, see src/state/release.ts. */
declare const __FIELDBOARD_RELEASE__: { version: string; changes: string[] } | undefined;
