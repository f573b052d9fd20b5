import { DEFAULT_SHAPE, workloadArbitrary } from './arbitraries.ts';
import type { Scenario } from './scenario.ts';

/** Competing consumers share one queue and acknowledge after processing. */
export const workQueue: Scenario = {
  name: 'work-queue',
  description:
    'Competing consumers share one destination; each message is acknowledged after it is processed.',
  behaviour: { ack: 'after-process', idempotent: false, producerWindow: 8, sendRetries: 5 },
  unfit: () => undefined,
  claim: (setup) => ({ ...setup.claim, maxAttempts: undefined, ordering: 'none' }),
  workload: (options) => workloadArbitrary(DEFAULT_SHAPE, options),
};
