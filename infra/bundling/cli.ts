import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { bundleLambda } from './esbuild';

/**
 * `node --import tsx infra/bundling/cli.ts <handler.ts> <outDir>`: bundles a function's handler into
 * <outDir>/index.mjs. The CDK app runs it as the assets' local bundler (esbuild plugins need the asynchronous API,
 * which a synthesis cannot await).
 */
async function main(argv: string[]): Promise<void> {
  const [entryArg, outDir] = argv;
  if (!entryArg || !outDir) throw new Error('usage: cli.ts <path/to/handler.ts> <outDir>');
  const projectRoot = resolve(__dirname, '..', '..');
  const entry = resolve(entryArg);
  const inside = relative(projectRoot, entry);
  if (inside.startsWith('..') || isAbsolute(inside) || !entry.endsWith('.ts') || !existsSync(entry)) {
    throw new Error(`no handler at ${entryArg} (expected a .ts file inside the repository)`);
  }
  await bundleLambda(projectRoot, entry, resolve(outDir));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`bundling failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
