#!/usr/bin/env node
// The `nos` command line (src-main/cli): register tsx so the TypeScript sources run as they are.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS entry that registers tsx */
require('tsx/cjs');
require('../src-main/cli/main.ts').main(process.argv);
