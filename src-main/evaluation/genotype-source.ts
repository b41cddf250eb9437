/**
 * Where the genotype an evaluation trains comes from: the search run it evaluates (handed to the
 * job by the runner), a genotype file (NOS JSON or DARTS text), or a built-in published genotype
 * (resources/genotypes: DARTS V1 and V2, ...).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GenotypeToEvaluate } from '../contract/evaluation';
import { NosError } from '../contract/errors';
import { parseAnyGenotype, validateGenotype, type Genotype } from '../contract/genotype';
import { resourcePath } from './reference';

/** Names of the built-in published genotypes (file names under resources/genotypes). */
export function publishedGenotypeNames(resourcesRoot?: string): string[] {
  const dir = resourcePath('genotypes', resourcesRoot);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** A built-in published genotype by name, e.g. `darts-v2`. */
export function publishedGenotype(name: string, resourcesRoot?: string): Genotype {
  const names = publishedGenotypeNames(resourcesRoot);
  if (!names.includes(name)) {
    throw new NosError(
      'NOT_FOUND',
      `No published genotype named "${name}": expected one of ${names.join(', ')}.`,
      'Pass one of those names, or a genotype file.',
    );
  }
  const file = join(resourcePath('genotypes', resourcesRoot), `${name}.json`);
  return parseAnyGenotype(readFileSync(file, 'utf8'));
}

/** The genotype an evaluation config names, given what the job was handed. */
export function resolveGenotype(source: GenotypeToEvaluate, fromRun: unknown): Genotype {
  switch (source.from) {
    case 'run':
      if (fromRun === undefined || fromRun === null) {
        throw new NosError(
          'BAD_INPUT',
          "The evaluation's genotype comes from its search run ('run'), but none was handed over.",
          'Evaluate a completed search (--run ID), a genotype file or a published genotype.',
        );
      }
      return validateGenotype(fromRun);
    case 'file':
      if (!existsSync(source.path)) {
        throw new NosError(
          'NOT_FOUND',
          `Genotype file ${source.path} does not exist.`,
          'Pass the path of a genotype JSON file or DARTS text file.',
        );
      }
      return parseAnyGenotype(readFileSync(source.path, 'utf8'));
    case 'published':
      return publishedGenotype(source.name);
  }
}
