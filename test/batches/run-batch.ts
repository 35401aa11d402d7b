import { relative } from 'node:path';
import { disableEarlierFilesStorages } from '../async-context';

const { batches, REPO } = require('./partition') as { batches: () => string[][]; REPO: string };

/**
 * Runs batch `n` (1-based) of test/batches/partition.js: each file inside a `describe` named after its path, so its
 * top-level hooks apply to its own tests only. What a test file may leave behind for the next one in its own jest
 * run dies with its module registry; in a batch it is undone when the file ends instead: the AsyncLocalStorage
 * instances it used are disabled (as test/setup-async-context.ts does between test files), its `jest.spyOn` spies
 * restored and real timers back.
 */
export function runBatch(n: number): void {
  const files = batches()[n - 1];
  if (!files) throw new Error(`no batch ${n}`);
  for (const file of files) {
    describe(relative(REPO, file), () => {
      beforeAll(() => {
        disableEarlierFilesStorages();
      });
      afterAll(() => {
        jest.restoreAllMocks();
        jest.useRealTimers();
      });
      require(file);
    });
  }
}
