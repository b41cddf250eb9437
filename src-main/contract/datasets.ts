/**
 * Datasets as every process sees them: what an import request may ask for, and the `meta.json`
 * that describes an imported (canonical) dataset folder. The API and the CLI validate requests
 * with these schemas; the data layer writes and reads meta with them.
 */
import { z } from 'zod';

/** Formats a canonical dataset can come from (recorded in meta). */
export const STORED_FORMATS = [
  'cifar10',
  'cifar100',
  'mnist',
  'fashion-mnist',
  'image-folder',
] as const;
export type StoredFormat = (typeof STORED_FORMATS)[number];

/** Source formats an import request may name. `auto` looks at the files and picks one. */
export const DATASET_FORMATS = [...STORED_FORMATS, 'auto'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export const ImportOptionsSchema = z
  .object({
    /** CIFAR-100: which of the two label sets to keep (fine = 100 classes, coarse = 20). */
    labels: z.enum(['fine', 'coarse']).default('fine'),
    /** Image folders: side of the square images are resized to (cover + centre crop). */
    size: z.number().int().min(8).max(512).default(32),
    /** Image folders: 3 (RGB) or 1 (grey). */
    channels: z.union([z.literal(1), z.literal(3)]).default(3),
    /** Image folders without `val/`: fraction of each class held out as the test set. */
    testFraction: z.number().min(0.01).max(0.5).default(0.2),
    /** Seed of the held-out choice above (deterministic). */
    seed: z.number().int().min(0).default(0),
    /**
     * Image folders: corrupt or unreadable images are skipped and listed in meta; the import is
     * refused when more than this fraction of the files is bad.
     */
    maxCorruptFraction: z.number().min(0).max(1).default(0.01),
  })
  .strict();
export type ImportOptions = z.infer<typeof ImportOptionsSchema>;

export const ImportRequestSchema = z
  .object({
    format: z.enum(DATASET_FORMATS),
    /** Folder of files as distributed, a CIFAR `.tar.gz`, or an image folder root. */
    path: z.string().min(1, 'path must name a file or folder'),
    /** Display name; defaults to one derived from the format and path. */
    name: z.string().min(1).max(120).optional(),
    options: ImportOptionsSchema.partial().optional(),
  })
  .strict();
export type ImportRequest = z.infer<typeof ImportRequestSchema>;

const ImageShapeSchema = z.tuple([
  z.number().int().positive(),
  z.number().int().positive(),
  z.number().int().positive(),
]);

export const SkippedFileSchema = z.object({ file: z.string(), reason: z.string() });
export type SkippedFile = z.infer<typeof SkippedFileSchema>;

export const DATASET_META_VERSION = 1;

export const DatasetMetaSchema = z.object({
  version: z.literal(DATASET_META_VERSION),
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
  name: z.string().min(1),
  format: z.enum(STORED_FORMATS),
  /** Absolute path the data was imported from. */
  source: z.string(),
  trainCount: z.number().int().nonnegative(),
  testCount: z.number().int().nonnegative(),
  classCount: z.number().int().positive(),
  classNames: z.array(z.string()),
  /** Height, width, channels of every image (stored uint8 NHWC). */
  imageShape: ImageShapeSchema,
  /** Bytes per stored label: 1 (uint8) up to 256 classes, else 2 (uint16 little-endian). */
  labelBytes: z.union([z.literal(1), z.literal(2)]),
  /** Per-channel mean and standard deviation of the training images, pixel values in [0, 1]. */
  mean: z.array(z.number()),
  std: z.array(z.number()),
  /** sha256 (hex) of the canonical content: shape, images and labels of both sets. */
  checksum: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
  /** Import options that shaped the content (labels, size, ...). */
  options: z.record(z.string(), z.unknown()),
  /** Image folders: files skipped as unreadable or corrupt. */
  skippedFiles: z.array(SkippedFileSchema),
});
export type DatasetMeta = z.infer<typeof DatasetMetaSchema>;

/** A dataset found on this machine without download, offered by the import wizard. */
export interface DetectedDataset {
  /** Short label such as "Fashion-MNIST (Debian package)". */
  label: string;
  description: string;
  request: ImportRequest;
  trainCount: number;
  testCount: number;
}

/** Preview for the UI: a few images per class (PNG data URLs) and the class histogram. */
export interface DatasetPreview {
  datasetId: string;
  imageShape: [number, number, number];
  classes: {
    index: number;
    name: string;
    trainCount: number;
    testCount: number;
    /** PNG data URLs (`data:image/png;base64,...`) of the first training images of the class. */
    samples: string[];
  }[];
}
