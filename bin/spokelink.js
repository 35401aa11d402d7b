#!/usr/bin/env node
// Entry point of the `spokelink` command: runs the TypeScript CLI through tsx (no build step needed in the repo).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('../cli/main.ts');
