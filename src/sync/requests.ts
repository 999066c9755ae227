/**
 * Tab -> SW requests with an answer: each command carries a `requestId`, the SW posts exactly one `reply`
 * back to the asking tab, and a request that gets none in `timeoutMs` fails instead of hanging the UI.
 */
import { ReplySchema, parse, type Reply, type TabCommand } from '../../protocol/index.ts';

type WithRequest = Extract<TabCommand, { requestId: string }>;
/** A command that expects an answer, without its `requestId` (filled in here). */
export type RequestCommand = WithRequest extends infer C ? (C extends WithRequest ? Omit<C, 'requestId'> : never) : never;

export interface Poster {
  /** Posts to the service worker (waits for one to exist). */
  post(message: TabCommand): Promise<void>;
}

export class Requests {
  private n = 0;
  private readonly prefix = Math.random().toString(36).slice(2, 10);
  private readonly pending = new Map<string, { resolve: (r: Reply) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>();

  constructor(
    private readonly poster: Poster,
    private readonly timeoutMs = 10_000,
  ) {}

  send(cmd: RequestCommand): Promise<Reply> {
    const requestId = `${this.prefix}-${++this.n}`;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error(`the service worker did not answer "${cmd.type}" in time`));
      }, this.timeoutMs);
      this.pending.set(requestId, { resolve, reject, timer });
      this.poster.post({ ...cmd, requestId } as TabCommand).catch((e: unknown) => {
        clearTimeout(timer);
        this.pending.delete(requestId);
        reject(e instanceof Error ? e : new Error(String(e)));
      });
    });
  }

  /** Feeds a message from the SW; answers whether it was a reply to one of ours. */
  receive(data: unknown): boolean {
    const r = parse(ReplySchema, data);
    if (!r.ok) return false;
    const p = this.pending.get(r.value.requestId);
    if (!p) return false;
    this.pending.delete(r.value.requestId);
    clearTimeout(p.timer);
    p.resolve(r.value);
    return true;
  }
}
