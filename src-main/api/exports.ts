/**
 * Exports of a run: its genotype (NOS JSON, or the DARTS text form for darts-space genotypes)
 * and its trained weights (TensorFlow.js model.json + weight files). With a path (the desktop's
 * save dialog, or a path typed in the CLI) files are written there atomically; without one the
 * content comes back inline for the browser to download.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  NosError,
  formatDartsGenotype,
  formatGenotype,
  validateGenotype,
  type ExportFile,
  type ExportResult,
  type GenotypeExportFormat,
} from '../contract';
import type { Store } from '../store';
import { writeFileAtomic } from '../util/atomic-file';

/** Artifact kinds that hold a trained network, newest preferred. */
const WEIGHT_KINDS = ['weights', 'model', 'tfjs-model'];

function writeTo(path: string, data: Buffer | string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, data);
  } catch (err) {
    throw new NosError(
      'STORAGE',
      `Cannot write ${path}: ${(err as Error).message}`,
      'Choose a folder you can write to.',
    );
  }
}

function inline(filename: string, mimeType: string, data: Buffer | string): ExportFile {
  const text = typeof data === 'string';
  return {
    filename,
    mimeType,
    path: null,
    content: text ? data : data.toString('base64'),
    encoding: text ? 'utf8' : 'base64',
  };
}

export class ExportService {
  constructor(private readonly store: Store) {}

  genotype(runId: number, format: GenotypeExportFormat, path?: string): ExportResult {
    const run = this.store.runs.get(runId);
    const stored = this.store.records.finalGenotype(runId) ?? this.latestGenotype(runId);
    if (stored === null) {
      throw new NosError(
        'NOT_FOUND',
        `Run ${runId} (${run.kind}, ${run.status}) has no genotype to export.`,
        run.kind === 'search'
          ? 'A search records its genotype at the end of every epoch: wait for the first epoch.'
          : 'Export the genotype of the search run this run came from.',
      );
    }
    const genotype = validateGenotype(stored);
    const text =
      format === 'json' ? formatGenotype(genotype) : formatDartsGenotype(genotype) + '\n';
    const filename = format === 'json' ? `run-${runId}-genotype.json` : `run-${runId}-genotype.txt`;
    const mimeType = format === 'json' ? 'application/json' : 'text/plain';
    if (path === undefined) return { files: [inline(filename, mimeType, text)] };
    const target = existsSync(path) && statSync(path).isDirectory() ? join(path, filename) : path;
    writeTo(target, text);
    return {
      files: [
        { filename: basename(target), mimeType, path: target, content: null, encoding: null },
      ],
    };
  }

  /** `path` is a folder: model.json and its weight files are written into it. */
  weights(runId: number, path?: string): ExportResult {
    const model = this.modelJson(runId);
    const manifest = JSON.parse(readFileSync(model, 'utf8')) as {
      weightsManifest?: { paths?: string[] }[];
    };
    const names = ['model.json', ...(manifest.weightsManifest ?? []).flatMap((g) => g.paths ?? [])];
    const files = names.map((name) => {
      const source = name === 'model.json' ? model : join(dirname(model), name);
      if (!existsSync(source)) {
        throw new NosError(
          'NOT_FOUND',
          `Weight file ${source} named by ${model} is missing.`,
          'The run folder is incomplete: re-run the evaluation with export on.',
        );
      }
      return { name, data: readFileSync(source) };
    });
    if (path === undefined) {
      return {
        files: files.map((f) =>
          f.name === 'model.json'
            ? inline(`run-${runId}-model.json`, 'application/json', f.data.toString('utf8'))
            : inline(f.name, 'application/octet-stream', f.data),
        ),
      };
    }
    return {
      files: files.map((f) => {
        const target = join(path, f.name);
        writeTo(target, f.data);
        const mimeType = f.name.endsWith('.json') ? 'application/json' : 'application/octet-stream';
        return { filename: f.name, mimeType, path: target, content: null, encoding: null };
      }),
    };
  }

  private latestGenotype(runId: number): unknown {
    const all = this.store.records.genotypes(runId);
    return all.length > 0 ? all[all.length - 1].genotype : null;
  }

  /** The model.json of the newest weights artifact of a run. */
  private modelJson(runId: number): string {
    const run = this.store.runs.get(runId);
    const artifacts = this.store.records
      .artifacts(runId)
      .filter((a) => WEIGHT_KINDS.includes(a.kind));
    for (const artifact of artifacts.reverse()) {
      const candidate =
        existsSync(artifact.path) && statSync(artifact.path).isDirectory()
          ? join(artifact.path, 'model.json')
          : artifact.path;
      if (existsSync(candidate) && candidate.endsWith('.json')) return candidate;
    }
    throw new NosError(
      'NOT_FOUND',
      `Run ${runId} (${run.kind}) has no exported weights.`,
      run.kind === 'search'
        ? 'A search keeps checkpoints, not a trained network: evaluate its genotype and export that run.'
        : 'Runs write weights when they complete with export on.',
    );
  }
}
