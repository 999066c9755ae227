/**
 * The drain benchmark's floor: the server alone, no browser. N `counter.add` mutations over one socket in
 * pushes of 500, then N more as one HTTP POST each (what the Workbox peer's Queue sends).
 */
import WebSocket from 'ws';
import { newClientId, type ClientId } from '../../protocol/index.ts';
import type { KitServer } from '../../tests/kit/server.ts';
import { mutation, push, type Board } from '../lib/fieldboard.ts';

export interface ServerRate {
  batchedPerSec: number;
  perRequestPerSec: number;
}

export async function serverRate(server: KitServer, board: Board, n: number): Promise<ServerRate> {
  const clientId: ClientId = newClientId();
  const add = () => mutation(clientId, board.dashboardId, { name: 'counter.add', args: { widgetId: board.counterId, delta: 1 } });
  const ws = new WebSocket(server.url.replace(/^http/, 'ws') + '/api/ws', {
    headers: { cookie: board.session.cookie, origin: server.url },
    perMessageDeflate: false,
  });
  const waiting = new Map<string, () => void>();
  await new Promise<void>((res, rej) => {
    ws.on('error', rej);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', protocol: 1, clientId })));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data)) as { type: string; requestId?: string };
      if (f.type === 'welcome') res();
      if (f.type === 'push-result' || f.type === 'error') waiting.get(f.requestId!)?.();
    });
  });
  const b0 = performance.now();
  for (let i = 0; i < n; i += 500) {
    const requestId = `rate${i}`;
    const done = new Promise<void>((r) => waiting.set(requestId, r));
    ws.send(JSON.stringify({ type: 'push', requestId, mutations: Array.from({ length: Math.min(500, n - i) }, add) }));
    await done;
  }
  const batchedMs = performance.now() - b0;
  ws.terminate();
  const p0 = performance.now();
  for (let i = 0; i < n; i++) await push(board.session, clientId, [add()]);
  const perRequestMs = performance.now() - p0;
  return { batchedPerSec: (n * 1000) / batchedMs, perRequestPerSec: (n * 1000) / perRequestMs };
}
