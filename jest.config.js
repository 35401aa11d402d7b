/** Default tier: no network, no AWS, no moto. `npm test`. */
const base = require('./jest.base.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test'],
};
