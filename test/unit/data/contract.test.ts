import { describe, expect, it } from 'vitest';
import {
  DatasetMetaSchema,
  ImportOptionsSchema,
  ImportRequestSchema,
} from '../../../src-main/contract/datasets';

describe('ImportRequestSchema', () => {
  it('accepts a minimal request and fills option defaults', () => {
    const parsed = ImportRequestSchema.parse({ format: 'cifar100', path: '/d', options: {} });
    expect(parsed.options).toEqual(ImportOptionsSchema.parse({}));
    expect(ImportOptionsSchema.parse({})).toMatchObject({ labels: 'fine', size: 32, channels: 3 });
  });

  it.each([
    { case: 'unknown format', request: { format: 'hdf5', path: '/d' } },
    { case: 'empty path', request: { format: 'mnist', path: '' } },
    { case: 'unknown option', request: { format: 'mnist', path: '/d', options: { bogus: 1 } } },
    {
      case: 'channels=2',
      request: { format: 'image-folder', path: '/d', options: { channels: 2 } },
    },
    { case: 'size=4', request: { format: 'image-folder', path: '/d', options: { size: 4 } } },
    {
      case: 'labels=medium',
      request: { format: 'cifar100', path: '/d', options: { labels: 'medium' } },
    },
    { case: 'extra field', request: { format: 'mnist', path: '/d', colour: true } },
  ])('refuses $case', ({ request }) => {
    expect(ImportRequestSchema.safeParse(request).success).toBe(false);
  });
});

describe('DatasetMetaSchema', () => {
  const meta = {
    version: 1,
    id: 'fashion-mnist',
    name: 'Fashion-MNIST',
    format: 'fashion-mnist',
    source: '/usr/share/datasets/fashion-mnist',
    trainCount: 60000,
    testCount: 10000,
    classCount: 10,
    classNames: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
    imageShape: [28, 28, 1],
    labelBytes: 1,
    mean: [0.286],
    std: [0.353],
    checksum: 'a'.repeat(64),
    createdAt: '2026-12-03T21:40:51.161Z',
    options: {},
    skippedFiles: [],
  };

  it('accepts a meta.json as the importers write it', () => {
    expect(DatasetMetaSchema.parse(meta)).toEqual(meta);
  });

  it.each([
    { field: 'format', value: 'auto' },
    { field: 'id', value: 'Has Spaces' },
    { field: 'checksum', value: 'abc' },
    { field: 'labelBytes', value: 4 },
    { field: 'imageShape', value: [28, 28] },
  ])('refuses $field=$value', ({ field, value }) => {
    expect(DatasetMetaSchema.safeParse({ ...meta, [field]: value }).success).toBe(false);
  });
});
