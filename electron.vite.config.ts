import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

const contract = resolve(__dirname, 'src-main/contract');

// Three bundles: the Electron main process (plus the training worker it forks), the sandboxed
// preload script (CommonJS, as sandboxed preloads must be), and the Vue renderer. Folder names are
// not electron-vite's defaults, so every entry is explicit.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      lib: {
        entry: {
          index: resolve(__dirname, 'src-main/main/index.ts'),
          worker: resolve(__dirname, 'src-main/jobs/worker-entry.ts'),
          // Data-parallel training threads (src-main/engine/parallel) and the search's replica
          // module each thread loads by path: beside the worker, where the pool looks for them.
          thread: resolve(__dirname, 'src-main/engine/parallel/thread.ts'),
          'search-replica': resolve(__dirname, 'src-main/search/parallel-replica.ts'),
        },
      },
    },
    resolve: { alias: { '@contract': contract } },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      lib: { entry: { index: resolve(__dirname, 'src-main/preload/index.ts') } },
      rolldownOptions: { output: { format: 'cjs' } },
    },
    resolve: { alias: { '@contract': contract } },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    base: './',
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rolldownOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } },
    },
    resolve: {
      alias: {
        '@contract': contract,
        '@renderer': resolve(__dirname, 'src-renderer/src'),
      },
    },
    plugins: [vue()],
  },
});
