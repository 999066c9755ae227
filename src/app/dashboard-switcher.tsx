/** Pick a dashboard, or make a new one (online only: the server assigns dashboard ids). */
import { onEscape, useFocusOnOpen } from './inline-form.ts';
import { useState } from 'preact/hooks';
import type { DashboardId } from '../../protocol/index.ts';
import { useClient, useUi } from './contexts.ts';

export function DashboardSwitcher() {
  const client = useClient();
  const ui = useUi();
  const dashboards = client.dashboards.value;
  const current = ui.dashboardId.value;
  const [creating, setCreating] = useState(false);
  const focus = useFocusOnOpen<HTMLInputElement>(creating);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);

  async function create(e: Event) {
    e.preventDefault();
    if (!name.trim()) return;
    setBusy(true);
    try {
      const d = await client.createDashboard(name.trim());
      ui.choose(d.id);
      setName('');
      setCreating(false);
    } catch (err) {
      ui.uiError.value = `Could not create the dashboard: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="switcher">
      <label>
        Dashboard
        <select value={current ?? ''} onChange={(e) => ui.choose(e.currentTarget.value as DashboardId)}>
          {dashboards.length === 0 && <option value={current ?? ''}>{current ? 'Loading…' : 'No dashboards'}</option>}
          {dashboards.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
      </label>
      {creating ? (
        <form class="inline-form" onKeyDown={onEscape(() => setCreating(false))} onSubmit={create}>
          <label>
            Dashboard name
            <input ref={focus} value={name} required maxLength={200} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={busy}>
            Create
          </button>
          <button type="button" onClick={() => setCreating(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <button type="button" onClick={() => setCreating(true)}>
          New dashboard
        </button>
      )}
    </div>
  );
}
