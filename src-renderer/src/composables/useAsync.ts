/** State of one async action for a view: loading flag, result, NosError, and a re-runner. */
import { ref, shallowRef, type Ref, type ShallowRef } from 'vue';
import type { NosErrorData } from '@contract';
import { toErrorData } from '@contract';

export interface AsyncState<T> {
  data: ShallowRef<T | null>;
  loading: Ref<boolean>;
  error: ShallowRef<NosErrorData | null>;
  run: () => Promise<T | null>;
}

export function useAsync<T>(fn: () => Promise<T>): AsyncState<T> {
  const data = shallowRef<T | null>(null);
  const loading = ref(false);
  const error = shallowRef<NosErrorData | null>(null);
  const run = async (): Promise<T | null> => {
    loading.value = true;
    error.value = null;
    try {
      data.value = await fn();
      return data.value;
    } catch (err) {
      error.value = toErrorData(err);
      return null;
    } finally {
      loading.value = false;
    }
  };
  return { data, loading, error, run };
}
