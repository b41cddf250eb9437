/**
 * Where NOS Studio keeps its data: one folder per user, shared by the CLI, `nos serve` and the
 * desktop app, in the platform's usual application-data place.
 *
 *   <root>/nos.db            SQLite run history (src-main/store)
 *   <root>/datasets/<id>/    canonical dataset folders (src-main/data)
 *   <root>/runs/<id>/        checkpoints and artifacts of one run
 *
 * Precedence: an explicit folder (`--data-dir`) over `NOS_STUDIO_HOME` over the platform default.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const DATA_DIR_ENV = 'NOS_STUDIO_HOME';

export interface DataPaths {
  root: string;
  db: string;
  datasets: string;
  runs: string;
}

/** The platform's per-user application-data folder for NOS Studio. */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  if (platform === 'win32') {
    return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'NOS Studio');
  }
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'NOS Studio');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'nos-studio');
}

/** The data folder to use: `explicit` (a `--data-dir` flag), else NOS_STUDIO_HOME, else default. */
export function resolveDataDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return resolve(explicit);
  const fromEnv = env[DATA_DIR_ENV];
  if (fromEnv) return resolve(fromEnv);
  return defaultDataDir(env);
}

export function dataPaths(root: string): DataPaths {
  return {
    root,
    db: join(root, 'nos.db'),
    datasets: join(root, 'datasets'),
    runs: join(root, 'runs'),
  };
}

export function runDirOf(root: string, runId: number): string {
  return join(root, 'runs', String(runId));
}

export function datasetDirOf(root: string, datasetId: string): string {
  return join(root, 'datasets', datasetId);
}
