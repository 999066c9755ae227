// Registers the peer's service worker and exposes what the benchmark drives: enqueue N requests while offline.
declare global {
  interface Window {
    peerReady: Promise<void>;
    enqueue(requests: { url: string; body: string }[]): Promise<number>;
  }
}

window.peerReady = (async () => {
  await navigator.serviceWorker.register('/sw.js');
  if (!navigator.serviceWorker.controller) {
    await new Promise<void>((r) => navigator.serviceWorker.addEventListener('controllerchange', () => r(), { once: true }));
  }
  document.getElementById('state')!.textContent = 'ready';
})();

/** Each fetch fails offline; the service worker's fetch handler puts it in the Workbox queue. */
window.enqueue = async (requests) => {
  let queued = 0;
  for (const r of requests) {
    const res = await fetch(r.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: r.body });
    if (res.status === 202 && res.headers.get('x-queued') === '1') queued++;
  }
  return queued;
};
export {};
