/**
 * Headers every answer carries, set once per request before any route runs (server/app.ts), so an error,
 * a 404 or a 405 is as protected as the app shell.
 *
 * The Content-Security-Policy allows nothing but this origin: no inline script or style, no eval, no
 * plugins, no framing by any page (clickjacking), workers and the manifest from here only. `connect-src`
 * names the WebSocket of the host the browser asked for, since older browsers do not count ws:/wss: as
 * 'self'. The build must keep working under it: vite-plugin-pwa's inline registration is off
 * (`injectRegister: false`), and the e2e suite fails on any violation (tests/kit/csp-guard.ts).
 *
 * HSTS only when the request came over TLS (directly, or as the proxy header trusted by `isHttps` says): a
 * plain-HTTP answer must not pin a host that may not serve HTTPS at all.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isHttps } from '../auth/sessions.ts';

/** A Host header fit to appear in the CSP: a name or address and a port, nothing that could add a directive. */
const PLAIN_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export function contentSecurityPolicy(host: string | undefined): string {
  const socket = host !== undefined && PLAIN_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "worker-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src 'self'${socket}`,
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Powerful features the app never uses, refused for it and for anything it could embed. */
const PERMISSIONS_POLICY = 'camera=(), microphone=(), geolocation=(), payment=(), usb=()';

export function setSecurityHeaders(req: IncomingMessage, res: ServerResponse, hstsMaxAgeS: number): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy(req.headers.host));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Permissions-Policy', PERMISSIONS_POLICY);
  if (hstsMaxAgeS > 0 && isHttps(req)) res.setHeader('Strict-Transport-Security', `max-age=${hstsMaxAgeS}`);
}
