import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites share one Redis and bind loopback ports; files run in parallel
    // but every suite uses its own key prefix, queue name and free ports.
    pool: 'forks',
    maxWorkers: 2,
  },
});
