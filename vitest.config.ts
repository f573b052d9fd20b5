import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Cases time real brokers; forked workers keep one case's timers away from another's.
    pool: 'forks',
  },
});
