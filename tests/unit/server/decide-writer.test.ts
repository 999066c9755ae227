/**
 * decide() names the writer of a field stamp as clientId and user (server/store/decide.ts). Records written
 * before carry the bare clientId: it reads as this writer's only when it stamps the widget's latest change and
 * that change was this user's; otherwise as another writer's (a conflict, never a silent overwrite).
 */
import { describe, expect, it } from 'vitest';
import type { Change, DashboardId, Mutation, MutationResult, UserId, WidgetRecord } from '../../../protocol/index.ts';
import { decide, writerOf, type BatchState, type CachedWidget } from '../../../server/store/decide.ts';
import { A, apply, m, W } from '../protocol/helpers.ts';

const D = 'd_1' as DashboardId;
const BOB = { ...A, userId: 'u_bob' as UserId };

/** A batch over one widget whose stored record was made by the bare-clientId stamping of before. */
function batchOver(record: WidgetRecord): BatchState & { cached: CachedWidget } {
  const cached: CachedWidget = { dashboardId: D, widgetId: W, record, lastSeq: record.widget.version, dirty: false };
  let seq = record.widget.version;
  return {
    cached,
    seen: () => undefined,
    isMember: () => true,
    widget: () => cached,
    nextSeq: () => ++seq,
    addChange: (_c: Change) => undefined,
    record: (_m: Mutation, r: MutationResult) => r,
    liveWidgets: () => ({ n: 1 }),
    storedSize: () => ({ n: 0 }),
  };
}

/** A note made and edited by A with bare stamps (as stored before writers named the user): text at v2. */
function legacyNote(): WidgetRecord {
  const made = apply(null, m({ name: 'widget.create', args: { widgetId: W, kind: 'note', title: 'N', position: 'a0', text: '' } }));
  return apply(made, m({ name: 'widget.set', args: { widgetId: W, patch: { text: 'first' } } } as never, 1));
}

const setText = (text: string, base: number) => m({ name: 'widget.set', args: { widgetId: W, patch: { text } } } as never, base);

describe('writers in decide', () => {
  it('reads a bare stamp of the same clientId as this writer: no conflict with its own earlier edit', () => {
    const s = batchOver(legacyNote());
    const out = decide(setText('second', 1), A, s);
    expect(out).toMatchObject({ result: { status: 'applied' } });
    expect(s.cached.record!.stamps.text.c).toBe(writerOf(A));
  });

  it('takes another user presenting that clientId as another writer: a conflict', () => {
    const s = batchOver(legacyNote());
    expect(decide(setText('bob', 1), BOB, s)).toMatchObject({ result: { status: 'conflict', fields: ['text'] } });
  });

  it("does not adopt a bare stamp that is not the widget's latest change: a conflict to settle, not an overwrite", () => {
    const older = apply(legacyNote(), m({ name: 'widget.set', args: { widgetId: W, patch: { title: 'T' } } } as never, 2));
    expect(decide(setText('second', 1), A, batchOver(older))).toMatchObject({ result: { status: 'conflict', fields: ['text'] } });
    // An edit from the current version is no conflict at all.
    expect(decide(setText('second', 3), A, batchOver(older))).toMatchObject({ result: { status: 'applied' } });
  });

  it('keeps them apart on stamps written as writers too', () => {
    const s = batchOver(legacyNote());
    expect(decide(setText('second', 2), A, s)).toMatchObject({ result: { status: 'applied' } });
    expect(decide(setText('third', 2), A, s)).toMatchObject({ result: { status: 'applied' } });
    expect(decide(setText('bob', 2), BOB, s)).toMatchObject({ result: { status: 'conflict', fields: ['text'] } });
  });
});
