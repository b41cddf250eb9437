import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_METHODS, DESKTOP_METHODS, type NosDesktopApi } from '../../../src-main/contract';
import { createDispatch, type Dispatch } from '../../../src-main/api/dispatch';
import type { NosService } from '../../../src-main/api/service';
import { tempDataDir, testService } from './helpers';

/** Payloads every method must refuse, with what is wrong in them. */
const BAD: Record<string, unknown[]> = {
  getRun: [{}, { runId: 0 }, { runId: 1.5 }, { runId: '3' }, null],
  getDataset: [{ id: '' }, { id: '../etc' }, { id: 'ok', samplesPerClass: 99 }],
  importDataset: [{ format: 'zip', path: '/x' }, { format: 'auto' }, { format: 'auto', path: '' }],
  listRuns: [{ sortBy: 'colour' }, { limit: 0 }, { kind: 'walk' }],
  setRunTags: [
    { runId: 1, tags: [''] },
    { runId: 1, tags: 'a' },
  ],
  startSearch: [
    { dataset: 'd', config: { epochs: 0 } },
    { dataset: 'd', config: { space: 'everything' } },
    { config: {} },
  ],
  exportGenotype: [{ runId: 1, format: 'yaml' }],
  compareRuns: [{ runIds: [] }],
};

describe('createDispatch', () => {
  const data = tempDataDir();
  let service: NosService;
  let dispatch: Dispatch;

  beforeAll(async () => {
    service = await testService(data.dir);
    dispatch = createDispatch(service.api);
  });
  afterAll(async () => {
    await service.close();
    data.cleanup();
  });

  it.each(API_METHODS.map((m) => [m]))(
    'method=%s refuses an unknown field with BAD_INPUT',
    async (method) => {
      const env = await dispatch(method, { definitelyNotAField: true });
      expect(env.ok).toBe(false);
      if (!env.ok) {
        expect(env.error.code).toBe('BAD_INPUT');
        expect(env.error.message).toContain(method);
      }
    },
  );

  it.each(Object.entries(BAD).flatMap(([m, list]) => list.map((p) => [m, JSON.stringify(p), p])))(
    'method=%s payload=%s is BAD_INPUT',
    async (method, _text, payload) => {
      const env = await dispatch(method as string, payload);
      expect(env.ok).toBe(false);
      if (!env.ok) expect(env.error.code).toBe('BAD_INPUT');
    },
  );

  it('names the bad field and the fix in the error', async () => {
    const env = await dispatch('startSearch', { dataset: 'd', config: { epochs: 0 } });
    expect(env.ok).toBe(false);
    if (!env.ok) {
      expect(env.error.message).toMatch(/config\.epochs/);
      expect(env.error.hint).toBeTruthy();
      expect(env.error.detail?.issues).toBeInstanceOf(Array);
    }
  });

  it('refuses a misspelt nested config field instead of dropping it', async () => {
    const env = await dispatch('startSearch', {
      dataset: 'd',
      config: { epoch: 3, teacher: { arc: 'resnet18' } },
    });
    expect(env.ok).toBe(false);
    if (!env.ok) {
      expect(env.error.code).toBe('BAD_INPUT');
      expect(env.error.message).toMatch(/config\.epoch: unknown field; known here: .*epochs/);
      expect(env.error.message).toMatch(/config\.teacher\.arc: unknown field/);
    }
  });

  it('refuses an unknown method, and a desktop method when no desktop API is given', async () => {
    for (const method of ['rm', '__proto__', 'constructor', ...DESKTOP_METHODS]) {
      const env = await dispatch(method, {});
      expect(env.ok).toBe(false);
      if (!env.ok) expect(env.error.code).toBe('BAD_INPUT');
    }
  });

  it('accepts no payload, null or {} for methods that take none', async () => {
    for (const payload of [undefined, null, {}]) {
      const env = await dispatch('listDatasets', payload);
      expect(env).toEqual({ ok: true, value: [] });
    }
  });

  it('passes the parsed payload (defaults filled) and wraps the result', async () => {
    const env = await dispatch('listRuns', { sortBy: 'bestError', limit: 5 });
    expect(env).toEqual({ ok: true, value: { total: 0, offset: 0, runs: [] } });
  });

  it('turns a thrown NosError into its data, code and hint kept', async () => {
    const env = await dispatch('getRun', { runId: 424242 });
    expect(env.ok).toBe(false);
    if (!env.ok) {
      expect(env.error.code).toBe('NOT_FOUND');
      expect(env.error.message).toContain('424242');
    }
  });

  it('routes desktop methods to the desktop API when one is given', async () => {
    const calls: unknown[] = [];
    const desktop: NosDesktopApi = {
      openDialog: async (p) => (calls.push(p), { path: '/picked' }),
      saveDialog: async () => ({ path: null }),
      saveContent: async () => ({ path: null }),
    };
    const withDesktop = createDispatch(service.api, desktop);
    expect(await withDesktop('openDialog', { kind: 'folder' })).toEqual({
      ok: true,
      value: { path: '/picked' },
    });
    expect(calls).toEqual([{ kind: 'folder' }]);
    const bad = await withDesktop('openDialog', { kind: 'socket' });
    expect(bad.ok).toBe(false);
  });
});
