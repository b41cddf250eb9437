import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ImportRequest } from '../../../src-main/contract/datasets';
import { NosError, type ErrorCode } from '../../../src-main/contract/errors';
import { importDataset } from '../../../src-main/data';
import {
  cifarBatch,
  idx,
  tempDir,
  writeCifar10,
  writeCifar100,
  writeIdxFolder,
  writeImageFolder,
} from './fixtures';

let tmp: ReturnType<typeof tempDir>;
let dest: string;
beforeEach(() => {
  tmp = tempDir();
  dest = join(tmp.path, 'datasets');
});
afterEach(() => tmp.remove());

/** Imports `request`, expects a NosError of `code` whose message has every fragment, and
 * checks that nothing was left in the destination. */
async function expectRefused(
  request: ImportRequest,
  code: ErrorCode,
  ...fragments: string[]
): Promise<NosError> {
  const err = await importDataset(request, dest).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NosError);
  const nosError = err as NosError;
  expect(nosError.code).toBe(code);
  for (const f of fragments) expect(nosError.message).toContain(f);
  expect(nosError.hint).toBeTruthy();
  expect(existsSync(dest) ? readdirSync(dest) : []).toEqual([]);
  return nosError;
}

describe('importDataset refuses CIFAR files that are wrong', () => {
  it('truncated batch file: names the file and the record size', async () => {
    const dir = writeCifar10(tmp.path, 2, 1);
    const file = join(dir, 'data_batch_3.bin');
    truncateSync(file, 3073 * 2 - 100);
    await expectRefused(
      { format: 'cifar10', path: dir },
      'BAD_INPUT',
      file,
      '3073-byte records',
      'truncated',
    );
  });

  it('wrong record size: CIFAR-100 files imported as CIFAR-10', async () => {
    const dir = writeCifar100(tmp.path, 3, 1);
    writeFileSync(join(dir, 'data_batch_1.bin'), readFileSync(join(dir, 'train.bin')));
    writeFileSync(join(dir, 'test_batch.bin'), readFileSync(join(dir, 'test.bin')));
    await expectRefused(
      { format: 'cifar10', path: dir },
      'BAD_INPUT',
      'data_batch_1.bin',
      'not CIFAR-10 binary',
    );
  });

  it('label out of range: label byte 10 in CIFAR-10', async () => {
    const dir = writeCifar10(tmp.path, 2, 1);
    writeFileSync(join(dir, 'data_batch_2.bin'), cifarBatch([[3], [10]]));
    await expectRefused(
      { format: 'cifar10', path: dir },
      'BAD_INPUT',
      'data_batch_2.bin',
      'label 10',
      'out of range',
    );
  });

  it('missing test batch', async () => {
    const dir = writeCifar10(tmp.path, 1, 1);
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'test_batch.bin'));
    await expectRefused(
      { format: 'cifar10', path: dir },
      'BAD_INPUT',
      'test_batch.bin',
      'no test batch',
    );
  });

  it('truncated .tar.gz archive', async () => {
    writeCifar10(tmp.path, 2, 1);
    const archive = join(tmp.path, 'cifar-10-binary.tar.gz');
    await tar.c({ gzip: true, file: archive, cwd: tmp.path }, ['cifar-10-batches-bin']);
    truncateSync(archive, Math.floor(readFileSync(archive).length / 2));
    await expectRefused(
      { format: 'cifar10', path: archive },
      'BAD_INPUT',
      archive,
      'cannot be unpacked',
    );
  });
});

describe('importDataset refuses IDX files that are wrong', () => {
  const images = (n: number) => idx([n, 8, 8], new Uint8Array(n * 64));
  const labels = (values: number[]) => idx([values.length], Uint8Array.from(values));

  it('wrong magic number', async () => {
    const dir = writeIdxFolder(join(tmp.path, 'm'));
    const file = join(dir, 'train-labels-idx1-ubyte');
    writeFileSync(file, idx([20], new Uint8Array(20), 0x0000_0901));
    await expectRefused(
      { format: 'mnist', path: dir },
      'BAD_INPUT',
      file,
      'wrong magic number 0x00000901',
    );
  });

  it('truncated image file', async () => {
    const dir = writeIdxFolder(join(tmp.path, 'm'));
    const file = join(dir, 'train-images-idx3-ubyte');
    truncateSync(file, 16 + 64 * 5 + 3);
    await expectRefused({ format: 'mnist', path: dir }, 'BAD_INPUT', file, 'truncated');
  });

  it('truncated gzip file', async () => {
    const dir = writeIdxFolder(join(tmp.path, 'm'), 20, 10, true);
    const file = join(dir, 't10k-images-idx3-ubyte.gz');
    truncateSync(file, 30);
    await expectRefused({ format: 'fashion-mnist', path: dir }, 'BAD_INPUT', file, 'corrupt gzip');
  });

  it('image and label counts that disagree', async () => {
    const dir = writeIdxFolder(join(tmp.path, 'm'));
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), images(19));
    await expectRefused({ format: 'mnist', path: dir }, 'BAD_INPUT', '19 images', '20 labels');
  });

  it('labels out of range', async () => {
    const dir = writeIdxFolder(join(tmp.path, 'm'));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), labels([...new Array(19).fill(1), 12]));
    await expectRefused(
      { format: 'mnist', path: dir },
      'BAD_INPUT',
      'train-labels-idx1-ubyte',
      'label 12 of record 19',
    );
  });

  it('a missing file of the four', async () => {
    const dir = writeIdxFolder(join(tmp.path, 'm'));
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 't10k-labels-idx1-ubyte'));
    await expectRefused({ format: 'mnist', path: dir }, 'BAD_INPUT', 'no test-labels file');
  });

  it('a missing file of the four, with the format detected (auto)', async () => {
    const dir = writeIdxFolder(join(tmp.path, 'm'), 20, 10, true);
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'train-images-idx3-ubyte.gz'));
    await expectRefused({ format: 'auto', path: dir }, 'BAD_INPUT', 'no train-images file');
  });

  it('a gzip stream that is not gzip-wrapped IDX (plain garbage)', async () => {
    const dir = writeIdxFolder(join(tmp.path, 'm'), 20, 10, true);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(Buffer.from('hello world')));
    await expectRefused(
      { format: 'mnist', path: dir },
      'BAD_INPUT',
      'train-images-idx3-ubyte.gz',
      'wrong magic number',
    );
  });
});

describe('importDataset refuses image folders that are wrong', () => {
  it('an empty class folder', async () => {
    const root = join(tmp.path, 'imgs');
    await writeImageFolder(root, ['a', 'b'], 2);
    mkdirSync(join(root, 'c'));
    await expectRefused(
      { format: 'image-folder', path: root },
      'BAD_INPUT',
      join(root, 'c'),
      'no PNG or JPEG',
    );
  });

  it('no class folders at all', async () => {
    const root = join(tmp.path, 'flat');
    mkdirSync(root);
    writeFileSync(join(root, 'x.png'), 'not really');
    await expectRefused({ format: 'image-folder', path: root }, 'BAD_INPUT', 'no class subfolders');
  });

  it('a val/ class with no train/ folder', async () => {
    const root = join(tmp.path, 'imgs');
    await writeImageFolder(root, ['a', 'b'], 2, 'train');
    await writeImageFolder(root, ['a', 'zebra'], 1, 'val');
    await expectRefused({ format: 'image-folder', path: root }, 'BAD_INPUT', 'class "zebra"');
  });

  it('corrupt images past the threshold (default 1%) refuse the import and list the files', async () => {
    const root = join(tmp.path, 'imgs');
    await writeImageFolder(root, ['a', 'b'], 10);
    writeFileSync(join(root, 'a', 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
    const err = await expectRefused(
      { format: 'image-folder', path: root, options: { size: 8 } },
      'BAD_INPUT',
      '1 of 21 images',
      'a/broken.png',
      'more than the 1.0% allowed',
    );
    expect(err.detail?.skipped).toHaveLength(1);
  });

  it('corrupt images under the threshold are skipped and listed in meta', async () => {
    const root = join(tmp.path, 'imgs');
    await writeImageFolder(root, ['a', 'b'], 10);
    writeFileSync(join(root, 'b', 'broken.jpg'), Buffer.from('definitely not a jpeg'));
    const meta = await importDataset(
      { format: 'image-folder', path: root, options: { size: 8, maxCorruptFraction: 0.1 } },
      dest,
    );
    expect(meta.trainCount + meta.testCount).toBe(20);
    expect(meta.skippedFiles).toHaveLength(1);
    expect(meta.skippedFiles[0].file).toBe(join('b', 'broken.jpg'));
  });
});

describe('importDataset refuses unsupported requests', () => {
  it('format=auto on a folder of something else', async () => {
    const root = join(tmp.path, 'docs');
    mkdirSync(root);
    writeFileSync(join(root, 'notes.txt'), 'hello');
    await expectRefused(
      { format: 'auto', path: root },
      'BAD_INPUT',
      'unsupported or unrecognised dataset format',
    );
  });

  it('an unknown format name', async () => {
    const err = await expectRefused(
      { format: 'hdf5', path: tmp.path } as unknown as ImportRequest,
      'BAD_INPUT',
      'format',
    );
    expect(err.hint).toContain('cifar10');
  });

  it('a file where a folder is expected', async () => {
    const file = join(tmp.path, 'x.bin');
    writeFileSync(file, 'x');
    await expectRefused({ format: 'mnist', path: file }, 'BAD_INPUT', 'is a file');
  });

  it('a CIFAR path that is neither folder nor archive', async () => {
    const file = join(tmp.path, 'cifar.zip');
    writeFileSync(file, 'x');
    await expectRefused(
      { format: 'cifar10', path: file },
      'BAD_INPUT',
      'neither a folder nor a .tar.gz',
    );
  });

  it('a path that does not exist', async () => {
    await expectRefused({ format: 'cifar10', path: join(tmp.path, 'nope') }, 'NOT_FOUND', 'nope');
  });
});

describe('importDataset: permission denied', () => {
  // Root reads everything, so the import runs in a child process as the unprivileged `nobody`.
  const asNobody = process.getuid?.() === 0;

  it.runIf(asNobody)('names the unreadable file and leaves nothing behind', () => {
    chmodSync(tmp.path, 0o755);
    const dir = writeIdxFolder(join(tmp.path, 'm'));
    const file = join(dir, 'train-images-idx3-ubyte');
    chmodSync(file, 0o000);
    const out = join(tmp.path, 'out');
    mkdirSync(out);
    chmodSync(out, 0o777);
    const dataIndex = resolve(__dirname, '../../../src-main/data/index.ts');
    const script =
      `const { importDataset } = require(${JSON.stringify(dataIndex)});` +
      `importDataset({ format: 'mnist', path: ${JSON.stringify(dir)} }, ${JSON.stringify(out)})` +
      `.then(() => console.log('{"code":"none"}'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: resolve(__dirname, '../../..'),
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      timeout: 60_000,
    });
    const last = result.stdout.trim().split('\n').pop() ?? '';
    const reported = JSON.parse(last) as { code: string; message: string };
    expect(reported.code).toBe('STORAGE');
    expect(reported.message).toContain('Permission denied');
    expect(reported.message).toContain(file);
    expect(readdirSync(out)).toEqual([]);
  });

  it.runIf(asNobody)('an unwritable destination is refused as STORAGE', () => {
    chmodSync(tmp.path, 0o755);
    const dir = writeIdxFolder(join(tmp.path, 'm'));
    const out = join(tmp.path, 'locked');
    mkdirSync(out, { mode: 0o555 });
    chmodSync(out, 0o555);
    const dataIndex = resolve(__dirname, '../../../src-main/data/index.ts');
    const script =
      `const { importDataset } = require(${JSON.stringify(dataIndex)});` +
      `importDataset({ format: 'mnist', path: ${JSON.stringify(dir)} }, ${JSON.stringify(out)})` +
      `.then(() => console.log('{"code":"none"}'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: resolve(__dirname, '../../..'),
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      timeout: 60_000,
    });
    const reported = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as {
      code: string;
      message: string;
    };
    expect(reported.code).toBe('STORAGE');
    expect(reported.message).toContain(out);
    expect(readdirSync(out)).toEqual([]);
  });

  it('a destination on a read-only file system says so (not "does not exist")', async (ctx) => {
    const { execFileSync } = await import('node:child_process');
    const dir = writeIdxFolder(join(tmp.path, 'm'));
    const ro = join(tmp.path, 'ro');
    mkdirSync(join(ro, 'datasets'), { recursive: true });
    try {
      execFileSync('mount', ['--bind', ro, ro], { stdio: 'ignore' });
    } catch {
      ctx.skip();
    }
    try {
      execFileSync('mount', ['-o', 'remount,ro,bind', ro], { stdio: 'ignore' });
      for (const destination of [join(ro, 'datasets'), join(ro, 'new', 'datasets')]) {
        const err = await importDataset({ format: 'mnist', path: dir }, destination).catch(
          (e: unknown) => e,
        );
        expect(err).toMatchObject({
          code: 'STORAGE',
          message: expect.stringMatching(/read-only file system/),
        });
        expect((err as NosError).hint).toMatch(/--data-dir/);
      }
    } finally {
      execFileSync('umount', [ro]);
    }
    expect(readdirSync(join(ro, 'datasets'))).toEqual([]);
  });
});
