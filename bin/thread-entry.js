// Worker-thread entry for data-parallel training (src-main/engine/parallel/pool.ts) when NOS
// Studio runs from source: register tsx in this thread, then load the TypeScript thread body.
// Worker threads do not inherit the parent's loader hooks, hence this plain-JS door; both tsx
// hooks are registered as in bin/nos.js (the ESM one through its asynchronous API on Node 20).
// The built app starts out/main/thread.js instead.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry that registers tsx */
require('tsx/cjs/api').register();
import('tsx/esm/api').then(({ register }) => {
  register();
  require('../src-main/engine/parallel/thread.ts');
});
