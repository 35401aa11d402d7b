import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const partition = require('../batches/partition') as {
  BATCHES: number;
  REPO: string;
  defaultTierFiles: () => string[];
  standaloneFiles: () => string[];
  batches: () => string[][];
};
const batchedConfig = require('../../jest.batched.config') as { testMatch: string[] };

const BATCHES_DIR = join(__dirname, '..', 'batches');
const rel = (f: string) => relative(partition.REPO, f);
/** An import of aws-sdk-client-mock (written in two parts, so that this file does not import it by partition.js's reading). */
const IMPORTS_CLIENT_MOCK = ['from ', "'aws-sdk-client-mock'"].join('');

describe('npm test runs every default-tier test file once (test/batches/partition.js)', () => {
  it('puts each file in exactly one batch or runs it alone, and no other', () => {
    const seen = new Map<string, number>();
    for (const f of [...partition.batches().flat(), ...partition.standaloneFiles()]) {
      seen.set(rel(f), (seen.get(rel(f)) ?? 0) + 1);
    }
    const files = partition.defaultTierFiles().map(rel);
    expect([...seen.keys()].sort()).toEqual(files);
    expect([...seen.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    // The tier holds this very file, and no scale-tier file.
    expect(files).toContain('test/shared/test-batches.test.ts');
    expect(files.filter((f) => f.endsWith('.scale.test.ts'))).toEqual([]);
  });

  it('has one batch file per batch, each running its own number', () => {
    const batchFiles = readdirSync(BATCHES_DIR).filter((f) => /^batch-\d+\.test\.ts$/.test(f));
    expect(batchFiles.map((f) => Number(f.match(/\d+/)![0])).sort((a, b) => a - b)).toEqual(
      Array.from({ length: partition.BATCHES }, (_, i) => i + 1),
    );
    for (const f of batchFiles) {
      expect(readFileSync(join(BATCHES_DIR, f), 'utf8')).toContain(`runBatch(${Number(f.match(/\d+/)![0])});`);
    }
  });

  it('runs alone the files that stub SDK clients or rearrange the module registry, and they are in npm test', () => {
    const alone = partition.standaloneFiles().map(rel);
    expect(alone).toContain('test/infra/bundling.test.ts');
    for (const f of partition.defaultTierFiles()) {
      const text = readFileSync(f, 'utf8');
      const mustRunAlone = /\bjest\s*\.\s*mock\s*\(/.test(text) || text.includes(IMPORTS_CLIENT_MOCK);
      expect({ file: rel(f), alone: alone.includes(rel(f)) }).toEqual({ file: rel(f), alone: mustRunAlone });
    }
    for (const f of partition.standaloneFiles()) expect(batchedConfig.testMatch).toContain(f);
  });
});
