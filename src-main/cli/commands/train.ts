/**
 * The commands that start training runs: `teacher train`, `search`, `evaluate`,
 * `random-baseline` and `op-study`. Each builds and validates its config, resolves the dataset
 * (a search without --dataset uses the bundled Fashion-MNIST sample, imported on first use),
 * starts the run through the job queue and follows it to the end.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { NosService } from '../../api/service';
import { bundledSampleSource } from '../../data';
import type { ApiPayload as Payload } from '../../contract/api';
import { NosError } from '../../contract/errors';
import type { GenotypeToEvaluate } from '../../contract/evaluation';
import { resolveGenotype } from '../../evaluation/genotype-source';
import { configFromFlags, type ConfigFlags } from '../configs';
import { follow } from '../follow';
import type { Output } from '../output';

export interface TrainFlags extends ConfigFlags {
  dataset?: string;
  name?: string;
  tag?: string[];
}

/** The id of the dataset named by --dataset, or of the bundled sample (imported if needed). */
export async function datasetFor(
  service: NosService,
  output: Output,
  name: string | undefined,
): Promise<string> {
  const datasets = await service.api.listDatasets();
  if (name !== undefined) {
    const found =
      datasets.find((d) => d.id === name) ??
      datasets.find((d) => d.name.toLowerCase() === name.toLowerCase());
    if (found) return found.id;
    throw new NosError(
      'NOT_FOUND',
      `No dataset named "${name}"; stored datasets: ${datasets.map((d) => d.id).join(', ') || 'none'}.`,
      'Import it with `nos datasets import PATH`, or leave out --dataset to use the bundled sample.',
      { dataset: name },
    );
  }
  const source = bundledSampleSource();
  const imported = datasets.find((d) => resolve(d.source) === resolve(source.path));
  if (imported) return imported.id;
  output.note(`importing the bundled sample (${source.name}) on first use`);
  return (await service.api.importDataset(source)).id;
}

function labels(flags: TrainFlags) {
  return { name: flags.name, tags: flags.tag };
}

export async function teacherTrain(service: NosService, output: Output, flags: TrainFlags) {
  const config = configFromFlags('teacher', flags);
  const dataset = await datasetFor(service, output, flags.dataset);
  return follow(service, output, async () => {
    return (
      await service.api.startTeacher({
        dataset,
        config: config as Payload<'startTeacher'>['config'],
        ...labels(flags),
      })
    ).runId;
  });
}

export async function search(
  service: NosService,
  output: Output,
  flags: TrainFlags & { teacher?: number },
) {
  // --teacher RUN_ID: guide the search with a stored teacher instead of training one inline.
  const config = configFromFlags('search', flags, (overrides) => {
    if (flags.teacher === undefined) return;
    overrides.teacher = { ...(overrides.teacher as object | undefined), mode: 'run' };
  }) as Payload<'startSearch'>['config'];
  const dataset = await datasetFor(service, output, flags.dataset);
  return follow(service, output, async () => {
    const started = await service.api.startSearch({
      dataset,
      config,
      teacherRunId: flags.teacher,
      ...labels(flags),
    });
    return started.runId;
  });
}

export interface EvaluateFlags extends TrainFlags {
  run?: number;
  genotype?: string;
}

/** `--genotype` is a file when one exists at that path, else the name of a published genotype. */
function genotypeSource(flags: EvaluateFlags): GenotypeToEvaluate | { from: 'run' } {
  if (flags.run !== undefined && flags.genotype !== undefined) {
    throw new NosError(
      'BAD_INPUT',
      'Pass either --run SEARCH_ID or --genotype FILE|NAME, not both.',
    );
  }
  if (flags.run !== undefined) return { from: 'run' };
  if (flags.genotype === undefined) {
    throw new NosError(
      'BAD_INPUT',
      'Nothing to evaluate: pass --run SEARCH_ID or --genotype FILE|NAME.',
      'For example `nos evaluate --run 3`, or `nos evaluate --genotype darts-v2`.',
    );
  }
  const path = resolve(flags.genotype);
  const source: GenotypeToEvaluate = existsSync(path)
    ? { from: 'file', path }
    : { from: 'published', name: flags.genotype };
  // Read it now: an unknown name or a malformed file is bad input, refused before a run exists.
  try {
    resolveGenotype(source, null);
  } catch (err) {
    if (err instanceof NosError) {
      if (source.from !== 'file') throw err;
      throw new NosError(err.code, `${path}: ${err.message}`, err.hint, { file: path });
    }
    throw new NosError(
      'BAD_INPUT',
      `Cannot read the genotype in ${path}: ${(err as Error).message}`,
      'Pass a NOS genotype JSON file, a DARTS Genotype(...) text file, or darts-v1 / darts-v2.',
      { file: path },
    );
  }
  return source;
}

export async function evaluate(service: NosService, output: Output, flags: EvaluateFlags) {
  const genotype = genotypeSource(flags);
  const config = { ...(configFromFlags('evaluation', flags) as object), genotype };
  const dataset =
    flags.dataset !== undefined || flags.run === undefined
      ? await datasetFor(service, output, flags.dataset)
      : undefined;
  return follow(service, output, async () => {
    const started = await service.api.startEvaluation({
      searchRunId: flags.run,
      dataset,
      config: config as Payload<'startEvaluation'>['config'],
      ...labels(flags),
    });
    return started.runId;
  });
}

export async function randomBaseline(service: NosService, output: Output, flags: TrainFlags) {
  const config = configFromFlags('random-baseline', flags);
  const dataset = await datasetFor(service, output, flags.dataset);
  return follow(service, output, async () => {
    const started = await service.api.startRandomBaseline({
      dataset,
      config: config as Payload<'startRandomBaseline'>['config'],
      ...labels(flags),
    });
    return started.runId;
  });
}

export async function opStudy(service: NosService, output: Output, flags: TrainFlags) {
  const config = configFromFlags('op-study', flags);
  const dataset = await datasetFor(service, output, flags.dataset);
  return follow(service, output, async () => {
    const started = await service.api.startOpStudy({
      dataset,
      config: config as Payload<'startOpStudy'>['config'],
      ...labels(flags),
    });
    return started.runId;
  });
}
