/**
 * What people expect of any small inline editor: it takes the focus when it opens, and Escape cancels it.
 *   const focus = useFocusOnOpen<HTMLInputElement>();
 *   <form onKeyDown={onEscape(cancel)}> <input ref={focus} /> </form>
 */
import { useEffect, useRef } from 'preact/hooks';

export const onEscape =
  (cancel: () => void) =>
  (e: KeyboardEvent): void => {
    if (e.key !== 'Escape') return;
    e.preventDefault();
    cancel();
  };

/** A ref whose element is focused each time `open` turns true (a form that is always mounted when
 * shown can leave it at the default). */
export function useFocusOnOpen<T extends HTMLElement>(open = true) {
  const ref = useRef<T>(null);
  useEffect(() => {
    if (open) ref.current?.focus();
  }, [open]);
  return ref;
}
