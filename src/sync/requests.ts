/**
 * Tab -> SW requests with an answer: each command carries a `requestId`, the SW posts exactly one `reply`
 * back to the asking tab, and a request that gets none in `timeoutMs` fails instead of hanging the UI.
 * Answers are typed by the command (contract/replies.ts): `send({ type: 'sign-out', … })` resolves with
 * `Answer<'sign-out'>`, its data checked against that command's schema.
 */
import { parse } from '../../protocol/index.ts';
import { ReplySchema, answerOf, type Answer, type RequestType, type TabCommand } from '../../contract/index.ts';

type WithRequest<T extends RequestType> = Extract<TabCommand, { type: T }>;
/** A command that expects an answer, without its `requestId` (filled in here). */
export type RequestCommand<T extends RequestType = RequestType> = T extends RequestType ? Omit<WithRequest<T>, 'requestId'> : never;

export interface Poster {
  /** Posts to the service worker (waits for one to exist). */
  post(message: TabCommand): Promise<void>;
}

interface Pending {
  type: RequestType;
  resolve: (a: Answer<RequestType>) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class Requests {
  private n = 0;
  private readonly prefix = Math.random().toString(36).slice(2, 10);
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly poster: Poster,
    private readonly timeoutMs = 10_000,
  ) {}

  send<T extends RequestType>(cmd: RequestCommand<T> & { type: T }): Promise<Answer<T>> {
    const requestId = `${this.prefix}-${++this.n}`;
    return new Promise<Answer<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error(`the service worker did not answer "${cmd.type}" in time`));
      }, this.timeoutMs);
      this.pending.set(requestId, { type: cmd.type, resolve: resolve as (a: Answer<RequestType>) => void, reject, timer });
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
    p.resolve(answerOf(p.type, r.value));
    return true;
  }
}
