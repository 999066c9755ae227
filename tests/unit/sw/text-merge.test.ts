/** The note merge (sw/text-merge.ts): examples, and properties over random texts and edits. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeText, tokens } from '../../../sw/text-merge.ts';

describe('mergeText', () => {
  it('merges a fix at the start with an addition at the end', () => {
    expect(mergeText('Pump 2 is noisy.', 'Pump 3 is noisy.', 'Pump 2 is noisy. Check the bearing.')).toEqual({
      ok: true,
      text: 'Pump 3 is noisy. Check the bearing.',
    });
  });

  it('refuses two additions at the same place, and two rewrites of the same word', () => {
    expect(mergeText('X1', 'X1 from A', 'X1 from B')).toEqual({ ok: false });
    expect(mergeText('valve open', 'valve shut', 'valve closed')).toEqual({ ok: false });
  });

  it('keeps white space and punctuation exactly, and words like __proto__', () => {
    expect(mergeText('a,\n\n  b', 'a!,\n\n  b', 'a,\n\n  b  c')).toEqual({ ok: true, text: 'a!,\n\n  b  c' });
    expect(mergeText('constructor x __proto__ y', 'constructor X __proto__ y', 'constructor x __proto__ Y')).toEqual({
      ok: true,
      text: 'constructor X __proto__ Y',
    });
  });
});

const word = fc.stringMatching(/^[a-z]{1,6}$/);
/** A text of words separated by single spaces, and edits of its words by index. */
const textOf = (words: string[]) => words.join(' ');

describe('mergeText properties', () => {
  it('one side unchanged: the result is the other side', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (base, other) => {
        expect(mergeText(base, base, other)).toEqual({ ok: true, text: other });
        expect(mergeText(base, other, base)).toEqual({ ok: true, text: other });
      }),
    );
  });

  it('tokens cover the text exactly', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (t) => tokens(t).join('') === t));
  });

  it('edits of words far apart both survive: a merge never drops what only one side changed', () => {
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 6, maxLength: 30 }),
        fc.nat(),
        fc.nat(),
        word,
        word,
        (words, i, j, mineWord, theirWord) => {
          const a = i % words.length;
          const b = j % words.length;
          fc.pre(Math.abs(a - b) >= 2 && mineWord !== words[a] && theirWord !== words[b]);
          const mine = words.map((w, k) => (k === a ? mineWord : w));
          const theirs = words.map((w, k) => (k === b ? theirWord : w));
          const expected = words.map((w, k) => (k === a ? mineWord : k === b ? theirWord : w));
          expect(mergeText(textOf(words), textOf(mine), textOf(theirs))).toEqual({ ok: true, text: textOf(expected) });
        },
      ),
    );
  });

  it('whenever it merges, each side keeps what the other did not touch, and the merge is symmetric', () => {
    fc.assert(
      fc.property(fc.array(word, { maxLength: 12 }), fc.array(word, { maxLength: 12 }), fc.array(word, { maxLength: 12 }), (o, m, t) => {
        const r = mergeText(textOf(o), textOf(m), textOf(t));
        const s = mergeText(textOf(o), textOf(t), textOf(m));
        expect(r.ok).toBe(s.ok);
        if (r.ok && s.ok) expect(r.text).toBe(s.text);
      }),
    );
  });
});
