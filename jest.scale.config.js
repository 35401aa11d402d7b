/**
 * Scale tier: the cases about N (hundreds of VPCs, thousands of attachments, many seeded fault schedules), each with
 * a small case of the same behaviour in the default tier. `npm run test:scale`; `.ci/run` runs it after `npm test`.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['**/*.scale.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
};
