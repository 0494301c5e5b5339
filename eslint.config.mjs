// ESLint flat config (docs/conventions.md, "Lint and format"). `nx run-many -t lint` lints every
// project; `npm run lint` also lints bench/, tools/ and apps/example.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Project boundaries (tags in each project.json). Imports across projects must go through an
 * entry point of tsconfig.base.json `paths` (relative or deep imports into another project fail).
 */
const DEP_CONSTRAINTS = [
  // Services use libraries only (@meeting/queue, @meeting/queue/nest, @meeting/queue/testing).
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  // Libraries never depend on services.
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
];

/** Imports only tests may make: the test kits. */
const TEST_KITS = {
  group: ['@meeting/queue/testing', '**/testing', '**/testing/*', '@nestjs/testing', 'supertest', 'testcontainers', '@testcontainers/*'],
  message: 'test kits are for tests (*.spec.ts, test/, testing/) only',
};

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      'dist/**',
      'coverage/**',
      '.nx/**',
      'tmp/**',
      // Compiled in a scratch project against the packed tarball (package.spec.ts), where @meeting/queue is an installed package.
      'libs/queue/test/package/consumer/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'off',
      '@nx/enforce-module-boundaries': ['error', { allow: [], depConstraints: DEP_CONSTRAINTS }],
    },
  },
  {
    // Code that ships: no test kits.
    files: ['apps/**/*.ts', 'libs/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/testing/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [TEST_KITS] }] },
  },
  {
    // The core of the library (everything but its Nest layer) never imports the Nest layer or NestJS.
    files: ['libs/queue/src/**/*.ts'],
    ignores: ['libs/queue/src/nest/**', '**/*.spec.ts', '**/testing/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            TEST_KITS,
            { group: ['**/nest', '**/nest/*', '@nestjs/*'], message: 'the core does not depend on the Nest layer or NestJS (libs/queue/src/nest adapts it)' },
          ],
        },
      ],
    },
  },
  {
    // The platform's e2e tests run the four services in one process: they (and their shared helper in testing/) compose their modules.
    // Its dist build test shares the dist lock of every spec that builds (libs/queue/test/support/built-projects.ts).
    files: ['apps/platform/src/**/*.spec.ts', 'apps/platform/src/testing/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: ['^(\\.\\./)+(ai|meeting|media|signaling)-service/src/', '^(\\.\\./)+libs/queue/test/support/built-projects$'],
          depConstraints: DEP_CONSTRAINTS,
        },
      ],
    },
  },
  {
    // The bench smoke test keeps bench/ (not an Nx project) working against the library.
    files: ['libs/queue/test/bench-smoke.spec.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', { allow: ['^\\.\\./\\.\\./\\.\\./bench/'], depConstraints: DEP_CONSTRAINTS }] },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests of tools/jest (plain JavaScript specs and the fixtures they run).
    files: ['tools/jest/**/*.js'],
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
  },
  {
    // The dashboard's page script runs in the browser.
    files: ['libs/queue/src/dashboard/assets/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
  prettier,
);
