/** Shared jest settings for the default tier and the moto tier. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  moduleNameMapper: {
    '^#shared/(.*)$': '<rootDir>/functions/shared/$1',
    '^#twin/(.*)$': '<rootDir>/twin/$1',
    '^#local/(.*)$': '<rootDir>/local/$1',
  },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 30000,
};
