/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Transpile only: `npm run lint` type-checks the whole tree once, faster than per test file.
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
  setupFiles: ['<rootDir>/test/jest.setup.ts'],
  globalSetup: '<rootDir>/test/e2e/global-setup.ts',
  testTimeout: 60000,
};
