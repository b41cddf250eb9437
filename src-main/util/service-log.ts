/**
 * The service log of the long-lived processes (Electron main, `nos serve`, a CLI session): what
 * happened to the service itself, for a bug report: the data directory opened, runs a crash left
 * interrupted, each run's status changes, listener failures, the server's address. JSON lines
 * (pino) in `<data dir>/logs/service.log`, appended across launches.
 *
 * Not here: metrics (the store's metric series) and a run's own messages (the store's run log,
 * shown beside the run). Level from NOS_LOG_LEVEL (default info; `silent` turns it off).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';

/** The logger, and `close` to release its file when the service closes. */
export interface ServiceLog {
  log: Logger;
  close(): void;
}

export const LOG_LEVEL_ENV = 'NOS_LOG_LEVEL';

/** The log file of a data directory. */
export function serviceLogPath(dataDir: string): string {
  return join(dataDir, 'logs', 'service.log');
}

/**
 * Opens the service log of `dataDir` for the process `name` (`desktop`, `serve`, `cli`). Writes
 * are synchronous: the volume is a few lines per run, and a crash must not lose the last ones.
 */
export function openServiceLog(
  dataDir: string,
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): ServiceLog {
  const path = serviceLogPath(dataDir);
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const destination = pino.destination({ dest: path, sync: true, append: true });
  const log = pino(
    { name, level: env[LOG_LEVEL_ENV] || 'info', base: { pid: process.pid } },
    destination,
  );
  // Tests and the desktop app open and close services many times in one process.
  return { log, close: () => destination.end() };
}

/** A log that drops everything (tests, or a caller that keeps its own). */
export function silentServiceLog(): ServiceLog {
  return { log: pino({ level: 'silent' }), close: () => undefined };
}
