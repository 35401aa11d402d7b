/**
 * Default tier: no network, no AWS, no moto. `npm test`, within the 120 s budget on 2 cores (docs/testing.md).
 * The cases about N rather than behaviour (`*.scale.test.ts`) run in the scale tier, `npm run test:scale`.
 */
const base = require('./jest.base.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test'],
  testPathIgnorePatterns: ['/node_modules/', '\\.scale\\.test\\.ts$', '<rootDir>/test/batches/'],
  // Jest's default is one worker fewer than the cores (a single worker on a 2-core machine): the suites are
  // independent processes of CPU-bound simulation, so every core runs one.
  maxWorkers: '100%',
  // One folder per run where the local Step Functions remembers the definitions it validated (local/sfn.ts).
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
};
