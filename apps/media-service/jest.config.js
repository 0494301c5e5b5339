/** Jest project of apps/media-service (the root jest.config.js picks it up). */
const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'media-service',
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
