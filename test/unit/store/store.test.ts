import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NosError } from '../../../src-main/contract/errors';
import { openStore, type Store } from '../../../src-main/store';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../src-main/store/migrations';
import { fakeMeta, tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let store: Store;

beforeEach(() => {
  tmp = tempDir();
  store = openStore(tmp.dir);
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof NosError ? err.code : `not a NosError: ${String(err)}`;
  }
  return undefined;
}

describe('migrations', () => {
  it('creates the schema at the latest user_version with WAL and foreign keys on', () => {
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.integrityCheck()).toBe('ok');
  });

  it('reopens an existing database without migrating again or losing rows', () => {
    const id = store.runs.create({ kind: 'search', config: { a: 1 } });
    store.close();
    store = openStore(tmp.dir);
    expect(store.runs.get(id).config).toEqual({ a: 1 });
  });

  it('brings a version-1 database up to date, keeping its rows', () => {
    const dir = join(tmp.dir, 'old');
    mkdirSync(dir);
    const db = new Database(join(dir, 'nos.db'));
    db.exec(MIGRATIONS[0]);
    db.pragma('user_version = 1');
    db.prepare(
      `INSERT INTO runs (kind, name, status, config, host, created_at)
       VALUES ('search', 'old run', 'completed', '{}', 'h', '2026-01-01T00:00:00.000Z')`,
    ).run();
    db.close();
    const upgraded = openStore(dir);
    expect(upgraded.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(upgraded.runs.list().runs.map((r) => r.name)).toEqual(['old run']);
    const index = upgraded.db
      .prepare("SELECT name FROM sqlite_master WHERE name = 'runs_kind_status_best'")
      .get();
    expect(index).toBeDefined();
    upgraded.close();
  });

  it('refuses a database from a newer NOS Studio with a STORAGE error', () => {
    store.close();
    const db = new Database(join(tmp.dir, 'nos.db'));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(codeOf(() => (store = openStore(tmp.dir)))).toBe('STORAGE');
    store = openStore(join(tmp.dir, 'fresh'));
  });

  it('refuses a file that is not a database, and leaves it as it was', () => {
    store.close();
    const other = tempDir();
    writeFileSync(join(other.dir, 'nos.db'), 'not sqlite at all, just some text '.repeat(20));
    let error: NosError | undefined;
    try {
      openStore(other.dir);
    } catch (err) {
      error = err as NosError;
    }
    expect(error?.code).toBe('STORAGE');
    expect(error?.message).toMatch(/damaged or is not a NOS Studio database/);
    store = openStore(tmp.dir);
    other.cleanup();
  });
});

describe('datasets', () => {
  it('adds, finds by id or name, lists and deletes a dataset with its folder', () => {
    const dir = store.datasets.dir('fm');
    mkdirSync(dir, { recursive: true });
    store.datasets.add(fakeMeta('fm', 'a'), 1234);
    expect(store.datasets.get('fm').bytes).toBe(1234);
    expect(store.datasets.find('dataset FM')?.id).toBe('fm');
    expect(store.datasets.findByChecksum('a'.repeat(64))?.id).toBe('fm');
    expect(store.datasets.list().map((d) => d.id)).toEqual(['fm']);
    store.datasets.delete('fm');
    expect(store.datasets.list()).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  it.each([
    ['same checksum', fakeMeta('other', 'a')],
    ['same id', fakeMeta('fm', 'b')],
  ])('refuses a second import with the %s as CONFLICT', (_, meta) => {
    store.datasets.add(fakeMeta('fm', 'a'), 1);
    expect(codeOf(() => store.datasets.add(meta, 1))).toBe('CONFLICT');
    expect(store.datasets.list()).toHaveLength(1);
  });

  it('answers a missing dataset with NOT_FOUND naming the stored ones', () => {
    store.datasets.add(fakeMeta('fm', 'a'), 1);
    expect(() => store.datasets.get('cifar')).toThrow(
      /No dataset named "cifar"; stored datasets: fm/,
    );
  });

  it('keeps runs and their dataset name when the dataset is deleted', () => {
    store.datasets.add(fakeMeta('fm', 'a'), 1);
    const id = store.runs.create({
      kind: 'search',
      config: {},
      datasetId: 'fm',
      datasetName: 'FM',
    });
    store.datasets.delete('fm');
    expect(store.runs.get(id).datasetId).toBeNull();
    expect(store.runs.summary(id).dataset).toBe('FM');
  });
});

describe('runs', () => {
  it('creates a queued run with its config, links, tags and host', () => {
    const teacher = store.runs.create({ kind: 'teacher', config: {} });
    const id = store.runs.create({
      kind: 'search',
      config: { space: 'nos' },
      parentRunId: teacher,
      seed: 3,
      tags: ['b', 'a'],
    });
    const run = store.runs.get(id);
    expect(run).toMatchObject({ kind: 'search', status: 'queued', parentRunId: teacher, seed: 3 });
    expect(run.host.length).toBeGreaterThan(0);
    expect(store.runs.summary(id).tags).toEqual(['a', 'b']);
  });

  it('records start, finish with error and summary, and accumulates active time', () => {
    const id = store.runs.create({ kind: 'search', config: {} });
    store.runs.markStarted(id, process.pid, 123);
    expect(store.runs.get(id)).toMatchObject({ status: 'running', workerPid: 123 });
    store.runs.markFinished(id, 'failed', {
      error: { code: 'RUN_FAILED', message: 'loss is NaN', hint: 'lower the lr' },
      summary: { top1: 0.5 },
    });
    const summary = store.runs.summary(id);
    expect(summary).toMatchObject({
      status: 'failed',
      error: { message: 'loss is NaN', hint: 'lower the lr' },
    });
    expect(summary.summary).toEqual({ top1: 0.5 });
    expect(summary.durationSeconds).toBeGreaterThanOrEqual(0);
    store.runs.markStarted(id, process.pid, 124);
    expect(store.runs.summary(id).error).toBeNull();
  });

  it('answers an unknown run with NOT_FOUND and refuses to delete a live one', () => {
    expect(codeOf(() => store.runs.get(99))).toBe('NOT_FOUND');
    const id = store.runs.create({ kind: 'search', config: {} });
    expect(codeOf(() => store.deleteRun(id))).toBe('CONFLICT');
  });

  it('deletes a finished run with everything recorded for it and its folder', () => {
    const id = store.runs.create({ kind: 'search', config: {} });
    const dir = store.runDir(id, true);
    writeFileSync(join(dir, 'ckpt'), 'x');
    store.records.metrics(id, 0, null, { 'train/loss': 1 });
    store.records.artifact(id, { kind: 'checkpoint', path: join(dir, 'ckpt'), epoch: 0, step: 0 });
    store.runs.markFinished(id, 'completed');
    store.deleteRun(id);
    expect(store.runs.find(id)).toBeNull();
    expect(existsSync(dir)).toBe(false);
    const left = store.db.prepare('SELECT count(*) AS n FROM metrics').get() as { n: number };
    expect(left.n).toBe(0);
  });

  it('sets tags and notes, and finds runs by them', () => {
    const a = store.runs.create({ kind: 'search', config: {}, name: 'first' });
    const b = store.runs.create({ kind: 'evaluation', config: {}, name: 'second' });
    store.runs.setTags(a, ['cifar', 'best']);
    store.runs.setNote(b, 'uses 100% of the data');
    expect(store.runs.list({ tag: 'best' }).runs.map((r) => r.id)).toEqual([a]);
    expect(store.runs.list({ text: '100%' }).runs.map((r) => r.id)).toEqual([b]);
    expect(store.runs.list({ text: 'CIF' }).runs.map((r) => r.id)).toEqual([a]);
    expect(store.runs.list({ text: '%' }).runs.map((r) => r.id)).toEqual([b]);
  });

  it('filters, sorts and pages, with missing values last', () => {
    const ids = [0, 1, 2, 3].map((i) =>
      store.runs.create({ kind: i % 2 ? 'search' : 'evaluation', config: {}, name: `r${i}` }),
    );
    store.records.metrics(ids[0], 0, null, { 'eval/top1_error': 10 });
    store.records.metrics(ids[1], 0, null, { 'search/top1': 0.95, 'eval/top1': 0.99 });
    store.records.metrics(ids[2], 0, null, { 'eval/top1_error': 7 });
    const sorted = store.runs.list({ sortBy: 'bestError', sortDir: 'asc' });
    expect(sorted.runs.map((r) => r.id)).toEqual([ids[1], ids[2], ids[0], ids[3]]);
    expect(sorted.runs[0].bestError).toBeCloseTo(5);
    const page = store.runs.list({
      kind: 'evaluation',
      sortBy: 'id',
      sortDir: 'asc',
      offset: 1,
      limit: 1,
    });
    expect(page).toMatchObject({ total: 2, offset: 1 });
    expect(page.runs.map((r) => r.id)).toEqual([ids[2]]);
  });

  it('marks live runs of dead owners interrupted at start-up and leaves live owners alone', () => {
    const dead = store.runs.create({ kind: 'search', config: {} });
    const alive = store.runs.create({ kind: 'search', config: {} });
    store.runs.markStarted(dead, 999_999_999, 1);
    store.runs.markStarted(alive, process.pid, 2);
    const ids = store.runs.recoverInterrupted((pid) => pid === process.pid);
    expect(ids).toEqual([dead]);
    expect(store.runs.get(dead)).toMatchObject({ status: 'interrupted' });
    expect(store.runs.get(dead).error?.hint).toMatch(/nos runs resume/);
    expect(store.runs.get(alive).status).toBe('running');
  });
});

describe('records', () => {
  it('keeps metric series per key, epoch and step; a repeated point replaces the earlier one', () => {
    const id = store.runs.create({ kind: 'search', config: {} });
    store.records.metrics(id, 0, 0, { 'search/loss': 2 });
    store.records.metrics(id, 0, 1, { 'search/loss': 1.5 });
    store.records.metrics(id, 0, null, { 'search/loss': 1.7, 'search/top1': 0.4 });
    store.records.metrics(id, 0, 1, { 'search/loss': 1.4 });
    store.records.metrics(id, 1, null, { 'search/loss': Number.NaN });
    const loss = store.records.series(id, ['search/loss'])[0];
    expect(loss.points).toEqual([
      { epoch: 0, step: null, value: 1.7 },
      { epoch: 0, step: 0, value: 2 },
      { epoch: 0, step: 1, value: 1.4 },
    ]);
    expect(store.runs.summary(id).bestError).toBeCloseTo(60);
  });

  it('stores alphas, genotypes (final last) and logs', () => {
    const id = store.runs.create({ kind: 'search', config: {} });
    const snap = {
      cellType: 'normal' as const,
      primitives: ['a', 'b'],
      alphaSoftmax: [[0.4, 0.6]],
    };
    store.records.alphas(id, 0, [snap]);
    store.records.genotype(id, 0, { v: 0 }, false);
    expect(store.records.finalGenotype(id)).toBeNull();
    store.records.genotype(id, 1, { v: 1 }, true);
    store.records.log(id, 'warn', 'slow backend');
    expect(store.records.alphaSnapshots(id)).toEqual([{ epoch: 0, snapshots: [snap] }]);
    expect(store.records.finalGenotype(id)).toEqual({ v: 1 });
    expect(store.records.genotypes(id)).toHaveLength(2);
    expect(store.records.logs(id)[0]).toMatchObject({ level: 'warn', message: 'slow backend' });
    expect(store.runDetail(id)).toMatchObject({ id, config: {}, progress: null });
  });

  it('records artifacts with size and sha256, relative to the run folder, newest checkpoint first', () => {
    const id = store.runs.create({ kind: 'search', config: {} });
    const dir = store.runDir(id, true);
    for (const name of ['a.ckpt', 'b.ckpt']) writeFileSync(join(dir, name), name);
    store.records.artifact(id, {
      kind: 'checkpoint',
      path: join(dir, 'a.ckpt'),
      epoch: 0,
      step: 1,
    });
    store.records.artifact(id, {
      kind: 'checkpoint',
      path: join(dir, 'b.ckpt'),
      epoch: 0,
      step: 2,
    });
    store.records.artifact(id, {
      kind: 'checkpoint',
      path: join(dir, 'a.ckpt'),
      epoch: 0,
      step: 3,
    });
    expect(store.records.lastCheckpoint(id)).toEqual({
      path: join(dir, 'a.ckpt'),
      epoch: 0,
      step: 3,
    });
    const row = store.db.prepare('SELECT path, bytes, sha256 FROM artifacts WHERE step = 3').get();
    expect(row).toMatchObject({ path: 'a.ckpt', bytes: 6 });
    expect((row as { sha256: string }).sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(store.records.artifacts(id).map((a) => a.name)).toEqual(['b.ckpt', 'a.ckpt']);
  });

  it('skips a checkpoint whose file is gone when looking for the last one', () => {
    const id = store.runs.create({ kind: 'search', config: {} });
    const dir = store.runDir(id, true);
    writeFileSync(join(dir, 'old'), 'x');
    store.records.artifact(id, { kind: 'checkpoint', path: join(dir, 'old'), epoch: 0, step: 0 });
    store.records.artifact(id, {
      kind: 'checkpoint',
      path: join(dir, 'never-written'),
      epoch: 0,
      step: 1,
    });
    expect(store.records.lastCheckpoint(id)?.path).toBe(join(dir, 'old'));
  });
});
