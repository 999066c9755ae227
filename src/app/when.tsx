/**
 * A time as people read it in a list: relative ("2 min ago"), with the absolute date and time on hover and
 * on keyboard focus (`title`), and machine-readable in `dateTime`. A run of changes gives its first and
 * last time.
 */
import { ago, now } from '../state/clock.ts';

const ABSOLUTE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const TIME = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

export function absoluteTime(at: number, from?: number): string {
  if (from === undefined || from === at) return ABSOLUTE.format(at);
  return `${TIME.format(from)} to ${ABSOLUTE.format(at)}`;
}

export function When({ at, from }: { at: number; from?: number }) {
  return (
    <time dateTime={new Date(at).toISOString()} title={absoluteTime(at, from)}>
      {ago(at, now.value)}
    </time>
  );
}
