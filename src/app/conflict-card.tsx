/**
 * One parked conflict: base / mine / theirs per conflicting field, and the choices. Keep mine re-issues the
 * local values on the server's version; Keep theirs drops this widget's parked mutations. When the other side
 * deleted the widget, the choices are to restore it with the local values or to discard them.
 */
import { useState } from 'preact/hooks';
import type { UserId } from '../../protocol/index.ts';
import type { ConflictResolution, OutboxEntry } from '../../contract/index.ts';
import { describeMutation } from '../state/describe.ts';
import { editedResolution, fieldLabel, mineOf, readField, showValue } from '../state/conflict-fields.ts';
import { useClient, useUi } from './contexts.ts';
import { When } from './when.tsx';

export function ConflictCard({ first, entries }: { first: OutboxEntry; entries: OutboxEntry[] }) {
  const client = useClient();
  const ui = useUi();
  const [editing, setEditing] = useState(false);
  const [edits, setEdits] = useState<Record<string, string | boolean>>({});
  const c = first.conflict;
  const base = c?.base ?? null;
  const { dashboardId, args } = first.mutation;
  // Theirs follows the server while the conflict waits (the newer of the answer's snapshot and the
  // replica), but a card keeps the theirs it opened with: a person reading it must not be taken to have seen
  // a change that lands meanwhile. They are told, and choose when to look.
  const replica = client.confirmed(dashboardId).value.find((w) => w.id === args.widgetId) ?? null;
  const snapshot = c?.server ?? null;
  const latest = snapshot && replica && replica.version > snapshot.version ? replica : snapshot;
  const [opened, setOpened] = useState(latest);
  const theirs = opened && latest && latest.version >= opened.version ? opened : latest;
  const movedOn = !!(theirs && latest && latest.version > theirs.version);
  const mine = mineOf(entries, first);
  const title = (snapshot ?? base ?? mine)?.title ?? 'a widget';
  const fields = c?.fields ?? [];
  // Who made theirs: the server stamps each widget with the user of its last change (docs/protocol.md "Widget");
  // the name comes from the activity feed. My own change from another device conflicts too (same user,
  // another client), so "you" says which device.
  const me = client.user.value?.id ?? null;
  const theirsBy = (userId: UserId | null) =>
    userId === null ? 'a sensor' : userId === me ? 'you on another device' : (ui.names.value.get(userId) ?? 'someone else');

  // Keep mine goes out on the version of theirs shown here: a change landing while the person reads is a
  // new conflict (or a merge), not overwritten.
  const resolve = (r: ConflictResolution) =>
    client
      .resolve(dashboardId, args.widgetId, r.keep === 'mine' && theirs ? { ...r, seenVersion: theirs.version } : r)
      .catch((e: unknown) => (ui.uiError.value = e instanceof Error ? e.message : String(e)));

  if (c && theirs === null) {
    const mineList = entries.filter((e) => e.mutation.args.widgetId === args.widgetId && e.mutation.dashboardId === dashboardId);
    return (
      <section class="card conflict" aria-label={`Conflict on ${title}`}>
        <h3>‘{title}’ was deleted by someone else</h3>
        <p>Your unsynced changes to it:</p>
        <ul>
          {mineList.map((e) => (
            <li key={e.mutation.id}>{describeMutation(e.mutation, mine ?? base)}</li>
          ))}
        </ul>
        <div class="toolbar">
          <button type="button" onClick={() => resolve({ keep: 'restore' })}>
            Restore with my changes
          </button>
          <button type="button" class="danger" onClick={() => resolve({ keep: 'theirs' })}>
            Discard mine
          </button>
        </div>
      </section>
    );
  }

  const startEdit = () => {
    const initial: Record<string, string | boolean> = {};
    for (const f of fields) {
      const v = readField(mine, f);
      initial[f] = typeof v === 'boolean' ? v : showValueForEdit(v);
    }
    setEdits(initial);
    setEditing(true);
  };

  return (
    <section class="card conflict" aria-label={`Conflict on ${title}`}>
      <h3>‘{title}’ was changed on another device</h3>
      {theirs && (
        <p class="muted conflict-who">
          Theirs: changed by {theirsBy(theirs.updatedBy)}, <When at={theirs.updatedAt} />
        </p>
      )}
      {movedOn && (
        <p class="notice" aria-live="polite">
          It was changed again there since you opened this.{' '}
          <button type="button" class="small" onClick={() => setOpened(latest)}>
            Show the latest
          </button>
        </p>
      )}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Before</th>
              <th scope="col">Yours</th>
              <th scope="col">Theirs</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((f) => (
              <tr key={f}>
                <th scope="row">{fieldLabel(f, theirs ?? base)}</th>
                <td class="value" data-label="Before">{base ? showValue(readField(base, f)) : '(unknown)'}</td>
                <td class="value" data-label="Yours">{showValue(readField(mine, f))}</td>
                <td class="value" data-label="Theirs">{showValue(readField(theirs, f))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {editing ? (
        <form
          class="edit-resolution"
          onSubmit={(e) => {
            e.preventDefault();
            setEditing(false);
            resolve(editedResolution(edits));
          }}
        >
          {fields.map((f) => {
            const label = `Edit ${fieldLabel(f, theirs ?? base)}`;
            const value = edits[f];
            return typeof value === 'boolean' ? (
              <label key={f} class="check">
                <input type="checkbox" checked={value} onChange={(e) => setEdits({ ...edits, [f]: e.currentTarget.checked })} />
                {label}
              </label>
            ) : (
              <label key={f}>
                {label}
                <textarea rows={4} value={value} onInput={(e) => setEdits({ ...edits, [f]: e.currentTarget.value })} />
              </label>
            );
          })}
          <div class="toolbar">
            <button type="submit">Save</button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div class="toolbar">
          <button type="button" onClick={() => resolve({ keep: 'mine' })}>
            Keep mine
          </button>
          <button type="button" onClick={() => resolve({ keep: 'theirs' })}>
            Keep theirs
          </button>
          <button type="button" onClick={startEdit}>
            Edit
          </button>
        </div>
      )}
    </section>
  );
}

function showValueForEdit(v: string | number | null | undefined): string {
  return v === undefined || v === null ? '' : String(v);
}
