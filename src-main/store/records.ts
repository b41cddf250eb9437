/**
 * What a run records while it trains: metric series, alpha snapshots, genotypes, artifacts
 * (checkpoints, exports) and log lines. The job queue writes each report from a worker in one
 * short transaction; the API reads them back as the contract's shapes.
 *
 * Metric units: `*_error` keys are percentages; `*top1` / `*top5` keys are fractions in [0, 1]
 * (values above 1 are read as percentages). The run row keeps its best held-out error so lists
 * never scan series.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type {
  EpochAlphas,
  EpochGenotype,
  MetricSeries,
  RunArtifact,
  RunLogLine,
} from '../contract';
import { METRIC } from '../contract/metrics';
import type { AlphaSnapshot } from '../training/run-context';
import { guard, type Db } from './db';
import { runDirOf } from './paths';

/**
 * Held-out keys that set a run's best error, by kind: a search is judged on its search split
 * (a teacher phase inside it reports eval/* of another network), everything else on its test set.
 */
const SEARCH_ERROR_KEYS = new Set<string>([METRIC.searchTop1]);
const EVAL_ERROR_KEYS = new Set<string>([METRIC.evalTop1Error, METRIC.evalTop1]);

/** True for metrics where a larger value is better (accuracy, speed). */
export function higherIsBetter(key: string): boolean {
  return /top1$|top5$|accuracy|images_per_s/.test(key);
}

/** The top-1 error in percent that a held-out metric value stands for (see METRIC's units). */
function errorPercent(key: string, value: number): number {
  return key.endsWith('_error') ? value : (1 - value) * 100;
}

export interface CheckpointRef {
  path: string;
  epoch: number;
  step: number;
}

export interface ArtifactInput {
  kind: string;
  path: string;
  epoch?: number | null;
  step?: number | null;
}

interface ArtifactRow {
  kind: string;
  path: string;
  bytes: number | null;
  epoch: number | null;
  step: number | null;
  created_at: string;
}

/** Size in bytes and SHA-256 of a file; for a folder, the total size and no checksum. */
function fingerprint(path: string): { bytes: number | null; sha256: string | null } {
  if (!existsSync(path)) return { bytes: null, sha256: null };
  const stat = statSync(path);
  if (stat.isDirectory()) {
    let bytes = 0;
    for (const entry of readdirSync(path, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) bytes += statSync(join(entry.parentPath, entry.name)).size;
    }
    return { bytes, sha256: null };
  }
  return {
    bytes: stat.size,
    sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
  };
}

export class RunRecords {
  private readonly putMetric;
  private readonly putBest;
  private readonly bestError;
  private readonly params;
  private readonly kindOf;
  private readonly seriesAll;
  private readonly putAlphas;
  private readonly alphasOf;
  private readonly putGenotype;
  private readonly genotypesOf;
  private readonly finalOf;
  private readonly dropArtifact;
  private readonly putArtifact;
  private readonly artifactsOf;
  private readonly checkpointsOf;
  private readonly putLog;
  private readonly logsOf;

  constructor(
    private readonly db: Db,
    private readonly root: string,
    private readonly file: string,
  ) {
    this.putMetric = db.prepare(
      'INSERT OR REPLACE INTO metrics (run_id, key, epoch, step, value) VALUES (?, ?, ?, ?, ?)',
    );
    this.putBest = db.prepare(
      `INSERT INTO run_best (run_id, key, best, last) VALUES (@runId, @key, @value, @value)
       ON CONFLICT (run_id, key) DO UPDATE SET last = excluded.last,
         best = CASE WHEN @higher THEN max(best, excluded.best) ELSE min(best, excluded.best) END`,
    );
    this.bestError = db.prepare(
      'UPDATE runs SET best_error = min(coalesce(best_error, @error), @error) WHERE id = @runId',
    );
    this.params = db.prepare('UPDATE runs SET params = ? WHERE id = ?');
    this.kindOf = db.prepare<[number], { kind: string }>('SELECT kind FROM runs WHERE id = ?');
    this.seriesAll = db.prepare<
      [number],
      { key: string; epoch: number; step: number; value: number }
    >('SELECT key, epoch, step, value FROM metrics WHERE run_id = ? ORDER BY key, epoch, step');
    this.putAlphas = db.prepare(
      'INSERT OR REPLACE INTO alpha_snapshots (run_id, epoch, snapshots) VALUES (?, ?, ?)',
    );
    this.alphasOf = db.prepare<[number], { epoch: number; snapshots: string }>(
      'SELECT epoch, snapshots FROM alpha_snapshots WHERE run_id = ? ORDER BY epoch',
    );
    this.putGenotype = db.prepare(
      'INSERT OR REPLACE INTO genotypes (run_id, epoch, final, genotype) VALUES (?, ?, ?, ?)',
    );
    this.genotypesOf = db.prepare<[number], { epoch: number; final: number; genotype: string }>(
      'SELECT epoch, final, genotype FROM genotypes WHERE run_id = ? ORDER BY epoch, final',
    );
    this.finalOf = db.prepare<[number], { genotype: string }>(
      'SELECT genotype FROM genotypes WHERE run_id = ? AND final = 1 ORDER BY epoch DESC LIMIT 1',
    );
    this.dropArtifact = db.prepare('DELETE FROM artifacts WHERE run_id = ? AND path = ?');
    this.putArtifact = db.prepare(
      `INSERT INTO artifacts (run_id, kind, path, bytes, sha256, epoch, step, created_at)
       VALUES (@runId, @kind, @path, @bytes, @sha256, @epoch, @step, @createdAt)`,
    );
    this.artifactsOf = db.prepare<[number], ArtifactRow>(
      'SELECT kind, path, bytes, epoch, step, created_at FROM artifacts WHERE run_id = ? ORDER BY id',
    );
    this.checkpointsOf = db.prepare<[number], ArtifactRow>(
      `SELECT kind, path, bytes, epoch, step, created_at FROM artifacts
       WHERE run_id = ? AND kind = 'checkpoint' ORDER BY id DESC`,
    );
    this.putLog = db.prepare(
      'INSERT INTO run_logs (run_id, at, level, message) VALUES (?, ?, ?, ?)',
    );
    this.logsOf = db.prepare<[number, number], RunLogLine>(
      `SELECT at, level, message FROM (SELECT id, at, level, message FROM run_logs
       WHERE run_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id`,
    );
  }

  /**
   * Records metric values of a run at `epoch` (and `step`, or null for per-epoch values) in one
   * transaction. Non-finite values (a diverged loss) are skipped: the run's error says why.
   */
  metrics(runId: number, epoch: number, step: number | null, values: Record<string, number>): void {
    guard(this.file, `record metrics of run ${runId}`, () => {
      this.db
        .transaction(() => {
          const kind = this.kindOf.get(runId)?.kind;
          const errorKeys = kind === 'search' ? SEARCH_ERROR_KEYS : EVAL_ERROR_KEYS;
          for (const [key, value] of Object.entries(values)) {
            if (!Number.isFinite(value)) continue;
            this.putMetric.run(runId, key, epoch, step ?? -1, value);
            this.putBest.run({ runId, key, value, higher: higherIsBetter(key) ? 1 : 0 });
            if (errorKeys.has(key)) this.bestError.run({ runId, error: errorPercent(key, value) });
            if (key === METRIC.params) this.params.run(value, runId);
          }
        })
        .immediate();
    });
  }

  alphas(runId: number, epoch: number, snapshots: AlphaSnapshot[]): void {
    guard(this.file, `record alphas of run ${runId}`, () => {
      this.putAlphas.run(runId, epoch, JSON.stringify(snapshots));
    });
  }

  genotype(runId: number, epoch: number, genotype: unknown, final: boolean): void {
    guard(this.file, `record the genotype of run ${runId}`, () => {
      this.putGenotype.run(runId, epoch, final ? 1 : 0, JSON.stringify(genotype));
    });
  }

  /**
   * Records a file the run produced, with its size and SHA-256. Paths inside the run folder are
   * stored relative to it, so a moved data directory keeps working. The same path recorded again
   * (a checkpoint file rewritten) replaces the earlier row.
   */
  artifact(runId: number, input: ArtifactInput): void {
    const absolute = resolve(input.path);
    const print = guard(absolute, 'read an artifact', () => fingerprint(absolute));
    const inRun = relative(runDirOf(this.root, runId), absolute);
    const path = inRun.startsWith('..') || isAbsolute(inRun) ? absolute : inRun;
    guard(this.file, `record an artifact of run ${runId}`, () => {
      this.db
        .transaction(() => {
          this.dropArtifact.run(runId, path);
          this.putArtifact.run({
            runId,
            kind: input.kind,
            path,
            ...print,
            epoch: input.epoch ?? null,
            step: input.step ?? null,
            createdAt: new Date().toISOString(),
          });
        })
        .immediate();
    });
  }

  log(runId: number, level: RunLogLine['level'], message: string): void {
    guard(this.file, `record a log line of run ${runId}`, () => {
      this.putLog.run(runId, new Date().toISOString(), level, message);
    });
  }

  /** Every metric series of a run (per-epoch points have step null), optionally some keys. */
  series(runId: number, keys?: readonly string[]): MetricSeries[] {
    const rows = guard(this.file, `read metrics of run ${runId}`, () => this.seriesAll.all(runId));
    const byKey = new Map<string, MetricSeries>();
    for (const row of rows) {
      if (keys && !keys.includes(row.key)) continue;
      let series = byKey.get(row.key);
      if (!series) byKey.set(row.key, (series = { key: row.key, points: [] }));
      series.points.push({
        epoch: row.epoch,
        step: row.step < 0 ? null : row.step,
        value: row.value,
      });
    }
    return [...byKey.values()];
  }

  alphaSnapshots(runId: number): EpochAlphas[] {
    return guard(this.file, `read alphas of run ${runId}`, () => this.alphasOf.all(runId)).map(
      (row) => ({
        epoch: row.epoch,
        snapshots: JSON.parse(row.snapshots) as EpochAlphas['snapshots'],
      }),
    );
  }

  genotypes(runId: number): EpochGenotype[] {
    return guard(this.file, `read genotypes of run ${runId}`, () =>
      this.genotypesOf.all(runId),
    ).map((row) => ({
      epoch: row.epoch,
      genotype: JSON.parse(row.genotype),
      final: row.final === 1,
    }));
  }

  /** The run's final genotype, or null when it has none (yet). */
  finalGenotype(runId: number): unknown {
    const row = guard(this.file, `read the genotype of run ${runId}`, () =>
      this.finalOf.get(runId),
    );
    return row ? JSON.parse(row.genotype) : null;
  }

  artifacts(runId: number): RunArtifact[] {
    const rows = guard(this.file, `read artifacts of run ${runId}`, () =>
      this.artifactsOf.all(runId),
    );
    return rows.map((row) => {
      const path = this.absolute(runId, row.path);
      return {
        kind: row.kind,
        name: path.split(/[\\/]/).pop() ?? path,
        path,
        bytes: row.bytes,
        createdAt: row.created_at,
      };
    });
  }

  /** The newest checkpoint of a run whose file still exists, or null. */
  lastCheckpoint(runId: number): CheckpointRef | null {
    const rows = guard(this.file, `read checkpoints of run ${runId}`, () => {
      return this.checkpointsOf.all(runId);
    });
    for (const row of rows) {
      const path = this.absolute(runId, row.path);
      if (existsSync(path)) return { path, epoch: row.epoch ?? 0, step: row.step ?? 0 };
    }
    return null;
  }

  logs(runId: number, limit = 300): RunLogLine[] {
    return guard(this.file, `read logs of run ${runId}`, () => this.logsOf.all(runId, limit));
  }

  private absolute(runId: number, path: string): string {
    return isAbsolute(path) ? path : join(runDirOf(this.root, runId), path);
  }
}
