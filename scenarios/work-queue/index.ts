import { DEFAULT_SHAPE, workloadArbitrary } from '../kit/arbitraries.ts';
import { standardStep } from '../kit/standard-step.ts';
import { type Scenario, STANDARD_CRASH_POINTS } from '../scenario.ts';

/** Competing consumers share one queue and acknowledge after processing. */
export const workQueue: Scenario = {
  name: 'work-queue',
  description:
    'Competing consumers share one destination; each message is acknowledged after it is processed.',
  crashPoints: STANDARD_CRASH_POINTS,
  producing: { window: 8, retries: 5 },
  consume: standardStep({ ack: 'after-process' }),
  unfit: () => undefined,
  claim: (setup) => ({ ...setup.claim, maxAttempts: undefined, ordering: 'none' }),
  workload: (options) => workloadArbitrary(DEFAULT_SHAPE, options),
};
