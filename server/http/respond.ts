/** Small HTTP helpers: JSON answers, the `{ error: { code, message } }` shape, and a size-limited body reader. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LIMITS, type ErrorBody } from '../../protocol/index.ts';

/** An expected failure that becomes an HTTP answer; anything else thrown is a 500. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** 429 with `Retry-After` (whole seconds, rounded up, as HTTP wants) for a refused rate-limit verdict. */
export function rateLimited(retryAfterMs: number, message: string): HttpError {
  return new HttpError(429, 'rate-limited', message, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) });
}

/** How long a client answered before its body was read gets to take that answer. */
const UNREAD_GRACE_MS = 1000;

/**
 * An answer given before the request's body was read (refused, too large) ends the connection: keeping it
 * alive would make Node read and discard the rest of the body, however large, to find the next request.
 * Reading stops now; the socket is destroyed once the answer is flushed.
 */
function closeIfBodyUnread(res: ServerResponse): Record<string, string> {
  const req = res.req as IncomingMessage | undefined;
  if (!req || req.complete) return {};
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody) return {};
  req.pause();
  const socket = req.socket;
  res.once('finish', () => socket.destroy());
  setTimeout(() => socket.destroy(), UNREAD_GRACE_MS).unref();
  return { Connection: 'close' };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    // API answers are per user and change constantly; the SW decides what to keep, not HTTP caches.
    'Cache-Control': 'no-store',
    ...headers,
    ...closeIfBodyUnread(res),
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Cache-Control': 'no-store', ...headers, ...closeIfBodyUnread(res) });
  res.end();
}

export function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) {
  const body: ErrorBody = { error: { code, message } };
  sendJson(res, status, body, headers);
}

/**
 * Reads the whole body, refusing (413) past the limit, declared or streamed (chunked): reading stops at
 * once and the answer closes the connection (`closeIfBodyUnread`), so the rest is never read.
 */
export function readBody(req: IncomingMessage, limit: number = LIMITS.maxFrameBytes): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new HttpError(413, 'too-large', `body is over ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        req.pause();
        reject(new HttpError(413, 'too-large', `body is over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => failed || resolve(Buffer.concat(chunks)));
    req.on('error', (err) => failed || reject(err));
  });
}

/** The body as JSON; bad JSON is a 400 `bad-json`. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  if (body.length === 0) throw new HttpError(400, 'bad-json', 'body is empty; JSON expected');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'bad-json', 'body is not valid JSON');
  }
}

/** A failed body or query validation as an HTTP error: 413 where a limit was crossed, else 400. */
export function invalid(r: { code: 'invalid' | 'too-large'; message: string }): HttpError {
  return r.code === 'too-large' ? new HttpError(413, 'too-large', r.message) : new HttpError(400, 'invalid', r.message);
}
