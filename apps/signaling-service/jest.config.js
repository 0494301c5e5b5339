/** Jest project of apps/signaling-service (the root jest.config.js picks it up). */
const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'signaling-service',
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
