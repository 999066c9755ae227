/**
 * axe-core on every screen, in jsdom: names, roles, labels, structure. Colour contrast needs real layout,
 * so it is checked in Chromium by the end-to-end screenshots run instead.
 */
import { fireEvent, screen } from '@testing-library/preact';
import axe from 'axe-core';
import { describe, expect, it } from 'vitest';
import type { WidgetId } from '../../protocol/index.ts';
import { checklist, counter, entry, fakeClient, metric, note } from './fake-client.ts';
import { renderApp } from './render-app.tsx';

async function seriousViolations(): Promise<string[]> {
  const result = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false } } });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

function busyWorld() {
  const base = note('w_n', 'Shift notes', 'base', 'a1', 2);
  const theirs = { ...base, text: 'theirs', version: 3 };
  const client = fakeClient({
    widgets: [
      counter('w_c', 'Pumps', 3, 'a0'),
      theirs,
      checklist('w_l', 'Checks', [{ id: 'i1', text: 'Valve check', done: true }], 'a2'),
      metric('w_m', 'Flow rate', 'flow', [1, 2, 3], 'a3'),
    ],
  });
  client.updateAvailable.value = true;
  client.outbox.value = [
    entry({ name: 'counter.add', args: { widgetId: 'w_c' as WidgetId, delta: 1 } }, { state: 'failed', attempts: 2, lastError: 'HTTP 503' }),
    entry({ name: 'widget.set', args: { widgetId: 'w_n' as WidgetId, patch: { text: 'mine' } } }, {
      state: 'conflict',
      conflict: { fields: ['text'], base, server: theirs },
    }),
  ];
  client.activity.value = [{ at: 1, dashboardId: 'd_main' as never, widgetId: 'w_c' as WidgetId, kind: 'rejected', message: 'Undone' }];
  return client;
}

describe('accessibility (axe, serious and critical)', () => {
  it('sign-in screen with an error', async () => {
    const client = fakeClient({ signedIn: false });
    client.signIn.mockResolvedValueOnce({ ok: false, message: 'Wrong username or password' });
    renderApp(client);
    fireEvent.input(screen.getByLabelText('Username'), { target: { value: 'demo' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await screen.findByRole('alert');
    expect(await seriousViolations()).toEqual([]);
  });

  for (const view of ['board', 'Pending changes', 'Conflicts (1)', 'Activity']) {
    it(`${view}`, async () => {
      renderApp(busyWorld());
      if (view !== 'board') fireEvent.click(screen.getByRole('button', { name: view }));
      expect(screen.getAllByRole('heading').length).toBeGreaterThan(1);
      expect(await seriousViolations()).toEqual([]);
    });
  }

  it('every button and field has a name', () => {
    renderApp(busyWorld());
    const unnamed = [...document.querySelectorAll('button, input, select, textarea')].filter(
      (el) => !(el.getAttribute('aria-label') || el.textContent?.trim() || el.closest('label')),
    );
    expect(unnamed).toEqual([]);
  });
});
