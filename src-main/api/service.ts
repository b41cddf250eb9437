/**
 * The composition root of the serving processes (Electron main, `nos serve`): it opens the
 * store of a data directory, starts the job queue, and wires both, the data layer, the engine's
 * backend probe and the published reference results into one NosApi. Transports import this
 * and nothing below it.
 *
 *   const service = await createNosService({ dataDir, transport: 'http', nativeDialogs: false });
 *   const runs = await service.api.listRuns();
 *   const off = service.onRunEvent((e) => ...);
 *   await service.close();   // pauses live jobs, closes the database
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  NosError,
  parseSearchConfig,
  type AboutInfo,
  type NosApi,
  type PublishedResults,
  type RunEventListener,
  type RunEventSource,
} from '../contract';
import { JobQueue, type QueueOptions } from '../jobs';
import { openStore } from '../store';
import { openServiceLog, silentServiceLog, type ServiceLog } from '../util/service-log';
import { DatasetService } from './datasets';
import { estimateSearch } from './estimate';
import { RunEventHub } from './events';
import { ExportService } from './exports';
import { RunService } from './runs';
import { SystemInfo, appPackageVersion } from './system';

export interface ServiceOptions {
  dataDir: string;
  transport: AboutInfo['transport'];
  nativeDialogs: boolean;
  /** Electron and Chromium versions when hosted by Electron. */
  runtime?: { electron: string | null; chrome: string | null };
  appVersion?: string;
  /** Job queue settings (concurrency, worker entry; tests pass tiny job modules). */
  queue?: QueueOptions;
  /** Folder holding `reference/published-results.json`; found automatically by default. */
  resourcesDir?: string;
  /** Which process this is in the service log (`desktop`, `serve`, `cli`); default `service`. */
  logName?: string;
}

/** The data directory's service log, or a silent one when the log file cannot be opened. */
function openLog(dataDir: string, name: string): ServiceLog {
  try {
    return openServiceLog(dataDir, name);
  } catch {
    // A log that cannot be written must not stop the app; the store reports real storage faults.
    return silentServiceLog();
  }
}

export interface NosService extends RunEventSource {
  readonly api: NosApi;
  close(): Promise<void>;
}

/** The published results, or null when this installation does not have the file. */
function loadReference(resourcesDir: string | undefined): Promise<PublishedResults | null> {
  return import('../evaluation/reference').then((ref) => {
    const packaged = (process as { resourcesPath?: string }).resourcesPath;
    const root =
      resourcesDir ??
      (packaged && existsSync(join(packaged, 'resources', 'reference'))
        ? join(packaged, 'resources')
        : undefined);
    try {
      return ref.loadPublishedResults(ref.defaultReferencePath(root));
    } catch (err) {
      if (err instanceof NosError && err.code === 'NOT_FOUND') return null;
      throw err;
    }
  });
}

export async function createNosService(opts: ServiceOptions): Promise<NosService> {
  // Storage and jobs: runs a crashed process left live become `interrupted` before anything new.
  const store = openStore(opts.dataDir);
  const serviceLog = openLog(store.paths.root, opts.logName ?? 'service');
  const { log } = serviceLog;
  log.info({ dataDir: store.paths.root, transport: opts.transport }, 'service opened');
  const queue = new JobQueue(store, opts.queue);
  const recovered = queue.recoverInterrupted();
  if (recovered.length > 0) {
    log.warn({ runIds: recovered }, 'runs left running by a crash marked interrupted');
  }

  // Events fan out from the queue to every transport; status changes also go to the log.
  const hub = new RunEventHub((err) => log.error({ err }, 'a run event listener failed'));
  const stopForwarding = queue.onEvent((event) => {
    if (event.type === 'status') {
      const entry = { runId: event.runId, status: event.status, error: event.error };
      if (event.status === 'failed') log.warn(entry, 'run status');
      else log.info(entry, 'run status');
    }
    hub.emit(event);
  });

  const system = new SystemInfo({
    dataDir: store.paths.root,
    transport: opts.transport,
    nativeDialogs: opts.nativeDialogs,
    appVersion: opts.appVersion ?? appPackageVersion(),
    runtime: opts.runtime ?? { electron: null, chrome: null },
  });
  const datasets = new DatasetService(store);
  const runs = new RunService(store, queue);
  const exports = new ExportService(store);
  let reference: Promise<PublishedResults | null> | null = null;
  const published = () => (reference ??= loadReference(opts.resourcesDir));

  const api: NosApi = {
    about: () => system.about(),
    doctor: () => system.doctor(),

    listDatasets: async () => datasets.list(),
    detectDatasets: async () => datasets.detect(),
    inspectDataset: (p) => datasets.inspect(p),
    importDataset: (p) => datasets.import(p),
    getDataset: (p) => datasets.get(p),
    deleteDataset: async (p) => datasets.delete(p.id),

    listRuns: async (p) => runs.list(p),
    getRun: async (p) => runs.get(p.runId),
    searchPresets: async () => runs.presets(),
    startSearch: async (p) => runs.startSearch(p),
    startTeacher: async (p) => runs.startTeacher(p),
    startEvaluation: async (p) => runs.startEvaluation(p),
    startRandomBaseline: async (p) => runs.startRandomBaseline(p),
    startOpStudy: async (p) => runs.startOpStudy(p),
    estimateSearch: async (p) => {
      const config = parseSearchConfig(p.config);
      const dataset = p.dataset ? store.datasets.get(p.dataset) : null;
      const probes = await system.probe();
      const asked = config.backend;
      const backend = asked === 'auto' ? (probes.find((b) => b.autoPick)?.name ?? 'cpu') : asked;
      return estimateSearch(config, backend, dataset);
    },
    pauseRun: async (p) => runs.pause(p.runId),
    resumeRun: async (p) => runs.resume(p.runId),
    cancelRun: async (p) => runs.cancel(p.runId),
    deleteRun: async (p) => runs.delete(p.runId),
    setRunTags: async (p) => runs.setTags(p.runId, p.tags),
    setRunNote: async (p) => runs.setNote(p.runId, p.note),
    compareRuns: async (p) => runs.compare(p.runIds, await published()),

    referenceResults: () => published(),

    exportGenotype: async (p) => exports.genotype(p.runId, p.format, p.path),
    exportWeights: async (p) => exports.weights(p.runId, p.path),
  };

  let closing: Promise<void> | null = null;
  return {
    api,
    onRunEvent: (listener: RunEventListener) => hub.onRunEvent(listener),
    close: () =>
      (closing ??= (async () => {
        stopForwarding();
        await queue.close();
        store.close();
        log.info('service closed');
        serviceLog.close();
      })()),
  };
}
