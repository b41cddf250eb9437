/** `nos datasets import|list|show|delete`. */
import type { NosService } from '../../api/service';
import { DATASET_FORMATS, type DatasetFormat, type ImportRequest } from '../../contract/datasets';
import { NosError } from '../../contract/errors';
import { bytes, table } from '../format';
import { EXIT_OK, type Output } from '../output';

export interface ImportFlags {
  format?: string;
  name?: string;
  labels?: 'fine' | 'coarse';
  size?: number;
  channels?: string;
  testFraction?: number;
  seed?: number;
  maxCorrupt?: number;
}

/** The import options the flags set (the others keep the schema's defaults). */
function importOptions(flags: ImportFlags): ImportRequest['options'] {
  const options: NonNullable<ImportRequest['options']> = {
    labels: flags.labels,
    size: flags.size,
    channels: flags.channels === undefined ? undefined : flags.channels === '1' ? 1 : 3,
    testFraction: flags.testFraction,
    seed: flags.seed,
    maxCorruptFraction: flags.maxCorrupt,
  };
  for (const key of Object.keys(options) as (keyof typeof options)[]) {
    if (options[key] === undefined) delete options[key];
  }
  return Object.keys(options).length > 0 ? options : undefined;
}

function parseFormat(format: string | undefined): DatasetFormat {
  if (format === undefined) return 'auto';
  if ((DATASET_FORMATS as readonly string[]).includes(format)) return format as DatasetFormat;
  throw new NosError(
    'BAD_INPUT',
    `Unknown dataset format ${JSON.stringify(format)}: expected one of ${DATASET_FORMATS.join(', ')}.`,
    'Leave out --format to detect it from the files.',
  );
}

export async function importData(
  service: NosService,
  output: Output,
  path: string,
  flags: ImportFlags,
) {
  output.note(`importing ${path}`);
  if (flags.labels !== undefined && flags.format !== undefined && flags.format !== 'cifar100') {
    throw new NosError(
      'BAD_INPUT',
      `--labels applies to CIFAR-100 only; --format is ${flags.format}.`,
      'Leave out --labels.',
    );
  }
  const dataset = await service.api.importDataset({
    format: parseFormat(flags.format),
    path,
    name: flags.name,
    options: importOptions(flags),
  });
  output.document(dataset);
  output.line(
    `imported "${dataset.name}" as ${dataset.id}: ${dataset.trainCount} training and ${dataset.testCount} test images, ` +
      `${dataset.classCount} classes, ${dataset.imageShape.join('x')}`,
  );
  const skipped = dataset.skippedFiles;
  if (skipped.length > 0) {
    // Under the refusal threshold (--max-corrupt): imported without them, and said so.
    output.note(
      `skipped ${skipped.length} unreadable image${skipped.length === 1 ? '' : 's'} (listed in the dataset's meta.json):`,
    );
    for (const f of skipped.slice(0, 10)) output.note(`  ${f.file}: ${f.reason}`);
    if (skipped.length > 10) output.note(`  ... and ${skipped.length - 10} more`);
  }
  return EXIT_OK;
}

export async function list(service: NosService, output: Output) {
  const datasets = await service.api.listDatasets();
  output.document(datasets);
  if (datasets.length === 0) {
    output.line(
      'no datasets yet: `nos datasets import PATH`, or run `nos search` to use the bundled sample',
    );
  } else {
    const rows = datasets.map((d) => [
      d.id,
      d.format,
      d.trainCount,
      d.testCount,
      d.classCount,
      d.imageShape.join('x'),
      bytes(d.bytes),
      d.name,
    ]);
    output.line(table(['id', 'format', 'train', 'test', 'classes', 'shape', 'size', 'name'], rows));
  }
  // Real data already on this machine (Debian's Fashion-MNIST, the bundled sample): offered.
  if (!output.json) {
    const offered = (await service.api.detectDatasets()).filter((d) => d.importedAs === null);
    for (const d of offered) {
      output.line(
        `\nfound on this machine: ${d.label}, ${d.trainCount} training and ${d.testCount} test images`,
      );
      output.line(`  import it with \`nos datasets import ${d.request.path}\``);
    }
  }
  return EXIT_OK;
}

export async function show(service: NosService, output: Output, id: string) {
  const detail = await service.api.getDataset({ id, samplesPerClass: 0 });
  const { preview, ...summary } = detail;
  output.document({ ...summary, classes: preview.classes.map(({ samples: _s, ...c }) => c) });
  output.line(`${detail.id}: ${detail.name} (${detail.format}, ${bytes(detail.bytes)})`);
  output.line(`  source ${detail.source}`);
  output.line(
    `  images ${detail.imageShape.join('x')}, mean ${detail.mean.map((m) => m.toFixed(3)).join('/')}, std ${detail.std.map((s) => s.toFixed(3)).join('/')}`,
  );
  output.line(
    `\n${table(
      ['class', 'name', 'train', 'test'],
      preview.classes.map((c) => [c.index, c.name, c.trainCount, c.testCount]),
    )}`,
  );
  return EXIT_OK;
}

export async function remove(service: NosService, output: Output, id: string) {
  await service.api.deleteDataset({ id });
  output.document({ id, deleted: true });
  output.line(`dataset ${id} deleted`);
  return EXIT_OK;
}
