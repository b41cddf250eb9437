/**
 * The dataset methods of the NosApi over the data layer (importers, canonical folders,
 * previews) and the store's `datasets` table, which indexes the folders.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type {
  ApiPayload,
  DatasetDetail,
  DatasetInspection,
  DatasetSummary,
  DetectedDatasetInfo,
  ImportRequest,
} from '../contract';
import * as data from '../data';
import { slugify } from '../data';
import type { Store } from '../store';

/** Bytes of every file under `dir`. */
function folderBytes(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) bytes += statSync(join(entry.parentPath, entry.name)).size;
  }
  return bytes;
}

export class DatasetService {
  constructor(private readonly store: Store) {}

  list(): DatasetSummary[] {
    return this.store.datasets.list();
  }

  /** Detected sources, each marked with the dataset it was already imported as. */
  detect(): DetectedDatasetInfo[] {
    const imported = this.store.datasets.list();
    return data.detectDatasets().map((found) => {
      const source = resolve(found.request.path);
      const same = imported.find((d) => resolve(d.source) === source);
      return { ...found, importedAs: same ? same.id : null };
    });
  }

  /**
   * Imports into a scratch folder that is removed afterwards: the same checks as a real import
   * (every file read, every label checked), nothing kept.
   */
  async inspect(request: ImportRequest): Promise<DatasetInspection> {
    const scratch = join(this.store.paths.root, 'tmp', `inspect-${process.pid}-${Date.now()}`);
    mkdirSync(scratch, { recursive: true });
    try {
      const meta = await data.importDataset(request, scratch, { id: 'inspect' });
      const warnings: string[] = [];
      const same = this.store.datasets.findByChecksum(meta.checksum);
      if (same) warnings.push(`These images are already imported as dataset "${same.id}".`);
      if (meta.skippedFiles.length > 0) {
        warnings.push(`${meta.skippedFiles.length} unreadable files will be skipped.`);
      }
      if (meta.testCount === 0)
        warnings.push('No held-out test images: evaluation cannot report an error.');
      return {
        format: meta.format,
        classNames: meta.classNames,
        trainCount: meta.trainCount,
        testCount: meta.testCount,
        imageShape: meta.imageShape as [number, number, number],
        warnings,
      };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  async import(request: ImportRequest): Promise<DatasetSummary> {
    const name = request.name ?? undefined;
    const meta = await data.importDataset(request, this.store.paths.datasets, {
      id: name ? slugify(name) : undefined,
      existingChecksums: (checksum) => this.store.datasets.findByChecksum(checksum)?.id,
    });
    const dir = this.store.datasets.dir(meta.id);
    try {
      return this.store.datasets.add(meta, folderBytes(dir));
    } catch (err) {
      // Not indexed means not imported: leave no orphan folder behind.
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  async get(p: ApiPayload<'getDataset'>): Promise<DatasetDetail> {
    const summary = this.store.datasets.get(p.id);
    const opened = data.openDataset(this.store.datasets.dir(summary.id));
    try {
      const preview = await data.previewDataset(opened, p.samplesPerClass ?? 8);
      return { ...summary, preview };
    } finally {
      opened.close();
    }
  }

  delete(id: string): void {
    this.store.datasets.delete(id);
  }
}
