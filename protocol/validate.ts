/**
 * Validation at boundaries. Expected failures are values, not exceptions: callers get
 * `{ ok: false, code, message }` with `too-large` where a limit was crossed and `invalid` otherwise.
 */
import * as v from 'valibot';
import { MutationSchema, type Mutation } from './mutation.ts';
import type { RejectedResult } from './result.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; code: 'invalid' | 'too-large'; message: string };

const SIZE_ISSUES = new Set(['max_length', 'max_size', 'max_bytes', 'max_entries', 'max_graphemes', 'max_words']);

/** Parses `input` with `schema`; the message names the path of the first problem. */
export function parse<S extends v.GenericSchema>(schema: S, input: unknown): Parsed<v.InferOutput<S>> {
  const r = v.safeParse(schema, input);
  if (r.success) return { ok: true, value: r.output };
  const tooLarge = r.issues.some((i) => SIZE_ISSUES.has(i.type));
  const first = r.issues[0];
  const path = v.getDotPath(first);
  return {
    ok: false,
    code: tooLarge ? 'too-large' : 'invalid',
    message: path ? `${path}: ${first.message}` : first.message,
  };
}

/** Parses one mutation of a push; a broken one becomes the `rejected` result to send back. */
export function parseMutation(input: unknown): { ok: true; mutation: Mutation } | { ok: false; result: RejectedResult } {
  const r = parse(MutationSchema, input);
  if (r.ok) return { ok: true, mutation: r.value };
  const rawId = typeof input === 'object' && input !== null ? (input as { id?: unknown }).id : undefined;
  return {
    ok: false,
    result: { id: typeof rawId === 'string' ? rawId.slice(0, 100) : '', status: 'rejected', code: r.code, message: r.message },
  };
}
