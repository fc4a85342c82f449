// One `npm test` runs both projects: pure unit tests (no I/O) and integration tests that
// share one real control plane started by the global setup.
import { createDefaultEsmPreset } from 'ts-jest';

const preset = createDefaultEsmPreset({ tsconfig: 'tsconfig.json' });
const common = {
  ...preset,
  testEnvironment: 'node',
  // Sources import each other with the .js extension (NodeNext); map to the .ts file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  modulePathIgnorePatterns: ['<rootDir>/dist/'],
};

export default {
  // Integration tests share one API server, and timing-sensitive tests share two cores:
  // one test file at a time keeps their measurements honest.
  maxWorkers: 1,
  // Integration tests wait on real components; a pure unit test never comes near this.
  testTimeout: 120000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // Global hooks run outside Jest's module system, so they run from the build (`npm test`
      // builds first through its pretest script).
      globalSetup: '<rootDir>/dist/test/harness/jest-global-setup.js',
      globalTeardown: '<rootDir>/dist/test/harness/jest-global-teardown.js',
    },
    {
      // Whole rollouts with real traffic (operator, waypoints run by the pod runner, demo
      // app pods, Prometheus, receivers) on the same shared control plane.
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/dist/test/harness/jest-global-setup.js',
      globalTeardown: '<rootDir>/dist/test/harness/jest-global-teardown.js',
    },
  ],
};
