/** Jest project of apps/ai-service (the root jest.config.js picks it up). */
const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'ai-service',
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
