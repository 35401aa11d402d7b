/** Shared jest settings for the default tier and the moto tier. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': '<rootDir>/test/transform.js' },
  // Jest's runtime with V8's code cache shared by the files of a worker (each file still runs its modules afresh).
  runtime: '<rootDir>/test/runtime.js',
  moduleNameMapper: {
    '^#shared/(.*)$': '<rootDir>/functions/shared/$1',
    '^#twin/(.*)$': '<rootDir>/twin/$1',
    '^#local/(.*)$': '<rootDir>/local/$1',
  },
  setupFiles: ['<rootDir>/test/setup-env.ts', '<rootDir>/test/setup-async-context.ts'],
  // No setupFilesAfterEnv: the few files asserting on aws-sdk-client-mock import 'aws-sdk-client-mock-jest' (its
  // matchers and sinon) themselves, so the other suites do not each load it.
  testMatch: ['**/*.test.ts'],
  // A limit on real time catches a hang, it does not judge speed (the bench does): the simulations run on the virtual
  // clock, and a loaded 2-core machine can take minutes of real time for a test that takes seconds on a quiet one.
  testTimeout: 600_000,
};
