// Lint configuration. Besides typescript-eslint and the Vue plugin, it holds the layering of the
// codebase (docs/architecture.md): which folders may import which.
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';

const processLayers = ['store', 'jobs', 'server', 'main', 'cli', 'api', 'preload'];

/** `no-restricted-imports` patterns forbidding imports of the named src-main folders. */
function forbidFolders(folders, why) {
  return folders.map((f) => ({ group: [`**/${f}/*`, `**/${f}`], message: why }));
}

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'release/**',
      'node_modules/**',
      'test-results/**',
      'bench/results/**',
    ],
  },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
    },
  },
  {
    // The shared contract is plain TypeScript: no process code, no Node, Electron, tfjs or Vue.
    files: ['src-main/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*'], message: 'The contract imports nothing outside itself.' },
            {
              group: ['node:*', 'electron', '@tensorflow/*', 'vue', 'better-sqlite3'],
              message: 'The contract is plain TypeScript shared by every process.',
            },
          ],
        },
      ],
    },
  },
  {
    // Training code knows nothing of storage, IPC or the processes that host it.
    files: ['src-main/{engine,nn,data,nos,search,evaluation,training}/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'Training code never touches Electron.' },
            {
              name: 'better-sqlite3',
              message: 'Training code reports through RunContext, not the store.',
            },
          ],
          patterns: forbidFolders(
            processLayers,
            'Training code reports through RunContext (src-main/training/run-context.ts).',
          ),
        },
      ],
    },
  },
  {
    // The renderer is untrusted and runs in a browser: only the contract may be shared with it.
    files: ['src-renderer/**/*.{ts,vue}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src-main/**', '!**/src-main/contract', '!**/src-main/contract/**'],
              message: 'The renderer imports only the shared contract (@contract).',
            },
            {
              group: [
                'node:*',
                'electron',
                '@tensorflow/*',
                'better-sqlite3',
                'fs',
                'path',
                'child_process',
              ],
              message: 'The renderer runs in a sandbox: use the NosApi.',
            },
          ],
        },
      ],
    },
  },
  {
    // The store knows nothing of jobs, servers or Electron.
    files: ['src-main/store/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbidFolders(
            ['jobs', 'server', 'main', 'cli', 'api', 'preload'],
            'The store is a leaf below jobs and the API.',
          ),
        },
      ],
    },
  },
);
