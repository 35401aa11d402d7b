import { join, relative } from 'node:path';
import { importGraph, ROOT, tsFilesUnder } from '../import-graph';

/**
 * The local runner never loads the CDK: everything under local/ (and what it imports, transitively) stays clear of
 * aws-cdk-lib and constructs. The facts it shares with the CDK app (function sizing, ...) live in plain modules.
 */
const CDK = /^(aws-cdk-lib|constructs)(\/|$)/;

describe('the local runner does not import aws-cdk-lib', () => {
  it('follows local/ imports into infra/ (not vacuous)', () => {
    const { files, packages } = importGraph(tsFilesUnder(join(ROOT, 'local')));
    expect(files).toContain(join(ROOT, 'infra', 'function-sizing.ts'));
    expect(packages.has('zod')).toBe(true);
  });

  it('no file reached from local/ imports aws-cdk-lib or constructs', () => {
    const { packages } = importGraph(tsFilesUnder(join(ROOT, 'local')));
    const cdk = [...packages]
      .filter(([name]) => CDK.test(name))
      .map(([name, file]) => `${relative(ROOT, file)}: ${name}`);
    expect(cdk).toEqual([]);
  });
});
