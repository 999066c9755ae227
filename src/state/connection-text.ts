/**
 * What the status element says for each connection state. The first word always names the state, because
 * people (and the tester kit) read it: Online, Syncing, Connecting, Offline, Retrying, Signed out.
 */
import { assertNever } from '../../protocol/index.ts';
import { type ConnectionState } from '../../contract/index.ts';
import { ago } from './clock.ts';

export function statusText(c: ConnectionState, unsynced: number, current: number): string {
  const synced = (at: number | null) => (at === null ? '' : `, last synced ${ago(at, current)}`);
  switch (c.kind) {
    case 'signed-out':
      return 'Signed out';
    case 'idle':
      return 'Connecting';
    case 'connecting':
      return c.attempt > 1 ? `Connecting (attempt ${c.attempt})` : 'Connecting';
    case 'open':
    case 'caught-up':
      return unsynced > 0 ? 'Syncing' : 'Online';
    case 'backoff': {
      const s = Math.max(0, Math.ceil((c.retryAt - current) / 1000));
      return `Retrying in ${s}s${synced(c.lastSyncedAt)}`;
    }
    case 'offline':
      return `Offline${synced(c.lastSyncedAt)}`;
    default:
      return assertNever(c);
  }
}
