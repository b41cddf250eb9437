/** `nos runs list|show|resume|cancel|delete|compare`: the run history from the terminal. */
import type { NosService } from '../../api/service';
import type { ApiPayload, RunSummary } from '../../contract/api';
import { follow, runDocument } from '../follow';
import { duration, fixed, table } from '../format';
import { EXIT_OK, type Output } from '../output';

export type ListFlags = NonNullable<ApiPayload<'listRuns'>>;

function runRow(r: RunSummary): (string | number | null)[] {
  return [
    r.id,
    r.kind,
    r.status,
    r.dataset,
    fixed(r.bestError),
    duration(r.durationSeconds),
    r.createdAt.slice(0, 16).replace('T', ' '),
    r.name,
  ];
}

export async function list(service: NosService, output: Output, flags: ListFlags): Promise<number> {
  const page = await service.api.listRuns(flags);
  output.document(page);
  if (page.runs.length === 0) {
    output.line(
      page.total === 0 ? 'no runs yet: start one with `nos search`' : 'no runs on this page',
    );
    return EXIT_OK;
  }
  output.line(
    table(
      ['id', 'kind', 'status', 'dataset', 'best err %', 'time', 'created', 'name'],
      page.runs.map(runRow),
    ),
  );
  if (page.total > page.runs.length) {
    output.line(`${page.runs.length} of ${page.total} runs (use --offset / --limit for more)`);
  }
  return EXIT_OK;
}

export async function show(service: NosService, output: Output, runId: number): Promise<number> {
  const detail = await service.api.getRun({ runId });
  output.document({ ...runDocument(detail), config: detail.config, metrics: detail.metrics });
  output.line(`run ${detail.id}: ${detail.name}`);
  output.line(`  kind ${detail.kind}, status ${detail.status}, dataset ${detail.dataset ?? '-'}`);
  if (detail.parentRunId !== null) output.line(`  from run ${detail.parentRunId}`);
  output.line(
    `  backend ${detail.backend ?? '-'}, time ${duration(detail.durationSeconds)}, best top-1 error ${fixed(detail.bestError) ?? '-'}%`,
  );
  if (detail.tags.length) output.line(`  tags ${detail.tags.join(', ')}`);
  if (detail.note) output.line(`  note ${detail.note}`);
  if (detail.error)
    output.line(
      `  error ${detail.error.message}${detail.error.hint ? `\n  hint ${detail.error.hint}` : ''}`,
    );
  const lasts = detail.metrics.map((s) => {
    const last = s.points[s.points.length - 1];
    return [s.key, last.epoch + 1, fixed(last.value, 4), s.points.length];
  });
  if (lasts.length) output.line(`\n${table(['metric', 'epoch', 'last', 'points'], lasts)}`);
  const genotype = runDocument(detail).genotype;
  if (genotype !== null) output.line(`\ngenotype: ${JSON.stringify(genotype)}`);
  const files = detail.artifacts.filter((a) => a.kind !== 'checkpoint');
  if (files.length)
    output.line(
      `\n${table(
        ['artifact', 'path'],
        files.map((a) => [a.kind, a.path]),
      )}`,
    );
  output.line(`\nconfig: ${JSON.stringify(detail.config)}`);
  return EXIT_OK;
}

export async function resume(service: NosService, output: Output, runId: number): Promise<number> {
  return follow(service, output, async () => {
    await service.api.resumeRun({ runId });
    return runId;
  });
}

export async function cancel(service: NosService, output: Output, runId: number): Promise<number> {
  const summary = await service.api.cancelRun({ runId });
  output.document({ runId, status: summary.status, requested: summary.status === 'running' });
  output.line(
    summary.status === 'running'
      ? `asked the process running run ${runId} to cancel it; it stops within seconds`
      : `run ${runId} ${summary.status}`,
  );
  return EXIT_OK;
}

export async function remove(service: NosService, output: Output, runId: number): Promise<number> {
  await service.api.deleteRun({ runId });
  output.document({ runId, deleted: true });
  output.line(`run ${runId} deleted`);
  return EXIT_OK;
}

export async function compare(
  service: NosService,
  output: Output,
  runIds: number[],
): Promise<number> {
  const comparison = await service.api.compareRuns({ runIds });
  output.document(comparison);
  const rows = comparison.rows.map((r) => [
    r.run.id,
    r.run.kind,
    r.run.status,
    fixed(r.top1Error),
    fixed(r.top5Error),
    r.params === null ? null : fixed(r.params / 1e6, 3),
    duration(r.searchSeconds),
  ]);
  output.line(
    table(['id', 'kind', 'status', 'top-1 err %', 'top-5 err %', 'params M', 'search time'], rows),
  );
  return EXIT_OK;
}
