/** The imported datasets (for the dataset list and the search wizard's first step). */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { toErrorData, type NosErrorData } from '@contract';
import { api } from '../api/client';
import type { DatasetSummary } from '../api/types';

export const useDatasetsStore = defineStore('datasets', () => {
  const list = shallowRef<DatasetSummary[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  const error = shallowRef<NosErrorData | null>(null);

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      list.value = await api().listDatasets();
      error.value = null;
      loaded.value = true;
    } catch (err) {
      error.value = toErrorData(err);
    } finally {
      loading.value = false;
    }
  }

  return { list, loaded, loading, error, refresh };
});
