/**
 * Export and import (docs/export-import.md): download the dashboard on screen as a file, or build a
 * dashboard from one. An import is a series of ordinary `widget.create` mutations, queued like any edit, so
 * importing into an empty dashboard works offline and syncs later; a new dashboard needs the server first,
 * since the server assigns dashboard ids.
 */
import { useState } from 'preact/hooks';
import {
  boardFileName,
  exportBoard,
  importMutations,
  parseBoardFile,
  serializeBoard,
  summarizeBoard,
  type BoardFile,
} from '../state/board-file.ts';
import { useClient, useUi } from './contexts.ts';

/** Far above any real file (1,000 widgets of 64 KiB notes would be bigger, but the server refuses that too). */
const MAX_FILE_BYTES = 8 * 1024 * 1024;

type ImportState =
  | { kind: 'idle' }
  | { kind: 'invalid'; error: string }
  /** A valid file chosen; `error` says why the last attempt to import it stored nothing. */
  | { kind: 'ready'; file: BoardFile; error: string | null }
  | { kind: 'importing' }
  | { kind: 'done'; message: string };

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  // The click has started the download; the URL is only needed until then.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function TransferView() {
  const client = useClient();
  const ui = useUi();
  const dashboardId = ui.dashboardId.value;
  const current = client.dashboards.value.find((d) => d.id === dashboardId) ?? null;
  const widgets = ui.view.value.map((v) => v.widget);
  const [state, setState] = useState<ImportState>({ kind: 'idle' });
  const offline = client.connection.value.kind === 'offline';

  async function choose(input: HTMLInputElement) {
    const f = input.files?.[0];
    if (!f) return setState({ kind: 'idle' });
    if (f.size > MAX_FILE_BYTES) return setState({ kind: 'invalid', error: 'This file is over 8 MiB: it is not a dashboard file.' });
    const read = parseBoardFile(await f.text());
    setState(read.ok ? { kind: 'ready', file: read.file, error: null } : { kind: 'invalid', error: read.error });
  }


  async function importInto(file: BoardFile, target: 'new' | 'current') {
    setState({ kind: 'importing' });
    let queued = 0;
    try {
      let id = dashboardId;
      let name = current?.name ?? 'this dashboard';
      if (target === 'new') {
        if (offline) throw new Error('A new dashboard needs the server, and you are offline. Import into an empty dashboard instead, or try again online.');
        const made = await client.createDashboard(file.name);
        ui.choose(made.id);
        id = made.id;
        name = made.name;
      }
      if (!id) throw new Error('There is no dashboard to import into.');
      // One by one, so the outbox holds them in the file's order.
      for (const input of importMutations(file)) {
        await client.mutate(id, input, 0);
        queued += 1;
      }
      const n = file.widgets.length;
      const later = client.connection.value.kind === 'offline' ? ' You are offline: they sync when the connection returns.' : '';
      setState({ kind: 'done', message: `Imported ${n} widget${n === 1 ? '' : 's'} into ‘${name}’.${later}` });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      // A refusal by the worker midway leaves what it took queued: say how much, never "nothing".
      const what = queued === 0 ? 'Nothing was imported' : `Only ${queued} of ${file.widgets.length} widgets were imported`;
      setState({ kind: 'ready', file, error: `${what}: ${why}` });
    }
  }

  const exportNow = () => {
    const now = Date.now();
    const name = current?.name ?? 'Dashboard';
    download(boardFileName(name, now), serializeBoard(exportBoard(name, widgets, now)));
  };

  return (
    <section class="panel" aria-labelledby="transfer-title">
      <div class="panel-head">
        <h2 id="transfer-title">Export or import</h2>
        <button type="button" onClick={() => (ui.screen.value = 'board')}>
          Back to dashboard
        </button>
      </div>
      <div class="transfer-part">
        <h3>Export</h3>
        <p class="muted">
          A file with this dashboard’s widgets in their order: titles, counter values, note text, checklist items and
          metric keys (not the metric’s points).
        </p>
        <button type="button" class="primary" onClick={exportNow} disabled={!dashboardId}>
          Export ‘{current?.name ?? 'dashboard'}’
        </button>
      </div>
      <div class="transfer-part">
        <h3>Import</h3>
        <label>
          Dashboard file
          <input type="file" accept="application/json,.json" onChange={(e) => void choose(e.currentTarget)} />
        </label>
        {(state.kind === 'invalid' || (state.kind === 'ready' && state.error)) && (
          <p class="error" role="alert">
            {state.error}
          </p>
        )}
        {state.kind === 'ready' && (
          <>
            <p>
              ‘{state.file.name}’: {summarizeBoard(state.file)}.
            </p>
            <div class="row">
              <button type="button" onClick={() => void importInto(state.file, 'new')}>
                Import as a new dashboard
              </button>
              <button type="button" onClick={() => void importInto(state.file, 'current')} disabled={widgets.length > 0 || !dashboardId}>
                Import into ‘{current?.name ?? 'this dashboard'}’
              </button>
            </div>
            {widgets.length > 0 && <p class="muted">Import into an empty dashboard only: this one has widgets.</p>}
          </>
        )}
        <p aria-live="polite">
          {state.kind === 'importing' && 'Importing…'}
          {state.kind === 'done' && state.message}
        </p>
      </div>
    </section>
  );
}
