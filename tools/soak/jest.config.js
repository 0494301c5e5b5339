/** Jest project of tools/soak: the one-minute soak CI runs (the root jest.config.js picks it up). */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'soak',
  rootDir: __dirname,
  testMatch: ['<rootDir>/*.spec.ts'],
};
