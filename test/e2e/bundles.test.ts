/**
 * Checks on the built bundles that only a build can answer. The preload runs in Chromium's
 * sandbox, where `require` knows nothing but `electron` (and a few Node built-ins): a preload
 * that requires an npm package (zod, say) fails to load and the window gets no API at all.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness';

function requiresOf(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  return [...new Set([...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]))].sort();
}

describe('built bundles', () => {
  it('the sandboxed preload requires nothing but electron', () => {
    const requires = requiresOf(join(ROOT, 'out', 'preload', 'index.js'));
    expect(requires.filter((r) => r !== 'electron')).toEqual([]);
  });

  it('the main entry loads the API lazily (no store or tfjs at start-up)', () => {
    const requires = requiresOf(join(ROOT, 'out', 'main', 'index.js'));
    expect(requires).not.toContain('better-sqlite3');
    expect(requires.some((r) => r.startsWith('@tensorflow/'))).toBe(false);
  });
});
