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

  /**
   * For requests that may be asked twice (`get-state`): asks again every `everyMs` until one ask is answered,
   * `tries` asks at most. A post can reach a worker that is starting or stopping and be lost; the page must
   * not learn the worker's state only at the next keepalive, 15 s later.
   */
  sendUntilAnswered<T extends RequestType>(cmd: RequestCommand<T> & { type: T }, everyMs = 2_000, tries = 5): Promise<Answer<T>> {
    return new Promise<Answer<T>>((resolve, reject) => {
      let done = false;
      let asked = 0;
      let failed = 0;
      const finish = () => {
        done = true;
        clearInterval(again);
      };
      const ask = () => {
        asked += 1;
        this.send<T>(cmd).then(
          (a) => {
            if (done) return;
            finish();
            resolve(a);
          },
          (e: unknown) => {
            if (done || ++failed < tries) return;
            finish();
            reject(e);
          },
        );
      };
      const again = setInterval(() => (asked < tries ? ask() : clearInterval(again)), everyMs);
      ask();
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
