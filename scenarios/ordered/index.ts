import { DEFAULT_SHAPE, workloadArbitrary } from '../kit/arbitraries.ts';
import { standardStep } from '../kit/standard-step.ts';
import { type Scenario, STANDARD_CRASH_POINTS } from '../scenario.ts';

/**
 * Keyed messages, each key owned by one producer that sends one message at a time: the consumer
 * must see each key's messages in the order they were sent.
 */
export const ordered: Scenario = {
  name: 'ordered',
  description:
    'Per-key order: each key is sent by one producer, one message at a time, and must arrive in order.',
  crashPoints: STANDARD_CRASH_POINTS,
  producing: { window: 1, retries: 5 },
  consume: standardStep({ ack: 'after-process' }),
  unfit: (setup) =>
    setup.orderingScopes.some((s) => s !== 'none') ? undefined : `setup ${setup.name} keeps no order`,
  claim: (setup) => ({
    ...setup.claim,
    maxAttempts: undefined,
    // Per-key is what teams rely on; a setup ordering a whole partition or destination implies it.
    ordering: 'per-key',
  }),
  workload: (options) =>
    workloadArbitrary(
      {
        ...DEFAULT_SHAPE,
        keys: { min: 1, max: 6 },
        partitions: { min: 1, max: 4 },
        consumersPerGroup: { min: 1, max: 3 },
      },
      options,
    ),
};
