/// <reference lib="webworker" />
// The peer: Workbox's background-sync Queue, as its docs set it up. A POST that fails on the network is
// queued in IndexedDB and replayed by the Queue (one request at a time, in order) in a `sync` event.
import { Queue } from 'workbox-background-sync';

declare let self: ServiceWorkerGlobalScope;
const queue = new Queue('bench-drain', { maxRetentionTime: 24 * 60 });

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  if (event.request.method !== 'POST') return;
  const copy = event.request.clone();
  event.respondWith(
    fetch(event.request).catch(async () => {
      await queue.pushRequest({ request: copy });
      return new Response(null, { status: 202, headers: { 'x-queued': '1' } });
    }),
  );
});
