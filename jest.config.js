/**
 * Three projects, so the inner loop never waits for a synth:
 * - unit: domain functions, handlers, the CLI and the sandbox's emulators one by one, against
 *   mocked clients or emulators started in-process (`npm run test:unit`);
 * - synth: the CDK app synthesized (assertions, cdk-nag, bundles);
 * - e2e: the synthesized app run in the sandbox, end to end.
 * `npm test` runs all three; `npm run test:e2e` the last two.
 */

/** @type {import('jest').Config} */
const common = {
  testEnvironment: 'node',
  rootDir: __dirname,
  // Transpile only (ts-jest takes isolatedModules from tsconfig.json): `npm run lint` type-checks
  // the whole tree once, faster than per test file.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  setupFiles: ['<rootDir>/test/jest.setup.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/lib/', '<rootDir>/test/e2e/'],
    },
    {
      ...common,
      displayName: 'synth',
      roots: ['<rootDir>/test/lib'],
      testMatch: ['**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      roots: ['<rootDir>/test/e2e'],
      testMatch: ['**/*.test.ts'],
      // Synthesizes the app once for every end-to-end file; runs only when an e2e file is selected.
      globalSetup: '<rootDir>/test/e2e/global-setup.ts',
    },
  ],
};
