/**
 * The store under a hostile disk: a database locked by another process, a read-only data
 * directory. Each gives a STORAGE error naming the file and the fix, and nothing stored before
 * is lost or changed.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NosError } from '../../../src-main/contract/errors';
import { openStore, type Store } from '../../../src-main/store';
import { tempDir } from './helpers';

let tmp: ReturnType<typeof tempDir>;
let seeded: number;

function seed(dir: string): number {
  const store = openStore(dir);
  const id = store.runs.create({ kind: 'search', config: { space: 'nos' }, tags: ['kept'] });
  store.records.metrics(id, 0, null, { 'search/loss': 1.25 });
  store.runs.markFinished(id, 'completed', { summary: { top1: 0.5 } });
  store.close();
  return id;
}

/** What the seeded run looks like; compared before and after each failure. */
function snapshot(store: Store, id: number) {
  return {
    run: store.runs.get(id),
    series: store.records.series(id),
    count: store.runs.list().total,
  };
}

function caught(fn: () => unknown): NosError {
  try {
    fn();
  } catch (err) {
    if (err instanceof NosError) return err;
    throw err;
  }
  throw new Error('expected a NosError');
}

beforeEach(() => {
  tmp = tempDir();
  seeded = seed(tmp.dir);
});
afterEach(() => tmp.cleanup());

describe('store: database locked by another process', () => {
  let holder: ChildProcess | undefined;
  afterEach(() => {
    holder?.kill('SIGKILL');
    holder = undefined;
  });

  /** Another process that opens the database and holds an exclusive write lock. */
  function lockFromAnotherProcess(file: string): Promise<void> {
    const script = `
      const Database = require('better-sqlite3');
      const db = new Database(${JSON.stringify(file)});
      db.exec('BEGIN EXCLUSIVE');
      process.stdout.write('locked\\n');
      setInterval(() => {}, 1000);`;
    holder = spawn(process.execPath, ['-e', script], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    return new Promise((resolve, reject) => {
      holder!.stdout!.once('data', () => resolve());
      holder!.once('exit', (code) => reject(new Error(`lock holder exited with ${code}`)));
    });
  }

  it('fails a write with a STORAGE error that says another process holds the lock', async () => {
    const file = join(tmp.dir, 'nos.db');
    const store = openStore(tmp.dir, { busyTimeoutMs: 100 });
    const before = snapshot(store, seeded);
    await lockFromAnotherProcess(file);

    const error = caught(() => store.runs.create({ kind: 'search', config: {} }));
    expect(error.code).toBe('STORAGE');
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/locked by another process/);
    expect(error.hint).toMatch(/Another NOS Studio process/);
    expect(caught(() => store.records.metrics(seeded, 1, null, { 'search/loss': 9 })).code).toBe(
      'STORAGE',
    );

    holder!.kill('SIGKILL');
    await new Promise((r) => holder!.once('exit', r));
    expect(snapshot(store, seeded)).toEqual(before);
    expect(store.runs.create({ kind: 'search', config: {} })).toBe(seeded + 1);
    expect(store.integrityCheck()).toBe('ok');
    store.close();
  });
});

describe('store: read-only data directory', () => {
  const isRoot = process.getuid?.() === 0;
  let unmount: (() => void) | undefined;
  afterEach(() => {
    unmount?.();
    unmount = undefined;
    chmodSync(tmp.dir, 0o755);
  });

  /** Root ignores file modes, so root gets a read-only bind mount instead of chmod. */
  function makeReadOnly(dir: string): boolean {
    if (!isRoot) {
      chmodSync(join(dir, 'nos.db'), 0o444);
      chmodSync(dir, 0o555);
      return true;
    }
    try {
      execFileSync('mount', ['--bind', dir, dir], { stdio: 'ignore' });
      execFileSync('mount', ['-o', 'remount,ro,bind', dir], { stdio: 'ignore' });
      unmount = () => execFileSync('umount', [dir], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }

  it('gives a STORAGE error naming the folder and --data-dir, and keeps every stored row', (ctx) => {
    if (!makeReadOnly(tmp.dir)) ctx.skip();
    const error = caught(() => {
      const store = openStore(tmp.dir);
      try {
        store.runs.create({ kind: 'search', config: {} });
      } finally {
        store.close();
      }
    });
    expect(error.code).toBe('STORAGE');
    expect(error.message).toContain(tmp.dir);
    expect(error.message).toMatch(/read-only/);
    expect(error.hint).toMatch(/--data-dir/);

    unmount?.();
    unmount = undefined;
    chmodSync(tmp.dir, 0o755);
    chmodSync(join(tmp.dir, 'nos.db'), 0o644);
    const store = openStore(tmp.dir);
    expect(store.runs.list().total).toBe(1);
    expect(store.records.series(seeded)[0].points[0].value).toBe(1.25);
    expect(store.integrityCheck()).toBe('ok');
    store.close();
  });

  it('refuses to create a data directory under a read-only parent', (ctx) => {
    if (!makeReadOnly(tmp.dir)) ctx.skip();
    const error = caught(() => openStore(join(tmp.dir, 'nested', 'data')));
    expect(error.code).toBe('STORAGE');
    expect(error.message).toContain(join(tmp.dir, 'nested', 'data'));
    // The cause, not the ENOENT that Node's recursive mkdir reports for it.
    expect(error.message).toMatch(/read-only/);
    expect(error.message).not.toMatch(/ENOENT/);
  });
});

describe('store: a data directory that is a file', () => {
  it('refuses with BAD_INPUT naming the file, and leaves the file as it was', () => {
    const dir = tempDir();
    const file = join(dir.dir, 'not-a-folder');
    writeFileSync(file, 'user data');
    let error: unknown;
    try {
      openStore(file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(NosError);
    expect(error).toMatchObject({ code: 'BAD_INPUT' });
    expect((error as NosError).message).toContain(`${file} is a file, not a folder`);
    expect(readFileSync(file, 'utf8')).toBe('user data');
    dir.cleanup();
  });
});
