/**
 * The search wizard's draft: dataset, full config (a preset with the user's edits), teacher run,
 * labels. Kept in a store so leaving the wizard and coming back keeps the edits. The config is
 * checked with the contract's own schema on every change, so the review step shows the same
 * messages the server would give.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import {
  SearchConfig,
  formatConfigIssues,
  searchConfigFromPreset,
  type PresetName,
} from '@contract';

export const useSearchDraft = defineStore('searchDraft', () => {
  const dataset = ref<string>('');
  const preset = ref<PresetName>('quick');
  const config = ref<SearchConfig>(searchConfigFromPreset('quick'));
  const teacherRunId = ref<number | null>(null);
  const name = ref('');
  const tags = ref('');

  function applyPreset(p: PresetName): void {
    preset.value = p;
    config.value = searchConfigFromPreset(p, {
      backend: config.value.backend,
      seed: config.value.seed,
    });
    teacherRunId.value = null;
  }

  const issues = computed<string[]>(() => {
    const r = SearchConfig.safeParse(config.value);
    const out = r.success ? [] : formatConfigIssues(r.error, config.value);
    if (!dataset.value) out.unshift('dataset: choose a dataset in step 1');
    if (config.value.teacher.mode === 'run' && teacherRunId.value === null)
      out.push('teacher: pick a trained teacher run');
    return out;
  });

  return { dataset, preset, config, teacherRunId, name, tags, applyPreset, issues };
});
