/**
 * One CLI invocation's connection to the data directory: the same NosApi service `nos serve` and
 * the desktop app use (store, job queue, datasets), opened on `--data-dir`, NOS_STUDIO_HOME or
 * the platform default, and closed when the command ends.
 */
import { createNosService, type NosService } from '../api/service';
import { NosError } from '../contract/errors';
import type { RunKind } from '../contract/runs';
import { resolveDataDir } from '../store/paths';

/**
 * Job modules to use instead of the built-in ones, as JSON `{ "search": "/path/job.ts", ... }`.
 * For tests and plug-in trainers; ordinary use never sets it.
 */
export const JOB_MODULES_ENV = 'NOS_STUDIO_JOB_MODULES';

function jobModulesFromEnv(): Partial<Record<RunKind, string>> | undefined {
  const text = process.env[JOB_MODULES_ENV];
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Partial<Record<RunKind, string>>;
  } catch {
    throw new NosError(
      'BAD_INPUT',
      `${JOB_MODULES_ENV} is not valid JSON: ${text}`,
      `Unset it, or give a JSON object such as {"search": "/path/to/job.ts"}.`,
    );
  }
}

export async function openSession(dataDir: string | undefined): Promise<NosService> {
  return createNosService({
    dataDir: resolveDataDir(dataDir),
    transport: 'http',
    nativeDialogs: false,
    logName: 'cli',
    queue: { jobModules: jobModulesFromEnv() },
  });
}

/** Opens a session, runs `fn`, and always closes the session (pausing any live job). */
export async function withSession<T>(
  dataDir: string | undefined,
  fn: (service: NosService) => Promise<T>,
): Promise<T> {
  const service = await openSession(dataDir);
  try {
    return await fn(service);
  } finally {
    await service.close();
  }
}
