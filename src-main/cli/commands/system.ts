/** `nos export genotype|weights`, `nos serve` and `nos doctor`. */
import type { NosService } from '../../api/service';
import { GENOTYPE_EXPORT_FORMATS, type GenotypeExportFormat } from '../../contract/api';
import { NosError } from '../../contract/errors';
import { bytes, table } from '../format';
import { EXIT_OK, type Output } from '../output';

export async function exportGenotype(
  service: NosService,
  output: Output,
  runId: number,
  path: string,
  format: string | undefined,
) {
  const chosen = (format ?? (path.endsWith('.txt') ? 'darts' : 'json')) as GenotypeExportFormat;
  if (!GENOTYPE_EXPORT_FORMATS.includes(chosen)) {
    throw new NosError(
      'BAD_INPUT',
      `Unknown genotype format ${JSON.stringify(format)}: expected one of ${GENOTYPE_EXPORT_FORMATS.join(', ')}.`,
    );
  }
  const result = await service.api.exportGenotype({ runId, format: chosen, path });
  output.document(result);
  for (const file of result.files) output.line(`wrote ${file.path}`);
  return EXIT_OK;
}

export async function exportWeights(
  service: NosService,
  output: Output,
  runId: number,
  path: string,
) {
  const result = await service.api.exportWeights({ runId, path });
  output.document(result);
  for (const file of result.files) output.line(`wrote ${file.path}`);
  return EXIT_OK;
}

export async function doctor(service: NosService, output: Output) {
  const report = await service.api.doctor();
  output.document(report);
  const rows = report.probes.map((p) => [
    `${p.name}${p.autoPick ? ' (auto)' : ''}`,
    p.usable ? 'yes' : 'no',
    p.version,
    p.usable ? null : `${p.reason}; fix: ${p.fix}`,
  ]);
  output.line(table(['backend', 'usable', 'version', 'why not / how to fix'], rows));
  output.line(
    `\nrecommended: ${report.recommended ?? 'none loads'}; ${report.cpus} CPUs, ${bytes(report.totalMemoryBytes)} memory`,
  );
  if (report.memoryLimitBytes !== null)
    output.line(`memory limit of the backend: ${bytes(report.memoryLimitBytes)}`);
  for (const warning of report.warnings) output.line(`warning: ${warning}`);
  return EXIT_OK;
}

/** Serves the app and API on 127.0.0.1 until Ctrl-C. */
export async function serve(dataDir: string, output: Output, port: number): Promise<number> {
  const { defaultStaticDir, startServer } = await import('../../server');
  // From a source checkout the pages exist only after a build; serving the API alone would
  // leave the browser with an error page, so say what to run instead.
  if (defaultStaticDir() === null) {
    throw new NosError(
      'NOT_FOUND',
      'The app pages are not built here (no out/renderer/index.html).',
      'Run `npm run build` once (a few seconds), then `nos serve` again.',
    );
  }
  const server = await startServer({ dataDir, port });
  output.document({ url: server.url, port: server.port, dataDir });
  output.note(`NOS Studio serves ${dataDir} at ${server.url}`);
  output.note('open that address in a browser (it carries the access token); Ctrl-C stops');
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  output.note('stopping: live runs are paused at a checkpoint');
  await server.close();
  return EXIT_OK;
}
