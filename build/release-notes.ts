/**
 * What a build says about itself (docs/updates.md): package.json's version and the matching section of
 * CHANGELOG.md, read at build time by vite.config.ts. The app gets them baked in (`define`), and the build
 * writes them to `version.json`, which a page still running the previous version reads to name the
 * version an update brings and what changed.
 */
import { readFileSync } from 'node:fs';

export interface ReleaseNotes {
  version: string;
  /** The changelog's bullet points for this version, in order (at most `MAX_CHANGES`). */
  changes: string[];
}

export const MAX_CHANGES = 5;

/** The "- " items under `## <version>` (a heading may go on after the version, e.g. a date). */
export function changelogSection(changelog: string, version: string): string[] {
  const lines = changelog.split(/\r?\n/);
  const start = lines.findIndex((l) => new RegExp(`^##\\s+v?${version.replace(/\./g, '\\.')}(\\s|$)`).test(l));
  if (start < 0) return [];
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^##\s/.test(line)) break;
    const item = /^[-*]\s+(.*\S)\s*$/.exec(line);
    if (item) out.push(item[1]);
  }
  return out.slice(0, MAX_CHANGES);
}

export function readReleaseNotes(root: string): ReleaseNotes {
  const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string };
  let changelog = '';
  try {
    changelog = readFileSync(`${root}/CHANGELOG.md`, 'utf8');
  } catch {
    /* no changelog: the version alone */
  }
  return { version: pkg.version, changes: changelogSection(changelog, pkg.version) };
}
