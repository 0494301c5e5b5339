/** Shared Jest settings for every project of the workspace (each project's jest.config.js spreads it). */
const path = require('path');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.base.json'), diagnostics: false }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@meeting/contracts$': path.join(__dirname, 'libs/contracts/src/index.ts'),
    '^@meeting/http$': path.join(__dirname, 'libs/http/src/index.ts'),
    '^@meeting/http/testing$': path.join(__dirname, 'libs/http/src/testing/index.ts'),
    '^@meeting/queue$': path.join(__dirname, 'libs/queue/src/index.ts'),
    '^@meeting/queue/nest$': path.join(__dirname, 'libs/queue/src/nest/index.ts'),
    '^@meeting/queue/testing$': path.join(__dirname, 'libs/queue/src/testing/index.ts'),
  },
  testTimeout: 30000,
};
