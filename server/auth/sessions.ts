/**
 * Session cookies. The browser holds a random token; the store holds only its SHA-256, so a leaked
 * database does not hand out live sessions.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { User, UserId } from '../../protocol/index.ts';
import type { Store } from '../store/store.ts';

export const SESSION_COOKIE = 'fb_session';

export interface Session {
  user: User;
  tokenHash: string;
  expiresAt: number;
}

export const newToken = () => randomBytes(32).toString('base64url');
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    // The first cookie of a name wins, as in browsers' own precedence (most specific path first).
    if (name && !out.has(name)) out.set(name, value);
  }
  return out;
}

/** `secure` when the browser reached us over HTTPS (directly or through a proxy): then the cookie never leaks to plain HTTP. */
export function sessionCookie(token: string, maxAgeS: number, secure = false): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}

export function isHttps(req: IncomingMessage): boolean {
  // Trusting the proxy header is safe here: it can only add the Secure restriction, never remove a check.
  const forwarded = req.headers['x-forwarded-proto'];
  return (req.socket as { encrypted?: boolean }).encrypted === true || (typeof forwarded === 'string' && forwarded.split(',')[0].trim() === 'https');
}

export const clearedSessionCookie = () => `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;

export async function startSession(store: Store, userId: UserId, ttlDays: number, now: number, secure: boolean) {
  const token = newToken();
  const expiresAt = now + ttlDays * 86_400_000;
  await store.createSession(hashToken(token), userId, expiresAt);
  return { token, expiresAt, cookie: sessionCookie(token, ttlDays * 86_400, secure) };
}

/** The session behind a request's cookie, or null (no cookie, unknown, expired or user gone). */
export async function authenticate(store: Store, req: IncomingMessage, now: number): Promise<Session | null> {
  const token = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
  if (!token || token.length > 200) return null;
  const tokenHash = hashToken(token);
  const session = await store.getSession(tokenHash, now);
  if (!session) return null;
  const user = await store.getUser(session.userId);
  return user ? { user, tokenHash, expiresAt: session.expiresAt } : null;
}

/** Origin check for cookie-authenticated state changes and the socket upgrade: present and allowed. */
export function originAllowed(req: IncomingMessage, allowed: ReadonlySet<string>): boolean {
  const origin = req.headers.origin;
  return typeof origin === 'string' && allowed.has(origin);
}
