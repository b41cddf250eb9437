import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { searchConfigFromPreset } from '../../../src-main/contract/config';
import { CanonicalBuilder } from '../../../src-main/data/canonical';
import { run as searchJob } from '../../../src-main/search/job';
import { run as teacherJob } from '../../../src-main/search/teacher-job';
import { memoryRunContext } from '../../../src-main/training/run-context';
import { tinyDataset } from './fixtures';

/** Writes the tiny 8x8 dataset as a canonical folder; `shift` changes its content (checksum). */
function writeDataset(root: string, id: string, shift = 0): string {
  const data = tinyDataset();
  const builder = new CanonicalBuilder(root, id);
  for (const split of ['train', 'test'] as const) {
    const set = data[split];
    const writer = builder.openSplit(split, set.shape, 4);
    writer.append(
      set.images.map((v) => (v + shift) % 256),
      Array.from(set.labels),
      id,
    );
  }
  builder.commit(
    { format: 'fashion-mnist', classNames: ['a', 'b', 'c', 'd'], options: {}, skippedFiles: [] },
    id,
    'test',
  );
  return join(root, id);
}

const TINY = {
  channels: 4,
  cells: 3,
  epochs: 1,
  batch: 8,
  trainImages: 8,
  searchImages: 8,
  evalImages: 8,
  teacher: { width: 4, epochs: 1, batch: 16, trainImages: 16 },
};

describe('search job', () => {
  it('trains its teacher inline, searches, and returns and stores the genotype', async () => {
    const root = mkdtempSync(join(tmpdir(), 'search-job-'));
    const datasetDir = writeDataset(root, 'tiny');
    const runDir = mkdtempSync(join(tmpdir(), 'search-run-'));
    const { ctx, record } = memoryRunContext(runDir);
    const config = searchConfigFromPreset('smoke', TINY);
    const result = await searchJob(
      { kind: 'search', runId: 1, runDir, config, datasetDir, backend: 'wasm' },
      ctx,
    );
    expect(result.backend?.name).toBe('wasm');
    expect(result.genotype).toMatchObject({ version: 1, space: 'nos' });
    expect(JSON.parse(readFileSync(join(runDir, 'genotype.json'), 'utf8'))).toEqual(
      result.genotype,
    );
    expect(existsSync(join(runDir, 'teacher', 'teacher.json'))).toBe(true);
    expect(new Set(record.progress.map((p) => p.phase))).toEqual(new Set(['teacher', 'search']));
    expect(record.genotypes.at(-1)?.final).toBe(true);
    // The teacher's metrics keep their own keys: the store keys a metric by run, epoch and key.
    const teacherKeys = record.metrics.flatMap((m) => Object.keys(m.values));
    expect(teacherKeys).toContain('teacher/train/loss');
    expect(teacherKeys).toContain('search/loss');
    const epochZeroTrainLoss = record.metrics.filter(
      (m) => m.epoch === 0 && m.step === null && 'train/loss' in m.values,
    );
    expect(epochZeroTrainLoss).toHaveLength(1);
  });

  it('refuses a stored teacher that learned another dataset', async () => {
    const root = mkdtempSync(join(tmpdir(), 'search-job-'));
    const teacherData = writeDataset(root, 'other', 7);
    const searchData = writeDataset(root, 'tiny');
    const teacherDir = mkdtempSync(join(tmpdir(), 'teacher-run-'));
    await teacherJob(
      {
        kind: 'teacher',
        runId: 2,
        runDir: teacherDir,
        config: TINY.teacher,
        datasetDir: teacherData,
        backend: 'wasm',
      },
      memoryRunContext(teacherDir).ctx,
    );
    const runDir = mkdtempSync(join(tmpdir(), 'search-run-'));
    const config = searchConfigFromPreset('smoke', {
      ...TINY,
      teacher: { ...TINY.teacher, mode: 'run' },
    });
    const attempt = searchJob(
      {
        kind: 'search',
        runId: 3,
        runDir,
        config,
        datasetDir: searchData,
        teacherDir,
        backend: 'wasm',
      },
      memoryRunContext(runDir).ctx,
    );
    await expect(attempt).rejects.toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringMatching(/trained on dataset "other".*runs on "tiny"/),
    });
  });

  it('names the field and its allowed values for a bad config', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'search-run-'));
    const attempt = searchJob(
      { kind: 'search', runId: 4, runDir, config: { guidance: 'teacher' }, backend: 'wasm' },
      memoryRunContext(runDir).ctx,
    );
    await expect(attempt).rejects.toThrow(
      /guidance: .*"ags"\|"none"\|"distill".*received "teacher"/,
    );
  });
});
