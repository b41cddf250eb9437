import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NosError,
  SEARCH_PRESETS,
  validateGenotype,
  type RunEvent,
} from '../../../src-main/contract';
import type { NosService } from '../../../src-main/api/service';
import { EPOCHS, STEPS, fixedGenotype } from './fixtures/genotype-job';
import { tempDataDir, testService, waitForStatus } from './helpers';

async function rejection(p: Promise<unknown>): Promise<NosError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof NosError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('createNosService', () => {
  const data = tempDataDir();
  let service: NosService;
  let datasetId = '';

  beforeAll(async () => {
    service = await testService(data.dir);
  });
  afterAll(async () => {
    await service.close();
    data.cleanup();
  });

  describe('datasets', () => {
    it('detects the bundled sample and imports it', async () => {
      const detected = await service.api.detectDatasets();
      const sample = detected.find((d) => d.label.includes('bundled'));
      expect(sample).toBeDefined();
      expect(sample!.importedAs).toBeNull();

      const inspected = await service.api.inspectDataset(sample!.request);
      expect(inspected.classNames).toHaveLength(10);
      expect(await service.api.listDatasets()).toEqual([]);

      const imported = await service.api.importDataset(sample!.request);
      datasetId = imported.id;
      expect(imported.trainCount).toBe(sample!.trainCount);
      expect(imported.bytes).toBeGreaterThan(imported.trainCount * 28 * 28);
      const again = await service.api.detectDatasets();
      expect(again.find((d) => d.label.includes('bundled'))!.importedAs).toBe(datasetId);
    });

    it('refuses the same images twice with CONFLICT', async () => {
      const sample = (await service.api.detectDatasets()).find((d) => d.label.includes('bundled'))!;
      const err = await rejection(service.api.importDataset({ ...sample.request, name: 'copy' }));
      expect(err.code).toBe('CONFLICT');
      expect((await service.api.listDatasets()).map((d) => d.id)).toEqual([datasetId]);
    });

    it('returns samples per class and the class histogram', async () => {
      const detail = await service.api.getDataset({ id: datasetId, samplesPerClass: 2 });
      expect(detail.preview.classes).toHaveLength(10);
      for (const c of detail.preview.classes) {
        expect(c.samples).toHaveLength(2);
        expect(c.samples[0]).toMatch(/^data:image\/png;base64,/);
      }
      const total = detail.preview.classes.reduce((n, c) => n + c.trainCount, 0);
      expect(total).toBe(detail.trainCount);
    });

    it('says NOT_FOUND for an unknown dataset', async () => {
      expect((await rejection(service.api.getDataset({ id: 'nope' }))).code).toBe('NOT_FOUND');
    });
  });

  describe('runs', () => {
    let runId = 0;
    const events: RunEvent[] = [];

    it('starts a search, streams its events and stores what it reported', async () => {
      const stopCollecting = service.onRunEvent((e) => events.push(e));
      const started = await service.api.startSearch({
        dataset: datasetId,
        config: SEARCH_PRESETS.smoke,
        name: 'api test search',
        tags: ['t1'],
      });
      runId = started.runId;
      expect(await waitForStatus(service, runId, ['completed', 'failed'])).toBe('completed');
      stopCollecting();

      const statuses = events.flatMap((e) =>
        e.type === 'status' && e.runId === runId ? [e.status] : [],
      );
      expect(statuses).toEqual(expect.arrayContaining(['queued', 'running', 'completed']));
      expect(events.filter((e) => e.type === 'progress')).toHaveLength(EPOCHS * STEPS);

      const detail = await service.api.getRun({ runId });
      expect(detail.kind).toBe('search');
      expect(detail.name).toBe('api test search');
      expect(detail.tags).toEqual(['t1']);
      expect(detail.dataset).toBe(datasetId);
      expect(
        detail.metrics.find((s) => s.key === 'search/loss')!.points.map((p) => p.value),
      ).toEqual([2, 1]);
      expect(detail.alphas.map((a) => a.epoch)).toEqual([0, 1]);
      expect(detail.alphas[0].snapshots[0].alphaSoftmax).toHaveLength(18);
      expect(detail.genotypes.filter((g) => g.final)).toHaveLength(1);
      expect(detail.progress).toBeNull();
      expect((detail.config as { epochs: number }).epochs).toBe(SEARCH_PRESETS.smoke.epochs);
    });

    it('lists, filters, tags and annotates runs', async () => {
      expect((await service.api.listRuns()).total).toBe(1);
      expect((await service.api.listRuns({ kind: 'teacher' })).total).toBe(0);
      const tagged = await service.api.setRunTags({ runId, tags: ['b', 'a', 'a'] });
      expect(tagged.tags).toEqual(['a', 'b']);
      const noted = await service.api.setRunNote({ runId, note: 'first try' });
      expect(noted.note).toBe('first try');
      expect((await service.api.listRuns({ text: 'first' })).runs.map((r) => r.id)).toEqual([
        runId,
      ]);
    });

    it('exports the genotype as JSON inline and to a file', async () => {
      const inline = await service.api.exportGenotype({ runId, format: 'json' });
      expect(inline.files[0].encoding).toBe('utf8');
      expect(validateGenotype(JSON.parse(inline.files[0].content!))).toEqual(fixedGenotype());

      const written = await service.api.exportGenotype({ runId, format: 'json', path: data.dir });
      const file = written.files[0].path!;
      expect(file).toBe(join(data.dir, `run-${runId}-genotype.json`));
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(fixedGenotype());
    });

    it('refuses a DARTS text export of a nos-space genotype with BAD_INPUT', async () => {
      const err = await rejection(service.api.exportGenotype({ runId, format: 'darts' }));
      expect(err.code).toBe('BAD_INPUT');
      expect(err.hint).toMatch(/JSON/);
    });

    it('says NOT_FOUND for weights of a search run, with what to do', async () => {
      const err = await rejection(service.api.exportWeights({ runId }));
      expect(err.code).toBe('NOT_FOUND');
      expect(err.hint).toMatch(/evaluate/);
    });

    it('compares runs beside the published tables', async () => {
      const cmp = await service.api.compareRuns({ runIds: [runId] });
      expect(cmp.rows[0].run.id).toBe(runId);
      expect(cmp.rows[0].genotype).toEqual(fixedGenotype());
      expect(cmp.rows[0].searchSeconds).toBeGreaterThanOrEqual(0);
      expect(cmp.reference?.tables.length).toBeGreaterThan(0);
      expect(await service.api.referenceResults()).toEqual(cmp.reference);
    });

    it('refuses to resume a completed run and to evaluate a teacher as a search', async () => {
      expect((await rejection(service.api.resumeRun({ runId }))).code).toBe('CONFLICT');
      const err = await rejection(
        service.api.startSearch({
          dataset: datasetId,
          config: { ...SEARCH_PRESETS.smoke, teacher: { mode: 'run' } },
          teacherRunId: runId,
        }),
      );
      expect(err.code).toBe('BAD_INPUT');
      expect(err.message).toMatch(/search run/);
    });

    it('deletes a finished run and its folder', async () => {
      const dir = join(data.dir, 'runs', String(runId));
      await service.api.deleteRun({ runId });
      expect((await service.api.listRuns()).total).toBe(0);
      expect(existsSync(dir)).toBe(false);
      expect((await rejection(service.api.getRun({ runId }))).code).toBe('NOT_FOUND');
    });
  });

  describe('system', () => {
    it('reports versions, the data folder and the transport', async () => {
      const about = await service.api.about();
      expect(about.versions.node).toBe(process.versions.node);
      expect(about.versions.tfjs).toMatch(/^4\./);
      expect(about.versions.electron).toBeNull();
      expect(about.dataDir).toBe(data.dir);
      expect(about.transport).toBe('http');
      expect(about.nativeDialogs).toBe(false);
      expect(about.backend?.name).toBe('wasm');
    });

    it('probes every backend with a reason for the unusable ones', async () => {
      const doctor = await service.api.doctor();
      expect(doctor.probes.map((p) => p.name)).toEqual([
        'tfjs-node-gpu',
        'tfjs-node',
        'wasm',
        'cpu',
      ]);
      for (const p of doctor.probes) if (!p.usable) expect(p.reason).toBeTruthy();
      expect(doctor.recommended).toBe('wasm');
      expect(doctor.memoryLimitBytes).toBe(4 * 1024 ** 3);
    });

    it('estimates the smoke preset as fitting and the paper preset with warnings', async () => {
      const smoke = await service.api.estimateSearch({
        dataset: datasetId,
        config: SEARCH_PRESETS.smoke,
      });
      expect(smoke.fits).toBe(true);
      expect(smoke.totalSeconds).toBeGreaterThan(0);
      const paper = await service.api.estimateSearch({
        config: { ...SEARCH_PRESETS.paper, backend: 'wasm' },
      });
      expect(paper.totalSeconds).toBeGreaterThan(smoke.totalSeconds * 100);
      expect(paper.warnings.map((w) => w.code)).toEqual(
        expect.arrayContaining(['dataset', 'teacher']),
      );
    });

    it('lists the search presets with their configs', async () => {
      const presets = await service.api.searchPresets();
      expect(presets.map((p) => p.name)).toEqual(['smoke', 'quick', 'paper']);
      expect(presets[1].config).toEqual(SEARCH_PRESETS.quick);
    });
  });
});
