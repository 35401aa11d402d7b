/**
 * Jest's transform for the repository's TypeScript: esbuild strips the types, file by file (tsconfig.json sets
 * `isolatedModules`, so no file needs another to be emitted right). Types are checked by `npm run typecheck` (tsc),
 * never by the tests. A file that calls `jest.mock` (and the like) goes through ts-jest instead, which hoists those
 * calls above the file's imports as Jest requires; esbuild would leave them below.
 */
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { transformSync, version } = require('esbuild');

const tsconfig = readFileSync(join(__dirname, '..', 'tsconfig.json'), 'utf8');
const { compilerOptions } = JSON.parse(tsconfig);
const salt = createHash('sha256').update(readFileSync(__filename)).update(version).update(tsconfig).digest('hex');

const HOISTED_CALL = /\bjest\s*\.\s*(mock|unmock|enableAutomock|disableAutomock|deepUnmock)\s*\(/;

let tsJest;
function hoisting() {
  tsJest ??= require('ts-jest').default.createTransformer({ diagnostics: false });
  return tsJest;
}

module.exports = {
  getCacheKey(source, path, options) {
    if (HOISTED_CALL.test(source)) return hoisting().getCacheKey(source, path, options);
    return createHash('sha256').update(salt).update(path).update('\0').update(source).digest('hex');
  },
  process(source, path, options) {
    if (HOISTED_CALL.test(source)) return hoisting().process(source, path, options);
    const { code, map } = transformSync(source, {
      loader: 'ts',
      format: 'cjs',
      target: compilerOptions.target.toLowerCase(),
      sourcemap: 'external',
      sourcefile: path,
      tsconfigRaw: { compilerOptions },
      // `import()` becomes a `require` as tsc emits it for CommonJS: jest's module sandbox runs no ES module import.
      supported: { 'dynamic-import': false },
    });
    return { code, map };
  },
};
