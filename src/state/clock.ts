/**
 * One ticking "now" for every relative time on screen ("2 min ago", "Retrying in 4 s"), so they all move
 * together and tests can set the time instead of waiting for it.
 */
import { signal } from '@preact/signals';

export const now = signal(Date.now());

/** Starts the 1 s tick; returns the stop function. Only the app root calls this. */
export function startClock(intervalMs = 1000): () => void {
  now.value = Date.now();
  const timer = setInterval(() => (now.value = Date.now()), intervalMs);
  return () => clearInterval(timer);
}

/** "just now", "10 s ago", "2 min ago", "3 h ago", "4 d ago". */
export function ago(at: number, current: number): string {
  const s = Math.max(0, Math.floor((current - at) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}
