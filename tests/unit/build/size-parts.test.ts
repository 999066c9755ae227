import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupOf } from '../../../bench/size/by-module.ts';
import { outputFiles } from '../../../bench/size/outputs.ts';

describe('what the size figures count (bench/size)', () => {
  it('counts the scripts index.html loads or preloads as start, other chunks as lazy, sw.js as the worker', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldboard-size-test-'));
    mkdirSync(join(dir, 'assets'));
    for (const f of ['index-a.js', 'shared-b.js', 'screens-c.js', 'index-d.css']) writeFileSync(join(dir, 'assets', f), '');
    writeFileSync(join(dir, 'sw.js'), '');
    writeFileSync(join(dir, 'version.json'), '{}');
    writeFileSync(
      join(dir, 'index.html'),
      '<script type="module" crossorigin src="/assets/index-a.js"></script><link rel="modulepreload" crossorigin href="/assets/shared-b.js"><link rel="stylesheet" href="/assets/index-d.css">',
    );
    expect(outputFiles(dir)).toEqual([
      { file: 'assets/index-a.js', part: 'app (start)' },
      { file: 'assets/shared-b.js', part: 'app (start)' },
      { file: 'assets/screens-c.js', part: 'app (lazy)' },
      { file: 'sw.js', part: 'service worker' },
    ]);
  });

  it('refuses a directory without a built worker', () => {
    expect(() => outputFiles(mkdtempSync(join(tmpdir(), 'fieldboard-size-test-')))).toThrow(/npm run build/);
  });

  it('groups sources by npm package and by our folder', () => {
    expect(groupOf('node_modules/preact/hooks/dist/hooks.module.js')).toBe('preact');
    expect(groupOf('node_modules/@preact/signals-core/dist/signals-core.module.js')).toBe('@preact/signals-core');
    expect(groupOf('src/app/board.tsx')).toBe('src/app');
    expect(groupOf('src/main.tsx')).toBe('src');
    expect(groupOf('contract/local-db/records.ts')).toBe('contract/local-db');
    expect(groupOf('contract/describe.ts')).toBe('contract');
    expect(groupOf('sw/store.ts')).toBe('sw');
    expect(groupOf('protocol/ids.ts')).toBe('protocol');
  });
});
