import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { importGraph, ROOT, tsFilesUnder } from '../import-graph';

/**
 * `functions/shared/` holds only what the Lambdas import: every file under it must be reachable from some
 * `functions/<name>/handler.ts` through its imports (CLI-only code lives under `cli/`).
 */
const FUNCTIONS = join(ROOT, 'functions');
const SHARED = join(FUNCTIONS, 'shared');

const handlers = readdirSync(FUNCTIONS)
  .map((name) => join(FUNCTIONS, name, 'handler.ts'))
  .filter((path) => existsSync(path));

describe('functions/shared holds only what the Lambdas import', () => {
  it('finds the handlers and follows #shared and relative imports (not vacuous)', () => {
    expect(handlers.length).toBeGreaterThan(10);
    const { files } = importGraph([join(FUNCTIONS, 'records', 'handler.ts')]);
    expect(files).toContain(join(SHARED, 'registry', 'index.ts'));
    expect(files).toContain(join(SHARED, 'registry', 'lease.ts'));
  });

  it('every file under functions/shared is imported, directly or not, by some functions/*/handler.ts', () => {
    const { files } = importGraph(handlers);
    const unreachable = tsFilesUnder(SHARED)
      .filter((file) => !files.has(file))
      .map((file) => relative(ROOT, file));
    expect(unreachable).toEqual([]);
  });
});
