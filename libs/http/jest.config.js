/** Jest project of libs/http (the root jest.config.js picks it up). */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'http',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
