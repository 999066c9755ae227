/** The HTTP fallbacks (sw/http.ts): push results and failures as values, pull paging and resets. */
import { describe, expect, it, vi } from 'vitest';
import type { Mutation } from '../../../protocol/index.ts';
import { pullOverHttp, pushOverHttp, type FetchLike } from '../../../sw/http.ts';
import { CLIENT, D1, WA, counterWidget, mk } from './helpers.ts';

const fetchReturning = (...responses: (Response | Error)[]) => {
  const f = vi.fn<FetchLike>(async () => {
    const r = responses.shift();
    if (!r) throw new Error('no more responses');
    if (r instanceof Error) throw r;
    return r;
  });
  return f;
};

describe('pushOverHttp', () => {
  const muts: Mutation[] = [mk.add(WA, 1)];

  it('posts the client id and mutations with the session cookie and answers the results', async () => {
    const f = fetchReturning(Response.json({ results: [{ id: muts[0].id, status: 'applied', seq: 3, version: 2 }] }));
    const r = await pushOverHttp(f, CLIENT, muts);
    expect(r).toEqual({ ok: true, value: [{ id: muts[0].id, status: 'applied', seq: 3, version: 2 }] });
    const [path, init] = f.mock.calls[0];
    expect(path).toBe('/api/push');
    expect(init).toMatchObject({ method: 'POST', credentials: 'same-origin' });
    expect(JSON.parse(String(init!.body))).toEqual({ clientId: CLIENT, mutations: muts });
  });

  it('tells transient failures from a lost session', async () => {
    expect(await pushOverHttp(fetchReturning(new TypeError('Failed to fetch')), CLIENT, muts)).toEqual({
      ok: false,
      unauthorized: false,
      error: 'network: Failed to fetch',
    });
    expect(await pushOverHttp(fetchReturning(new Response('', { status: 502 })), CLIENT, muts)).toEqual({
      ok: false,
      unauthorized: false,
      error: 'HTTP 502 on push',
    });
    expect(await pushOverHttp(fetchReturning(new Response('', { status: 401 })), CLIENT, muts)).toEqual({
      ok: false,
      unauthorized: true,
      error: 'session expired',
    });
  });

  it('an answer that fails the schema is a transient failure, not trusted', async () => {
    const r = await pushOverHttp(fetchReturning(Response.json({ results: [{ id: 'x', status: 'maybe' }] })), CLIENT, muts);
    expect(r).toMatchObject({ ok: false, unauthorized: false, error: expect.stringMatching(/^bad push answer: /) });
    const notJson = await pushOverHttp(fetchReturning(new Response('<html>')), CLIENT, muts);
    expect(notJson).toMatchObject({ ok: false, error: expect.stringMatching(/^bad push answer: /) });
  });
});

describe('pullOverHttp', () => {
  const change = (seq: number) => ({ seq, dashboardId: D1, widgetId: WA, version: seq, widget: counterWidget(WA, seq), mutationId: null, clientId: null, userId: null, at: 1 });

  it('pages from the cursor until the head, carrying the epoch', async () => {
    const f = fetchReturning(
      Response.json({ epoch: 'e1', changes: [change(4)], seq: 4, more: true }),
      Response.json({ epoch: 'e1', changes: [change(5)], seq: 6, more: false }),
    );
    const r = await pullOverHttp(f, D1, { cursor: 3, epoch: 'e1' });
    expect(r).toEqual({
      ok: true,
      value: [
        { dashboardId: D1, kind: 'changes', changes: [change(4)], seq: 4, epoch: 'e1' },
        { dashboardId: D1, kind: 'changes', changes: [change(5)], seq: 6, epoch: 'e1' },
      ],
    });
    const queries = f.mock.calls.map(([p]) => Object.fromEntries(new URL(p, 'http://x').searchParams));
    expect(queries).toEqual([
      { dashboardId: D1, cursor: '3', limit: '1000', epoch: 'e1' },
      { dashboardId: D1, cursor: '4', limit: '1000', epoch: 'e1' },
    ]);
  });

  it('a reset comes first and one more page confirms nothing is left', async () => {
    const f = fetchReturning(
      Response.json({ reset: { epoch: 'e2', seq: 9, widgets: [counterWidget(WA, 9)] } }),
      Response.json({ epoch: 'e2', changes: [], seq: 9, more: false }),
    );
    const r = await pullOverHttp(f, D1, { cursor: 50, epoch: 'old' });
    expect(r).toEqual({
      ok: true,
      value: [
        { dashboardId: D1, kind: 'reset', epoch: 'e2', seq: 9, widgets: [counterWidget(WA, 9)] },
        { dashboardId: D1, kind: 'changes', changes: [], seq: 9, epoch: 'e2' },
      ],
    });
    expect(new URL(f.mock.calls[1][0], 'http://x').searchParams.get('epoch')).toBe('e2');
  });

  it('without an epoch it asks from scratch; at most maxPages pages', async () => {
    const f = vi.fn<FetchLike>(async () => Response.json({ epoch: 'e1', changes: [], seq: 1, more: true }));
    const r = await pullOverHttp(f, D1, { cursor: 0, epoch: null }, 3);
    expect(r.ok).toBe(true);
    expect(f).toHaveBeenCalledTimes(3);
    expect(new URL(f.mock.calls[0][0], 'http://x').searchParams.has('epoch')).toBe(false);
  });

  it('a 401 or a failure ends the pull as a value', async () => {
    expect(await pullOverHttp(fetchReturning(new Response('', { status: 401 })), D1, { cursor: 0, epoch: null })).toEqual({
      ok: false,
      unauthorized: true,
      error: 'session expired',
    });
    expect(await pullOverHttp(fetchReturning(new Response('', { status: 503 })), D1, { cursor: 0, epoch: null })).toMatchObject({
      ok: false,
      error: 'HTTP 503 on pull',
    });
  });
});
