// Jest runs the TypeScript sources as ESM (the @actions packages are ESM-only).
const tsJest = ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/__tests__/setup/quiet-debug.ts'],
  // Jest's transform cache stays out of /tmp (a test run leaves nothing there).
  cacheDirectory: '<rootDir>/node_modules/.cache/jest'
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/__tests__/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/__tests__/integration/**/*.test.ts']
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/__tests__/e2e/**/*.test.ts'] }
  ],
  testTimeout: 300000,
  globalSetup: '<rootDir>/__tests__/setup/global-setup.mjs',
  reporters: ['default', '<rootDir>/__tests__/setup/tmp-reporter.mjs'],
  // Tests mostly wait on child processes (pip, Django, tar): two workers keep both cores busy.
  maxWorkers: 2
};
