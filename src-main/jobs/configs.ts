/**
 * One door for run configs: each run kind's schema and presets (src-main/contract), so the CLI,
 * the API and the queue validate the same way and report the same field-naming errors.
 */
import {
  opStudyConfigFromPreset,
  parseEvaluationConfig,
  parseOpStudyConfig,
  parseRandomBaselineConfig,
  parseSearchConfig,
  parseTeacherConfig,
  randomBaselineConfigFromPreset,
  evaluationConfigFromPreset,
  searchConfigFromPreset,
  SEARCH_PRESETS,
  type PresetName,
} from '../contract';
import type { RunKind } from '../contract/runs';

type Parser = (input: unknown) => unknown;

const PARSERS: Readonly<Record<RunKind, Parser>> = {
  teacher: parseTeacherConfig,
  search: parseSearchConfig,
  evaluation: parseEvaluationConfig,
  'random-baseline': parseRandomBaselineConfig,
  'op-study': parseOpStudyConfig,
};

/**
 * The config of a `kind` run, validated with its schema (defaults filled in).
 * @throws NosError BAD_INPUT naming every bad field, what it allows and what it received.
 */
export function parseRunConfig(kind: RunKind, input: unknown): unknown {
  return PARSERS[kind](input ?? {});
}

/** A preset of `kind` with `overrides` laid over it, validated. */
export function runConfigFromPreset(
  kind: RunKind,
  preset: PresetName,
  overrides: object = {},
): unknown {
  switch (kind) {
    case 'search':
      return searchConfigFromPreset(preset, overrides);
    case 'teacher':
      // The teacher presets are the teacher parts of the search presets.
      return parseTeacherConfig({ ...SEARCH_PRESETS[preset]?.teacher, ...overrides });
    case 'evaluation':
      return evaluationConfigFromPreset(preset, overrides);
    case 'random-baseline':
      return randomBaselineConfigFromPreset(preset, overrides);
    case 'op-study':
      return opStudyConfigFromPreset(preset, overrides);
  }
}
