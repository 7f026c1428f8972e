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
    // a developer's desktop session must not get test keys in its login keyring: the store is off in tests
    // (test/cli/secrets-keyring.test.ts turns it on inside its own D-Bus session)
    env: { IBKR_EXEC_KEYRING: 'off' },
    // Known upstream shutdown race (taskforcesh/bullmq#3546, "cannot reproduce" there, seen once in ~10 full
    // runs here): a command queued on a BullMQ-owned ioredis connection is rejected as that connection closes.
    // Only that exact error, raised from ioredis' close handler, is ignored; every other unhandled error still
    // fails the run.
    onUnhandledError(error) {
      const stack = error.stack ?? '';
      if (error.message === 'Connection is closed.' && /ioredis[\\/]built[\\/]redis[\\/]event_handler\.js/.test(stack)) return false;
      return undefined;
    },
  },
});
