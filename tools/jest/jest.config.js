/** Jest project of tools/jest: the count reporter .ci/run relies on (the root jest.config.js picks it up). */
module.exports = {
  displayName: 'tools',
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/*.spec.js'],
  transform: {},
  testTimeout: 30000,
};
