import { DEFAULT_SHAPE, workloadArbitrary } from '../kit/arbitraries.ts';
import { standardStep } from '../kit/standard-step.ts';
import { type Scenario, STANDARD_CRASH_POINTS } from '../scenario.ts';

/** Acknowledge on receipt, then process: a crash loses the message, but nothing is processed twice. */
export const atMostOnce: Scenario = {
  name: 'at-most-once',
  description:
    'Messages are acknowledged before processing: loss on a crash is accepted, duplicates are not.',
  crashPoints: STANDARD_CRASH_POINTS,
  producing: { window: 8, retries: 0 },
  consume: standardStep({ ack: 'before-process' }),
  unfit: () => undefined,
  claim: (setup) => ({ ...setup.claim, delivery: 'at-most-once', maxAttempts: undefined, ordering: 'none' }),
  workload: (options) => workloadArbitrary(DEFAULT_SHAPE, options),
};
