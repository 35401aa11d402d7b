/** Moto tier: the twin and the workflow checked against moto server on 127.0.0.1. `npm run test:moto`. */
const base = require('./jest.base.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test-moto'],
  maxWorkers: 1,
  testTimeout: 120000,
};
