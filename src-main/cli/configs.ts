/**
 * A run's config from the command line: a preset (`--preset`), laid over by a JSON config file
 * (`--config FILE`), laid over by single flags (`--space`, `--seed`, `--backend`), then validated
 * by the run kind's schema, whose errors name each bad field and its allowed values.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PRESET_NAMES, type PresetName } from '../contract/config';
import { NosError } from '../contract/errors';
import { unknownFields } from '../contract/unknown-fields';
import type { RunKind } from '../contract/runs';
import { runConfigFromPreset } from '../jobs/configs';

export interface ConfigFlags {
  preset?: string;
  config?: string;
  seed?: number;
  space?: string;
  backend?: string;
}

/** Config fields a single flag may set, per kind (others are refused, not ignored). */
const FLAG_FIELDS: Readonly<Record<RunKind, readonly ('seed' | 'space' | 'backend')[]>> = {
  search: ['seed', 'space', 'backend'],
  teacher: ['seed'],
  evaluation: ['seed', 'backend'],
  'random-baseline': ['seed', 'space', 'backend'],
  'op-study': ['seed', 'backend'],
};

export function readConfigFile(path: string): Record<string, unknown> {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const missing = (err as { code?: string }).code === 'ENOENT';
    throw new NosError(
      missing ? 'NOT_FOUND' : 'BAD_INPUT',
      missing
        ? `Config file ${file} does not exist.`
        : `Cannot read config file ${file}: ${(err as Error).message}`,
      'Pass --config with the path of a JSON file (its fields are documented in src-main/contract/config.ts).',
      { file },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new NosError(
      'BAD_INPUT',
      `Config file ${file} is not valid JSON: ${(err as Error).message}.`,
      'Fix the JSON syntax (a trailing comma or a missing quote is the usual cause).',
      { file },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new NosError(
      'BAD_INPUT',
      `Config file ${file} must hold a JSON object of settings; received ${Array.isArray(parsed) ? 'an array' : typeof parsed}.`,
      'Write the settings as { "field": value, ... }.',
      { file },
    );
  }
  return parsed as Record<string, unknown>;
}

export function parsePreset(name: string | undefined, fallback: PresetName): PresetName {
  if (name === undefined) return fallback;
  if ((PRESET_NAMES as readonly string[]).includes(name)) return name as PresetName;
  throw new NosError(
    'BAD_INPUT',
    `Unknown preset ${JSON.stringify(name)}: expected one of ${PRESET_NAMES.join(', ')}.`,
    'Pass --preset smoke (seconds), quick (minutes) or paper (a GPU).',
  );
}

/** The validated config of a `kind` run from its flags; `adjust` edits the overrides first. */
export function configFromFlags(
  kind: RunKind,
  flags: ConfigFlags,
  adjust: (overrides: Record<string, unknown>) => void = () => undefined,
  fallback: PresetName = 'quick',
): unknown {
  const preset = parsePreset(flags.preset, fallback);
  const overrides: Record<string, unknown> = flags.config ? readConfigFile(flags.config) : {};
  for (const field of ['seed', 'space', 'backend'] as const) {
    const value = flags[field];
    if (value === undefined) continue;
    if (!FLAG_FIELDS[kind].includes(field)) {
      throw new NosError(
        'BAD_INPUT',
        `--${field} does not apply to ${kind} runs.`,
        `Options of ${kind}: ${FLAG_FIELDS[kind].map((f) => `--${f}`).join(', ')} (see --help).`,
      );
    }
    overrides[field] = value;
  }
  adjust(overrides);
  const config = runConfigFromPreset(kind, preset, overrides);
  if (flags.config) refuseUnknownFields(kind, resolve(flags.config), overrides, config);
  return config;
}

/**
 * The run schemas drop fields they do not know, so a misspelt setting ("epoch" for "epochs")
 * would silently keep its default; from a config file that is refused, naming the known fields.
 */
function refuseUnknownFields(
  kind: RunKind,
  file: string,
  given: Record<string, unknown>,
  parsed: unknown,
): void {
  const unknown = unknownFields(given, parsed);
  if (unknown.length === 0) return;
  const lines = unknown.map(
    (f) => `  ${f.path}: not a ${kind} setting; known here: ${f.known.join(', ')}`,
  );
  throw new NosError(
    'BAD_INPUT',
    `Config file ${file} has unknown fields:\n${lines.join('\n')}`,
    'Check the spelling; each field is documented in src-main/contract/config.ts and evaluation.ts.',
    { file, fields: unknown.map((f) => f.path) },
  );
}
