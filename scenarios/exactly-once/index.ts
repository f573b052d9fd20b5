import { DEFAULT_SHAPE, workloadArbitrary } from '../kit/arbitraries.ts';
import { standardStep } from '../kit/standard-step.ts';
import { type Scenario, STANDARD_CRASH_POINTS } from '../scenario.ts';

/**
 * Each message must be processed exactly once: producers retry sends whose outcome is unknown
 * (same id — the broker's deduplication must absorb them), consumers process and acknowledge, and
 * crashes must not make anything processed twice or lost. On setups with a pipeline, processing is
 * consume-transform-produce into an output destination, judged by what a committed-only reader
 * sees there. Runs by default on setups that claim exactly-once; on any other manual-ack setup it
 * shows what that setup gives instead.
 */
export const exactlyOnce: Scenario = {
  name: 'exactly-once',
  description:
    'Producers retry unknown sends with the same id; every message must be processed exactly once.',
  crashPoints: STANDARD_CRASH_POINTS,
  producing: { window: 8, retries: 5 },
  pipeline: true,
  consume: standardStep({ ack: 'after-process' }),
  unfit: (setup) =>
    setup.ackMode === 'manual'
      ? undefined
      : `setup ${setup.name} acknowledges on delivery: nothing can be exactly once`,
  prefers: (setup) => setup.claim.delivery === 'exactly-once',
  claim: (setup) => ({ ...setup.claim, delivery: 'exactly-once', maxAttempts: undefined, ordering: 'none' }),
  workload: (options) => workloadArbitrary(DEFAULT_SHAPE, options),
};
