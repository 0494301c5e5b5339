/** Jest project of apps/mq, the operators' command line (the root jest.config.js picks it up). */
const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'mq',
  rootDir: '.',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
