import { relative } from 'node:path';
import { resetContainerCaches } from '#shared/container-cache';
import { disableEarlierFilesStorages } from '../async-context';

const { batches, REPO } = require('./partition') as { batches: () => string[][]; REPO: string };

/**
 * Runs batch `n` (1-based) of test/batches/partition.js: each file inside a `describe` named after its path, so its
 * top-level hooks apply to its own tests only. What a test file may leave behind for the next one in its own jest
 * run dies with its module registry; in a batch it is undone when the file ends instead: the AsyncLocalStorage
 * instances it used are disabled (as test/setup-async-context.ts does between test files), its `jest.spyOn` spies
 * restored and real timers back; and each file starts with `process.env` as the batch found it (set up by
 * test/setup-env.ts) and with cold Lambda containers (the handlers' cached clients, sessions and configuration
 * forgotten), as a jest file of its own would.
 */
export function runBatch(n: number): void {
  const files = batches()[n - 1];
  if (!files) throw new Error(`no batch ${n}`);
  const env = { ...process.env };
  for (const file of files) {
    describe(relative(REPO, file), () => {
      beforeAll(() => {
        disableEarlierFilesStorages();
        resetContainerCaches();
        for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
        Object.assign(process.env, env);
      });
      afterAll(() => {
        jest.restoreAllMocks();
        jest.useRealTimers();
      });
      require(file);
    });
  }
}
