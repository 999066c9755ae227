/**
 * The built PWA, served from the static directory. Caching follows what the service worker update flow
 * needs: `sw.js`, `index.html` and the manifest are revalidated every time (else a browser could keep an old
 * SW for a day), while content-hashed assets never change and are cached for a year.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

// version.json names the version a waiting update brings (docs/updates.md): always the server's latest.
const NO_CACHE = new Set(['index.html', 'sw.js', 'manifest.webmanifest', 'registerSW.js', 'version.json']);
/** Vite names built assets `name-<hash>.ext` (hash of 8+ url-safe characters). */
const HASHED = /[-.][A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

const MISSING_BUILD = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Fieldboard</title>
<body>
<h1>Fieldboard server is running</h1>
<p>The web app has not been built yet. Run <code>npm run build</code> (or <code>npm start</code>, which builds
first) and reload.</p></body></html>`;

function cacheControl(rel: string): string {
  const base = path.posix.basename(rel);
  if (NO_CACHE.has(base) || base.endsWith('.html')) return 'no-cache';
  if (rel.startsWith('assets/') || HASHED.test(base)) return 'public, max-age=31536000, immutable';
  return 'public, max-age=3600';
}

async function fileAt(root: string, rel: string): Promise<{ file: string; size: number } | null> {
  const file = path.resolve(root, rel);
  // Path traversal: whatever `..` or encoded separators the URL held, the result must stay under root.
  if (file !== root && !file.startsWith(root + path.sep)) return null;
  try {
    const s = await stat(file);
    return s.isFile() ? { file, size: s.size } : null;
  } catch {
    return null;
  }
}

function send(req: IncomingMessage, res: ServerResponse, file: string, size: number, rel: string) {
  res.writeHead(200, {
    'Content-Type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': size,
    'Cache-Control': cacheControl(rel),
    // The SW must be allowed to control the whole origin even if it is ever served from a sub-path.
    ...(path.basename(rel) === 'sw.js' ? { 'Service-Worker-Allowed': '/' } : {}),
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

export function createStaticHandler(staticDir: string) {
  const root = path.resolve(staticDir);
  return async function serveStatic(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    let rel: string;
    try {
      rel = decodeURIComponent(pathname).replace(/^\/+/, '');
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad path');
      return;
    }
    if (rel.includes('\0')) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad path');
      return;
    }
    if (rel === '') rel = 'index.html';
    const found = await fileAt(root, rel);
    if (found) return send(req, res, found.file, found.size, rel);

    // Navigation fallback: the app routes on the client, so any page-like GET gets the shell.
    const ext = path.extname(rel);
    const wantsPage = ext === '' || ext === '.html' || (req.headers.accept ?? '').includes('text/html');
    if (wantsPage) {
      const index = await fileAt(root, 'index.html');
      if (index) return send(req, res, index.file, index.size, 'index.html');
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : MISSING_BUILD);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
    res.end('not found');
  };
}
