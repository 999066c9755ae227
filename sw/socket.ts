/** The browser's WebSocket behind the engine's `SocketLike` (so the state machine is testable without one). */
import type { SocketLike } from './connection.ts';

export function browserSocket(url: URL): SocketLike {
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url);
  const s: SocketLike = {
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
  };
  ws.onopen = (e) => s.onopen?.(e);
  ws.onmessage = (e) => s.onmessage?.({ data: e.data });
  ws.onclose = (e) => s.onclose?.({ code: e.code, reason: e.reason });
  ws.onerror = (e) => s.onerror?.(e);
  return s;
}
