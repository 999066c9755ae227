/**
 * Resolving a parked conflict (by a person, or by the `local-wins` policy), as a pure plan over the
 * widget's outbox entries.
 *
 * - theirs: drop the widget's parked entries; the view becomes the server's.
 * - mine: re-issue each parked entry's local values (or the person's edited patch) as a new mutation on the
 *   server's version, in the parked entry's place (same `order`), so later entries of the widget still
 *   follow it.
 * - restore (the server deleted the widget): one `widget.create` with a new widget id carrying the local
 *   values (what this browser last knew, with every queued change of the widget replayed), replacing all of
 *   the widget's entries.
 * - merge (no person involved): a note whose text conflicted, where the two sides' edits do not overlap,
 *   becomes one new mutation carrying the three-way merge of base, mine and theirs (text-merge.ts).
 */
import { applyOptimistic, type ClientId, type ItemId, type Mutation, type MutationId, type Widget, type WidgetId } from '../protocol/index.ts';
import { baseWidgetOf, type ConflictResolution, type OutboxEntry } from '../contract/index.ts';
import { newOutboxEntry } from '../contract/local-db/index.ts';
import type { ResolveError, ResolvePlan } from './outbox.ts';
import { mergeText } from './text-merge.ts';

export interface ResolveDeps {
  now: number;
  clientId: ClientId;
  newMutationId(): MutationId;
  newWidgetId(): WidgetId;
  newItemId(): ItemId;
}

function fresh(p: OutboxEntry, mutation: Mutation, base: Widget | null): OutboxEntry {
  return newOutboxEntry(mutation, p.userId, p.order, base);
}

/** `widgetEntries`: every outbox entry of the widget (of the signed-in user), in order. */
export function planResolve(
  widgetEntries: OutboxEntry[],
  resolution: ConflictResolution,
  server: Widget | null,
  deps: ResolveDeps,
): ResolvePlan | ResolveError {
  const parked = widgetEntries.filter((e) => e.state === 'conflict');
  if (parked.length === 0) return { error: 'there is no conflict on this widget' };
  switch (resolution.keep) {
    case 'theirs':
      return { remove: parked.map((e) => e.mutation.id), put: [] };
    case 'mine':
      if (server === null) return { error: 'the widget was deleted: restore it or discard your changes' };
      return keepMine(parked, resolution, server, deps);
    case 'restore':
      return restore(widgetEntries, deps);
  }
}

function keepMine(
  parked: OutboxEntry[],
  resolution: Extract<ConflictResolution, { keep: 'mine' }>,
  server: Widget,
  deps: ResolveDeps,
): ResolvePlan {
  const plan: ResolvePlan = { remove: [], put: [] };
  // On what the person saw of theirs, never on something newer they did not see.
  const baseVersion = Math.min(server.version, resolution.seenVersion ?? server.version);
  const envelope = { clientId: deps.clientId, baseVersion, createdAt: deps.now };
  let patchUsed = false;
  let itemPatchUsed = false;
  for (const p of parked) {
    plan.remove.push(p.mutation.id);
    const m = p.mutation;
    const id = deps.newMutationId();
    if (m.name === 'widget.set') {
      if (resolution.patch && patchUsed) continue; // the edited patch replaces every parked edit
      const patch = resolution.patch ?? m.args.patch;
      patchUsed = true;
      plan.put.push(fresh(p, { ...m, ...envelope, id, args: { widgetId: m.args.widgetId, patch } }, server));
    } else if (m.name === 'checklist.set') {
      if (resolution.itemPatch && itemPatchUsed) continue;
      const patch = resolution.itemPatch ?? m.args.patch;
      itemPatchUsed = true;
      const stillThere = server.kind === 'checklist' && server.items.some((i) => i.id === m.args.itemId);
      if (stillThere) {
        plan.put.push(fresh(p, { ...m, ...envelope, id, args: { ...m.args, patch } }, server));
      } else {
        // The item was removed on the other side: "mine" brings it back as a new item with my text.
        const before = p.base?.kind === 'checklist' ? p.base.items.find((i) => i.id === m.args.itemId) : undefined;
        const text = patch.text ?? before?.text ?? '';
        plan.put.push(
          fresh(
            p,
            {
              ...envelope,
              id,
              dashboardId: m.dashboardId,
              name: 'checklist.add',
              args: { widgetId: m.args.widgetId, itemId: deps.newItemId(), text },
            },
            server,
          ),
        );
      }
    } else {
      plan.put.push(fresh(p, { ...m, ...envelope, id } as Mutation, server));
    }
  }
  return plan;
}

function restore(widgetEntries: OutboxEntry[], deps: ResolveDeps): ResolvePlan | ResolveError {
  const first = widgetEntries[0];
  const base = widgetEntries.find((e) => e.base)?.base ?? widgetEntries.find((e) => e.conflict?.base)?.conflict?.base ?? null;
  const created = widgetEntries.find((e) => e.mutation.name === 'widget.create');
  if (!base && !created) return { error: 'nothing is known of this widget to restore' };
  let local: Widget | null = base;
  for (const e of widgetEntries) {
    local = applyOptimistic(local, e.mutation, { userId: e.userId, now: e.mutation.createdAt });
  }
  const remove = widgetEntries.map((e) => e.mutation.id);
  if (!local) return { remove, put: [] }; // my own last change deleted it: nothing to bring back
  const common = { widgetId: deps.newWidgetId(), kind: local.kind, title: local.title, position: local.position };
  const args =
    local.kind === 'counter'
      ? { ...common, value: local.value }
      : local.kind === 'note'
        ? { ...common, text: local.text }
        : local.kind === 'checklist'
          ? { ...common, items: local.items }
          : { ...common, metricKey: local.metricKey };
  const mutation: Mutation = {
    id: deps.newMutationId(),
    clientId: deps.clientId,
    dashboardId: first.mutation.dashboardId,
    name: 'widget.create',
    args,
    baseVersion: 0,
    createdAt: deps.now,
  };
  return { remove, put: [fresh(first, mutation, null)] };
}

/**
 * Merges a parked note-text conflict without asking, when it can: `parked` got `conflict` on `text` only
 * against `server`; `later` are the widget's unsettled entries after it (none in flight), in order. The
 * local words are the last of the text edits that follow it (each carries the whole text as typed on top of the previous),
 * all of which the merge replaces. Null when it is not a note text conflict, the text the edit began
 * from is not known exactly, or the two sides' edits overlap: then a person decides.
 */
export function planNoteMerge(
  parked: OutboxEntry,
  later: OutboxEntry[],
  fields: string[],
  server: Widget | null,
  deps: ResolveDeps,
): (ResolvePlan & { title: string }) | null {
  const m = parked.mutation;
  const base = baseWidgetOf(parked);
  const textOnly = (e: OutboxEntry) =>
    e.mutation.name === 'widget.set' && Object.keys(e.mutation.args.patch).join() === 'text';
  if (!textOnly(parked) || fields.join() !== 'text' || server?.kind !== 'note' || base?.kind !== 'note') return null;
  const chain = [parked, ...later.filter(textOnly)];
  const last = chain.at(-1)!.mutation;
  const mine = last.name === 'widget.set' ? last.args.patch.text : undefined;
  if (mine === undefined) return null;
  const merged = mergeText(base.text, mine, server.text);
  if (!merged.ok) return null;
  const remove = chain.map((e) => e.mutation.id);
  if (merged.text === server.text) return { remove, put: [], title: server.title };
  const mutation: Mutation = {
    id: deps.newMutationId(),
    clientId: deps.clientId,
    dashboardId: m.dashboardId,
    name: 'widget.set',
    args: { widgetId: m.args.widgetId, patch: { text: merged.text } },
    baseVersion: server.version,
    createdAt: deps.now,
  };
  return { remove, put: [fresh(parked, mutation, server)], title: server.title };
}
