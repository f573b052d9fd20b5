import { defineConfig } from 'vitest/config';

// Integration tests talk to real brokers: the global setup brings up the native ones they need
// (cached installs; already running ones are reused) and stops only what it started.
// BROKERPROOF_INTEGRATION=0 skips that (unit tests only).
const integration = process.env.BROKERPROOF_INTEGRATION !== '0';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: integration ? [] : ['**/*.integration.test.ts'],
    globalSetup: integration ? ['test/provision/global-setup.ts'] : [],
    testTimeout: 60_000,
    hookTimeout: 300_000,
    // Cases time real brokers; forked workers keep one case's timers away from another's.
    pool: 'forks',
  },
});
