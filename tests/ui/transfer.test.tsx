import { fireEvent, screen, waitFor } from '@testing-library/preact';
import { describe, expect, it } from 'vitest';
import type { MutationId } from '../../protocol/index.ts';
import { exportBoard, serializeBoard } from '../../src/state/board-file.ts';
import { counter, fakeClient, note } from './fake-client.ts';
import { renderApp } from './render-app.tsx';

const file = serializeBoard(exportBoard('Site A', [counter('w_a', 'Pumps', 2, 'a0'), note('w_b', 'Log', 'x', 'a1'), counter('w_c', 'Valves', 1, 'a2')], 0));

function choose(text: string) {
  const input = screen.getByLabelText('Dashboard file') as HTMLInputElement;
  // jsdom's File has no text(); a browser's does.
  const f = Object.assign(new File([text], 'board.json', { type: 'application/json' }), { text: async () => text });
  Object.defineProperty(input, 'files', { value: [f], configurable: true });
  fireEvent.change(input);
}

describe('import into an empty dashboard', () => {
  it('queues one widget.create per widget, in the file order, with the file values', async () => {
    const client = fakeClient({ widgets: [] });
    renderApp(client);
    fireEvent.click(screen.getByRole('button', { name: 'Export or import' }));
    choose(file);
    fireEvent.click(await screen.findByRole('button', { name: 'Import into ‘Main’' }));
    await screen.findByText('Imported 3 widgets into ‘Main’.');
    const made = client.mutate.mock.calls.map(([, input]) => (input.name === 'widget.create' ? [input.args.title, input.args.value ?? input.args.text] : null));
    expect(made).toEqual([['Pumps', 2], ['Log', 'x'], ['Valves', 1]]);
  });

  it('a refusal by the worker midway says how much was queued, never "nothing"', async () => {
    const client = fakeClient({ widgets: [] });
    let n = 0;
    client.mutate.mockImplementation(async () => {
      n += 1;
      if (n === 3) throw new Error('storage is full');
      return `m_${n}` as MutationId;
    });
    renderApp(client);
    fireEvent.click(screen.getByRole('button', { name: 'Export or import' }));
    choose(file);
    fireEvent.click(await screen.findByRole('button', { name: 'Import into ‘Main’' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('Only 2 of 3 widgets were imported: storage is full'));
  });
});
