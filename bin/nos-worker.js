// Training worker process, forked by the job queue (src-main/jobs/queue.ts) when NOS Studio runs
// from source: register tsx, then run the TypeScript worker. The built app forks
// out/main/worker.js instead.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry that registers tsx */
require('tsx/cjs');
require('../src-main/jobs/worker-entry.ts');
