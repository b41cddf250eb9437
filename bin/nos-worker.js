#!/usr/bin/env node
// Training worker process when NOS Studio runs from source (see bin/nos.js for the two tsx
// hooks); the built app starts out/main/worker.js instead.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry that registers tsx */
require('tsx/cjs/api').register();
import('tsx/esm/api').then(({ register }) => {
  register();
  require('../src-main/jobs/worker-entry.ts');
});
