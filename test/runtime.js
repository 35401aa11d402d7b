/**
 * Jest's runtime, with V8's code cache shared by the test files of a worker.
 *
 * Jest gives every test file a fresh module registry, so each file compiles again every module it loads: the SDK
 * clients, zod, the twin, the local hub (`vm.compileFunction` was about 7 % of a workflow suite's CPU). The source of a
 * module does not change within a run, so the first file of a worker to load it keeps the code V8 produced
 * (`produceCachedData`) and the next ones hand it back (`cachedData`): V8 checks that it matches the source and the
 * flags and compiles as usual when it does not (`cachedDataRejected`). Modules still run afresh in each file: only
 * their compilation is shared.
 */
const { createHash } = require('node:crypto');
const vm = require('node:vm');
const Runtime = require('jest-runtime').default;

const PATCHED = Symbol.for('spokelink.test.codeCache');

if (!vm.compileFunction[PATCHED]) {
  const compileFunction = vm.compileFunction;
  /** filename -> the digest of the source and parameters it was compiled with, and V8's code for them (the digest,
   * not the source: the sources of aws-cdk-lib alone are tens of MB a worker would keep). */
  const cache = new Map();
  const withCodeCache = (code, params = [], options = {}) => {
    const { filename } = options;
    if (typeof filename !== 'string' || options.cachedData !== undefined) return compileFunction(code, params, options);
    const digest = createHash('sha1').update(params.join(',')).update('\0').update(code).digest('base64');
    const entry = cache.get(filename);
    if (entry && entry.digest === digest) {
      const fn = compileFunction(code, params, { ...options, cachedData: entry.data });
      if (fn.cachedDataRejected) cache.delete(filename);
      return fn;
    }
    const fn = compileFunction(code, params, { ...options, produceCachedData: true });
    if (fn.cachedData) cache.set(filename, { digest, data: fn.cachedData });
    return fn;
  };
  withCodeCache[PATCHED] = true;
  vm.compileFunction = withCodeCache;
}

module.exports = Runtime;
