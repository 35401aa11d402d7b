import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { preProcessFile } from 'typescript';

/**
 * `functions/shared/` holds only what the Lambdas import: every file under it must be reachable from some
 * `functions/<name>/handler.ts` through its imports (CLI-only code lives under `cli/`).
 */
const ROOT = resolve(__dirname, '../..');
const FUNCTIONS = join(ROOT, 'functions');
const SHARED = join(FUNCTIONS, 'shared');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The file an import specifier names, for the repository's own modules (`#shared/...` and relative paths). */
function resolveImport(from: string, specifier: string): string | undefined {
  let base: string;
  if (specifier.startsWith('#shared/')) base = join(SHARED, specifier.slice('#shared/'.length));
  else if (specifier.startsWith('.')) base = resolve(dirname(from), specifier);
  else return undefined;
  return [`${base}.ts`, join(base, 'index.ts'), base].find((path) => existsSync(path) && statSync(path).isFile());
}

function reachableFrom(entries: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const { importedFiles } = preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      const target = resolveImport(file, fileName);
      if (target) queue.push(target);
    }
  }
  return seen;
}

const handlers = readdirSync(FUNCTIONS)
  .map((name) => join(FUNCTIONS, name, 'handler.ts'))
  .filter((path) => existsSync(path));

describe('functions/shared holds only what the Lambdas import', () => {
  it('finds the handlers and follows #shared and relative imports (not vacuous)', () => {
    expect(handlers.length).toBeGreaterThan(10);
    const reached = reachableFrom([join(FUNCTIONS, 'records', 'handler.ts')]);
    expect(reached).toContain(join(SHARED, 'registry', 'index.ts'));
    expect(reached).toContain(join(SHARED, 'registry', 'lease.ts'));
  });

  it('every file under functions/shared is imported, directly or not, by some functions/*/handler.ts', () => {
    const reached = reachableFrom(handlers);
    const unreachable = filesUnder(SHARED)
      .filter((file) => !reached.has(file))
      .map((file) => relative(ROOT, file));
    expect(unreachable).toEqual([]);
  });
});
