#!/usr/bin/env node
// Entry point of the `spokelink` command: runs the TypeScript CLI through tsx (no build step needed in the repo).
// tsx reads tsconfig.json (for the #shared/* aliases) from the working directory unless told where it is.
const { join } = require('node:path');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.TSX_TSCONFIG_PATH ??= join(__dirname, '..', 'tsconfig.json');
require('tsx/cjs');
require('../cli/main.ts');
