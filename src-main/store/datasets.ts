/**
 * The `datasets` table: one row per imported canonical dataset folder (src-main/data writes the
 * folder and its meta.json; this table indexes them). The checksum is unique, so the same images
 * are never imported twice under two names.
 */
import { rmSync } from 'node:fs';
import type { DatasetSummary } from '../contract';
import type { DatasetMeta } from '../contract/datasets';
import { NosError } from '../contract/errors';
import { guard, type Db } from './db';
import { datasetDirOf } from './paths';

interface DatasetRow {
  id: string;
  name: string;
  checksum: string;
  bytes: number;
  meta: string;
}

function toSummary(row: DatasetRow): DatasetSummary {
  return { ...(JSON.parse(row.meta) as DatasetMeta), bytes: row.bytes };
}

export class DatasetTable {
  private readonly insert;
  private readonly byId;
  private readonly byName;
  private readonly byChecksum;
  private readonly all;
  private readonly remove;

  constructor(
    private readonly db: Db,
    private readonly root: string,
    private readonly file: string,
  ) {
    this.insert = db.prepare(
      `INSERT INTO datasets (id, name, format, checksum, bytes, meta, created_at)
       VALUES (@id, @name, @format, @checksum, @bytes, @meta, @createdAt)`,
    );
    this.byId = db.prepare<[string], DatasetRow>('SELECT * FROM datasets WHERE id = ?');
    this.byName = db.prepare<[string], DatasetRow>(
      'SELECT * FROM datasets WHERE lower(name) = lower(?) ORDER BY created_at LIMIT 1',
    );
    this.byChecksum = db.prepare<[string], DatasetRow>('SELECT * FROM datasets WHERE checksum = ?');
    this.all = db.prepare<[], DatasetRow>('SELECT * FROM datasets ORDER BY created_at, id');
    this.remove = db.prepare('DELETE FROM datasets WHERE id = ?');
  }

  /** Folder of a dataset in the data directory (whether or not it exists yet). */
  dir(id: string): string {
    return datasetDirOf(this.root, id);
  }

  /**
   * Records an imported dataset folder.
   * @throws NosError CONFLICT when the id or the same content (checksum) is already stored.
   */
  add(meta: DatasetMeta, bytes: number): DatasetSummary {
    const same = this.findByChecksum(meta.checksum);
    if (same) {
      throw new NosError(
        'CONFLICT',
        `These images are already imported as dataset "${same.id}" (same checksum).`,
        `Use --dataset ${same.id}, or delete it first with \`nos datasets delete ${same.id}\`.`,
        { datasetId: same.id },
      );
    }
    if (this.find(meta.id)) {
      throw new NosError(
        'CONFLICT',
        `A dataset with id "${meta.id}" already exists.`,
        'Import under another name (--name), or delete the existing one first.',
        { datasetId: meta.id },
      );
    }
    const row = {
      id: meta.id,
      name: meta.name,
      format: meta.format,
      checksum: meta.checksum,
      bytes,
      meta: JSON.stringify(meta),
      createdAt: meta.createdAt,
    };
    guard(this.file, `record dataset ${meta.id}`, () => this.insert.run(row));
    return { ...meta, bytes };
  }

  /** A dataset by id, or by display name (case-insensitive); null when neither matches. */
  find(idOrName: string): DatasetSummary | null {
    const row = guard(this.file, 'read datasets', () => {
      return this.byId.get(idOrName) ?? this.byName.get(idOrName);
    });
    return row ? toSummary(row) : null;
  }

  /** @throws NosError NOT_FOUND naming the datasets that do exist. */
  get(idOrName: string): DatasetSummary {
    const found = this.find(idOrName);
    if (found) return found;
    const known = this.list().map((d) => d.id);
    throw new NosError(
      'NOT_FOUND',
      `No dataset named "${idOrName}"; stored datasets: ${known.length ? known.join(', ') : 'none'}.`,
      'Import it first with `nos datasets import PATH`, or list them with `nos datasets list`.',
      { dataset: idOrName },
    );
  }

  findByChecksum(checksum: string): DatasetSummary | null {
    const row = guard(this.file, 'read datasets', () => this.byChecksum.get(checksum));
    return row ? toSummary(row) : null;
  }

  list(): DatasetSummary[] {
    return guard(this.file, 'list datasets', () => this.all.all()).map(toSummary);
  }

  /**
   * Removes a dataset row and its folder. Runs that used it keep their history and the dataset's
   * name; they can no longer be resumed.
   */
  delete(idOrName: string): void {
    const { id } = this.get(idOrName);
    guard(this.file, `delete dataset ${id}`, () => this.remove.run(id));
    guard(this.dir(id), 'remove the dataset folder', () => {
      rmSync(this.dir(id), { recursive: true, force: true });
    });
  }
}
