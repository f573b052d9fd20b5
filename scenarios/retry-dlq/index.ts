import { DEFAULT_SHAPE, workloadArbitrary } from '../kit/arbitraries.ts';
import { standardStep } from '../kit/standard-step.ts';
import { type Scenario, STANDARD_CRASH_POINTS } from '../scenario.ts';

export const RETRY_BACKOFF = { baseMs: 10, factor: 2, maxMs: 200 };

/**
 * Handlers fail: poison messages always, some healthy ones once (transiently). Failures are retried
 * with exponential backoff; after the setup's max attempts a poison message must reach the DLQ —
 * and a healthy one must not.
 */
export const retryDlq: Scenario = {
  name: 'retry-dlq',
  description:
    'Failed messages are retried with exponential backoff; poison messages are dead-lettered after N attempts.',
  crashPoints: STANDARD_CRASH_POINTS,
  producing: { window: 8, retries: 5 },
  consume: standardStep({ ack: 'after-process', backoff: RETRY_BACKOFF }),
  unfit: (setup) =>
    setup.claim.maxAttempts === undefined ? `setup ${setup.name} has no dead-letter policy` : undefined,
  claim: (setup) => ({ ...setup.claim, ordering: 'none' }),
  workload: (options) => {
    const maxAttempts = options.maxAttempts ?? 3;
    return workloadArbitrary(
      {
        ...DEFAULT_SHAPE,
        messages: { min: 1, max: 300 },
        poisonFraction: { min: 0.05, max: 0.25 },
        transientFailureRate: { min: 0, max: 0.2 },
        // A healthy message may fail once transiently; each crash adds a delivery. Keep their sum
        // below the limit so only poison messages can legitimately reach the DLQ.
        maxCrashes: Math.max(0, maxAttempts - 2),
      },
      options,
    );
  },
};
