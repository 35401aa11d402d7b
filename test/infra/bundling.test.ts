import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { inlineSchemaKeys, sdkSchemaTreeShaking } from '../../infra/bundling/esbuild';
import { SpokelinkFunction } from '../../infra/constructs/spokelink-function';
import { REPO } from './helpers';

jest.setTimeout(120_000);

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'spokelink-bundling-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Bundles `source` (an ESM entry importing the AWS SDK) for Node.js, returns the output's text. */
async function bundleSource(source: string, file: string, options: { plugin: boolean; format: 'esm' | 'cjs' }) {
  const outfile = join(work, `${file}.${options.format === 'esm' ? 'mjs' : 'cjs'}`);
  await build({
    stdin: { contents: source, resolveDir: REPO, sourcefile: `${file}.mjs`, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: options.format,
    mainFields: ['module', 'main'],
    minify: options.format === 'esm',
    outfile,
    plugins: options.plugin ? [sdkSchemaTreeShaking] : [],
    logLevel: 'silent',
  });
  return { outfile, text: readFileSync(outfile, 'utf8') };
}

describe('inlineSchemaKeys', () => {
  it('replaces a computed key bound to a string constant of the module with the string', () => {
    const source = ['const _eQN = "ec2QueryName";', 'export var A$ = [0, { [_eQN]: `VpcId` }];'].join('\n');
    const { contents, replaced } = inlineSchemaKeys(source);
    expect(replaced).toBe(1);
    expect(contents).toContain('export var A$ = [0, { "ec2QueryName": `VpcId` }];');
  });

  it('leaves computed keys that are not string constants of the module alone', () => {
    const source = [
      'import { _x } from "./other";',
      'let _y = "changes";',
      'export var A$ = { [_x]: 1, [_y]: 2 };',
    ].join('\n');
    expect(inlineSchemaKeys(source)).toEqual({ contents: source, replaced: 0 });
  });
});

describe('the SDK schema plugin', () => {
  it('drops the schemas of EC2 operations a bundle does not use', async () => {
    const source =
      "import { EC2Client, CreateRouteCommand } from '@aws-sdk/client-ec2';\nexport const x = [EC2Client, CreateRouteCommand];\n";
    const plain = await bundleSource(source, 'plain', { plugin: false, format: 'esm' });
    const shaken = await bundleSource(source, 'shaken', { plugin: true, format: 'esm' });
    // (toBe on includes: a failure would otherwise print the whole bundle)
    const unused = 'UpdateSecurityGroupRuleDescriptionsIngressRequest';
    expect(plain.text.includes(unused)).toBe(true);
    expect(shaken.text.includes(unused)).toBe(false);
    expect(shaken.text.includes('DestinationCidrBlock')).toBe(true);
    expect(shaken.text.length).toBeLessThan(plain.text.length / 2);
  });

  it('leaves every EC2 schema structurally identical to the original', async () => {
    const source = "export * from '@aws-sdk/client-ec2';\n";
    const original = await bundleSource(source, 'ec2-original', { plugin: false, format: 'cjs' });
    const rewritten = await bundleSource(source, 'ec2-rewritten', { plugin: true, format: 'cjs' });
    expect(rewritten.text === original.text).toBe(false);
    // Compared in a fresh process: each copy of the client registers itself with the SDK's global registries.
    const script = `
      const a = require(${JSON.stringify(original.outfile)});
      const b = require(${JSON.stringify(rewritten.outfile)});
      const seen = new Map();
      const same = (x, y) => {
        if (typeof x !== typeof y) return false;
        if (typeof x === 'function') {
          if (x.length > 0 || /^class\\b/.test(Function.prototype.toString.call(x))) return x.name === y.name;
          return same(x(), y());
        }
        if (x === null || typeof x !== 'object') return Object.is(x, y);
        if (seen.has(x)) return seen.get(x) === y;
        seen.set(x, y);
        const kx = Object.keys(x), ky = Object.keys(y);
        return kx.length === ky.length && kx.every((k, i) => k === ky[i] && same(x[k], y[k]));
      };
      const names = Object.keys(a).filter((k) => k.endsWith('$'));
      const different = names.filter((k) => !same(a[k], b[k]));
      process.stdout.write(JSON.stringify({ compared: names.length, different }));`;
    const result = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as {
      compared: number;
      different: string[];
    };
    expect(result.different).toEqual([]);
    expect(result.compared).toBeGreaterThan(3000);
  });
});

describe('SpokelinkFunction', () => {
  it("bundles each function from its own handler, not the first function's bundle", () => {
    // The module object itself (not an import's copy): the construct calls its execFileSync at call time.
    const childProcess = require('node:child_process') as typeof import('node:child_process');
    const run = jest.spyOn(childProcess, 'execFileSync').mockImplementation(((
      _file: string,
      args: readonly string[],
    ) => {
      const [, , , entry, outDir] = args;
      mkdirSync(outDir!, { recursive: true });
      writeFileSync(join(outDir!, 'index.mjs'), `// bundle of ${entry}\n`);
      return Buffer.alloc(0);
    }) as unknown as typeof execFileSync);
    try {
      const app = new App({ outdir: join(work, 'cdk.out') });
      const stack = new Stack(app, 'Functions', { env: { account: '111111111111', region: 'us-east-1' } });
      for (const name of ['routes', 'zones']) {
        new SpokelinkFunction(stack, name, {
          name,
          functionName: `spokelink-${name}`,
          roleName: `spokelink-fn-${name}`,
          entry: join(REPO, 'functions', name, 'handler.ts'),
          projectRoot: REPO,
          description: name,
          environment: {},
          // The configuration file each package carries (functions/shared/env.ts), here of another text each.
          files: { 'spokelink-config.json': `{"for":"${name}"}\n` },
        });
      }
      const assembly = app.synth();
      const keys = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).map(
        (fn) => (fn as { Properties: { Code: { S3Key: string } } }).Properties.Code.S3Key,
      );
      expect(new Set(keys).size).toBe(2);
      const bundles = keys.map((key) =>
        readFileSync(join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs'), 'utf8'),
      );
      expect(bundles.map((b) => b.match(/functions\/(\w+)\/handler\.ts/)?.[1]).sort()).toEqual(['routes', 'zones']);
      const configs = keys.map((key) =>
        readFileSync(join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`, 'spokelink-config.json'), 'utf8'),
      );
      expect(configs.sort()).toEqual(['{"for":"routes"}\n', '{"for":"zones"}\n']);
      expect(run.mock.calls.map(([, args]) => (args as string[]).slice(0, 3))).toEqual([
        ['--import', 'tsx', join(REPO, 'infra', 'bundling', 'cli.ts')],
        ['--import', 'tsx', join(REPO, 'infra', 'bundling', 'cli.ts')],
      ]);
    } finally {
      run.mockRestore();
    }
  });

  it('refuses a file that would not lie beside the bundle or would replace it', () => {
    const stack = new Stack(new App({ outdir: join(work, 'cdk.refused') }), 'Refused');
    for (const name of ['../escape.json', 'sub/config.json', 'index.mjs', 'index.mjs.map']) {
      expect(
        () =>
          new SpokelinkFunction(stack, `f-${name}`, {
            name: 'routes',
            functionName: 'spokelink-routes',
            roleName: 'spokelink-fn-routes',
            entry: join(REPO, 'functions', 'routes', 'handler.ts'),
            projectRoot: REPO,
            description: 'routes',
            environment: {},
            files: { [name]: '{}' },
          }),
      ).toThrow(`spokelink: ${name} cannot be written beside the bundle`);
    }
  });
});
