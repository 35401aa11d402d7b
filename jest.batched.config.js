/**
 * `npm test`: the default tier (jest.config.js) in batches, each batch one jest test file that loads the modules its
 * files share once (test/batches/partition.js). Files that rearrange the module registry run alone. `npx jest <path>`
 * still runs a single file with jest.config.js.
 */
const base = require('./jest.config');
const { standaloneFiles } = require('./test/batches/partition');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/batches/batch-*.test.ts', ...standaloneFiles()],
  testPathIgnorePatterns: ['/node_modules/'],
};
