import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { preProcessFile } from 'typescript';

/**
 * The repository's import graph at run time, read from the sources (static imports, `require` and dynamic imports;
 * `import type` left out).
 */
export const ROOT = resolve(__dirname, '..');

/** Path aliases of tsconfig.json. */
const ALIASES: Readonly<Record<string, string>> = {
  '#shared/': join(ROOT, 'functions', 'shared'),
  '#twin/': join(ROOT, 'twin'),
  '#local/': join(ROOT, 'local'),
};

/** The `.ts` files under `dir`, recursively. */
export function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFilesUnder(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The file an import names (the repository's own modules), else undefined (a package). */
function resolveImport(from: string, specifier: string): string | undefined {
  const alias = Object.keys(ALIASES).find((prefix) => specifier.startsWith(prefix));
  let base: string;
  if (alias) base = join(ALIASES[alias] as string, specifier.slice(alias.length));
  else if (specifier.startsWith('.')) base = resolve(dirname(from), specifier);
  else return undefined;
  return [`${base}.ts`, join(base, 'index.ts'), base].find((path) => existsSync(path) && statSync(path).isFile());
}

export interface ImportGraph {
  /** Every repository file reached from the entries (the entries included). */
  readonly files: Set<string>;
  /** Every package specifier those files import (`aws-cdk-lib/aws-iam`, `zod`, ...), with one file importing it. */
  readonly packages: Map<string, string>;
}

/** Follows the imports of `entries` through the repository's own modules. */
export function importGraph(entries: readonly string[]): ImportGraph {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    // Type-only imports are erased: they load nothing at run time.
    const source = readFileSync(file, 'utf8').replace(/^import type [^;]*;/gm, '');
    const { importedFiles } = preProcessFile(source, true, true);
    for (const { fileName } of importedFiles) {
      const target = resolveImport(file, fileName);
      if (target) queue.push(target);
      else if (!fileName.startsWith('.') && !packages.has(fileName)) packages.set(fileName, file);
    }
  }
  return { files, packages };
}
