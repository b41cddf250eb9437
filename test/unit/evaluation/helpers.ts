/**
 * Test set-up for evaluation: the wasm backend through the engine (as jobs use it) and the
 * bundled real Fashion-MNIST sample imported into a temporary data folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledSampleSource, importDataset } from '../../../src-main/data';
import { initBackend } from '../../../src-main/engine';

export async function useWasm(): Promise<void> {
  await initBackend('wasm', () => undefined);
}

/** A fresh folder under the system temp dir; removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Imports the bundled Fashion-MNIST sample (3,000 / 1,000 images) under `root`. */
export async function importSample(root: string): Promise<string> {
  const meta = await importDataset(bundledSampleSource(), root, { id: 'sample' });
  return join(root, meta.id);
}
