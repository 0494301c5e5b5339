/** Jest project of apps/meeting-service (the root jest.config.js picks it up). */
const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'meeting-service',
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
