import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BuildOptions, type BuildResult, build, type Plugin } from 'esbuild';

/**
 * How every spokelink Lambda is bundled. One definition, used by the CDK app (infra/constructs/spokelink-function.ts,
 * through infra/bundling/cli.ts) and by `npm run bench` (bench/bundles.ts), so the measured bundle is the deployed one.
 */

/**
 * ESM output needs `require` for the CommonJS dependencies esbuild inlines (parts of the AWS SDK): the usual banner.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __spokelinkCreateRequire } from 'node:module';" +
  'const require = __spokelinkCreateRequire(import.meta.url);';

/** The SDK v3 schema modules (`dist-es/.../schemas/schemas_N.js`) of every service client. */
const SDK_SCHEMA_MODULE =
  /[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/](?:submodules[\\/][^\\/]+[\\/])?schemas[\\/]schemas_\d+\.js$/;

/** `const _eQN = "ec2QueryName";`: the string constants a schema module declares at the top. */
const STRING_CONSTANT = /^const (_[A-Za-z0-9_$]+) = ("(?:[^"\\\n]|\\.)*");$/gm;

/** `{ [_eQN]: ...`: an object key computed from one of those constants. */
const COMPUTED_KEY = /\[(_[A-Za-z0-9_$]+)\]:/g;

/**
 * Replaces object keys computed from a module's own string constants with the string itself:
 * `{ [_eQN]: "RouteTableId" }` becomes `{ "ec2QueryName": "RouteTableId" }`, the same object.
 *
 * Why: the SDK's schema modules declare every shape of the service as a top-level `var X$ = [...]` and most of those
 * arrays hold trait objects with computed keys. esbuild cannot prove that a computed key has no side effect (it could
 * be an object whose `toString` runs code), so it keeps every shape that has one: the EC2 client's 2,257 of 2,580
 * structures (542 KB minified) for the dozen operations a Lambda calls. With literal keys the unused shapes are
 * dropped. Only identifiers bound to a string literal in the same module are replaced; anything else is left as is.
 */
export function inlineSchemaKeys(source: string): { contents: string; replaced: number } {
  const constants = new Map<string, string>();
  for (const [, name, literal] of source.matchAll(STRING_CONSTANT)) constants.set(name!, literal!);
  let replaced = 0;
  const contents = source.replace(COMPUTED_KEY, (match, name: string) => {
    const literal = constants.get(name);
    if (literal === undefined) return match;
    replaced += 1;
    return `${literal}:`;
  });
  return { contents, replaced };
}

/** esbuild plugin applying {@link inlineSchemaKeys} to the AWS SDK's schema modules. */
export const sdkSchemaTreeShaking: Plugin = {
  name: 'spokelink-sdk-schema-tree-shaking',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: SDK_SCHEMA_MODULE }, async (args) => ({
      contents: inlineSchemaKeys(await readFile(args.path, 'utf8')).contents,
      loader: 'js',
    }));
  },
};

/**
 * esbuild options of one function: its `handler.ts` (`entry`) to `<outDir>/index.mjs`. ESM for Node.js 24 (the
 * `nodejs24.x` runtime), minified, with a source map without sources (`NODE_OPTIONS=--enable-source-maps` maps stack
 * traces), the AWS SDK bundled: it is pinned in package-lock.json, the runtime's copy would silently differ.
 */
export function lambdaBuildOptions(projectRoot: string, entry: string, outDir: string): BuildOptions {
  return {
    absWorkingDir: projectRoot,
    entryPoints: [entry],
    outfile: join(outDir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    tsconfig: join(projectRoot, 'tsconfig.json'),
    plugins: [sdkSchemaTreeShaking],
    metafile: true,
    logLevel: 'warning',
  };
}

/** Bundles one function's `handler.ts` into `outDir` (index.mjs and index.mjs.map). */
export async function bundleLambda(
  projectRoot: string,
  entry: string,
  outDir: string,
): Promise<BuildResult<{ metafile: true }>> {
  return build({ ...lambdaBuildOptions(projectRoot, entry, outDir), metafile: true });
}
