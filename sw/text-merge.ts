/**
 * Three-way merge of a note's text (docs/protocol.md "Rules worth knowing": notes merge when they can). The texts are
 * cut into words, runs of white space and single punctuation marks, and node-diff3 merges the three token
 * lists: edits to different words merge, edits to the same words (or insertions at the same place) do not.
 * Word tokens rather than lines because a note is often one line; rather than characters because a
 * character merge of two rewrites of one word makes text neither person wrote.
 */
import { diff3Merge } from 'node-diff3';

export type TextMerge = { ok: true; text: string } | { ok: false };

const TOKEN = /[\p{L}\p{N}_]+|\s+|[^\p{L}\p{N}_\s]/gu;

export const tokens = (text: string): string[] => text.match(TOKEN) ?? [];

/** Merges `mine` and `theirs`, both edited from `base`; `ok: false` when their edits overlap. */
export function mergeText(base: string, mine: string, theirs: string): TextMerge {
  if (mine === theirs) return { ok: true, text: mine };
  if (mine === base) return { ok: true, text: theirs };
  if (theirs === base) return { ok: true, text: mine };
  const regions = diff3Merge(tokens(mine), tokens(base), tokens(theirs), { excludeFalseConflicts: true });
  let text = '';
  for (const r of regions) {
    if (!r.ok) return { ok: false };
    text += r.ok.join('');
  }
  return { ok: true, text };
}
