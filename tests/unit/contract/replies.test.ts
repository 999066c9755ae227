/**
 * Replies are typed by their command (contract/replies.ts). The `@ts-expect-error` lines are compile-only
 * checks, run by the typecheck step (`tsc -p tsconfig.json` includes tests/): each line must fail to
 * typecheck, or the build fails. The runtime checks read replies the way a tab does.
 */
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  REPLY_DATA,
  StateReplyDataSchema,
  answerOf,
  answered,
  refused,
  toReply,
  type Answer,
  type CommandOf,
  type RequestType,
} from '../../../contract/index.ts';
import type { RequestCommand } from '../../../src/sync/requests.ts';

describe('typed replies', () => {
  it('a wrong reply, an unknown command or a missing entry does not typecheck', () => {
    // @ts-expect-error `sign-out` answers `{ pending }`, not an entry
    const wrongData: Answer<'sign-out'> = answered({ entry: null });
    // @ts-expect-error there is no command `explode`
    type Unknown = CommandOf<'explode'>;
    // @ts-expect-error every request type must name its reply data
    const partial = { identity: StateReplyDataSchema } satisfies Record<RequestType, v.GenericSchema>;
    // @ts-expect-error a refusal's code comes from REPLY_CODES
    const badCode = refused('nope', 'why');
    // @ts-expect-error `keepalive` gets no reply, so it cannot be sent as a request
    const notARequest: RequestCommand = { type: 'keepalive' };
    const fine: Answer<'sign-out'> = answered({ pending: 2 });
    expect([wrongData, partial, badCode, notARequest, fine].length).toBe(5);
    expectTypeOnly<Unknown>();
  });

  it('a tab reads a reply against its command: good data passes, bad data is a `failed` refusal, codes pass through', () => {
    const ok = answerOf('sign-out', toReply('r1', answered({ pending: 3 })));
    expect(ok).toEqual({ ok: true, data: { pending: 3 } });
    const garbled = answerOf('sign-out', { type: 'reply', requestId: 'r2', ok: true, data: { pending: 'three' } });
    expect(garbled).toMatchObject({ ok: false, code: 'failed', error: expect.stringContaining('"sign-out"') });
    const no = answerOf('discard', toReply('r3', refused('no-such-entry', 'no such pending change')));
    expect(no).toEqual({ ok: false, code: 'no-such-entry', error: 'no such pending change' });
    expect(Object.keys(REPLY_DATA).sort()).toEqual(['discard', 'get-state', 'identity', 'mutate', 'resolve', 'retry', 'set-policy', 'sign-out']);
  });
});

function expectTypeOnly<T>(): T | undefined {
  return undefined;
}
