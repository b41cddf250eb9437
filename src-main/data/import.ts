/**
 * `importDataset`: one entry point for every source format. It validates the request, resolves
 * `auto`, runs the importer into a temporary folder and commits it as `<destRoot>/<id>/`
 * (canonical.ts). On any failure the temporary folder is removed: nothing is registered, nothing
 * existing is overwritten.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import {
  ImportOptionsSchema,
  ImportRequestSchema,
  type DatasetMeta,
  type ImportRequest,
  type StoredFormat,
} from '../contract/datasets';
import { NosError } from '../contract/errors';
import {
  CanonicalBuilder,
  META_FILE,
  readMeta,
  type ExistingChecksums,
  type ImportedContent,
} from './canonical';
import { asNosError, makeDirs, withFile } from './fs-errors';
import { importCifar, looksLikeCifar } from './importers/cifar';
import { importIdx, looksLikeIdx } from './importers/idx';
import { importImageFolder, looksLikeImageFolder } from './importers/image-folder';

export type ImportSource = ImportRequest;

export interface ImportRunOptions {
  /** Folder name under destRoot; defaults to a slug of the name. */
  id?: string;
  /** Checksums already imported (checksum -> dataset id or name): a match is refused. */
  existingChecksums?: ExistingChecksums;
  /** Image folders: called every few hundred images with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** A folder-safe id from a display name: lower case, [a-z0-9._-]. */
export function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-._]+|-+$/g, '')
    .slice(0, 60);
  return slug.length > 0 ? slug : 'dataset';
}

/** Validates an import request with the contract schema; BAD_INPUT names the bad field. */
export function parseRequest(request: unknown): ImportRequest {
  const result = ImportRequestSchema.safeParse(request);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue.path.join('.') || 'request';
  throw new NosError(
    'BAD_INPUT',
    `Import request: ${where}: ${issue.message}.`,
    issue.path[0] === 'format'
      ? 'Use one of: cifar10, cifar100, mnist, fashion-mnist, image-folder, auto.'
      : 'Fix the named field.',
    { field: where },
  );
}

/** Guesses the format of `path` from the files in it; refuses what it does not recognise. */
export function detectFormat(path: string): StoredFormat {
  if (looksLikeCifar(path, 'cifar10')) return 'cifar10';
  if (looksLikeCifar(path, 'cifar100')) return 'cifar100';
  if (looksLikeIdx(path)) return /fashion/i.test(path) ? 'fashion-mnist' : 'mnist';
  if (looksLikeImageFolder(path)) return 'image-folder';
  throw new NosError(
    'BAD_INPUT',
    `${path}: unsupported or unrecognised dataset format.`,
    'Supported: CIFAR-10/100 binary (folder or .tar.gz), MNIST/Fashion-MNIST IDX files ' +
      '(gzipped or not), image folders (one subfolder of PNG/JPEG per class). ' +
      'Name the format explicitly if the files are there but named differently.',
    { file: path },
  );
}

/**
 * The usual way to import the same data twice is the same command again: say so plainly,
 * before reading anything, rather than only that the name is taken.
 */
function refuseSameSource(destRoot: string, id: string, path: string): void {
  const dir = join(destRoot, id);
  if (!existsSync(join(dir, META_FILE))) return;
  let source: string;
  try {
    source = readMeta(dir).source;
  } catch {
    return; // An unreadable meta.json: the builder's name check reports the taken folder.
  }
  if (resolve(source) !== path) return;
  throw new NosError(
    'CONFLICT',
    `${path} is already imported as dataset "${id}".`,
    `Use it as it is (--dataset ${id}), or delete it first (\`nos datasets delete ${id}\`) to import it again.`,
    { file: path, existing: id },
  );
}

async function runImporter(
  builder: CanonicalBuilder,
  format: StoredFormat,
  path: string,
  request: ImportRequest,
  opts: ImportRunOptions,
): Promise<ImportedContent> {
  const options = ImportOptionsSchema.parse(request.options ?? {});
  const isFolder = statSync(path).isDirectory();
  if (!isFolder && format !== 'cifar10' && format !== 'cifar100') {
    throw new NosError(
      'BAD_INPUT',
      `${path} is a file; the ${format} importer reads a folder.`,
      'Give the folder that holds the dataset files.',
      { file: path },
    );
  }
  switch (format) {
    case 'cifar10':
    case 'cifar100':
      return importCifar(builder, path, format, options.labels);
    case 'mnist':
    case 'fashion-mnist':
      return importIdx(builder, path, format);
    case 'image-folder':
      return importImageFolder(builder, path, options, opts.onProgress);
  }
}

/**
 * Imports `source` into `<destRoot>/<id>/` and returns its meta. Throws a NosError naming the
 * file and the problem (BAD_INPUT, NOT_FOUND, CONFLICT for a taken id or already imported data,
 * STORAGE for permissions and disk space).
 */
export async function importDataset(
  source: ImportSource,
  destRoot: string,
  opts: ImportRunOptions = {},
): Promise<DatasetMeta> {
  const request = parseRequest(source);
  const path = resolve(request.path);
  withFile(path, 'read', () => statSync(path));
  const format = request.format === 'auto' ? detectFormat(path) : request.format;
  const name = request.name ?? basename(path).replace(/\.(tar\.gz|tgz)$/i, '');
  const id = opts.id ?? slugify(name);

  withFile(destRoot, 'write', () => makeDirs(destRoot));
  refuseSameSource(destRoot, id, path);
  const builder = new CanonicalBuilder(destRoot, id);
  try {
    const content = await runImporter(builder, format, path, request, opts);
    return builder.commit(content, name, path, opts.existingChecksums);
  } catch (err) {
    builder.abort();
    throw asNosError(err, path, 'read');
  }
}
