/**
 * The PWA build: the app (Preact) and, as a second build by vite-plugin-pwa's injectManifest strategy, the
 * service worker compiled from sw/sw.ts to /sw.js with the precache manifest injected. That second build
 * does not inherit this file's plugins, which is fine: the SW is plain TypeScript with no JSX.
 *
 * Registration is ours (src/sync/worker-link.ts, workbox-window), so `injectRegister: false`; updates wait for
 * the person's consent ('prompt'), because swapping the SW under a running page kills its socket.
 */
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { readReleaseNotes } from './build/release-notes.ts';

// The version and its changelog points (docs/updates.md): baked into the app, and written to version.json
// for a page of the previous version to read when an update waits.
const notes = readReleaseNotes(import.meta.dirname);
const versionFile: Plugin = {
  name: 'fieldboard-version-json',
  apply: 'build',
  generateBundle() {
    this.emitFile({ type: 'asset', fileName: 'version.json', source: `${JSON.stringify(notes)}\n` });
  },
};

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  define: { __FIELDBOARD_RELEASE__: JSON.stringify(notes) },
  build: {
    target: 'es2022',
    // Print every file with its size (and gzip size) so size changes show up in every build log.
    reportCompressedSize: true,
    chunkSizeWarningLimit: 300,
    // Vite's modulepreload polyfill is for browsers without <link rel="modulepreload">; index.html has no such
    // link and the lazy screens (src/app/screens.ts) are imported, not preloaded: 0.3 KiB gzipped of dead code.
    modulePreload: { polyfill: false },
  },
  plugins: [
    versionFile,
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'sw',
      filename: 'sw.ts',
      injectRegister: false,
      registerType: 'prompt',
      // The glob below already precaches public/icons; listing manifest icons again would duplicate them.
      includeManifestIcons: false,
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,png,svg,ico}'],
        // One classic script: registered without `type: 'module'`, which every browser with SW support runs.
        rollupFormat: 'iife',
      },
      manifest: {
        name: 'Fieldboard',
        short_name: 'Fieldboard',
        description: 'Offline-first real-time dashboard',
        theme_color: '#0b5cad',
        background_color: '#f4f5f7',
        display: 'standalone',
        start_url: '/',
        scope: '/',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      devOptions: { enabled: false },
    }),
  ],
});
