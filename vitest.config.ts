import { defineConfig } from 'vitest/config';

// Integration tests talk to real brokers: the global setup brings up the native ones they need
// (cached installs; already running ones are reused) and stops only what it started.
// BROKERPROOF_INTEGRATION=0 skips that (unit tests only).
const integration = process.env.BROKERPROOF_INTEGRATION !== '0';

const shared = {
  testTimeout: 60_000,
  hookTimeout: 300_000,
  // Cases time real brokers; forked workers keep one case's timers away from another's.
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    ...shared,
    // Files that talk to brokers run one after another (their faults kill, pause and cut the
    // shared brokers). `npm test` (scripts/test.ts) runs the two projects side by side.
    projects: [
      ...(integration
        ? [
            {
              test: {
                ...shared,
                name: 'brokers',
                include: ['test/**/*.integration.test.ts'],
                exclude: ['test/clusters/**', '**/node_modules/**'],
                globalSetup: ['test/provision/global-setup.ts'],
                fileParallelism: false,
              },
            },
            {
              // Cluster cases start clusters of their own (network namespaces, own nodes): they touch
              // no shared broker, so `npm test` runs them after the local files, beside the brokers.
              test: {
                ...shared,
                name: 'clusters',
                include: ['test/clusters/**/*.integration.test.ts'],
                fileParallelism: false,
              },
            },
          ]
        : []),
      {
        test: {
          ...shared,
          name: 'local',
          include: ['test/**/*.test.ts'],
          exclude: ['**/*.integration.test.ts', '**/node_modules/**'],
          fileParallelism: false,
        },
      },
    ],
  },
});
