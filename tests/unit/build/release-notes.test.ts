import { describe, expect, it } from 'vitest';
import { changelogSection, readReleaseNotes } from '../../../build/release-notes.ts';

const log = `# Changelog

## 0.2.0 (2026-12-03)

- Undo after Delete.
* Drag to reorder.

## 0.1.0

- First.
`;

describe('release notes for the update banner', () => {
  it('takes the items of the version in package.json and nothing of the next section', () => {
    expect(changelogSection(log, '0.2.0')).toEqual(['Undo after Delete.', 'Drag to reorder.']);
    expect(changelogSection(log, '0.1.0')).toEqual(['First.']);
    expect(changelogSection(log, '0.1')).toEqual([]);
    expect(changelogSection(log, '9.9.9')).toEqual([]);
    const many = `## 1.0.0\n${Array.from({ length: 9 }, (_, i) => `- change ${i}`).join('\n')}\n`;
    expect(changelogSection(many, '1.0.0')).toHaveLength(5);
  });

  it("this repository's changelog has a section for its version", () => {
    const notes = readReleaseNotes(process.cwd());
    expect(notes.changes.length).toBeGreaterThan(0);
  });
});
