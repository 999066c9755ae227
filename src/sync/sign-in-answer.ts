/**
 * What the sign-in form says about a refused `POST /api/login` (its role=alert shows it). A throttled
 * sign-in (429) carries the server's own message, which says how long to wait; Retry-After is the fallback
 * when the body cannot be read.
 */
import { ErrorBodySchema, parse } from '../../protocol/index.ts';

export function signInRefusal(status: number, body: unknown, retryAfter: string | null): string {
  if (status === 401) return 'Wrong username or password.';
  if (status === 429) {
    const parsed = parse(ErrorBodySchema, body);
    if (parsed.ok && parsed.value.error.message.trim() !== '') return parsed.value.error.message;
    const seconds = Number(retryAfter);
    const minutes = Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds / 60) : null;
    return minutes === null
      ? 'Too many failed sign-ins. Try again later.'
      : `Too many failed sign-ins. Try again in ${minutes === 1 ? '1 minute' : `${minutes} minutes`}.`;
  }
  return `Sign-in failed (HTTP ${status}).`;
}
