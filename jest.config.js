/** Jest: API tests against a real MariaDB and Redis (one database per run, see test/global-setup.ts). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  setupFiles: ['reflect-metadata'],
  // Every API answer checked against /openapi.json.
  setupFilesAfterEnv: ['<rootDir>/test/helpers/openapi-setup.ts'],
  testTimeout: 30000,
  maxWorkers: 2,
};
