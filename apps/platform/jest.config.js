/** Jest project of apps/platform (the root jest.config.js picks it up). */
const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'platform',
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
