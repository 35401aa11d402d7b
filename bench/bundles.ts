import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { bundleLambda } from '../infra/bundling/esbuild';

/**
 * Each Lambda bundled by the CDK app's own bundler (infra/bundling/esbuild.ts: ESM for node24, minified, the AWS SDK
 * inside, its schema modules made tree-shakable), then cold-imported in a fresh Node.js process, against
 * `node -e 0` (the process start alone), median of several runs each.
 */

const ROOT = join(__dirname, '..');

export interface BundleMeasurement {
  name: string;
  /** Size of index.mjs (the code Lambda loads). */
  bytes: number;
  /** Size of the source map beside it (not loaded unless --enable-source-maps maps an error). */
  sourceMapBytes: number;
  /** Median wall ms of `node -e "await import(bundle)"`. */
  importMs: number;
  /** Median wall ms of `node -e 0`. */
  baselineMs: number;
  /** Largest inputs by bytes in the output (from the esbuild metafile). */
  largestInputs: { path: string; bytes: number }[];
}

/** Function folders with a handler (`functions/<name>/handler.ts`). */
export function functionNames(): string[] {
  return readdirSync(join(ROOT, 'functions'))
    .filter((name) => existsSync(join(ROOT, 'functions', name, 'handler.ts')))
    .sort();
}

/** Bundles one function as the CDK app does; returns the output file and the metafile. */
export async function bundle(name: string, outDir: string): Promise<{ file: string; metafile: Metafile }> {
  const dir = join(outDir, name);
  mkdirSync(dir, { recursive: true });
  const result = await bundleLambda(ROOT, join(ROOT, 'functions', name, 'handler.ts'), dir);
  return { file: join(dir, 'index.mjs'), metafile: result.metafile };
}

function wallMs(args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  execFileSync(process.execPath, args, { env, stdio: 'ignore' });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Bundles and measures every function; `runs` imports per bundle (and as many baseline runs, interleaved). */
export async function measureBundles(runs = 7): Promise<BundleMeasurement[]> {
  const outDir = mkdtempSync(join(tmpdir(), 'spokelink-bundles-'));
  // Lambda's environment as far as module loading is concerned (handlers read their configuration lazily).
  const env = { PATH: process.env.PATH, AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'SILENT', NODE_OPTIONS: '' };
  try {
    const out: BundleMeasurement[] = [];
    for (const name of functionNames()) {
      const { file, metafile } = await bundle(name, outDir);
      const output = Object.values(metafile.outputs).find((o) => o.entryPoint);
      const largestInputs = Object.entries(output?.inputs ?? {})
        .map(([path, input]) => ({ path, bytes: input.bytesInOutput }))
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, 5);
      const imports: number[] = [];
      const baselines: number[] = [];
      const script = `import(${JSON.stringify(`file://${file}`)}).then((m) => { if (typeof m.handler !== 'function') process.exit(3); })`;
      for (let i = 0; i < runs; i += 1) {
        baselines.push(wallMs(['-e', '0'], env));
        imports.push(wallMs(['-e', script], env));
      }
      out.push({
        name,
        bytes: statSync(file).size,
        sourceMapBytes: existsSync(`${file}.map`) ? statSync(`${file}.map`).size : 0,
        importMs: Math.round(median(imports) * 10) / 10,
        baselineMs: Math.round(median(baselines) * 10) / 10,
        largestInputs,
      });
    }
    return out;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
