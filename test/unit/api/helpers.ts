import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunEvent, RunStatus } from '../../../src-main/contract';
import { createNosService, type NosService } from '../../../src-main/api/service';

export const GENOTYPE_JOB = resolve(__dirname, 'fixtures', 'genotype-job.ts');

/** A fresh temporary data directory; `cleanup` removes it. */
export function tempDataDir(prefix = 'nos-api-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A real service on `dataDir` whose jobs all run the tiny genotype job. */
export function testService(
  dataDir: string,
  transport: 'ipc' | 'http' = 'http',
): Promise<NosService> {
  const job = GENOTYPE_JOB;
  return createNosService({
    dataDir,
    transport,
    nativeDialogs: transport === 'ipc',
    queue: {
      jobModules: {
        search: job,
        teacher: job,
        evaluation: job,
        'random-baseline': job,
        'op-study': job,
      },
      stopTimeoutMs: 10_000,
    },
  });
}

/** Resolves when `runId` reports one of `statuses` (events collected meanwhile). */
export function waitForStatus(
  service: NosService,
  runId: number,
  statuses: RunStatus[],
  seen: RunEvent[] = [],
): Promise<RunStatus> {
  return new Promise((done) => {
    const off = service.onRunEvent((event) => {
      seen.push(event);
      if (event.type === 'status' && event.runId === runId && statuses.includes(event.status)) {
        off();
        done(event.status);
      }
    });
  });
}
