/**
 * The one way the UI writes a `widget.create` carrying a widget's content: Undo after a delete brings a
 * widget back (src/state/undo.ts), and an import creates one per file entry (src/state/board-file.ts).
 */
import type { ItemId, MutationInput, WidgetId, WidgetKind } from '../../protocol/index.ts';

/** A widget's content as both a stored widget and a dashboard file's entry hold it. */
export type WidgetContent =
  | { kind: 'counter'; title: string; value: number }
  | { kind: 'note'; title: string; text: string }
  | { kind: 'checklist'; title: string; items: readonly { id?: ItemId; text: string; done: boolean }[] }
  | { kind: 'metric'; title: string; metricKey: string };

/**
 * A `widget.create` with `c`'s content under `widgetId` at `position`; `itemId` names each checklist item
 * (Undo keeps the old ids, an import makes new ones).
 */
export function createWithContent(
  c: WidgetContent & { kind: WidgetKind },
  widgetId: WidgetId,
  position: string,
  itemId: (item: { id?: ItemId }) => ItemId,
): MutationInput {
  const base = { widgetId, kind: c.kind, title: c.title, position };
  switch (c.kind) {
    case 'counter':
      return { name: 'widget.create', args: { ...base, value: c.value } };
    case 'note':
      return { name: 'widget.create', args: { ...base, text: c.text } };
    case 'checklist':
      return { name: 'widget.create', args: { ...base, items: c.items.map((i) => ({ id: itemId(i), text: i.text, done: i.done })) } };
    case 'metric':
      return { name: 'widget.create', args: { ...base, metricKey: c.metricKey } };
  }
}
