import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClientForFile } from '../mock-client';

const partition = require('../batches/partition') as {
  BATCHES: number;
  REPO: string;
  defaultTierFiles: () => string[];
  runsAlone: (text: string) => boolean;
  standaloneFiles: () => string[];
  batches: () => string[][];
};
const batchedConfig = require('../../jest.batched.config') as { testMatch: string[] };

const BATCHES_DIR = join(__dirname, '..', 'batches');
const rel = (f: string) => relative(partition.REPO, f);
/** A call of aws-sdk-client-mock's `mockClient` (written in two parts, so that this file does not call it by partition.js's reading). */
const CALLS_MOCK_CLIENT = new RegExp(['\\bmockClient', '\\s*\\('].join(''));

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
    // (each call written in two parts, so that this file does not make it by partition.js's reading)
    expect(partition.runsAlone(['jest.mock', "('node:child_process', () => ({}));"].join(''))).toBe(true);
    expect(partition.runsAlone(['jest.isolate', 'Modules(() => {});'].join(''))).toBe(true);
    expect(partition.runsAlone(['const ec2 = mock', 'Client(EC2Client);'].join(''))).toBe(true);
    // A file stubbing clients for its own tests only (test/mock-client.ts) shares a batch.
    expect(partition.runsAlone('const ec2 = mockClientForFile(EC2Client);')).toBe(false);
    expect(alone).not.toContain('test/functions/validate/validate.test.ts');
    expect(readFileSync(join(partition.REPO, 'test/functions/validate/validate.test.ts'), 'utf8')).toContain(
      'mockClientForFile(',
    );
    for (const f of partition.defaultTierFiles()) {
      const text = readFileSync(f, 'utf8');
      const mustRunAlone = /\bjest\s*\.\s*mock\s*\(/.test(text) || CALLS_MOCK_CLIENT.test(text);
      expect({ file: rel(f), alone: alone.includes(rel(f)) }).toEqual({ file: rel(f), alone: mustRunAlone });
    }
    for (const f of partition.standaloneFiles()) expect(batchedConfig.testMatch).toContain(f);
  });
});

describe('mockClientForFile (test/mock-client.ts): a stub for the tests of its file only', () => {
  // The stub is an own `send` of the instance; without it the instance uses its class's (whatever a hub put there).
  const client = new STSClient({ region: 'us-east-1' });
  const stubbed = () => Object.hasOwn(client, 'send');
  describe('the file', () => {
    const sts = mockClientForFile(client);
    // While the batch collects its files, the client is untouched.
    const stubbedAtCollection = stubbed();

    it('stubs the client during its tests, and reset() stubs it anew', async () => {
      expect(stubbedAtCollection).toBe(false);
      expect(stubbed()).toBe(true);
      sts.onAnyCommand().resolves({ Account: '111111111111' });
      await expect(client.send({} as never)).resolves.toEqual({ Account: '111111111111' });
      sts.reset();
      expect(client.send({} as never)).toBeUndefined();
      expect(stubbed()).toBe(true);
      expect(sts.calls()).toHaveLength(1);
    });
  });

  it('gives the client back after the last test of the file', () => {
    expect(stubbed()).toBe(false);
  });
});
