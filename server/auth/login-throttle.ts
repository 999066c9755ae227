/**
 * Login throttling, against online password guessing. Two counters per failed sign-in, kept in the store so
 * that every node behind a balancer counts together:
 *
 * - consecutive failures of one user name from one address (`n:`): a sliding window, each failure keeps it
 *   for `loginLockoutS` more; at `loginMaxFailures` that name is refused from that address until the window
 *   lapses; a success clears it. Another name from the same address is not affected, so one person
 *   mistyping a colleague's name cannot lock the colleague out of their own desk.
 * - failures from one address per day (`a:`), any names: a fixed day, against spraying one password over
 *   many names. A success does not clear it.
 *
 * While locked, the password is not even checked (the right one is refused too): a lock that a correct guess
 * could pass would still answer the guesser. Names are counted whether or not they exist, so the answer says
 * nothing about which names do.
 */
import type { IncomingMessage } from 'node:http';
import type { ServerConfig } from '../config.ts';
import type { Store } from '../store/store.ts';

const DAY_MS = 86_400_000;

type ThrottleConfig = Pick<ServerConfig, 'loginMaxFailures' | 'loginLockoutS' | 'loginMaxFailuresPerAddressDay' | 'trustProxy'>;

/** The client's address: the socket's, or behind a trusted proxy the entry that proxy appended last. */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = req.headers['x-forwarded-for'];
  if (trustProxy && typeof forwarded === 'string') {
    const last = forwarded.split(',').at(-1)?.trim();
    if (last) return last.slice(0, 100);
  }
  return req.socket.remoteAddress ?? 'unknown';
}

const nameKey = (name: string, address: string) => `n:${address}:${name}`;
const addressKey = (address: string) => `a:${address}`;

/** Seconds until this name may try again from this address, or null when it may try now. */
export async function loginRetryAfterS(store: Store, cfg: ThrottleConfig, name: string, address: string, now: number): Promise<number | null> {
  const [byName, byAddress] = await Promise.all([store.failures(nameKey(name, address), now), store.failures(addressKey(address), now)]);
  let until = 0;
  if (byName && byName.count >= cfg.loginMaxFailures) until = Math.max(until, byName.expiresAt);
  if (byAddress && byAddress.count >= cfg.loginMaxFailuresPerAddressDay) until = Math.max(until, byAddress.expiresAt);
  return until > now ? Math.ceil((until - now) / 1000) : null;
}

/** Counts a failed sign-in; answers the consecutive failures of this name from this address. */
export async function loginFailed(store: Store, cfg: ThrottleConfig, name: string, address: string, now: number): Promise<number> {
  const [byName] = await Promise.all([
    store.countFailure(nameKey(name, address), now, cfg.loginLockoutS * 1000, true),
    store.countFailure(addressKey(address), now, DAY_MS, false),
  ]);
  return byName.count;
}

export async function loginSucceeded(store: Store, name: string, address: string): Promise<void> {
  await store.clearFailures(nameKey(name, address));
}

/** What the sign-in form shows (src/sync/account.ts passes it through to its alert). */
export function lockedMessage(retryAfterS: number): string {
  const minutes = Math.ceil(retryAfterS / 60);
  const when = minutes >= 120 ? `${Math.ceil(minutes / 60)} hours` : minutes === 1 ? '1 minute' : `${minutes} minutes`;
  return `Too many failed sign-ins. Try again in ${when}.`;
}
