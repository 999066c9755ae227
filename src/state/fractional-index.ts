/**
 * Fractional indexes for widget positions: strings that sort (by code unit, never locale) in display order,
 * so moving a widget writes one `widget.move` with a key between its new neighbours and nothing else
 * changes. Keys are read as base-62 fractions after an implied point ("a1" = 0.a1), so a key strictly
 * between two others always exists unless they are equal up to trailing zeros.
 */
export const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Code-unit comparison: the order the server, the SW and every tab agree on. */
export function comparePositions(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A key strictly between `a` and `b` (null = open end). Throws when none exists (a >= b, or b is a followed
 * by zeros), so a caller never writes a key that sorts in the wrong place.
 */
export function keyBetween(a: string | null, b: string | null): string {
  const lo = a ?? '';
  if (b !== null && lo >= b) throw new Error(`no key between ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
  for (const k of [lo, b ?? '']) {
    for (const ch of k) if (!DIGITS.includes(ch)) throw new Error(`position ${JSON.stringify(k)} has a character outside base 62`);
  }
  const key = midpoint(lo, b);
  // The arithmetic below cannot go wrong for valid input; the check keeps a future edit honest.
  if (!(key > lo && (b === null || key < b))) throw new Error(`no key between ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
  return key;
}

function midpoint(a: string, b: string | null): string {
  if (b !== null) {
    // Skip the common prefix (a's missing digits count as zeros).
    let n = 0;
    while (n < b.length && (a[n] ?? '0') === b[n]) n++;
    if (n === b.length) throw new Error('no key between a key and itself followed by zeros');
    if (n > 0) return b.slice(0, n) + midpoint(a.slice(n), b.slice(n));
  }
  const digitA = a ? DIGITS.indexOf(a[0]) : 0;
  const digitB = b !== null ? DIGITS.indexOf(b[0]) : DIGITS.length;
  if (digitB - digitA > 1) return DIGITS[Math.round((digitA + digitB) / 2)];
  // Adjacent first digits: keep a's digit and go one place deeper (b's first digit alone may also do).
  if (b !== null && b.length > 1) return b.slice(0, 1);
  return DIGITS[digitA] + midpoint(a.slice(1), null);
}

/**
 * `keyBetween` with a random tail (three base-62 digits, none zero), for keys this device writes: two devices
 * that make the same move, or add at the end, at the same time would otherwise write the same key, and
 * nothing fits between two equal keys. The tail is dropped in the rare case it would not sort below `b`.
 */
export function jitteredKeyBetween(a: string | null, b: string | null, random: () => number = Math.random): string {
  const key = keyBetween(a, b);
  let tail = '';
  for (let i = 0; i < 3; i++) tail += DIGITS[1 + Math.floor(random() * (DIGITS.length - 1))];
  return b === null || key + tail < b ? key + tail : key;
}

function hasKeyBetween(a: string, b: string): boolean {
  try {
    keyBetween(a, b);
    return true;
  } catch {
    return false;
  }
}

/**
 * The position that moves the item at `from` of `positions` (already in display order) to index `to` of the
 * list as it will read afterwards, or null when that is where it already is or `to` is off the list. One
 * function for every way of reordering (Move up / Move down, a drop, the keyboard's pick-up-and-move), so
 * they all land the same. Neighbours with equal keys (written before keys had a random tail, or by another
 * client) leave no room between them: the item then also passes the neighbours tied with the one it was
 * asked to pass, rather than failing.
 */
export function positionForReorder(positions: string[], from: number, to: number, random: () => number = Math.random): string | null {
  if (from < 0 || from >= positions.length) throw new Error(`no item at ${from} of ${positions.length}`);
  if (to === from || to < 0 || to >= positions.length) return null;
  const others = positions.filter((_, i) => i !== from);
  // In the list without the item, it goes in front of the element now at `to`.
  let lo = to - 1;
  let hi = to;
  for (;;) {
    const before = lo >= 0 ? others[lo] : null;
    const after = hi < others.length ? others[hi] : null;
    if (before === null || after === null || hasKeyBetween(before, after)) return jitteredKeyBetween(before, after, random);
    if (to > from) hi++;
    else lo--;
  }
}
