/**
 * The order `npm test` starts its test files in (jest.batched.config.js `testSequencer`): the batches largest first
 * (by the size of the files each runs, test/batches/partition.js), then the files that run alone, largest first. Jest's
 * own order puts files it has no timing for first, then the others by their last duration: on a fresh clone it knew
 * only the sizes of the batch files themselves (a few lines each) and started the small files that run alone first,
 * and after a change of the partition it went by the batches' old durations. Started this way, the small files fill the
 * end of the run while the last batch ends, and the workers end close together.
 */
const { statSync } = require('node:fs');
const { basename } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;
const { batches } = require('./partition');

class BatchSequencer extends Sequencer {
  sort(tests) {
    const sizes = batches().map((files) => files.reduce((sum, f) => sum + statSync(f).size, 0));
    const weight = (path) => {
      const batch = basename(path).match(/^batch-(\d+)\.test\.ts$/);
      // A batch weighs what it runs; a file alone, itself (batches first: each is larger than any file alone).
      return batch ? Number.MAX_SAFE_INTEGER / 2 + sizes[Number(batch[1]) - 1] : statSync(path).size;
    };
    return [...tests].sort((a, b) => weight(b.path) - weight(a.path) || (a.path < b.path ? -1 : 1));
  }
}

module.exports = BatchSequencer;
