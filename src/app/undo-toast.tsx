/**
 * The undo toast (issue 15): after a widget delete, a checklist item remove or a discard, one line says what
 * was done, with an Undo button that queues the inverse (src/state/undo.ts). It goes away by itself after
 * UNDO_MS, but never while the pointer is on it or the focus is in it, so nobody loses it mid-reach.
 *
 * The region is a polite live region, always in the page so screen readers hear each new line. It is not
 * role="status": the page keeps exactly one status, the connection's (src/app/connection-status.tsx), which
 * the tester kit and screen readers read as the app's state.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { UndoOffer } from '../state/ui-state.ts';
import { useUi } from './contexts.ts';
import { onEscape } from './inline-form.ts';

export const UNDO_MS = 10_000;

/** Shows `message` with an Undo that runs `undo` (which queues the inverse mutation). */
export function useOfferUndo(): (message: string, undo: () => Promise<unknown>) => void {
  const ui = useUi();
  return (message, undo) => {
    ui.undo.value = { message, undo } satisfies UndoOffer;
  };
}

export function UndoToast() {
  const ui = useUi();
  const offer = ui.undo.value;
  const [held, setHeld] = useState({ hover: false, focus: false });
  const box = useRef<HTMLDivElement>(null);
  const close = () => {
    if (ui.undo.peek() === offer) ui.undo.value = null;
  };

  // The countdown starts again for each offer and whenever the person lets go of the toast.
  useEffect(() => {
    if (!offer || held.hover || held.focus) return;
    const t = setTimeout(close, UNDO_MS);
    return () => clearTimeout(t);
  }, [offer, held.hover, held.focus]);
  // A new offer starts unheld even if the focus was in the old one's buttons (they are gone).
  useEffect(() => setHeld({ hover: false, focus: box.current?.contains(document.activeElement) ?? false }), [offer]);

  return (
    <div class="toast-region" aria-live="polite" aria-atomic="true">
      {offer && (
        <div
          ref={box}
          class="toast"
          onPointerEnter={() => setHeld((h) => ({ ...h, hover: true }))}
          onPointerLeave={() => setHeld((h) => ({ ...h, hover: false }))}
          onFocusIn={() => setHeld((h) => ({ ...h, focus: true }))}
          onFocusOut={(e) => {
            if (!box.current?.contains(e.relatedTarget as Node | null)) setHeld((h) => ({ ...h, focus: false }));
          }}
          onKeyDown={onEscape(close)}
        >
          <p class="toast-text">{offer.message}</p>
          <button
            type="button"
            onClick={() => {
              close();
              offer.undo().catch((e: unknown) => {
                ui.uiError.value = `Could not undo: ${e instanceof Error ? e.message : String(e)}`;
              });
            }}
          >
            Undo
          </button>
          <button type="button" class="toast-close" aria-label="Dismiss" onClick={close}>
            ×
          </button>
        </div>
      )}
    </div>
  );
}
