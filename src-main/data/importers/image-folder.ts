/**
 * Image folders: one subfolder per class holding PNG or JPEG files, decoded and resized to
 * size x size by sharp (libvips). Two layouts:
 *   root/train/<class>/*  and  root/val/<class>/* (or test/)   as ImageNet copies are laid out;
 *   root/<class>/*       a fraction of each class (seeded) is held out as the test set.
 *
 * Images are decoded a few at a time and appended to the canonical files as they come, so a
 * folder larger than memory imports with bounded memory.
 *
 * Corrupt or unreadable images are skipped and listed in meta (`skippedFiles`); the import is
 * refused as soon as more than `maxCorruptFraction` of all files (default 1%) are bad, since
 * that many usually means the wrong folder or a broken copy rather than a few stray files.
 */
import { readdirSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import sharp from 'sharp';
import type { ImportOptions, SkippedFile } from '../../contract/datasets';
import { NosError } from '../../contract/errors';
import type { CanonicalBuilder, ImportedContent, SplitName, SplitWriter } from '../canonical';
import { withFile } from '../fs-errors';
import { mixSeed, permutation } from '../rng';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);
const TRAIN_FOLDERS = ['train'];
const TEST_FOLDERS = ['val', 'test'];
/** Images decoded concurrently (sharp runs them on libuv's thread pool). */
const DECODE_BATCH = 16;

interface LabelledFile {
  file: string;
  label: number;
}

export type ImageFolderOptions = Pick<
  ImportOptions,
  'size' | 'channels' | 'testFraction' | 'seed' | 'maxCorruptFraction'
>;

function subfolders(dir: string): string[] {
  const entries = withFile(dir, 'read', () => readdirSync(dir, { withFileTypes: true }));
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

function imagesIn(dir: string): string[] {
  const entries = withFile(dir, 'read', () => readdirSync(dir, { withFileTypes: true }));
  return entries
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => join(dir, e.name))
    .sort();
}

/** Lists `root/<class>/*` images; every class folder must hold at least one. */
function listClasses(root: string): Map<string, string[]> {
  const classes = new Map<string, string[]>();
  for (const name of subfolders(root)) {
    const files = imagesIn(join(root, name));
    if (files.length === 0) {
      throw new NosError(
        'BAD_INPUT',
        `Class folder ${join(root, name)} holds no PNG or JPEG images.`,
        'Remove the empty folder or put its images in it.',
        { file: join(root, name) },
      );
    }
    classes.set(name, files);
  }
  if (classes.size === 0) {
    throw new NosError(
      'BAD_INPUT',
      `${root} has no class subfolders.`,
      'An image folder holds one subfolder per class (root/cat/*.png, root/dog/*.png), ' +
        'optionally inside train/ and val/.',
      { file: root },
    );
  }
  return classes;
}

/** True when `dir` looks like an image folder (class subfolders of images). */
export function looksLikeImageFolder(dir: string): boolean {
  try {
    const subs = subfolders(dir);
    const trainDir = subs.find((s) => TRAIN_FOLDERS.includes(s));
    const classRoot = trainDir ? join(dir, trainDir) : dir;
    return subfolders(classRoot).some((c) => imagesIn(join(classRoot, c)).length > 0);
  } catch {
    return false;
  }
}

/** Splits the files of every class into train and held-out test, by seed. */
function holdOut(
  classes: Map<string, string[]>,
  fraction: number,
  seed: number,
): { train: LabelledFile[]; test: LabelledFile[] } {
  const train: LabelledFile[] = [];
  const test: LabelledFile[] = [];
  [...classes.values()].forEach((files, label) => {
    const nTest = files.length < 2 ? 0 : Math.max(1, Math.floor(files.length * fraction));
    const order = permutation(files.length, mixSeed(seed, label));
    const isTest = new Uint8Array(files.length);
    for (let i = 0; i < nTest; i++) isTest[order[i]] = 1;
    files.forEach((file, i) => (isTest[i] ? test : train).push({ file, label }));
  });
  return { train, test };
}

/** Finds the layout and lists every (file, label) of both sets. */
export function planImageFolder(root: string, options: ImageFolderOptions) {
  const subs = subfolders(root);
  const trainDir = subs.find((s) => TRAIN_FOLDERS.includes(s));
  if (!trainDir) {
    const classes = listClasses(root);
    return {
      classNames: [...classes.keys()],
      ...holdOut(classes, options.testFraction, options.seed),
    };
  }
  const classes = listClasses(join(root, trainDir));
  const classNames = [...classes.keys()];
  const train = classNames.flatMap((name, label) =>
    classes.get(name)!.map((file) => ({ file, label })),
  );
  const testDir = subs.find((s) => TEST_FOLDERS.includes(s));
  if (!testDir) {
    return { classNames, ...holdOut(classes, options.testFraction, options.seed) };
  }
  const testClasses = listClasses(join(root, testDir));
  const test: LabelledFile[] = [];
  for (const [name, files] of testClasses) {
    const label = classNames.indexOf(name);
    if (label < 0) {
      throw new NosError(
        'BAD_INPUT',
        `${join(root, testDir, name)}: class "${name}" has no folder in ${join(root, trainDir)}.`,
        `The ${testDir}/ folder must use the class folder names of train/.`,
        { file: join(root, testDir, name) },
      );
    }
    test.push(...files.map((file) => ({ file, label })));
  }
  return { classNames, train, test };
}

/** Decodes one image to uint8 HWC of size x size x channels. */
async function decode(file: string, size: number, channels: 1 | 3): Promise<Uint8Array> {
  let pipeline = sharp(file).rotate().resize(size, size, { fit: 'cover' }).removeAlpha();
  pipeline = channels === 1 ? pipeline.grayscale() : pipeline.toColourspace('srgb');
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== channels || data.length !== size * size * channels) {
    throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}`);
  }
  return data;
}

class CorruptBudget {
  readonly skipped: SkippedFile[] = [];

  constructor(
    private readonly root: string,
    private readonly total: number,
    private readonly maxFraction: number,
  ) {}

  skip(file: string, reason: string): void {
    this.skipped.push({ file: relative(this.root, file), reason });
    if (this.skipped.length > this.maxFraction * this.total) {
      const list = this.skipped
        .slice(0, 5)
        .map((s) => `${s.file} (${s.reason})`)
        .join('; ');
      throw new NosError(
        'BAD_INPUT',
        `${this.root}: ${this.skipped.length} of ${this.total} images are unreadable or corrupt, ` +
          `more than the ${(this.maxFraction * 100).toFixed(1)}% allowed: ${list}` +
          `${this.skipped.length > 5 ? '; ...' : ''}.`,
        'Fix or remove the listed files, or raise the threshold to skip them (maxCorruptFraction; `--max-corrupt` in `nos datasets import`).',
        { file: this.root, skipped: this.skipped },
      );
    }
  }
}

async function writeSplit(
  writer: SplitWriter,
  files: LabelledFile[],
  options: ImageFolderOptions,
  budget: CorruptBudget,
  onImage: () => void,
): Promise<void> {
  for (let start = 0; start < files.length; start += DECODE_BATCH) {
    const chunk = files.slice(start, start + DECODE_BATCH);
    const decoded = await Promise.allSettled(
      chunk.map((f) => decode(f.file, options.size, options.channels)),
    );
    const good: Uint8Array[] = [];
    const labels: number[] = [];
    decoded.forEach((result, i) => {
      onImage();
      if (result.status === 'fulfilled') {
        good.push(result.value);
        labels.push(chunk[i].label);
      } else {
        const reason = result.reason as NodeJS.ErrnoException;
        budget.skip(chunk[i].file, reason.code === 'EACCES' ? 'permission denied' : reason.message);
      }
    });
    if (good.length > 0) writer.append(Buffer.concat(good), labels, chunk[0].file);
  }
}

/** Imports an image folder into `builder`, decoding and resizing every image. */
export async function importImageFolder(
  builder: CanonicalBuilder,
  root: string,
  options: ImageFolderOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<ImportedContent> {
  const { classNames, train, test } = planImageFolder(root, options);
  const total = train.length + test.length;
  const budget = new CorruptBudget(root, total, options.maxCorruptFraction);
  const shape: [number, number, number] = [options.size, options.size, options.channels];
  let done = 0;
  const onImage = (): void => {
    done++;
    if (onProgress && (done % 256 === 0 || done === total)) onProgress(done, total);
  };
  const splits: [SplitName, LabelledFile[]][] = [
    ['train', train],
    ['test', test],
  ];
  for (const [split, files] of splits) {
    const writer = builder.openSplit(split, shape, classNames.length);
    await writeSplit(writer, files, options, budget, onImage);
  }
  return {
    format: 'image-folder',
    classNames,
    options: { ...options },
    skippedFiles: budget.skipped,
  };
}
