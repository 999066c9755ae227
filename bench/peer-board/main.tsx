/**
 * The peer page of the input-to-paint and propagation benchmarks: a bare Preact board with the same cards
 * as Fieldboard's (same markup classes, same stylesheet, same number of widgets), where each counter is
 * local component state. No storage, no service worker, no sync: the floor for a click's paint.
 *
 *   ?widgets=N   cards on the board (default 200; the first is the counter "Pumps")
 *   ?relay       propagation peer: every +1/-1 is also emitted to a Socket.IO broadcast relay (the same
 *                origin), and increments relayed from other tabs and devices are applied on arrival
 *   ?bc          propagation floor between tabs: every +1/-1 is posted on a BroadcastChannel and applied by
 *                the other tabs of the same browser profile (no server, no storage: the least a tab can do)
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Socket } from 'socket.io-client';
import '../../src/styles.css';

const params = new URLSearchParams(location.search);
const count = Number(params.get('widgets') ?? 200);
const relay: Socket | null = params.has('relay')
  ? (await import('socket.io-client')).io({ reconnectionDelayMax: 1000 })
  : null;

type Edit = { title: string; delta: number };

const channel = params.has('bc') ? new BroadcastChannel('peer-floor') : null;

function Counter({ title, initial }: { title: string; initial: number }) {
  const [value, setValue] = useState(initial);
  useEffect(() => {
    const on = (e: Edit) => e.title === title && setValue((v) => v + e.delta);
    const onMessage = (m: MessageEvent<Edit>) => on(m.data);
    relay?.on('edit', on);
    channel?.addEventListener('message', onMessage);
    return () => {
      relay?.off('edit', on);
      channel?.removeEventListener('message', onMessage);
    };
  }, [title]);
  const add = (delta: number) => {
    setValue((v) => v + delta);
    relay?.emit('edit', { title, delta } satisfies Edit);
    channel?.postMessage({ title, delta } satisfies Edit);
  };
  return (
    <div class="counter">
      <p class="counter-value">{value}</p>
      <div class="row">
        <button type="button" class="big" onClick={() => add(-1)} aria-label="Decrement">
          −1
        </button>
        <button type="button" class="big" onClick={() => add(1)} aria-label="Increment">
          +1
        </button>
      </div>
    </div>
  );
}

function Note({ text }: { text: string }) {
  const [draft, setDraft] = useState(text);
  return (
    <label class="note">
      <span class="visually-hidden">Note</span>
      <textarea rows={5} value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
    </label>
  );
}

function Checklist() {
  const [items, setItems] = useState([0, 1, 2].map((k) => ({ text: `Item ${k}`, done: k === 0 })));
  return (
    <div class="checklist">
      <ul>
        {items.map((item, k) => (
          <li key={k}>
            <label>
              <input type="checkbox" checked={item.done} onChange={() => setItems(items.map((x, j) => (j === k ? { ...x, done: !x.done } : x)))} />
              {item.text}
            </label>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Card({ i }: { i: number }) {
  const title = i === 0 ? 'Pumps' : `Widget ${String(i).padStart(3, '0')}`;
  const kind = i === 0 ? 0 : i % 3;
  return (
    <article class={`widget widget-${['counter', 'note', 'checklist'][kind]}`} aria-label={title}>
      <header class="widget-head">
        <h2>{title}</h2>
      </header>
      {kind === 0 ? <Counter title={title} initial={i === 0 ? 0 : i} /> : kind === 1 ? <Note text={`Note ${i}: check the gauges.`} /> : <Checklist />}
      <div class="toolbar">
        <button type="button">Rename</button>
        <button type="button" disabled={i === 0}>
          Move up
        </button>
        <button type="button" disabled={i === count - 1}>
          Move down
        </button>
        <button type="button" class="danger">
          Delete
        </button>
      </div>
    </article>
  );
}

function Board() {
  return (
    <div class="app">
      <header class="topbar">
        <h1 class="brand">Peer board</h1>
      </header>
      <main class="content">
        <section class="grid" aria-label="Widgets">
          {Array.from({ length: count }, (_, i) => (
            <Card key={i} i={i} />
          ))}
        </section>
      </main>
    </div>
  );
}

render(<Board />, document.getElementById('app')!);
(window as unknown as { peerReady: Promise<void> }).peerReady = relay
  ? new Promise((r) => (relay.connected ? r() : relay.once('connect', () => r())))
  : Promise.resolve();
