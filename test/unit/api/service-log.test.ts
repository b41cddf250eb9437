import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { SEARCH_PRESETS } from '../../../src-main/contract';
import { openStore } from '../../../src-main/store';
import { serviceLogPath } from '../../../src-main/util/service-log';
import { tempDataDir, testService, waitForStatus } from './helpers';

interface LogLine {
  level: number;
  name: string;
  msg: string;
  runId?: number;
  runIds?: number[];
  status?: string;
}

function logLines(dataDir: string): LogLine[] {
  return readFileSync(serviceLogPath(dataDir), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as LogLine);
}

describe('the service log', () => {
  let data = tempDataDir('nos-log-');
  afterEach(() => {
    data.cleanup();
    data = tempDataDir('nos-log-');
  });

  it('records the service opening, each status change of a run, and closing', async () => {
    const service = await testService(data.dir);
    const bundled = (await service.api.detectDatasets()).find((d) => d.label.includes('bundled'))!;
    const sample = await service.api.importDataset(bundled.request);
    const { runId } = await service.api.startSearch({
      dataset: sample.id,
      config: SEARCH_PRESETS.smoke,
    });
    await waitForStatus(service, runId, ['completed', 'failed']);
    await service.close();

    const lines = logLines(data.dir);
    expect(lines[0]).toMatchObject({ msg: 'service opened', name: 'service' });
    const statuses = lines.filter((l) => l.runId === runId).map((l) => l.status);
    expect(statuses).toEqual(expect.arrayContaining(['queued', 'running', 'completed']));
    expect(lines.at(-1)?.msg).toBe('service closed');
  });

  it('warns about runs a crash left running, by id', async () => {
    const store = openStore(data.dir);
    const orphan = store.runs.create({ kind: 'search', config: {} });
    store.runs.markStarted(orphan, 999_999_999, 1);
    store.close();

    const service = await testService(data.dir);
    await service.close();
    const warning = logLines(data.dir).find((l) => l.msg.includes('marked interrupted'));
    expect(warning).toMatchObject({ level: 40, runIds: [orphan] });
  });
});
