import { DEFAULT_SHAPE, workloadArbitrary } from './arbitraries.ts';
import type { Scenario } from './scenario.ts';

/** Acknowledge on receipt, then process: a crash loses the message, but nothing is processed twice. */
export const atMostOnce: Scenario = {
  name: 'at-most-once',
  description:
    'Messages are acknowledged before processing: loss on a crash is accepted, duplicates are not.',
  behaviour: { ack: 'before-process', idempotent: false, producerWindow: 8 },
  unfit: () => undefined,
  claim: (setup) => ({ ...setup.claim, delivery: 'at-most-once', maxAttempts: undefined, ordering: 'none' }),
  workload: (options) => workloadArbitrary(DEFAULT_SHAPE, options),
};
