/**
 * An edit session: from the first keystroke (or from opening a rename or item form) to the moment its
 * change is sent. The base is captured when the session starts, because that is what the person saw
 * (contract/edit-base.ts); a remote change that lands while they type is then a conflict or a merge, never
 * overwritten. Every editable field of every kind goes through this: note text, titles, checklist items.
 */
import type { EditBase } from '../../contract/index.ts';

export class EditSession {
  private started: EditBase | null = null;

  /** `read`: the base as the tab sees it now (confirmed widget and the outbox). */
  constructor(private readonly read: () => EditBase) {}

  get active(): boolean {
    return this.started !== null;
  }

  /** Starts the session if none is running; a running one keeps the base it began with. */
  begin(): void {
    this.started ??= this.read();
  }

  /** The base to send with, ending the session (the next keystroke begins a new one). */
  end(): EditBase {
    const base = this.started ?? this.read();
    this.started = null;
    return base;
  }

  /** Ends the session without sending (Cancel, Escape). */
  cancel(): void {
    this.started = null;
  }
}
