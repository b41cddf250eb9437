import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatasetMeta } from '../../../src-main/contract/datasets';

/** A fresh temporary data directory; `cleanup` removes it. */
export function tempDir(prefix = 'nos-store-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A valid DatasetMeta for a dataset that exists only in the table. */
export function fakeMeta(id: string, checksumDigit = '0'): DatasetMeta {
  return {
    version: 1,
    id,
    name: `Dataset ${id}`,
    format: 'fashion-mnist',
    source: '/nowhere',
    trainCount: 10,
    testCount: 5,
    classCount: 2,
    classNames: ['a', 'b'],
    imageShape: [4, 4, 1],
    labelBytes: 1,
    mean: [0.5],
    std: [0.25],
    checksum: checksumDigit.repeat(64),
    createdAt: new Date().toISOString(),
    options: {},
    skippedFiles: [],
  };
}
