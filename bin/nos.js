#!/usr/bin/env node
// The `nos` command line (src-main/cli), run from source: tsx compiles the TypeScript as it loads.
// Both of its hooks are needed: the CommonJS one for require(), and the ESM one for the import()
// calls that keep heavy modules (training, the engine) out of start-up. The ESM hook must be
// registered through its asynchronous API on Node 20, hence the promise.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry that registers tsx */
require('tsx/cjs/api').register();
import('tsx/esm/api').then(({ register }) => {
  register();
  require('../src-main/cli/main.ts').main(process.argv);
});
