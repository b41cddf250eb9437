import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const root = import.meta.dirname;
const alias = {
  // Main-process wiring is tested under Node: `electron` resolves to a small stand-in.
  electron: resolve(root, 'test/stubs/electron.ts'),
  '@contract': resolve(root, 'src-main/contract'),
};

// Two projects: `unit` (Node, every logic module) and `e2e` (Debian's Chromium driven by
// playwright-core against `nos serve`). Both run under `npm test`.
export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
          maxWorkers: 2,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
